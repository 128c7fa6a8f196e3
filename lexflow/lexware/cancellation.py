"""Cancelling a final Lexware invoice: the API has no void or delete, so a finalized credit note for the full amount,
pursued from the invoice (docs/lexware.md#credit-notes), mirrors its lines and settles it. One credit note per invoice."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel


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


def credit_note_body(invoice: dict[str, Any], reason: str, day: date) -> dict[str, Any]:
    """The credit note that cancels `invoice` (API JSON): its lines, address and tax conditions, the full amount."""
    taxes = invoice.get("taxConditions") or {"taxType": "net"}
    key = "grossAmount" if taxes.get("taxType") == "gross" else "netAmount"
    lines: list[dict[str, Any]] = []
    for li in invoice.get("lineItems") or []:
        if li.get("type") == "text":
            lines.append({"type": "text", "name": li.get("name"), "description": li.get("description")})
            continue
        unit = dict(li.get("unitPrice") or {})
        price = Decimal(str(unit.get(key) or 0))
        if li.get("discountPercentage"):  # credit notes have no line discounts: fold it into the price
            price = (price * (1 - Decimal(str(li["discountPercentage"])) / 100)).quantize(
                Decimal("0.0001"), ROUND_HALF_UP
            )
        lines.append(
            {
                "type": "custom",
                "name": li.get("name"),
                "quantity": li.get("quantity"),
                "unitName": li.get("unitName") or "Stück",
                "unitPrice": {
                    "currency": "EUR",
                    key: float(price),
                    "taxRatePercentage": unit.get("taxRatePercentage", 0),
                },
            }
        )
    address = dict(invoice.get("address") or {})
    address.pop("contactPerson", None)
    if address.get("contactId"):
        address = {"contactId": address["contactId"]}
    total: dict[str, Any] = {"currency": "EUR"}
    discount = (invoice.get("totalPrice") or {}).get("totalDiscountPercentage")
    if discount:
        total["totalDiscountPercentage"] = discount
    number = invoice.get("voucherNumber") or invoice.get("id")
    return {
        # sales documents take a timestamp (docs/lexware.md#timestamps); midnight Berlin for a date
        "voucherDate": f"{day.isoformat()}T00:00:00.000+01:00",
        "address": address,
        "lineItems": [{k: v for k, v in li.items() if v is not None} for li in lines],
        "totalPrice": total,
        "taxConditions": {k: v for k, v in taxes.items() if v is not None},
        "title": "Rechnungskorrektur",
        "introduction": f"Stornierung der Rechnung {number}. Grund: {reason}",
    }


def invoice_json(client: Any, invoice_id: str) -> dict[str, Any]:
    return _json(client.invoices.get(invoice_id))


def cancel_by_credit_note(client: Any, invoice: dict[str, Any], reason: str, day: date) -> str:
    """Create the finalized credit note for `invoice` and return its id."""
    body = credit_note_body(invoice, reason, day)
    result = client.credit_notes.create(body, finalize=True, preceding_sales_voucher_id=str(invoice["id"]))
    return str(_json(result)["id"])
