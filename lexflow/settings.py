"""Process-wide settings, read from the environment (and `.env`) with pydantic-settings.

Subsystems with their own secrets (Slack, webhooks, the token store) keep their settings beside their code;
this module holds what the client and every command need.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.lexware.io"
DEFAULT_APP_URL = "https://app.lexware.de"


class LexflowSettings(BaseSettings):
    """Connection and runtime settings. With no API key, the embedded sandbox is the backend."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

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
    app_url: str = Field(default=DEFAULT_APP_URL, validation_alias=AliasChoices("LEXWARE_APP_URL"))
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
            "Opt in to partner-only endpoints (today only POST /v1/transaction-assignment-hint, §11.3). They are not "
            "part of the public API: they need a Lexware partner OAuth app whose token holds the "
            "transaction-assignment-hint.write scope; a plain API key gets 403/404. Off: the client refuses them "
            "before sending anything."
        ),
    )
    database_url: str = Field(
        default="sqlite:///.lexflow/lexflow.db",
        validation_alias=AliasChoices("LEXFLOW_DATABASE_URL"),
        description="SQLAlchemy URL for ledgers, the audit trail and the sync store (SQLite or PostgreSQL).",
    )
    sandbox_db: Path | None = Field(
        default=Path(".lexflow/sandbox.db"),
        validation_alias=AliasChoices("LEXFLOW_SANDBOX_DB"),
        description="SQLite file that keeps the embedded sandbox's state between CLI commands.",
    )

    @property
    def uses_sandbox(self) -> bool:
        return self.api_key is None


@lru_cache(maxsize=1)
def get_settings() -> LexflowSettings:
    return LexflowSettings()
