"""Receivables: open items with ageing, and one voucher's payment state (read-only: the API cannot mark paid)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import _d, _dump
from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, Input, Output


class OpenItemsInput(Input):
    as_of: date | None = Field(default=None, description="Reference day for ageing (default today).")
    contact_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    bucket_days: list[int] = Field(default=[30, 60, 90], description="Upper bounds of the overdue buckets in days.")


class OpenItem(Output):
    id: str
    voucher_number: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    voucher_date: date | None = None
    due_date: date | None = None
    total_amount: Decimal | None = None
    open_amount: Decimal
    days_overdue: int
    bucket: str
    status: str


class OpenItemsOutput(Output):
    as_of: date
    total_open: Decimal
    buckets: dict[str, Decimal]
    items: list[OpenItem]


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _bucket_names(bounds: list[int]) -> list[str]:
    names, low = ["not due"], 1
    for b in sorted(bounds):
        names.append(f"{low}-{b}")
        low = b + 1
    names.append(f">{sorted(bounds)[-1]}" if bounds else ">0")
    return names


@business_action(
    "open_items",
    description=(
        "Open receivables (unpaid open and overdue invoices) from the voucher list, with days overdue and ageing "
        "buckets (not due, 1-30, 31-60, 61-90, >90 by default). Read-only."
    ),
    scope="voucherlist:read",
    effect="read",
    idempotent=True,
    examples=({}, {"as_of": "2026-12-31"}),
)
def open_items(client: Any, data: OpenItemsInput) -> OpenItemsOutput:
    as_of = data.as_of or datetime.now(UTC).date()
    bounds = sorted(data.bucket_days)
    names = _bucket_names(bounds)
    buckets = {n: Decimal("0.00") for n in names}
    items: list[OpenItem] = []
    filters = {"contact_id": data.contact_id} if data.contact_id else {}
    for row in client.voucherlist.iter(voucher_type="invoice", voucher_status="open", **filters):
        r = _dump(row)
        open_amount = _d(r.get("openAmount") if r.get("openAmount") is not None else r.get("totalAmount"))
        if open_amount <= 0:
            continue
        due = _as_date(r.get("dueDate"))
        days = (as_of - due).days if due else 0
        if days <= 0:
            bucket = names[0]
        else:
            idx = next((i for i, b in enumerate(bounds) if days <= b), len(bounds))
            bucket = names[idx + 1]
        buckets[bucket] += open_amount
        items.append(
            OpenItem(
                id=str(r["id"]),
                voucher_number=r.get("voucherNumber"),
                contact_id=r.get("contactId"),
                contact_name=r.get("contactName"),
                voucher_date=_as_date(r.get("voucherDate")),
                due_date=due,
                total_amount=r.get("totalAmount"),
                open_amount=open_amount,
                days_overdue=max(days, 0),
                bucket=bucket,
                status=str(r.get("voucherStatus")),
            )
        )
    items.sort(key=lambda i: -i.days_overdue)
    return OpenItemsOutput(
        as_of=as_of, total_open=sum((i.open_amount for i in items), Decimal("0.00")), buckets=buckets, items=items
    )


class PaymentStatusInput(Input):
    voucher_id: str = Field(pattern=UUID_PATTERN, description="Invoice, credit note or bookkeeping voucher id.")


class PaymentStatusOutput(Output):
    voucher_id: str
    payment_status: str | None = None
    voucher_status: str | None = None
    open_amount: Decimal | None = None
    paid_date: str | None = None
    settled: bool
    items: list[dict[str, Any]] = []
    note: str = ""


@business_action(
    "payment_status",
    description=(
        "Payment state of one invoice, credit note or bookkeeping voucher: open amount, payment items, paid "
        "date. Read-only: the API cannot mark anything paid. Drafts have no payment info (406)."
    ),
    scope="payments:read",
    effect="read",
    idempotent=True,
    examples=({"voucher_id": EXAMPLE_ID},),
)
def payment_status(client: Any, data: PaymentStatusInput) -> PaymentStatusOutput:
    p = _dump(client.payments.get(data.voucher_id))
    status = p.get("voucherStatus")
    note = "Read-only: the API cannot mark anything paid; assign payments in the web app or via bank matching."
    if status == "voided":
        note = "Voided: looks balanced with open amount 0, but nothing was paid. " + note
    return PaymentStatusOutput(
        voucher_id=data.voucher_id,
        payment_status=p.get("paymentStatus"),
        voucher_status=status,
        open_amount=p.get("openAmount"),
        paid_date=p.get("paidDate"),
        settled=p.get("paymentStatus") == "balanced" and status != "voided",
        items=p.get("paymentItems") or [],
        note=note,
    )
