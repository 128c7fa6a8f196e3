"""Typed Xero Accounting API records (pydantic), named in Python style and (de)serialised with Xero's PascalCase.

Read-only fields are optional, so a model built for a create sends only what Xero accepts (`to_body()` leaves out
None). Xero's Microsoft JSON dates (`/Date(1772409600000+0000)/`) are read into `date`/`datetime`; dates go out as
`YYYY-MM-DD`. Unknown response fields are ignored, so a field Xero adds later does not break the client.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def _from_ms(value: Any) -> Any:
    if isinstance(value, str):
        m = _MS_DATE.match(value)
        if m:
            return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)
    return value


def _day(value: Any) -> Any:
    value = _from_ms(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return value


XeroDate = Annotated[date, BeforeValidator(_day)]
XeroDateTime = Annotated[datetime, BeforeValidator(_from_ms)]

InvoiceType = Literal["ACCREC", "ACCPAY"]
InvoiceStatus = Literal["DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"]
LineAmountTypes = Literal["Exclusive", "Inclusive", "NoTax"]


class XeroModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def to_body(self) -> dict[str, Any]:
        """The JSON Xero expects: PascalCase, no None values, dates as `YYYY-MM-DD`, amounts as numbers."""
        return _clean(self.model_dump(by_alias=True, exclude_none=True))


def _clean(value: Any) -> Any:
    """Decimals as JSON numbers (Xero takes numbers, not strings), dates as ISO text; codes stay text."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


class ContactRef(XeroModel):
    contact_id: str | None = Field(default=None, alias="ContactID")
    name: str | None = Field(default=None, alias="Name")


class ContactAddress(XeroModel):
    address_type: Literal["POBOX", "STREET"] = Field(default="STREET", alias="AddressType")
    address_line1: str | None = Field(default=None, alias="AddressLine1", max_length=500)
    city: str | None = Field(default=None, alias="City", max_length=255)
    postal_code: str | None = Field(default=None, alias="PostalCode", max_length=50)
    country: str | None = Field(default=None, alias="Country", max_length=50)


class Phone(XeroModel):
    phone_type: Literal["DEFAULT", "DDI", "MOBILE", "FAX"] = Field(default="DEFAULT", alias="PhoneType")
    phone_number: str | None = Field(default=None, alias="PhoneNumber", max_length=50)


class Contact(XeroModel):
    contact_id: str | None = Field(default=None, alias="ContactID")
    name: str = Field(alias="Name", min_length=1, max_length=255)
    first_name: str | None = Field(default=None, alias="FirstName", max_length=255)
    last_name: str | None = Field(default=None, alias="LastName", max_length=255)
    email_address: str | None = Field(default=None, alias="EmailAddress", max_length=255)
    contact_number: str | None = Field(default=None, alias="ContactNumber", max_length=50)
    account_number: str | None = Field(default=None, alias="AccountNumber", max_length=50)
    tax_number: str | None = Field(default=None, alias="TaxNumber", max_length=50)
    contact_status: Literal["ACTIVE", "ARCHIVED", "GDPRREQUEST"] | None = Field(default=None, alias="ContactStatus")
    addresses: list[ContactAddress] | None = Field(default=None, alias="Addresses")
    phones: list[Phone] | None = Field(default=None, alias="Phones")
    is_customer: bool | None = Field(default=None, alias="IsCustomer")
    is_supplier: bool | None = Field(default=None, alias="IsSupplier")
    updated: XeroDateTime | None = Field(default=None, alias="UpdatedDateUTC")


class LineItem(XeroModel):
    description: str = Field(alias="Description", min_length=1, max_length=4000)
    quantity: Decimal = Field(default=Decimal(1), alias="Quantity")
    unit_amount: Decimal | None = Field(default=None, alias="UnitAmount")
    account_code: str | None = Field(default=None, alias="AccountCode")
    tax_type: str | None = Field(default=None, alias="TaxType")
    item_code: str | None = Field(default=None, alias="ItemCode")
    discount_rate: Decimal | None = Field(default=None, alias="DiscountRate")
    line_item_id: str | None = Field(default=None, alias="LineItemID")
    tax_amount: Decimal | None = Field(default=None, alias="TaxAmount")
    line_amount: Decimal | None = Field(default=None, alias="LineAmount")


class PaymentSummary(XeroModel):
    payment_id: str = Field(alias="PaymentID")
    amount: Decimal = Field(alias="Amount")
    date: XeroDate | None = Field(default=None, alias="Date")


class Invoice(XeroModel):
    """A sales invoice (`ACCREC`) or a bill (`ACCPAY`)."""

    type: InvoiceType = Field(alias="Type")
    contact: ContactRef = Field(alias="Contact")
    line_items: list[LineItem] = Field(default_factory=list, alias="LineItems")
    date: XeroDate | None = Field(default=None, alias="Date")
    due_date: XeroDate | None = Field(default=None, alias="DueDate")
    line_amount_types: LineAmountTypes | None = Field(default=None, alias="LineAmountTypes")
    invoice_number: str | None = Field(default=None, alias="InvoiceNumber", max_length=255)
    reference: str | None = Field(default=None, alias="Reference", max_length=255)
    currency_code: str | None = Field(default=None, alias="CurrencyCode", pattern=r"^[A-Z]{3}$")
    status: InvoiceStatus | None = Field(default=None, alias="Status")
    url: str | None = Field(default=None, alias="Url")
    invoice_id: str | None = Field(default=None, alias="InvoiceID")
    sub_total: Decimal | None = Field(default=None, alias="SubTotal")
    total_tax: Decimal | None = Field(default=None, alias="TotalTax")
    total: Decimal | None = Field(default=None, alias="Total")
    amount_due: Decimal | None = Field(default=None, alias="AmountDue")
    amount_paid: Decimal | None = Field(default=None, alias="AmountPaid")
    amount_credited: Decimal | None = Field(default=None, alias="AmountCredited")
    sent_to_contact: bool | None = Field(default=None, alias="SentToContact")
    fully_paid_on: XeroDate | None = Field(default=None, alias="FullyPaidOnDate")
    payments: list[PaymentSummary] | None = Field(default=None, alias="Payments")
    has_attachments: bool | None = Field(default=None, alias="HasAttachments")
    updated: XeroDateTime | None = Field(default=None, alias="UpdatedDateUTC")

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        for read_only in (
            "SubTotal",
            "TotalTax",
            "Total",
            "AmountDue",
            "AmountPaid",
            "AmountCredited",
            "FullyPaidOnDate",
            "Payments",
            "HasAttachments",
            "UpdatedDateUTC",
            "SentToContact",
        ):
            body.pop(read_only, None)
        return body


class InvoiceRef(XeroModel):
    invoice_id: str | None = Field(default=None, alias="InvoiceID")
    invoice_number: str | None = Field(default=None, alias="InvoiceNumber")
    status: InvoiceStatus | None = Field(default=None, alias="Status")
    amount_due: Decimal | None = Field(default=None, alias="AmountDue")
    contact: ContactRef | None = Field(default=None, alias="Contact")
    currency_code: str | None = Field(default=None, alias="CurrencyCode")


class AccountRef(XeroModel):
    account_id: str | None = Field(default=None, alias="AccountID")
    code: str | None = Field(default=None, alias="Code")


class Payment(XeroModel):
    """A payment against an invoice: what makes it PAID (or part-paid). Undo by deleting it."""

    invoice: InvoiceRef = Field(alias="Invoice")
    account: AccountRef = Field(alias="Account")
    amount: Decimal = Field(alias="Amount", gt=0)
    date: XeroDate | None = Field(default=None, alias="Date")
    reference: str | None = Field(default=None, alias="Reference", max_length=255)
    is_reconciled: bool | None = Field(default=None, alias="IsReconciled")
    payment_id: str | None = Field(default=None, alias="PaymentID")
    status: Literal["AUTHORISED", "DELETED"] | None = Field(default=None, alias="Status")
    payment_type: str | None = Field(default=None, alias="PaymentType")

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["Invoice"] = {k: v for k, v in body["Invoice"].items() if k in ("InvoiceID", "InvoiceNumber")}
        body["Account"] = {k: v for k, v in body["Account"].items() if k in ("AccountID", "Code")}
        for read_only in ("PaymentID", "Status", "PaymentType"):
            body.pop(read_only, None)
        return body


class BankTransaction(XeroModel):
    """Spend or receive money recorded in Xero (not a bank-feed statement line)."""

    type: str = Field(alias="Type")
    contact: ContactRef | None = Field(default=None, alias="Contact")
    bank_account: AccountRef = Field(alias="BankAccount")
    line_amount_types: LineAmountTypes | None = Field(default=None, alias="LineAmountTypes")
    line_items: list[LineItem] = Field(default_factory=list, alias="LineItems")
    date: XeroDate | None = Field(default=None, alias="Date")
    reference: str | None = Field(default=None, alias="Reference")
    total: Decimal | None = Field(default=None, alias="Total")
    currency_code: str | None = Field(default=None, alias="CurrencyCode")
    status: str | None = Field(default=None, alias="Status")
    is_reconciled: bool | None = Field(default=None, alias="IsReconciled")
    bank_transaction_id: str | None = Field(default=None, alias="BankTransactionID")


class Attachment(XeroModel):
    attachment_id: str = Field(alias="AttachmentID")
    file_name: str = Field(alias="FileName")
    mime_type: str | None = Field(default=None, alias="MimeType")
    content_length: int | None = Field(default=None, alias="ContentLength")


class Account(XeroModel):
    account_id: str = Field(alias="AccountID")
    code: str | None = Field(default=None, alias="Code")
    name: str = Field(alias="Name")
    type: str = Field(alias="Type")
    tax_type: str | None = Field(default=None, alias="TaxType")


class TaxRate(XeroModel):
    tax_type: str = Field(alias="TaxType")
    name: str = Field(alias="Name")
    effective_rate: Decimal = Field(alias="EffectiveRate")
    status: str | None = Field(default=None, alias="Status")
    can_apply_to_revenue: bool = Field(default=True, alias="CanApplyToRevenue")
    can_apply_to_expenses: bool = Field(default=True, alias="CanApplyToExpenses")


class Connection(XeroModel):
    """One organisation (tenant) the token may reach."""

    id: str
    tenant_id: str = Field(alias="tenantId")
    tenant_type: str = Field(alias="tenantType")
    tenant_name: str | None = Field(default=None, alias="tenantName")
