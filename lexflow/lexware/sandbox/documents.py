"""Sales document types: their store kinds, event names, voucherlist types, number ranges and capabilities."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lexflow.lexware.models.totals import dec
from lexflow.sandbox.store import Doc


@dataclass(frozen=True)
class DocType:
    collection: str  # URL segment and store kind
    event: str  # webhook prefix
    list_type: str | None  # voucherlist voucherType (None: not listed)
    prefix: str | None  # number range prefix (None: no numbers)
    title: str  # German default title
    finalizable: bool = True
    creatable: bool = True
    has_payment_conditions: bool = False
    has_shipping: bool = False
    shipping_required: bool = False
    line_discounts: bool = True
    prices: bool = True
    xml: bool = False  # can carry an XRechnung/ZUGFeRD profile
    payable: bool = False  # /v1/payments supported


TYPES: dict[str, DocType] = {
    t.collection: t
    for t in (
        DocType(
            "invoices",
            "invoice",
            "invoice",
            "RE",
            "Rechnung",
            has_payment_conditions=True,
            has_shipping=True,
            shipping_required=True,
            xml=True,
            payable=True,
        ),
        DocType(
            "credit-notes",
            "credit-note",
            "creditnote",
            "GS",
            "Rechnungskorrektur",
            line_discounts=False,
            xml=True,
            payable=True,
        ),
        DocType(
            "order-confirmations",
            "order-confirmation",
            "orderconfirmation",
            "AB",
            "Auftragsbestätigung",
            has_payment_conditions=True,
            has_shipping=True,
            shipping_required=True,
        ),
        DocType("quotations", "quotation", "quotation", "AG", "Angebot", has_payment_conditions=True),
        DocType(
            "delivery-notes",
            "delivery-note",
            "deliverynote",
            "LS",
            "Lieferschein",
            has_shipping=True,
            shipping_required=True,
            line_discounts=False,
            prices=False,
        ),
        DocType(
            "dunnings",
            "dunning",
            None,
            None,
            "Mahnung",
            finalizable=False,
            has_shipping=True,
            shipping_required=True,
        ),
        DocType(
            "down-payment-invoices",
            "down-payment-invoice",
            "downpaymentinvoice",
            "AR",
            "Abschlagsrechnung",
            creatable=False,
            has_payment_conditions=True,
            has_shipping=True,
            xml=True,
            payable=True,
        ),
    )
}
COLLECTION_TO_LIST_TYPE = {c: t.list_type for c, t in TYPES.items()}

# who may follow whom (target <- sources), docs/lexware.md#operations
PURSUE: dict[str, frozenset[str]] = {
    "order-confirmations": frozenset({"quotations"}),
    "delivery-notes": frozenset({"quotations", "order-confirmations", "invoices"}),
    "invoices": frozenset({"quotations", "order-confirmations", "delivery-notes"}),
    "credit-notes": frozenset({"invoices"}),
    "dunnings": frozenset({"invoices", "down-payment-invoices"}),
}

VOUCHER_KIND = "vouchers"
PAYABLE_KINDS = (*(c for c, t in TYPES.items() if t.payable), VOUCHER_KIND)
"""Kinds with payment information (/v1/payments, voucherlist openAmount, derived overdue)."""


def gross_total(doc: Doc) -> Decimal:
    if "totalGrossAmount" in doc:  # bookkeeping voucher
        return dec(doc.get("totalGrossAmount"))
    return dec((doc.get("totalPrice") or {}).get("totalGrossAmount"))


def paid_sum(doc: Doc) -> Decimal:
    return sum((dec(p["amount"]) for p in doc.get("_payments") or []), Decimal(0))


def open_amount(doc: Doc) -> Decimal:
    status = doc.get("voucherStatus")
    if status in ("voided", "paid", "paidoff", "draft", "blank"):
        return Decimal(0) if status != "draft" else gross_total(doc)
    return max(gross_total(doc) - paid_sum(doc), Decimal(0))


def related_entry(collection: str, doc: Doc) -> dict[str, Any]:
    list_type = COLLECTION_TO_LIST_TYPE.get(collection) or collection.rstrip("s").replace("-", "")
    return {"id": doc["id"], "voucherNumber": doc.get("voucherNumber"), "voucherType": list_type}
