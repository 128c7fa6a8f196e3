"""Invoices: preview totals locally, create (safe to retry with a reference), download (cancel: the neutral action)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import TWO, _d, _dump, _get, _timestamp, _view_url
from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, FileOutput, Input, Output, SavesFile
from lexflow.actions.registry import Effect
from lexflow.lexware import models as lx
from lexflow.lexware.models import carries_reference

_DRAFT_EXAMPLE: dict[str, Any] = {
    "contact_id": EXAMPLE_ID,
    "voucher_date": "2026-11-24",
    "line_items": [
        {"name": "Beratung", "quantity": "2", "unit_name": "Stunde", "unit_price": "100.00", "tax_rate": "19"},
        {"name": "Fachbuch", "quantity": "1", "unit_price": "8.32", "tax_rate": "7"},
    ],
}


def _finalize_effect(d: Any) -> Effect:
    return "irreversible" if d.finalize else "write"


class LineIn(Input):
    name: str = Field(min_length=1, max_length=255)
    quantity: Decimal = Field(default=Decimal(1), gt=0, decimal_places=4)
    unit_name: str = "Stück"
    unit_price: Decimal = Field(description="Net price per unit (gross when tax_type=gross), up to 4 decimals.")
    tax_rate: Decimal = Field(default=Decimal(19), ge=0, le=100, description="0, 7 or 19 (German rates today).")
    discount_percentage: Decimal | None = Field(default=None, ge=0, le=100)
    description: str | None = Field(default=None, max_length=2000)
    type: Literal["custom", "text"] = "custom"


class InvoiceDraft(Input):
    contact_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="Customer contact (preferred).")
    recipient_name: str | None = Field(default=None, description="One-time address name when there is no contact.")
    country_code: str = "DE"
    voucher_date: date | None = Field(default=None, description="Defaults to today.")
    tax_type: Literal["net", "gross", "vatfree"] = "net"
    line_items: list[LineIn] = Field(min_length=1, max_length=300)
    total_discount_percentage: Decimal | None = Field(default=None, ge=0, le=100)
    shipping_type: Literal["none", "service", "delivery", "serviceperiod", "deliveryperiod"] = "none"
    shipping_date: date | None = None
    shipping_end_date: date | None = None
    payment_term_days: int | None = Field(default=None, ge=0, le=365)
    title: str | None = Field(default=None, max_length=25)
    introduction: str | None = Field(default=None, max_length=2000)
    remark: str | None = Field(default=None, max_length=2000)
    reference: str | None = Field(
        default=None,
        min_length=4,
        max_length=80,
        description="Your unique reference (e.g. order number). Printed in the remark; makes create_invoice safe to "
        "retry: an invoice already carrying it is returned instead of creating a second one.",
    )

    @model_validator(mode="after")
    def _recipient(self) -> InvoiceDraft:
        if not self.contact_id and not self.recipient_name:
            raise ValueError("give contact_id (a customer) or recipient_name (a one-time address)")
        if self.shipping_type != "none" and not self.shipping_date:
            raise ValueError(f"shipping_date is required for shipping_type={self.shipping_type}")
        if self.shipping_type.endswith("period") and not self.shipping_end_date:
            raise ValueError(f"shipping_end_date is required for shipping_type={self.shipping_type}")
        return self

    def body(self) -> lx.Invoice:
        """The POST /v1/invoices body for this draft (`to_api()` gives its JSON)."""
        price_key = "gross_amount" if self.tax_type == "gross" else "net_amount"
        lines: list[lx.LineItem] = []
        for li in self.line_items:
            if li.type == "text":
                lines.append(lx.LineItem(type="text", name=li.name, description=li.description or None))
                continue
            rate = Decimal(0) if self.tax_type == "vatfree" else li.tax_rate
            lines.append(
                lx.LineItem(
                    type="custom",
                    name=li.name,
                    description=li.description or None,
                    quantity=li.quantity,
                    unit_name=li.unit_name,
                    unit_price=lx.UnitPrice(currency="EUR", **{price_key: li.unit_price}, tax_rate_percentage=rate),
                    discount_percentage=li.discount_percentage or None,
                )
            )
        remark = "\n".join(x for x in (self.remark, f"Referenz: {self.reference}" if self.reference else None) if x)
        return lx.Invoice(
            voucher_date=_timestamp(self.voucher_date or date.today()),
            address=lx.Address(contact_id=self.contact_id)
            if self.contact_id
            else lx.Address(name=self.recipient_name, country_code=self.country_code),
            line_items=lines,
            total_price=lx.TotalPrice(currency="EUR", total_discount_percentage=self.total_discount_percentage or None),
            tax_conditions=lx.TaxConditions(tax_type=self.tax_type),
            shipping_conditions=lx.ShippingConditions(
                shipping_type=self.shipping_type,
                shipping_date=_timestamp(self.shipping_date) if self.shipping_date else None,
                shipping_end_date=_timestamp(self.shipping_end_date) if self.shipping_end_date else None,
            ),
            payment_conditions=lx.PaymentConditions(
                payment_term_label=f"Zahlbar innerhalb von {self.payment_term_days} Tagen",
                payment_term_duration=self.payment_term_days,
            )
            if self.payment_term_days is not None
            else None,
            title=self.title or None,
            introduction=self.introduction or None,
            remark=remark or None,
        )

    def tax_date(self) -> date:
        """The date that decides which tax rates are valid (docs/lexware.md#shipping-conditions)."""
        if self.shipping_type.endswith("period") and self.shipping_end_date:
            return self.shipping_end_date
        if self.shipping_type != "none" and self.shipping_date:
            return self.shipping_date
        return self.voucher_date or date.today()


class TaxLine(Output):
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal


class Totals(Output):
    line_amounts: list[Decimal]
    tax_amounts: list[TaxLine]
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    currency: Literal["EUR"] = "EUR"


class PreviewInvoiceOutput(Output):
    totals: Totals
    warnings: list[str] = []
    request_body: dict[str, Any] = Field(description="Exactly what create_invoice will send.")


def _totals(draft: InvoiceDraft) -> tuple[Totals, list[str]]:
    import lexflow.lexware.models.totals as tmod  # the sandbox computes with the same module

    result = tmod.compute_document_totals(
        draft.body().to_api()["lineItems"], draft.tax_type, total_discount_percentage=draft.total_discount_percentage
    )
    warnings: list[str] = []
    valid = tmod.valid_tax_rates(draft.tax_date())
    for li in draft.line_items:
        if li.type != "text" and draft.tax_type != "vatfree" and Decimal(li.tax_rate) not in valid:
            warnings.append(
                f"line {li.name!r}: tax rate {li.tax_rate}% is not valid on {draft.tax_date()} "
                f"(valid: {', '.join(str(v) for v in sorted(valid))}); the API will refuse it (406)."
            )
    taxes = [
        TaxLine(tax_rate=t["taxRatePercentage"], net_amount=t["netAmount"], tax_amount=t["taxAmount"])
        for t in result.tax_amounts
    ]
    return (
        Totals(
            line_amounts=result.line_amounts,
            tax_amounts=taxes,
            total_net=_d(result.total_net).quantize(TWO),
            total_tax=_d(result.total_tax).quantize(TWO),
            total_gross=_d(result.total_gross).quantize(TWO),
        ),
        warnings,
    )


@business_action(
    "lexware_preview_invoice",
    description=(
        "Compute an invoice's exact totals locally with the server's rounding rules and show the request body, "
        "without creating anything. Use it before create_invoice so an approver sees the final numbers; pass "
        "its total_gross as expected_total_gross to create_invoice."
    ),
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=(_DRAFT_EXAMPLE,),
    uses_client=False,
)
def preview_invoice(client: Any, data: InvoiceDraft) -> PreviewInvoiceOutput:
    totals, warnings = _totals(data)
    return PreviewInvoiceOutput(totals=totals, warnings=warnings, request_body=data.body().to_api())


class CreateInvoiceInput(InvoiceDraft):
    finalize: bool = Field(
        default=False, description="true: the invoice is created open and numbered; it can never be edited or deleted."
    )
    expected_total_gross: Decimal | None = Field(
        default=None, description="The gross total the approver saw in preview_invoice; creation refuses if it differs."
    )


class CreateInvoiceOutput(Output):
    invoice_id: str
    already_existed: bool = Field(default=False, description="An invoice with this reference was found; none created.")
    voucher_number: str | None = None
    voucher_status: str | None = None
    total_gross: Decimal | None = None
    preview_total_gross: Decimal
    view_url: str | None = None


@business_action(
    "lexware_create_invoice",
    description=(
        "Create an invoice, as a draft or (finalize=true) open and numbered. A finalized invoice can never be "
        "edited, deleted or voided through the API: preview and approve first. Does not send e-mail (the API "
        "cannot); download the PDF with invoice_document. No idempotency key exists: after a timeout, check "
        "the voucher list before retrying."
    ),
    scope="invoices:write",
    effect="irreversible",
    idempotent=False,
    input_effect=_finalize_effect,
    examples=({**_DRAFT_EXAMPLE, "finalize": True, "expected_total_gross": "246.90"},),
)
def create_invoice(client: Any, data: CreateInvoiceInput) -> CreateInvoiceOutput:
    totals, warnings = _totals(data)
    if data.expected_total_gross is not None and _d(data.expected_total_gross).quantize(TWO) != totals.total_gross:
        raise InvalidInput(
            f"expected_total_gross {data.expected_total_gross} differs from the computed {totals.total_gross}; "
            "nothing was created. Run preview_invoice again and have the new total approved."
        )
    if warnings:
        raise InvalidInput("; ".join(warnings))
    existing = _invoice_with_reference(client, data, totals.total_gross) if data.reference else None
    if existing:
        iid = existing
    else:
        # With a reference the client finds a timed-out create itself; without one an AmbiguousWrite propagates
        # (there is no idempotency key: only a look at the voucher list can tell).
        iid = str(
            _get(client.invoices.create(data.body(), finalize=data.finalize, correlation_ref=data.reference), "id")
        )
    inv = _dump(client.invoices.get(iid))
    return CreateInvoiceOutput(
        invoice_id=iid,
        already_existed=existing is not None,
        voucher_number=inv.get("voucherNumber"),
        voucher_status=inv.get("voucherStatus"),
        total_gross=_get(inv, "totalPrice", "totalGrossAmount"),
        preview_total_gross=totals.total_gross,
        view_url=_view_url(client, "invoices", iid),
    )


#: How far back `create_invoice` looks for an invoice already carrying the reference.
REFERENCE_LOOKBACK = timedelta(days=7)


def _invoice_with_reference(client: Any, data: CreateInvoiceInput, gross: Decimal) -> str | None:
    return find_invoice_by_reference(client, str(data.reference), data.contact_id, gross)


def find_invoice_by_reference(client: Any, reference: str, contact_id: str | None, gross: Decimal) -> str | None:
    """A recent invoice (same contact, same gross total, created within `REFERENCE_LOOKBACK`) whose remark carries
    `Referenz: <reference>` exactly (never `AUFTRAG-10` for `AUFTRAG-1`), if any. Reads only."""
    since = datetime.now(UTC).date() - REFERENCE_LOOKBACK
    filters: dict[str, Any] = {"created_date_from": since.isoformat()}
    if contact_id:
        filters["contact_id"] = contact_id
    for row in client.voucherlist.iter(voucher_type="invoice", voucher_status="any", **filters):
        r = _dump(row)
        if r.get("totalAmount") is not None and _d(r["totalAmount"]).quantize(TWO) != gross:
            continue
        inv = _dump(client.invoices.get(str(r["id"])))
        if carries_reference(str(inv.get("remark") or ""), f"Referenz: {reference}"):
            return str(r["id"])
    return None


class InvoiceDocumentInput(SavesFile):
    invoice_id: str = Field(pattern=UUID_PATTERN)
    format: Literal["pdf", "xrechnung"] = "pdf"


@business_action(
    "lexware_invoice_document",
    description=(
        "Download a finalized invoice as PDF or as XRechnung XML (XRechnung needs a net invoice for a contact "
        "with a Leitweg-ID). Drafts have no document (409). Returns metadata; bytes only with include_content."
    ),
    scope="invoices:read",
    effect="read",
    idempotent=True,
    examples=({"invoice_id": EXAMPLE_ID, "format": "pdf"},),
)
def invoice_document(client: Any, data: InvoiceDocumentInput) -> FileOutput:
    accept = "application/xml" if data.format == "xrechnung" else "application/pdf"
    return FileOutput.from_download(client.invoices.file(data.invoice_id, accept=accept), data)
