"""Process-wide settings, read from the environment (and `.env`) with pydantic-settings.

Subsystems with their own secrets (Slack, webhooks) keep their settings beside their code; this module holds what
the client and every command need, including how it authenticates (API key, or a partner app's OAuth tokens).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.lexware.io"
DEFAULT_APP_URL = "https://app.lexware.de"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEFAULT_OAUTH_SCOPES = (
    "profile.read",
    "contacts.read",
    "contacts.write",
    "vouchers.read",
    "vouchers.write",
    "files.read",
    "files.write",
)
"""The scopes seen in real partner integrations (docs/lexware.md#partner-oauth); there is no official complete list."""


class LexflowSettings(BaseSettings):
    """Connection and runtime settings. With no API key, the embedded sandbox is the backend."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    provider: str = Field(
        default="lexware",
        validation_alias=AliasChoices("LEXFLOW_PROVIDER"),
        description="The accounting system: lexware, sevdesk, xero or quickbooks (lexflow.providers; "
        "docs/providers.md says which have an adapter yet).",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"),
        description="Lexware Office public API key (Bearer). Unset: use the embedded sandbox.",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        validation_alias=AliasChoices("LEXWARE_BASE_URL", "LEXOFFICE_BASE_URL"),
        description="API gateway. The old api.lexoffice.io host was shut down in December 2025.",
    )
    app_url: str = Field(
        default=DEFAULT_APP_URL,
        validation_alias=AliasChoices("LEXWARE_APP_URL"),
        description="The Lexware Office web app: deeplinks and the OAuth2 endpoints (formerly app.lexoffice.de).",
    )
    rate_limit: float = Field(
        default=2.0,
        ge=0,
        validation_alias=AliasChoices("LEXWARE_RATE_LIMIT", "LEXFLOW_RATE_LIMIT"),
        description="Requests per second for the whole account (0 switches client-side limiting off).",
    )
    timeout: float = Field(default=35.0, gt=0, validation_alias=AliasChoices("LEXWARE_TIMEOUT"))
    connect_timeout: float = Field(default=10.0, gt=0, validation_alias=AliasChoices("LEXWARE_CONNECT_TIMEOUT"))
    allow_partner_endpoints: bool = Field(
        default=False,
        validation_alias=AliasChoices("LEXWARE_ALLOW_PARTNER_ENDPOINTS"),
        description=(
            "Opt in to partner-only endpoints (today only POST /v1/transaction-assignment-hint, see docs/client.md). They are not "
            "part of the public API: they need a Lexware partner OAuth app whose token holds the "
            "transaction-assignment-hint.write scope; a plain API key gets 403/404. Off: the client refuses them "
            "before sending anything."
        ),
    )
    oauth_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXWARE_OAUTH_CLIENT_ID"),
        description="Partner app client id (issued by Lexware with a partnership agreement). Set and no API key: "
        "connect() authenticates with the OAuth tokens `lexflow auth login` stored.",
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXWARE_OAUTH_CLIENT_SECRET"),
        description="Partner app client secret (HTTP Basic on the token and revoke endpoints).",
    )
    oauth_redirect_uri: str = Field(
        default=DEFAULT_REDIRECT_URI,
        validation_alias=AliasChoices("LEXWARE_OAUTH_REDIRECT_URI"),
        description="Redirect URI registered for the app. A loopback URL (127.0.0.1/localhost): `lexflow auth login` "
        "catches the code on its port; a relative one (Lexware's code page, e.g. /oauth2/code): paste the code.",
    )
    oauth_scopes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_OAUTH_SCOPES,
        validation_alias=AliasChoices("LEXWARE_OAUTH_SCOPES"),
        description="Scopes to request, separated by spaces or commas (your partner agreement decides which are "
        "granted; there is no official complete list).",
    )
    oauth_authorize_url: str = Field(
        default="/oauth2/authorize",
        validation_alias=AliasChoices("LEXWARE_OAUTH_AUTHORIZE_URL"),
        description="Authorization endpoint: a path on LEXWARE_APP_URL or an absolute URL (not officially "
        "documented; the default follows production partner plugins, docs/lexware.md#partner-oauth).",
    )
    oauth_token_url: str = Field(
        default="/oauth2/token",
        validation_alias=AliasChoices("LEXWARE_OAUTH_TOKEN_URL"),
        description="Token endpoint (code exchange and refresh): a path on LEXWARE_APP_URL or an absolute URL.",
    )
    oauth_revoke_url: str = Field(
        default="/oauth2/revoke",
        validation_alias=AliasChoices("LEXWARE_OAUTH_REVOKE_URL"),
        description="Revocation endpoint: a path on LEXWARE_APP_URL or an absolute URL.",
    )
    token_store: Path = Field(
        default=Path(".lexflow/oauth-tokens.bin"),
        validation_alias=AliasChoices("LEXFLOW_TOKEN_STORE"),
        description="File holding the OAuth tokens, Fernet-encrypted (shared by every worker on the machine; "
        "refreshes are serialised by a lock file beside it).",
    )
    token_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_TOKEN_KEY"),
        description="Fernet key encrypting the token store (create one with `python -c 'from cryptography.fernet "
        "import Fernet; print(Fernet.generate_key().decode())'`). Checked when the store is opened.",
    )
    token_key_block: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_TOKEN_KEY_BLOCK"),
        description="Name of a Prefect Secret block holding the token-store key, for flows and tasks on Prefect "
        "workers (read by `tasks.common`; it replaces LEXFLOW_TOKEN_KEY there). The library never imports Prefect.",
    )
    database_url: str = Field(
        default="sqlite:///.lexflow/lexflow.db",
        validation_alias=AliasChoices("LEXFLOW_DATABASE_URL"),
        description="SQLAlchemy URL for ledgers, the audit trail and the sync store (SQLite or PostgreSQL).",
    )
    inbox_dir: Path = Field(
        default=Path(".lexflow/inbox"),
        validation_alias=AliasChoices("LEXFLOW_INBOX_DIR"),
        description="The only folder actions read local files from (file inputs given as `path`, e.g. receipts).",
    )
    export_dir: Path = Field(
        default=Path(".lexflow/export"),
        validation_alias=AliasChoices("LEXFLOW_EXPORT_DIR"),
        description="The only folder actions write local files to (`save_to` of downloads and documents).",
    )
    sandbox_db: Path | None = Field(
        default=Path(".lexflow/sandbox.db"),
        validation_alias=AliasChoices("LEXFLOW_SANDBOX_DB"),
        description="SQLite file that keeps the embedded sandbox's state between CLI commands.",
    )

    @field_validator("oauth_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(s for s in value.replace(",", " ").split() if s)
        return value

    @property
    def uses_oauth(self) -> bool:
        """A partner app is configured and no API key is set (the API key wins when both are)."""
        return self.api_key is None and self.oauth_client_id is not None

    @property
    def uses_sandbox(self) -> bool:
        return self.api_key is None and self.oauth_client_id is None


@lru_cache(maxsize=1)
def get_settings() -> LexflowSettings:
    return LexflowSettings()


class RuntimeSettings(BaseSettings):
    """Variables read at the moment of use, so a change between two calls counts (no cache, no `.env`, exact case,
    just as the hand-written reads these replace). `runtime_settings()` reads them afresh."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True, populate_by_name=True)

    statement_dir: str = Field(
        default=".lexflow/statements",
        validation_alias=AliasChoices("LEXFLOW_STATEMENT_DIR"),
        description="Folder of bank statement files: reconcile_payments reads it, `lexflow sandbox seed` writes one.",
    )
    profiles_file: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_PROFILES_FILE"),
        description="The profiles file (docs/security.md); unset or empty: $XDG_CONFIG_HOME/lexflow/profiles.*.",
    )
    profile: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_PROFILE"),
        description="The profile a run uses when none is given (unset or empty: `default`).",
    )
    config_home: str = Field(default="~/.config", validation_alias=AliasChoices("XDG_CONFIG_HOME"))
    cache_home: str | None = Field(default=None, validation_alias=AliasChoices("XDG_CACHE_HOME"))
    rate_limit_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_RATE_LIMIT_DIR"),
        description="Folder of the machine-wide rate-limit buckets (unset or empty: the user's cache directory).",
    )
    token_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_TOKEN_KEY"),
        description="Fernet key of the OAuth token store when none is passed (LexflowSettings.token_key says more).",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_SMTP_URL"),
        description="The flows' mail server when no smtp_url or smtp_secret is passed (docs/flows.md).",
    )
    prefect_ui_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PREFECT_UI_URL"),
        description="Prefect's UI, for the link to a flow run in the audit trail (Prefect's own variable).",
    )
    agent_model: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_AGENT_MODEL"),
        description="The model `lexflow ask` uses, as a pydantic-ai model string (e.g. 'anthropic:claude-sonnet-4-5', "
        "'openai:gpt-4.1'; any OpenAI-compatible server through OPENAI_BASE_URL). docs/agent.md.",
    )
    agent_profile: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEXFLOW_AGENT_PROFILE"),
        description="The profile `lexflow ask` runs under when none is given (unset or empty: `agent`).",
    )


def runtime_settings() -> RuntimeSettings:
    return RuntimeSettings()
