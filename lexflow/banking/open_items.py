"""`OpenItem`: an open or overdue invoice (or an open credit note) as the matcher sees it, and its loader.

The voucherlist (docs/lexware.md#voucher-list) has number, contact, open amount and due date but no payment conditions; those sit on the
invoice itself (`GET /v1/invoices/{id}`, docs/lexware.md#sales-documents) and never change after finalization, so `load_open_items` fetches
them once per invoice and keeps them in a cache the caller owns (the match ledger persists it).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["receivable", "payable"]
INVOICE_TYPES = ("invoice", "salesinvoice", "downpaymentinvoice")
CREDIT_NOTE_TYPES = ("creditnote", "salescreditnote")


class PaymentTerms(BaseModel):
    """The invoice's payment conditions as far as matching needs them."""

    model_config = ConfigDict(frozen=True)

    term_days: int | None = None
    discount_percentage: Decimal | None = None
    discount_days: int | None = None


class _computed_once(cached_property[int]):
    """`functools.cached_property` without its lock (Python 3.11 takes one per first read, a tenth of the matcher's
    indexing): the value depends only on frozen fields, so computing it twice in a race gives the same value."""

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname or self.func.__name__] = value  # read from __dict__ from now on
        return value


class OpenItem(BaseModel):
    """An unpaid sales voucher. `open_amount` is positive; `direction` says who owes whom."""

    model_config = ConfigDict(frozen=True, ignored_types=(_computed_once,))

    voucher_id: str
    voucher_type: str = "invoice"
    voucher_number: str | None = None
    voucher_status: str = "open"
    contact_id: str | None = None
    contact_name: str | None = None
    open_amount: Decimal
    total_amount: Decimal | None = None
    currency: str = "EUR"
    voucher_date: date | None = None
    due_date: date | None = None
    terms: PaymentTerms | None = Field(default=None, description="None: not loaded (no cash discount check).")

    @property
    def direction(self) -> Direction:
        """Invoices are paid to us (credits); credit notes are refunded by us (debits)."""
        return "payable" if self.voucher_type in CREDIT_NOTE_TYPES else "receivable"

    @_computed_once
    def signed_cents(self) -> int:
        cents = int((self.open_amount * 100).to_integral_value())
        return -cents if self.voucher_type in CREDIT_NOTE_TYPES else cents  # `direction`, without a call


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    text = str(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    # docs/lexware.md#payments: one sample has the open amount as a string; be lenient.
    return None if value is None else Decimal(str(value))


def open_item_from_voucherlist(item: Any, terms: PaymentTerms | None = None) -> OpenItem | None:
    """Map a voucherlist row (model or dict); None for rows without an open amount (drafts, non-invoices)."""
    open_amount = _decimal(_get(item, "open_amount", "openAmount"))
    if open_amount is None or open_amount <= 0:
        return None
    return OpenItem(
        voucher_id=str(_get(item, "id")),
        voucher_type=str(_get(item, "voucher_type", "voucherType") or "invoice"),
        voucher_number=_get(item, "voucher_number", "voucherNumber"),
        voucher_status=str(_get(item, "voucher_status", "voucherStatus") or "open"),
        contact_id=_get(item, "contact_id", "contactId"),
        contact_name=_get(item, "contact_name", "contactName"),
        open_amount=open_amount,
        total_amount=_decimal(_get(item, "total_amount", "totalAmount")),
        currency=str(_get(item, "currency") or "EUR"),
        voucher_date=_date(_get(item, "voucher_date", "voucherDate")),
        due_date=_date(_get(item, "due_date", "dueDate")),
        terms=terms,
    )


def terms_from_invoice(invoice: Any) -> PaymentTerms:
    """Payment terms from an invoice (model or dict with `paymentConditions`)."""
    conditions = _get(invoice, "payment_conditions", "paymentConditions")
    if conditions is None:
        return PaymentTerms()
    discount = _get(conditions, "payment_discount_conditions", "paymentDiscountConditions")
    return PaymentTerms(
        term_days=_get(conditions, "payment_term_duration", "paymentTermDuration"),
        discount_percentage=_decimal(_get(discount, "discount_percentage", "discountPercentage")) if discount else None,
        discount_days=_get(discount, "discount_range", "discountRange") if discount else None,
    )


def load_open_items(
    client: Any,
    *,
    terms_cache: MutableMapping[str, PaymentTerms] | None = None,
    fetch_terms: bool = True,
    on_progress: Callable[[str], None] | None = None,
    on_terms_error: Callable[[str, str | None, Exception], None] | None = None,
) -> list[OpenItem]:
    """Open and overdue invoices plus open credit notes, from the voucherlist (all pages).

    `overdue` cannot be combined with other statuses in one query (docs/lexware.md#voucher-list), so it is a second query; rows are
    de-duplicated by id. Payment terms come from `terms_cache` or one `GET /v1/invoices/{id}` per new invoice.
    With `on_terms_error(voucher_id, voucher_number, error)`, an API error on that GET is handed to it and the item
    comes without terms (nothing cached, so the next call asks again); without it the error propagates."""
    from lexflow.transport.errors import LexwareError

    rows: dict[str, Any] = {}
    types = ",".join((*INVOICE_TYPES, *CREDIT_NOTE_TYPES))
    for status in ("open", "overdue"):
        for row in client.voucherlist.iter(voucher_type=types, voucher_status=status):
            rows[str(_get(row, "id"))] = row
    cache = terms_cache if terms_cache is not None else {}
    items: list[OpenItem] = []
    for voucher_id, row in sorted(rows.items()):
        vtype = _get(row, "voucher_type", "voucherType")
        terms = cache.get(voucher_id)
        if terms is None and fetch_terms and vtype == "invoice":
            if on_progress:
                on_progress(f"payment terms of {_get(row, 'voucher_number', 'voucherNumber')}")
            try:
                terms = terms_from_invoice(client.invoices.get(voucher_id))
            except LexwareError as exc:
                if on_terms_error is None:
                    raise
                on_terms_error(voucher_id, _get(row, "voucher_number", "voucherNumber"), exc)
            else:
                cache[voucher_id] = terms
        item = open_item_from_voucherlist(row, terms)
        if item is not None:
            items.append(item)
    return items
