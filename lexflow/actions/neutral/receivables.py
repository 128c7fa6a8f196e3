"""Receivables: the unpaid invoices with their open amount and days overdue (totalled per customer and by age),
and whether one invoice is paid."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from pydantic import Field

from lexflow.actions.io import EXAMPLE_ID, Input, Output
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import MAX_LIMIT, Listed
from lexflow.core.models import DocumentStatus, InvoiceSummary
from lexflow.core.provider import Provider

ZERO = Decimal("0.00")


class OpenItemsInput(Input):
    as_of: date | None = Field(default=None, description="The day days overdue are counted to (default today).")
    customer_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    bucket_days: list[int] = Field(
        default=[30, 60, 90],
        min_length=1,
        max_length=10,
        description="Upper bounds of the overdue buckets in days (default: not due, 1-30, 31-60, 61-90, >90).",
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT, description="At most this many items, most overdue first.")


class OpenItem(Output):
    id: str
    number: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    currency: str
    total_gross: Decimal | None = None
    open_amount: Decimal
    days_overdue: int = Field(description="Days past the due date on as_of; 0 when not due yet.")
    bucket: str
    status: DocumentStatus


class CustomerOpen(Output):
    customer_id: str | None = None
    customer_name: str | None = None
    currency: str
    open_amount: Decimal
    invoices: int
    most_days_overdue: int


class OpenItemsOutput(Listed):
    as_of: date
    currency: str | None = Field(description="The one currency of every item; None when none or several.")
    total_open: Decimal | None = Field(description="Everything open, in `currency`; None when several currencies.")
    buckets: dict[str, Decimal] = Field(description="Open amount by days overdue (one currency only, else empty).")
    customers: list[CustomerOpen] = Field(description="Open amount per customer and currency, largest first.")
    items: list[OpenItem]


def bucket_names(bounds: list[int]) -> list[str]:
    names, low = ["not due"], 1
    for b in bounds:
        names.append(f"{low}-{b}")
        low = b + 1
    return [*names, f">{bounds[-1]}"]


def _item(row: InvoiceSummary, as_of: date, bounds: list[int], names: list[str]) -> OpenItem | None:
    money = row.open_amount or row.total_gross
    if money is None or money.amount <= 0:
        return None
    days = (as_of - row.due_date).days if row.due_date else 0
    index = 0 if days <= 0 else 1 + next((i for i, b in enumerate(bounds) if days <= b), len(bounds))
    return OpenItem(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=money.currency,
        total_gross=row.total_gross.amount if row.total_gross else None,
        open_amount=money.amount,
        days_overdue=max(days, 0),
        bucket=names[index],
        status=row.status,
    )


@neutral_action(
    "open_items",
    description="Open receivables: every unpaid invoice (open or partially paid) with its open amount and days "
    "overdue, totalled per customer and in ageing buckets (not due, 1-30, 31-60, 61-90, >90 days by default). "
    "Read-only.",
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=({}, {"as_of": "2026-12-31", "customer_id": EXAMPLE_ID}),
)
def open_items(provider: Provider, data: OpenItemsInput) -> OpenItemsOutput:
    as_of = data.as_of or date.today()
    bounds = sorted(set(data.bucket_days))
    names = bucket_names(bounds)
    rows = provider.list_invoices(["open", "partially_paid"], customer_id=data.customer_id)
    items = [item for row in rows if (item := _item(row, as_of, bounds, names)) is not None]
    items.sort(key=lambda i: (-i.days_overdue, i.due_date or as_of, i.id))
    per_customer: dict[tuple[str | None, str], list[OpenItem]] = defaultdict(list)
    for item in items:
        per_customer[(item.customer_id, item.currency)].append(item)
    customers = [
        CustomerOpen(
            customer_id=customer_id,
            customer_name=group[0].customer_name,
            currency=currency,
            open_amount=sum((i.open_amount for i in group), ZERO),
            invoices=len(group),
            most_days_overdue=group[0].days_overdue,
        )
        for (customer_id, currency), group in per_customer.items()
    ]
    customers.sort(key=lambda c: (-c.open_amount, c.customer_name or ""))
    currencies = {i.currency for i in items}
    currency = currencies.pop() if len(currencies) == 1 else None
    buckets = {name: ZERO for name in names}
    for item in items:
        buckets[item.bucket] += item.open_amount
    return OpenItemsOutput(
        as_of=as_of,
        currency=currency,
        total_open=sum((i.open_amount for i in items), ZERO) if currency or not items else None,
        buckets=buckets if currency or not items else {},
        customers=customers,
        items=items[: data.limit],
        truncated=len(items) > data.limit,
    )


class PaymentStatusInput(Input):
    invoice_id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$", description="The provider's id.")


class PaymentStatusOutput(Output):
    invoice_id: str
    number: str | None = None
    status: DocumentStatus
    currency: str
    total_gross: Decimal | None = None
    open_amount: Decimal | None = Field(description="What is still unpaid; None for a draft (nothing is owed yet).")
    paid_amount: Decimal | None = Field(
        description="Total less open amount; None for drafts and cancelled invoices (a credit note is no payment)."
    )
    settled: bool = Field(description="Paid in full. A cancelled invoice owes nothing but is not settled.")
    cancelled: bool = Field(description="Voided, or settled by its cancellation credit note (cancel_invoice).")
    overdue: bool
    note: str = ""


@neutral_action(
    "payment_status",
    description="Whether an invoice is paid: its normalised status, open and paid amount, overdue flag. Read-only; "
    "a payment received is recorded with record_payment where the system can. A cancelled (void) invoice owes "
    "nothing but was not paid, and the output says so.",
    scope="payments:read",
    effect="read",
    idempotent=True,
    examples=({"invoice_id": EXAMPLE_ID},),
)
def payment_status(provider: Provider, data: PaymentStatusInput) -> PaymentStatusOutput:
    inv = provider.get_invoice(data.invoice_id)
    cancellation = None
    if inv.status in ("paid", "void") and provider.capabilities.supports("cancel_invoice"):
        # a credit note settles an invoice too (Lexware shows it paid): only the cancellation tells the two apart
        cancellation = provider.find_cancellation(inv.id)
    total = inv.total_gross.amount if inv.total_gross else None
    open_amount = inv.open_amount.amount if inv.open_amount and inv.status != "draft" else None
    paid = None
    if total is not None and open_amount is not None and inv.status != "void" and cancellation is None:
        paid = total - open_amount
    note = ""
    if inv.status == "void" or cancellation is not None:
        how = (
            f" by credit note {cancellation.credit_note_number or cancellation.credit_note_id}"
            if (cancellation and cancellation.method == "credit_note")
            else ""
        )
        note = f"Cancelled{how}: nothing is owed, but nothing was paid either."
    elif inv.status == "draft":
        note = "A draft: nothing is owed until it is final."
    return PaymentStatusOutput(
        invoice_id=inv.id,
        number=inv.number,
        status=inv.status,
        currency=inv.currency,
        total_gross=total,
        open_amount=open_amount,
        paid_amount=paid,
        settled=inv.status == "paid" and cancellation is None,
        cancelled=inv.status == "void" or cancellation is not None,
        overdue=inv.overdue,
        note=note,
    )
