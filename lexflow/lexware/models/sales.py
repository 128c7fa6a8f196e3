"""Sales documents (docs/lexware.md#sales-documents): one shared shape, one class per document type."""

from __future__ import annotations

import re

from pydantic import Field

from lexflow.lexware.models._base import Amount, ApiModel, PlainDate, Timestamp


def carries_reference(text: str | None, reference: str) -> bool:
    """Whether `text` holds `reference` as a whole token: bounded by the text's ends or whitespace on both sides.

    A stored reference (an order number in a remark) is matched exactly, never as a substring: `AUFTRAG-1` is not
    found in `AUFTRAG-10`, `XAUFTRAG-1` or `AUFTRAG-1-B`, so a lookup never answers with another order's document."""
    if not reference or not text:
        return False
    return re.search(rf"(?<!\S){re.escape(reference)}(?!\S)", text) is not None


class Address(ApiModel):
    """Document address: reference a contact (`contactId`) or give a one-time `name` + `countryCode`."""

    contact_id: str | None = None
    name: str | None = None
    supplement: str | None = None
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = None
    contact_person: str | None = None


class UnitPrice(ApiModel):
    currency: str = "EUR"
    net_amount: Amount | None = None
    gross_amount: Amount | None = None
    tax_rate_percentage: Amount | None = None


class LineItem(ApiModel):
    id: str | None = None
    type: str = "custom"
    name: str | None = None
    description: str | None = None
    quantity: Amount | None = None
    unit_name: str | None = None
    unit_price: UnitPrice | None = None
    discount_percentage: Amount | None = None
    line_item_amount: Amount | None = None
    optional: bool | None = None
    alternative: bool | None = None
    sub_items: list[LineItem] | None = None


class TotalPrice(ApiModel):
    currency: str = "EUR"
    total_net_amount: Amount | None = None
    total_gross_amount: Amount | None = None
    total_tax_amount: Amount | None = None
    total_discount_absolute: Amount | None = None
    total_discount_percentage: Amount | None = None


class TaxAmount(ApiModel):
    tax_rate_percentage: Amount | None = None
    tax_amount: Amount | None = None
    net_amount: Amount | None = None


class TaxConditions(ApiModel):
    tax_type: str = "net"
    tax_sub_type: str | None = None
    tax_type_note: str | None = None


class PaymentDiscountConditions(ApiModel):
    discount_percentage: Amount | None = None
    discount_range: int | None = None


class PaymentConditions(ApiModel):
    payment_term_label: str | None = None
    payment_term_label_template: str | None = None
    payment_term_duration: int | None = None
    payment_discount_conditions: PaymentDiscountConditions | None = None


class ShippingConditions(ApiModel):
    shipping_date: Timestamp | None = None
    shipping_end_date: Timestamp | None = None
    shipping_type: str = "none"


class RelatedVoucher(ApiModel):
    id: str | None = None
    voucher_number: str | None = None
    voucher_type: str | None = None


class DocumentFiles(ApiModel):
    document_file_id: str | None = None


class SalesDocument(ApiModel):
    """Fields shared by every sales document. Read-only fields are kept on read and not needed on create."""

    id: str | None = None
    organization_id: str | None = None
    created_date: str | None = None
    updated_date: str | None = None
    version: int | None = None
    language: str | None = None
    archived: bool | None = None
    voucher_status: str | None = None
    voucher_number: str | None = None
    voucher_date: Timestamp | None = None
    address: Address | None = None
    electronic_document_profile: str | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    total_price: TotalPrice | None = None
    tax_amounts: list[TaxAmount] | None = None
    tax_conditions: TaxConditions | None = None
    related_vouchers: list[RelatedVoucher] | None = None
    print_layout_id: str | None = None
    title: str | None = None
    introduction: str | None = None
    remark: str | None = None
    files: DocumentFiles | None = None


class InvoiceXRechnung(ApiModel):
    buyer_reference: str | None = None


class DownPaymentDeduction(ApiModel):
    id: str | None = None
    voucher_type: str | None = None
    title: str | None = None
    voucher_number: str | None = None
    voucher_date: str | None = None
    received_gross_amount: Amount | None = None
    received_net_amount: Amount | None = None
    received_tax_amount: Amount | None = None
    tax_rate_percentage: Amount | None = None


class Invoice(SalesDocument):
    due_date: str | None = None
    payment_conditions: PaymentConditions | None = None
    shipping_conditions: ShippingConditions | None = None
    x_rechnung: InvoiceXRechnung | None = Field(default=None, alias="xRechnung")
    closing_invoice: bool | None = None
    claimed_gross_amount: Amount | None = None
    down_payment_deductions: list[DownPaymentDeduction] | None = None
    recurring_template_id: str | None = None


class CreditNote(SalesDocument):
    pass


class OrderConfirmation(SalesDocument):
    payment_conditions: PaymentConditions | None = None
    shipping_conditions: ShippingConditions | None = None
    delivery_terms: str | None = None


class Quotation(SalesDocument):
    expiration_date: Timestamp | None = None
    payment_conditions: PaymentConditions | None = None


class DeliveryNote(SalesDocument):
    shipping_conditions: ShippingConditions | None = None
    delivery_terms: str | None = None


class Dunning(SalesDocument):
    shipping_conditions: ShippingConditions | None = None


class DownPaymentInvoice(SalesDocument):
    due_date: str | None = None
    payment_conditions: PaymentConditions | None = None
    shipping_conditions: ShippingConditions | None = None
    closing_invoice_id: str | None = None


class RecurringTemplateSettings(ApiModel):
    id: str | None = None
    start_date: PlainDate | None = None
    end_date: PlainDate | None = None
    finalize: bool | None = None
    shipping_type: str | None = None
    retroactive_invoice: bool | None = None
    execution_interval: str | None = None
    next_execution_date: PlainDate | None = None
    last_execution_failed: bool | None = None
    last_execution_error_message: str | None = None
    execution_status: str | None = None


class RecurringTemplate(SalesDocument):
    """Read-only; list rows are shortened (contact, totals, payment conditions, settings)."""

    line_items: list[LineItem] | None = None  # type: ignore[assignment]
    payment_conditions: PaymentConditions | None = None
    recurring_template_settings: RecurringTemplateSettings | None = None
