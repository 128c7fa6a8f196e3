"""Receivables: one voucher's payment state (read-only: the API cannot mark paid). Open items and
an invoice's paid state on every provider: the neutral actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import _dump
from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, Input, Output


class LexwarePaymentStatusInput(Input):
    voucher_id: str = Field(pattern=UUID_PATTERN, description="Invoice, credit note or bookkeeping voucher id.")


class LexwarePaymentStatusOutput(Output):
    voucher_id: str
    payment_status: str | None = None
    voucher_status: str | None = None
    open_amount: Decimal | None = None
    paid_date: str | None = None
    settled: bool
    items: list[dict[str, Any]] = []
    note: str = ""


@business_action(
    "lexware_payment_status",
    description=(
        "Payment state of one invoice, credit note or bookkeeping voucher: open amount, payment items, paid "
        "date. Read-only: the API cannot mark anything paid. Drafts have no payment info (406)."
    ),
    scope="payments:read",
    effect="read",
    idempotent=True,
    examples=({"voucher_id": EXAMPLE_ID},),
)
def lexware_payment_status(client: Any, data: LexwarePaymentStatusInput) -> LexwarePaymentStatusOutput:
    p = _dump(client.payments.get(data.voucher_id))
    status = p.get("voucherStatus")
    note = "Read-only: the API cannot mark anything paid; assign payments in the web app or via bank matching."
    if status == "voided":
        note = "Voided: looks balanced with open amount 0, but nothing was paid. " + note
    return LexwarePaymentStatusOutput(
        voucher_id=data.voucher_id,
        payment_status=p.get("paymentStatus"),
        voucher_status=status,
        open_amount=p.get("openAmount"),
        paid_date=p.get("paidDate"),
        settled=p.get("paymentStatus") == "balanced" and status != "voided",
        items=p.get("paymentItems") or [],
        note=note,
    )
