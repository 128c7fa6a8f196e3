"""Configuration of the embedded Xero sandbox: the OAuth app it knows, its tenants, limits and windows."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SANDBOX_CLIENT_ID = "lexflow-xero-sandbox-client"
SANDBOX_CLIENT_SECRET = "lexflow-xero-sandbox-secret"
SANDBOX_WEBHOOK_KEY = "lexflow-xero-sandbox-webhook-key"


class Tenant(BaseModel):
    """One organisation the sandbox keeps (Xero calls it a tenant)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    name: str
    base_currency: str = "GBP"
    country_code: str = "GB"


DEFAULT_TENANTS = (
    Tenant(tenant_id="70784a63-d24b-46a9-a4db-0e70a274b056", name="Demo Company (UK)"),
    Tenant(
        tenant_id="2f9a1c34-6b0e-4d7a-8e21-5c3b9d7f1a22",
        name="lexflow Muster GmbH",
        base_currency="EUR",
        country_code="DE",
    ),
)


class XeroSandboxConfig(BaseModel):
    """Defaults are Xero's published values (docs/xero.md); tests shrink the windows to run fast."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = SANDBOX_CLIENT_ID
    client_secret: SecretStr = SecretStr(SANDBOX_CLIENT_SECRET)
    webhook_key: SecretStr = SecretStr(SANDBOX_WEBHOOK_KEY)
    app_name: str = "lexflow"
    tenants: tuple[Tenant, ...] = DEFAULT_TENANTS
    access_token_seconds: int = Field(default=1800, gt=0)
    refresh_token_days: int = Field(default=60, gt=0)
    refresh_grace_seconds: int = Field(default=1800, ge=0, description="An old refresh token still works this long.")
    code_seconds: int = Field(default=300, gt=0)
    minute_limit: int = Field(default=60, ge=0, description="Calls per tenant per rolling minute; 0 switches it off.")
    daily_limit: int = Field(default=5000, ge=0, description="Calls per tenant per rolling 24 h; 0 switches it off.")
    concurrent_limit: int = Field(default=5, ge=0, description="Calls in flight per tenant; 0 switches it off.")
    app_minute_limit: int = Field(default=10_000, ge=0)
    idempotency_seconds: int = Field(default=360, gt=0, description="How long a stored answer is replayed (6 min).")
    email_daily_limit: int = Field(default=1000, ge=0)
    attachment_max_bytes: int = Field(default=3 * 1024 * 1024, gt=0)
    attachments_per_document: int = Field(default=10, gt=0)
    db_path: Path | None = None
