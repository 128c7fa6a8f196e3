"""`BankTransaction`: the one shape every statement reader produces and the matcher consumes."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

StatementFormat = Literal["camt053", "mt940", "csv", "fints", "generated", "api"]
"""`api`: read from the accounting system's API (lexflow.banking.recording), not from a statement file."""

_IBAN_RE = re.compile(r"[^A-Z0-9]")


def normalise_iban(value: str | None) -> str | None:
    """Upper case without spaces; None for empty values."""
    if not value:
        return None
    cleaned = _IBAN_RE.sub("", value.upper())
    return cleaned or None


def is_valid_iban(value: str | None) -> bool:
    """ISO 13616 check: country, check digits, mod-97 over the rearranged digits (catches a misread number)."""
    iban = normalise_iban(value) or ""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def mask_iban(value: str | None) -> str:
    """IBANs never appear in notes, artifacts or logs in full: keep country, check digits and the last four."""
    if not value:
        return "-"
    iban = normalise_iban(value) or ""
    if len(iban) <= 8:
        return "****"
    return f"{iban[:4]} **** {iban[-4:]}"


def iban_fingerprint(iban: str) -> str:
    """A stable, non-reversible key for an IBAN: the ledger learns payers without storing account numbers."""
    return "ibanfp-" + hashlib.sha256(("lexflow-iban:" + (normalise_iban(iban) or "")).encode()).hexdigest()[:32]


MAX_AMOUNT = Decimal("1e12")
"""No bank transaction comes near it; beyond it a value is a broken file (or an attack), not money."""


class Unverified(BaseModel):
    """Why a statement's transactions are not trusted: the balance check it failed and by how much, or the closing
    balance it lacks (a truncated MT940 file looks exactly like that).

    Only balance arithmetic can be overridden (never the entry count: a count mismatch means lost entries), so the
    transactions are all there but their money cannot be checked against what the bank states; a person must decide."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: Literal["balance", "running balance", "closing balance"]
    file: str = Field(description="The statement file (or ZIP member) that failed it.")
    location: str = Field(description="Where in the file the check failed (statement line, CSV line).")
    difference: Decimal | None = Field(
        default=None, description="What the file states minus what its entries add up to (None: nothing stated)."
    )

    @property
    def reason(self) -> str:
        if self.difference is None:
            return "the statement states no closing balance (it may be cut off), so its amounts cannot be checked"
        return f"statement balance does not add up (difference {self.difference})"


class BankTransaction(BaseModel):
    """One booked bank transaction. `amount` is signed: credits (money in) positive, debits negative."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transaction_id: str = Field(description="Stable id: the bank's reference when present, else a content hash.")
    booking_date: date
    value_date: date | None = None
    amount: Decimal = Field(description="Signed: credit (money in) > 0, debit < 0. Two decimal places.")
    currency: str = "EUR"
    counterparty_name: str | None = None
    counterparty_iban: str | None = Field(default=None, repr=False)
    counterparty_bic: str | None = None
    remittance: str = ""
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    reversal: bool = Field(default=False, description="The bank marked this entry as a return/reversal.")
    account_iban: str | None = Field(default=None, repr=False)
    source: StatementFormat = "generated"
    unverified: Unverified | None = Field(
        default=None,
        description="Set when its statement was read with accept_unbalanced although its balances do not add up: "
        "reconciliation then only proposes, a person decides.",
    )

    @field_validator("amount")
    @classmethod
    def _two_places(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or abs(value) >= MAX_AMOUNT:
            raise ValueError(f"{str(value)[:24]} is not an amount (finite, below {MAX_AMOUNT:,.0f})")
        return value.quantize(Decimal("0.01"))

    @field_validator("counterparty_iban", "account_iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        return normalise_iban(value)

    @field_validator("end_to_end_id")
    @classmethod
    def _e2e(cls, value: str | None) -> str | None:
        # "NOTPROVIDED" is the SEPA filler for a missing end-to-end id.
        if value is None or value.strip().upper() in {"", "NOTPROVIDED"}:
            return None
        return value.strip()

    @property
    def amount_cents(self) -> int:
        return int(self.amount * 100)


def stable_transaction_id(
    *,
    booking_date: date,
    amount: Decimal,
    currency: str,
    counterparty_iban: str | None,
    remittance: str,
    end_to_end_id: str | None,
    bank_reference: str | None,
    account_iban: str | None,
    occurrence: int = 0,
) -> str:
    """A content hash that is the same on every re-import of the same statement (the ledger's key).

    `occurrence` separates byte-identical entries within one statement (two equal transfers on one day)."""
    parts = [
        account_iban or "",
        booking_date.isoformat(),
        f"{amount.quantize(Decimal('0.01'))}",
        currency,
        normalise_iban(counterparty_iban) or "",
        " ".join(remittance.split()),
        end_to_end_id or "",
        bank_reference or "",
        str(occurrence),
    ]
    return "tx-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def assign_ids(raw: list[dict[str, object]]) -> list[BankTransaction]:
    """Build transactions from reader dicts, giving each a stable id (occurrence-counted for duplicates)."""
    seen: dict[str, int] = {}
    out: list[BankTransaction] = []
    for item in raw:
        if not item.get("transaction_id"):
            base = stable_transaction_id(
                booking_date=item["booking_date"],  # type: ignore[arg-type]
                amount=Decimal(str(item["amount"])),
                currency=str(item.get("currency") or "EUR"),
                counterparty_iban=item.get("counterparty_iban"),  # type: ignore[arg-type]
                remittance=str(item.get("remittance") or ""),
                end_to_end_id=item.get("end_to_end_id"),  # type: ignore[arg-type]
                bank_reference=item.get("bank_reference"),  # type: ignore[arg-type]
                account_iban=item.get("account_iban"),  # type: ignore[arg-type]
            )
            n = seen.get(base, 0)
            seen[base] = n + 1
            item = {**item, "transaction_id": base if n == 0 else f"{base}-{n}"}
        out.append(BankTransaction.model_validate(item))
    return out
