"""Cancelling a final Lexware invoice: the API has no void or delete, so a finalized credit note for the full amount,
pursued from the invoice (docs/lexware.md#credit-notes), mirrors its lines and settles it. One credit note per invoice."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel

from lexflow.lexware import models as lx


def _json(obj: Any) -> dict[str, Any]:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(obj or {})


def credit_note_of(invoice: dict[str, Any]) -> str | None:
    """The id of the credit note pursued from this invoice (its API JSON), if any."""
    for related in invoice.get("relatedVouchers") or []:
        if related.get("voucherType") == "creditnote":
            return str(related["id"])
    return None


def credit_note_body(invoice: dict[str, Any], reason: str, day: date) -> lx.CreditNote:
    """The credit note that cancels `invoice` (API JSON): its lines, address and tax conditions, the full amount."""
    taxes = lx.TaxConditions.model_validate(
        {k: v for k, v in (invoice.get("taxConditions") or {"taxType": "net"}).items() if v is not None}
    )
    key = "grossAmount" if taxes.tax_type == "gross" else "netAmount"
    lines: list[lx.LineItem] = []
    for li in invoice.get("lineItems") or []:
        if li.get("type") == "text":
            lines.append(lx.LineItem(type="text", name=li.get("name"), description=li.get("description")))
            continue
        unit = dict(li.get("unitPrice") or {})
        price = Decimal(str(unit.get(key) or 0))
        if li.get("discountPercentage"):  # credit notes have no line discounts: fold it into the price
            price = (price * (1 - Decimal(str(li["discountPercentage"])) / 100)).quantize(
                Decimal("0.0001"), ROUND_HALF_UP
            )
        lines.append(
            lx.LineItem(
                type="custom",
                name=li.get("name"),
                quantity=li.get("quantity"),
                unit_name=li.get("unitName") or "Stück",
                unit_price=lx.UnitPrice.model_validate(
                    {"currency": "EUR", key: price, "taxRatePercentage": unit.get("taxRatePercentage", 0)}
                ),
            )
        )
    address = dict(invoice.get("address") or {})
    address.pop("contactPerson", None)
    if address.get("contactId"):
        address = {"contactId": address["contactId"]}
    discount = (invoice.get("totalPrice") or {}).get("totalDiscountPercentage")
    number = invoice.get("voucherNumber") or invoice.get("id")
    return lx.CreditNote(
        # sales documents take a timestamp (docs/lexware.md#timestamps); midnight Berlin for a date
        voucher_date=f"{day.isoformat()}T00:00:00.000+01:00",
        address=lx.Address.model_validate(address),
        line_items=lines,
        total_price=lx.TotalPrice(currency="EUR", total_discount_percentage=discount or None),
        tax_conditions=taxes,
        title="Rechnungskorrektur",
        introduction=f"Stornierung der Rechnung {number}. Grund: {reason}",
    )


def invoice_json(client: Any, invoice_id: str) -> dict[str, Any]:
    return _json(client.invoices.get(invoice_id))


def cancel_by_credit_note(client: Any, invoice: dict[str, Any], reason: str, day: date) -> str:
    """Create the finalized credit note for `invoice` and return its id."""
    body = credit_note_body(invoice, reason, day)
    result = client.credit_notes.create(body, finalize=True, preceding_sales_voucher_id=str(invoice["id"]))
    return str(_json(result)["id"])
