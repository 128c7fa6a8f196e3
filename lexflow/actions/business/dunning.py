"""Dunning: a payment reminder for an open invoice (always a draft in the API)."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import _dump, _get, _timestamp, _view_url
from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, Input, Output
from lexflow.lexware import models as lx


class CreateDunningInput(Input):
    invoice_id: str = Field(pattern=UUID_PATTERN)
    fee: Decimal = Field(default=Decimal("0"), ge=0, description="Dunning fee (net), 0 for a plain reminder.")
    voucher_date: date | None = None
    title: str | None = Field(default="Zahlungserinnerung", max_length=25)
    introduction: str | None = Field(default=None, max_length=2000)


class CreateDunningOutput(Output):
    dunning_id: str
    invoice_id: str
    invoice_number: str | None = None
    open_amount: Decimal | None = None
    view_url: str | None = None
    already_existed: bool = Field(
        default=False, description="A reminder for this invoice with this date existed already; none was created."
    )
    note: str = "Dunnings are always drafts in the API: review and send it from the web app or e-mail the PDF."


@business_action(
    "create_dunning",
    description=(
        "Create a payment reminder (dunning) for an open invoice, optionally with a fee. Dunnings are always "
        "drafts through the API; send the PDF yourself. Does not change the invoice. The invoice and the date are "
        "the business key: a reminder for that invoice dated that day is returned (already_existed=true), so a "
        "retry never creates a second one."
    ),
    scope="dunnings:write",
    effect="write",
    idempotent=True,
    examples=({"invoice_id": EXAMPLE_ID, "fee": "5.00"},),
)
def create_dunning(client: Any, data: CreateDunningInput) -> CreateDunningOutput:
    inv = _dump(client.invoices.get(data.invoice_id))
    if inv.get("voucherStatus") not in ("open", "overdue"):
        raise InvalidInput(f"Only open invoices can be dunned; this one is {inv.get('voucherStatus')!r}.")
    number = inv.get("voucherNumber")
    day = data.voucher_date or date.today()
    if (existing := _reminder_of_day(client, inv, day)) is not None:
        return CreateDunningOutput(
            dunning_id=existing, invoice_id=data.invoice_id, invoice_number=number, already_existed=True,
            view_url=_view_url(client, "dunnings", existing),
        )  # fmt: skip
    tax_conditions = lx.TaxConditions.model_validate(
        {k: v for k, v in (inv.get("taxConditions") or {"taxType": "net"}).items() if v is not None}
    )
    price_key = "gross_amount" if tax_conditions.tax_type == "gross" else "net_amount"
    lines = [
        lx.LineItem(type="text", name=f"Rechnung {number}", description="Bitte begleichen Sie den offenen Betrag.")
    ]
    if data.fee > 0:
        lines.append(
            lx.LineItem(
                type="custom",
                name="Mahngebühr",
                quantity=Decimal(1),
                unit_name="pauschal",
                unit_price=lx.UnitPrice(currency="EUR", **{price_key: data.fee}, tax_rate_percentage=Decimal(0)),
            )
        )
    address = dict(inv.get("address") or {})
    body = lx.Dunning(
        voucher_date=_timestamp(day),
        address=lx.Address(contact_id=address["contactId"])
        if address.get("contactId")
        else lx.Address.model_validate(
            {k: v for k, v in address.items() if k in ("name", "street", "zip", "city", "countryCode", "supplement")}
        ),
        line_items=lines,
        total_price=lx.TotalPrice(currency="EUR"),
        tax_conditions=tax_conditions,
        shipping_conditions=lx.ShippingConditions(shipping_type="none"),
        title=data.title or None,
        introduction=data.introduction or None,
    )
    result = client.dunnings.create(body, preceding_sales_voucher_id=data.invoice_id)
    did = str(_get(result, "id"))
    open_amount = None
    with contextlib.suppress(Exception):  # payment info is a nicety here; the dunning exists either way
        open_amount = _dump(client.payments.get(data.invoice_id)).get("openAmount")
    return CreateDunningOutput(
        dunning_id=did, invoice_id=data.invoice_id, invoice_number=number, open_amount=open_amount,
        view_url=_view_url(client, "dunnings", did),
    )  # fmt: skip


def _reminder_of_day(client: Any, inv: dict[str, Any], day: date) -> str | None:
    """The id of a reminder the invoice already has for `day`, among the invoice's `relatedVouchers`
    (docs/lexware.md#dunnings: confirmed in the sandbox, not for live accounts, where nothing is then found)."""
    for related in inv.get("relatedVouchers") or []:
        if related.get("voucherType") != "dunning" or not related.get("id"):
            continue
        dunning = _dump(client.dunnings.get(related["id"]))
        if str(dunning.get("voucherDate") or "")[:10] == day.isoformat():
            return str(related["id"])
    return None
