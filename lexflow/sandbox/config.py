"""Sandbox configuration: keys, limits, persistence and the switches for facts the reference marks as conflicting."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_API_KEY = "lexflow-sandbox-key"
"""Key of the default organisation when none is configured (printed by `lexflow sandbox serve`)."""

DEFAULT_ORGANIZATION_ID = "5a8b2c3d-1e4f-4a6b-9c8d-7e6f5a4b3c2d"

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


class SandboxConfig(BaseModel):
    """Everything a sandbox instance needs. The defaults model the real API; tests mostly set `rate_limit=0`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    api_key: str = Field(default=DEFAULT_API_KEY, description="Key of the default organisation (all scopes).")
    api_keys: list[ApiKeySpec] = Field(default_factory=list, description="Further keys (other orgs or fewer scopes).")
    rate_limit: float = Field(default=2.0, ge=0, description="Requests/second per key; 0 switches the limit off.")
    rate_burst: int = Field(default=2, ge=1, description="Token-bucket capacity.")
    retry_after_header: bool = Field(default=True, description="Send Retry-After on 429 (undocumented upstream).")
    db_path: Path | None = Field(default=None, description="SQLite file; None keeps state in memory.")
    allow_http_callbacks: bool = Field(default=False, description="Allow http:// webhook callbacks (local receivers).")
    base_url: str = Field(default="https://api.lexware.io", description="Used in resourceUri and Location headers.")
    ocr_delay_seconds: float | None = Field(
        default=2.0, description="Uploaded vouchers go blank -> unchecked after this delay; None: only via control."
    )
    unsupported_method_status: Literal[403, 404] = Field(
        default=403,
        description="PUT/DELETE on sales documents: the documented gateway 403, or the measured 404 (§11.4).",
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
    xml_upload_enabled: bool = Field(default=True, description="The account's E-Rechnung setting (XML uploads).")
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, description="Exactly 5 MiB is accepted, one byte more not.")
