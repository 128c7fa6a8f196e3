"""What a provider's API can do, as data. Flows branch on these, never on a provider's name.

Each `Support` says whether the API can do it, how (or why not), and what lexflow does instead; a missing one is
raised as `CapabilityMissing` by `Capabilities.require`. `docs/providers.md` carries the rendered matrix
(`matrix_markdown`), and a test keeps the two equal.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lexflow.core.errors import CapabilityMissing


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Support(_Frozen):
    """One capability: `detail` is the API call when available, the reason when not; `instead` what lexflow does."""

    available: bool
    detail: str = Field(min_length=3)
    instead: str = ""

    @model_validator(mode="after")
    def _instead_when_missing(self) -> Support:
        if not self.available and not self.instead:
            raise ValueError("a missing capability must say what lexflow does instead")
        return self


class Webhooks(Support):
    signing: Literal["rsa-sha512", "hmac-sha256"] | None = None
    signature_header: str | None = None
    subscribed_via: Literal["api", "developer portal"] | None = None


class BankReading(Support):
    """`statement_lines`: the API's bank transactions are the bank's own statement lines (what reconciliation
    matches), not records a person made in the accounting system; only then does reconciliation read them instead
    of a statement file."""

    statement_lines: bool = False


class Idempotency(Support):
    mechanism: str | None = Field(default=None, description="How a key is passed, e.g. an `Idempotency-Key` header.")


class OptimisticLock(Support):
    token: str | None = Field(default=None, description="The provider's field, e.g. `version` or `SyncToken`.")


class Currencies(Support):
    """`available`: invoices in more than one currency. `codes`: the only ones accepted, or None for any ISO code."""

    codes: tuple[str, ...] | None = None

    def accepts(self, currency: str) -> bool:
        return self.codes is None or currency.upper() in self.codes


class RateLimit(_Frozen):
    """The limit lexflow's client keeps to (the published one, or a conservative one where none is published)."""

    requests: int = Field(gt=0)
    per_seconds: int = Field(gt=0)
    concurrent: int | None = None
    daily: int | None = None
    published: bool = True
    note: str = ""

    def describe(self) -> str:
        unit = {1: "s", 60: "min"}.get(self.per_seconds, f"{self.per_seconds} s")
        parts = [f"{self.requests}/{unit}"]
        if self.concurrent:
            parts.append(f"{self.concurrent} concurrent")
        if self.daily:
            parts.append(f"{self.daily:,}/day")
        return ", ".join(parts) + ("" if self.published else " (unpublished; lexflow's own limit)")


Capability = Literal[
    "drafts",
    "finalize_later",
    "update_invoice",
    "send_email",
    "record_payment",
    "read_bank_transactions",
    "read_receipts",
    "webhooks",
    "idempotency",
    "optimistic_lock",
    "currencies",
    # history sync and dunning (F2b)
    "change_feed",
    "dunning",
    # cancellation (C)
    "cancel_invoice",
]
CAPABILITIES: tuple[Capability, ...] = Capability.__args__  # type: ignore[attr-defined]

TITLES: dict[str, str] = {
    "drafts": "Invoice drafts",
    "finalize_later": "Finalize a draft later",
    "update_invoice": "Update an invoice",
    "send_email": "Send an invoice by e-mail",
    "record_payment": "Record a payment (mark paid)",
    "read_bank_transactions": "Read bank transactions",
    "read_receipts": "Read a receipt's values (OCR)",
    "webhooks": "Webhooks",
    "idempotency": "Idempotency keys",
    "optimistic_lock": "Optimistic-lock token",
    "currencies": "More than one currency",
    # history sync and dunning (F2b)
    "change_feed": "List changes (incremental sync)",
    "dunning": "Dunning document (payment reminder)",
    # cancellation (C)
    "cancel_invoice": "Cancel a final invoice",
}


class Capabilities(_Frozen):
    """Everything the neutral interface needs to know about one provider's API."""

    provider: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    display_name: str
    docs_url: str
    drafts: Support
    finalize_later: Support
    update_invoice: Support
    send_email: Support
    record_payment: Support
    read_bank_transactions: BankReading
    read_receipts: Support
    webhooks: Webhooks
    idempotency: Idempotency
    optimistic_lock: OptimisticLock
    currencies: Currencies
    rate_limit: RateLimit
    # history sync and dunning (F2b)
    change_feed: Support = Field(description="How the API lists what changed since the last sync.")
    dunning: Support = Field(description="A dunning (payment reminder) document the API keeps with the invoice.")
    # cancellation (C)
    cancel_invoice: Support = Field(description="How a final invoice is cancelled: voided, or a linked credit note.")

    def supports(self, capability: Capability) -> bool:
        return self.support(capability).available

    def support(self, capability: Capability) -> Support:
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")
        value: Support = getattr(self, capability)
        return value

    def require(self, capability: Capability) -> None:
        """Raise `CapabilityMissing` (with why and what lexflow does instead) unless the API can do it."""
        s = self.support(capability)
        if not s.available:
            raise CapabilityMissing(self.display_name, capability, s.detail, s.instead)

    def require_currency(self, currency: str) -> None:
        if not self.currencies.accepts(currency):
            allowed = ", ".join(self.currencies.codes or ())
            raise CapabilityMissing(
                self.display_name,
                "currencies",
                f"{self.currencies.detail} ({currency} given, accepted: {allowed}).",
                self.currencies.instead,
            )


def _cell(s: Support) -> str:
    mark = "✓" if s.available else "✗"
    return f"{mark} {s.detail}".replace("|", "\\|")


def matrix_markdown(providers: list[Capabilities]) -> str:
    """The capability matrix of docs/providers.md: one table of what each API can do, then what lexflow does instead."""
    head = "| Capability | " + " | ".join(p.display_name for p in providers) + " |"
    lines = [head, "|" + "---|" * (len(providers) + 1)]
    for cap in CAPABILITIES:
        lines.append(f"| {TITLES[cap]} | " + " | ".join(_cell(p.support(cap)) for p in providers) + " |")
    lines.append("| Rate limit | " + " | ".join(p.rate_limit.describe() for p in providers) + " |")
    lines += ["", "**Where the API cannot, lexflow does this instead:**", ""]
    for p in providers:
        missing = [cap for cap in CAPABILITIES if not p.supports(cap)]
        lines.append(f"- **{p.display_name}** ({p.docs_url}):")
        lines += [f"  - {TITLES[cap]}: {p.support(cap).instead}" for cap in missing] or ["  - nothing missing"]
    return "\n".join(lines) + "\n"
