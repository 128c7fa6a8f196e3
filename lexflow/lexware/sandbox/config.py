"""Sandbox configuration: keys, limits, persistence and the switches for facts the reference marks as conflicting."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_KEY = "lexflow-sandbox-key"
"""Key of the default organisation when none is configured (printed by `lexflow sandbox serve`)."""

DEFAULT_ORGANIZATION_ID = "5a8b2c3d-1e4f-4a6b-9c8d-7e6f5a4b3c2d"

DEFAULT_CLIENT_ID = "lexflow-sandbox-client"
DEFAULT_CLIENT_SECRET = "lexflow-sandbox-secret"
"""The OAuth client every sandbox knows unless `oauth_clients` (or the environment) says otherwise."""

ALL_SCOPES: frozenset[str] = frozenset(
    {
        "profile.read",
        "contacts.read",
        "contacts.write",
        "articles.read",
        "articles.write",
        "invoices.read",
        "invoices.write",
        "credit-notes.read",
        "credit-notes.write",
        "order-confirmations.read",
        "order-confirmations.write",
        "quotations.read",
        "quotations.write",
        "delivery-notes.read",
        "delivery-notes.write",
        "dunnings.read",
        "dunnings.write",
        "down-payment-invoices.read",
        "recurring-templates.read",
        "vouchers.read",
        "vouchers.write",
        "files.read",
        "files.write",
        "voucherlist.read",
        "payments.read",
        "event-subscriptions.read",
        "event-subscriptions.write",
        "countries.read",
        "payment-conditions.read",
        "posting-categories.read",
        "print-layouts.read",
    }
)
"""Scopes a plain API key can hold, named after the permissions of the API-key UI. OAuth tokens can additionally
hold `transaction-assignment-hint.write` (partner only)."""


class ApiKeySpec(BaseModel):
    """One API key bound to an organisation and a set of scopes (None = every public scope)."""

    key: str
    organization_id: str = DEFAULT_ORGANIZATION_ID
    scopes: frozenset[str] | None = None
    kind: Literal["api_key", "oauth"] = "api_key"


class SandboxEnvironment(BaseSettings):
    """The `LEXFLOW_SANDBOX_*` variables, as given (exact case, no `.env`, read when a config is built). Each is
    validated against the `SandboxConfig` field it fills, so an error names the variable and the field."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True, populate_by_name=True)

    webhook_time_scale: str | None = Field(default=None, validation_alias="LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE")
    oauth_expires_in: str | None = Field(default=None, validation_alias="LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN")
    callback_tls_check: str | None = Field(default=None, validation_alias="LEXFLOW_SANDBOX_CALLBACK_TLS_CHECK")
    oauth_client_id: str = Field(default="", validation_alias="LEXFLOW_SANDBOX_OAUTH_CLIENT_ID")
    oauth_client_secret: str = Field(default="", validation_alias="LEXFLOW_SANDBOX_OAUTH_CLIENT_SECRET")


ENVIRONMENT: dict[str, str] = {
    name: str(SandboxEnvironment.model_fields[name].validation_alias)
    for name in ("webhook_time_scale", "oauth_expires_in", "callback_tls_check")
}
"""Config fields a `LEXFLOW_SANDBOX_*` variable fills when the caller leaves them out (explicit values win).
`oauth_clients` comes from the pair LEXFLOW_SANDBOX_OAUTH_CLIENT_ID / LEXFLOW_SANDBOX_OAUTH_CLIENT_SECRET."""


def _from_environment(fields: dict[str, Any]) -> dict[str, Any]:
    """The environment's values for the fields not given, each checked on its own so an error names the variable."""
    env = SandboxEnvironment()
    found: dict[str, Any] = {}
    for name, variable in ENVIRONMENT.items():
        raw = getattr(env, name)
        if name in fields or raw is None or not raw.strip():
            continue
        info = SandboxConfig.model_fields[name]
        try:
            found[name] = TypeAdapter(info.rebuild_annotation()).validate_strings(raw.strip())
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise ValueError(f"{variable}={raw!r} is not valid for {name} ({reason}); fix or unset it") from None
    client_id = env.oauth_client_id.strip()
    client_secret = env.oauth_client_secret
    if "oauth_clients" not in fields and (client_id or client_secret):
        found["oauth_clients"] = {client_id or DEFAULT_CLIENT_ID: client_secret or DEFAULT_CLIENT_SECRET}
    return found


class SandboxConfig(BaseModel):
    """Everything a sandbox instance needs. The defaults model the real API; tests mostly set `rate_limit=0`.

    Fields listed in `ENVIRONMENT` (and `oauth_clients`) fall back to their `LEXFLOW_SANDBOX_*` variable when not
    passed, so `lexflow sandbox serve`, `lexflow.lexware.client.connect()` and every other builder honour them alike."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    api_key: str = Field(default=DEFAULT_API_KEY, description="Key of the default organisation (all scopes).")
    api_keys: list[ApiKeySpec] = Field(default_factory=list, description="Further keys (other orgs or fewer scopes).")
    rate_limit: float = Field(default=2.0, ge=0, description="Requests/second per key; 0 switches the limit off.")
    rate_burst: int = Field(default=2, ge=1, description="Token-bucket capacity.")
    rate_limit_scope: Literal["key", "organization"] = Field(
        default="key",
        description="Who shares a bucket. The docs say 2 req/s per client (so per key); it was measured shared "
        "across the whole account, other integrations included (docs/lexware.md#rate-limits): 'organization' models that.",
    )
    retry_after_header: bool = Field(default=True, description="Send Retry-After on 429 (undocumented upstream).")
    db_path: Path | None = Field(default=None, description="SQLite file; None keeps state in memory.")
    allow_http_callbacks: bool = Field(default=False, description="Allow http:// webhook callbacks (local receivers).")
    base_url: str = Field(default="https://api.lexware.io", description="Used in resourceUri and Location headers.")
    ocr_delay_seconds: float | None = Field(
        default=2.0, description="Uploaded vouchers go blank -> unchecked after this delay; None: only via control."
    )
    unsupported_method_status: Literal[403, 404] = Field(
        default=403,
        description="PUT/DELETE on sales documents: the documented gateway 403, or the measured 404 (docs/lexware.md#gateway-errors).",
    )
    contact_stale_version_status: Literal[406, 409] = Field(
        default=406, description="Stale contact version: measured 406 IssueList (docs: 409)."
    )
    voucher_post_status_allowed: bool = Field(
        default=True, description="POST /v1/vouchers accepts voucherStatus open/unchecked (docs; one client: refused)."
    )
    list_dunnings: bool = Field(
        default=False, description="Voucherlist accepts voucherType 'dunning' (measured: refused; one tool: listed)."
    )
    draft_voucher_numbers: bool = Field(
        default=True,
        description="Drafts of sales documents carry a voucherNumber from the number range, as the docs' invoice "
        "sample (a draft RE1019) and live captures show; False answers drafts without one (numbers on finalizing).",
    )
    ping_endpoint: bool = Field(
        default=True,
        description="Serve GET /v1/ping (any valid key, no scope) as a credentials check, as connectors use it; "
        "the reference marks it unverified. False: the gateway 403 of an unknown route.",
    )
    xml_upload_enabled: bool = Field(default=True, description="The account's E-Rechnung setting (XML uploads).")
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, description="Exactly 5 MiB is accepted, one byte more not.")
    webhook_time_scale: float = Field(
        default=1.0,
        ge=0,
        description="Factor on Lexware's webhook retry schedule (1.0 = real, 0.001 = 1000x faster; env "
        "LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE). The control API can change it until the next reset.",
    )
    webhook_key_bits: Literal[2048, 3072, 4096] = Field(
        default=4096,
        description="Size of the RSA key that signs webhooks (Lexware's is 4096 bits). Generated once per process "
        "and size; a sandbox with `db_path` keeps the key it stored first.",
    )
    callback_tls_check: bool = Field(
        default=True,
        description="On subscribe, send a HEAD to an https callbackUrl and answer 406 when its TLS certificate "
        "does not verify (docs/lexware.md#subscribing). http callbacks (allow_http_callbacks) have no certificate and are not checked. "
        "Env LEXFLOW_SANDBOX_CALLBACK_TLS_CHECK.",
    )
    callback_ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of CAs trusted for https callbacks (check and delivery); None: certifi's public CAs, "
        "as Lexware trusts. Point it at a local test CA to receive on https://127.0.0.1.",
    )
    oauth_clients: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: SecretStr(DEFAULT_CLIENT_SECRET)},
        min_length=1,
        description="OAuth clients {client_id: client_secret} the authorization server accepts (env "
        "LEXFLOW_SANDBOX_OAUTH_CLIENT_ID / _SECRET for one).",
    )
    oauth_expires_in: int = Field(
        default=3600,
        ge=1,
        le=86_400 * 30,
        description="Lifetime of OAuth access tokens in seconds (env LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN).",
    )

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**_from_environment(data), **data}
        return data

    @field_validator("oauth_clients")
    @classmethod
    def _client_ids(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for client_id, secret in value.items():
            if not client_id.strip() or ":" in client_id:
                raise ValueError(f"client id {client_id!r} must be non-empty and free of ':' (HTTP Basic user)")
            if not secret.get_secret_value():
                raise ValueError(f"client {client_id!r} needs a non-empty secret")
        return value

    @field_validator("callback_ca_bundle")
    @classmethod
    def _bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file; give a PEM file of trusted CA certificates or leave it unset")
        return value
