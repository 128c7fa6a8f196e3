"""Typed shapes of the sevDesk API as lexflow uses it: responses (lenient: ids, amounts and flags arrive as strings,
unknown fields are kept) and request inputs (strict: wrong input is refused before anything is sent, naming the
field). Facts behind the rules are in docs/sevdesk.md."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

BUSINESS_KEY_PREFIX = "lexflow:"
"""Prefix of the business key lexflow stores in an invoice's `customerInternalNote` (sevDesk has no idempotency
keys: an unknown create outcome is settled by looking this key up)."""

REVENUE_TAX_RATES: dict[int, frozenset[int]] = {
    1: frozenset({0, 7, 19}),
    2: frozenset({0}),
    3: frozenset({0, 7, 19}),
    4: frozenset({0}),
    5: frozenset({0}),
    11: frozenset({0}),
    17: frozenset({0}),
    21: frozenset({0}),
}
"""Tax rules of sevdesk-Update 2.0 for revenue and the position tax rates each allows (docs/sevdesk.md)."""
EXPENSE_TAX_RATES: dict[int, frozenset[int]] = {
    8: frozenset({0, 7, 19}),
    9: frozenset({0, 7, 19}),
    10: frozenset({0}),
    12: frozenset({0, 7, 19}),
    13: frozenset({0}),
    14: frozenset({0, 7, 19}),
}


# ------------------------------------------------------------------------------------------------ responses
class SevdeskModel(BaseModel):
    """Lenient on read: strings become numbers/flags, unknown fields are kept (`model_extra`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Ref(SevdeskModel):
    """A reference `{"id": .., "objectName": ..}`."""

    id: int
    object_name: str = Field(alias="objectName")

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "objectName": self.object_name}


def ref(id_: int, object_name: str) -> dict[str, Any]:
    return {"id": int(id_), "objectName": object_name}


class Contact(SevdeskModel):
    id: int
    name: str | None = None
    surename: str | None = None
    familyname: str | None = None
    customer_number: str | None = Field(default=None, alias="customerNumber")
    status: int | None = None
    category: Ref | None = None
    parent: Ref | None = None
    vat_number: str | None = Field(default=None, alias="vatNumber")
    default_time_to_pay: int | None = Field(default=None, alias="defaultTimeToPay")
    create: dt.datetime | None = None
    update: dt.datetime | None = None

    @property
    def display_name(self) -> str:
        return self.name or " ".join(p for p in (self.surename, self.familyname) if p)


class CommunicationWay(SevdeskModel):
    id: int
    contact: Ref
    type: str
    value: str
    key: Ref | None = None
    main: bool = False


class ContactAddress(SevdeskModel):
    id: int
    contact: Ref
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    country: Ref | None = None


class Invoice(SevdeskModel):
    id: int
    invoice_number: str | None = Field(default=None, alias="invoiceNumber")
    contact: Ref | None = None
    status: int
    invoice_type: str | None = Field(default=None, alias="invoiceType")
    invoice_date: dt.datetime | None = Field(default=None, alias="invoiceDate")
    time_to_pay: int | None = Field(default=None, alias="timeToPay")
    header: str | None = None
    currency: str | None = None
    sum_net: Decimal = Field(default=Decimal(0), alias="sumNet")
    sum_tax: Decimal = Field(default=Decimal(0), alias="sumTax")
    sum_gross: Decimal = Field(default=Decimal(0), alias="sumGross")
    paid_amount: Decimal = Field(default=Decimal(0), alias="paidAmount")
    pay_date: dt.datetime | None = Field(default=None, alias="payDate")
    send_date: dt.datetime | None = Field(default=None, alias="sendDate")
    send_type: str | None = Field(default=None, alias="sendType")
    customer_internal_note: str | None = Field(default=None, alias="customerInternalNote")
    enshrined: dt.datetime | None = None
    origin: Ref | None = None
    create: dt.datetime | None = None
    update: dt.datetime | None = None

    @field_validator("paid_amount", mode="before")
    @classmethod
    def _none_is_zero(cls, value: Any) -> Any:
        return 0 if value in (None, "") else value

    @property
    def open_amount(self) -> Decimal:
        return self.sum_gross - self.paid_amount

    @property
    def business_key(self) -> str | None:
        note = self.customer_internal_note or ""
        return note[len(BUSINESS_KEY_PREFIX) :] if note.startswith(BUSINESS_KEY_PREFIX) else None


class InvoicePos(SevdeskModel):
    id: int
    name: str | None = None
    quantity: Decimal
    price: Decimal | None = None
    tax_rate: Decimal = Field(alias="taxRate")
    sum_net: Decimal | None = Field(default=None, alias="sumNet")
    sum_gross: Decimal | None = Field(default=None, alias="sumGross")


class SavedInvoice(SevdeskModel):
    """What `saveInvoice` answers: the invoice and its positions."""

    invoice: Invoice
    positions: list[InvoicePos] = Field(default_factory=list, alias="invoicePos")


class Email(SevdeskModel):
    id: int
    to: str | None = None
    subject: str | None = None


class Pdf(SevdeskModel):
    filename: str
    mime_type: str = Field(alias="mimeType")
    base64encoded: bool = True
    content: str

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.content) if self.base64encoded else self.content.encode()


class CheckAccount(SevdeskModel):
    id: int
    name: str
    type: str
    import_type: str | None = Field(default=None, alias="importType")
    currency: str | None = None
    default_account: bool = Field(default=False, alias="defaultAccount")
    status: int | None = None
    iban: str | None = None
    balance: Decimal | None = None


class CheckAccountTransaction(SevdeskModel):
    id: int
    value_date: dt.datetime = Field(alias="valueDate")
    entry_date: dt.datetime | None = Field(default=None, alias="entryDate")
    paymt_purpose: str | None = Field(default=None, alias="paymtPurpose")
    amount: Decimal
    payee_payer_name: str | None = Field(default=None, alias="payeePayerName")
    payee_payer_acct_no: str | None = Field(default=None, alias="payeePayerAcctNo")
    check_account: Ref = Field(alias="checkAccount")
    status: int

    @property
    def is_booked(self) -> bool:
        return self.status != 100


class Voucher(SevdeskModel):
    id: int
    voucher_date: dt.datetime | None = Field(default=None, alias="voucherDate")
    supplier: Ref | None = None
    supplier_name: str | None = Field(default=None, alias="supplierName")
    description: str | None = None
    status: int
    credit_debit: str | None = Field(default=None, alias="creditDebit")
    sum_net: Decimal = Field(default=Decimal(0), alias="sumNet")
    sum_tax: Decimal = Field(default=Decimal(0), alias="sumTax")
    sum_gross: Decimal = Field(default=Decimal(0), alias="sumGross")
    paid_amount: Decimal = Field(default=Decimal(0), alias="paidAmount")
    payment_deadline: dt.datetime | None = Field(default=None, alias="paymentDeadline")
    currency: str | None = None
    document: Ref | None = None
    update: dt.datetime | None = None


class VoucherPos(SevdeskModel):
    id: int
    account_datev: Ref | None = Field(default=None, alias="accountDatev")
    tax_rate: Decimal = Field(default=Decimal(0), alias="taxRate")
    sum_net: Decimal = Field(default=Decimal(0), alias="sumNet")
    sum_gross: Decimal = Field(default=Decimal(0), alias="sumGross")
    comment: str | None = None


class BookingAccount(SevdeskModel):
    """One entry of `ReceiptGuidance`: a booking account and the tax rules it allows."""

    account_datev_id: int = Field(alias="accountDatevId")
    account_number: str | None = Field(default=None, alias="accountNumber")
    account_name: str = Field(alias="accountName")


class SavedVoucher(SevdeskModel):
    voucher: Voucher
    positions: list[SevdeskModel] = Field(default_factory=list, alias="voucherPos")


class TempFile(SevdeskModel):
    """Answer of `uploadTempFile`: `filename` goes into `saveVoucher`."""

    filename: str
    mime_type: str | None = Field(default=None, alias="mimeType")
    content_hash: str | None = Field(default=None, alias="contentHash")


class SevUser(SevdeskModel):
    id: int


# ------------------------------------------------------------------------------------------------ inputs
class Input(BaseModel):
    """Strict on write: unknown fields are mistakes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _day(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


class NewContact(Input):
    """A contact to create. Organisations have `name`; persons `surename`/`familyname`. Without a customer number
    the client takes the next free one first, so an unknown outcome can be settled by looking the number up."""

    name: str | None = Field(default=None, max_length=255)
    surename: str | None = Field(default=None, max_length=255)
    familyname: str | None = Field(default=None, max_length=255)
    category: Literal[2, 3, 4, 28] = Field(default=3, description="2 supplier, 3 customer, 4 partner, 28 prospect")
    customer_number: str | None = Field(default=None, max_length=50)
    status: Literal[100, 500, 1000] = 1000
    vat_number: str | None = None
    default_time_to_pay: int | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _has_name(self) -> NewContact:
        if not (self.name or self.surename or self.familyname):
            raise ValueError("give name (organisation) or surename/familyname (person)")
        return self

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "category": ref(self.category, "Category"),
            "status": self.status,
            "name": self.name,
            "surename": self.surename,
            "familyname": self.familyname,
            "customerNumber": self.customer_number,
            "vatNumber": self.vat_number,
            "defaultTimeToPay": self.default_time_to_pay,
        }
        return {k: v for k, v in body.items() if v is not None}


class InvoiceLine(Input):
    name: str = Field(min_length=1, max_length=255)
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=4)
    price: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="net if the draft's show_net")
    tax_rate: Decimal = Field(ge=0, le=100)
    unity_id: int = Field(default=1, description="1 = Stück")
    text: str | None = None
    discount: Decimal = Field(default=Decimal(0), ge=0, le=100)


class InvoiceDraft(Input):
    """A draft invoice (status 100). `business_key` is stored in `customerInternalNote` and must be unique per
    contact: it is how an unknown create outcome is settled without a duplicate."""

    business_key: str = Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")
    contact_id: int = Field(gt=0)
    contact_person_id: int | None = Field(default=None, gt=0, description="the SevUser; default: the first user")
    invoice_date: dt.date
    delivery_date: dt.date | None = None
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    time_to_pay: int = Field(default=14, ge=0, le=365)
    tax_rule: int = Field(default=1, description="sevdesk-Update 2.0 tax rule (1 = taxable sales)")
    show_net: bool = True
    header: str | None = Field(default=None, max_length=255)
    head_text: str | None = None
    foot_text: str | None = None
    lines: list[InvoiceLine] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _check(self) -> InvoiceDraft:
        allowed = REVENUE_TAX_RATES.get(self.tax_rule)
        if allowed is None:
            raise ValueError(f"tax_rule {self.tax_rule} is not a revenue tax rule ({sorted(REVENUE_TAX_RATES)})")
        for index, line in enumerate(self.lines):
            if line.tax_rate != line.tax_rate.to_integral_value() or int(line.tax_rate) not in allowed:
                raise ValueError(
                    f"lines[{index}].tax_rate {line.tax_rate} is not allowed with tax_rule {self.tax_rule} "
                    f"(allowed: {sorted(allowed)})"
                )
        if self.delivery_date and self.delivery_date > self.invoice_date:
            raise ValueError("delivery_date must not be after invoice_date on a regular invoice")
        return self

    @property
    def note(self) -> str:
        return BUSINESS_KEY_PREFIX + self.business_key

    def body(self, contact_person_id: int) -> dict[str, Any]:
        invoice: dict[str, Any] = {
            "objectName": "Invoice",
            "mapAll": True,
            "contact": ref(self.contact_id, "Contact"),
            "contactPerson": ref(contact_person_id, "SevUser"),
            "invoiceDate": _day(self.invoice_date),
            "status": 100,
            "invoiceType": "RE",
            "currency": self.currency,
            "timeToPay": self.time_to_pay,
            "taxRule": ref(self.tax_rule, "TaxRule"),
            "taxRate": 0,
            "taxText": "Umsatzsteuer",
            "taxType": "default",
            "showNet": self.show_net,
            "customerInternalNote": self.note,
        }
        if self.delivery_date:
            invoice["deliveryDate"] = _day(self.delivery_date)
        for key, value in (("header", self.header), ("headText", self.head_text), ("footText", self.foot_text)):
            if value is not None:
                invoice[key] = value
        positions = [
            {
                "objectName": "InvoicePos",
                "mapAll": True,
                "quantity": float(line.quantity),
                "price": float(line.price),
                "name": line.name,
                "text": line.text,
                "unity": ref(line.unity_id, "Unity"),
                "taxRate": float(line.tax_rate),
                "discount": float(line.discount),
            }
            for line in self.lines
        ]
        return {
            "invoice": invoice,
            "invoicePosSave": positions,
            "invoicePosDelete": None,
            "discountSave": None,
            "discountDelete": None,
            "takeDefaultAddress": True,
        }


PaymentType = Literal["FULL_PAYMENT", "N", "CB", "O", "OF", "MTC"]


class PaymentBooking(Input):
    """A payment to book on an invoice (`bookAmount`). On online/manual accounts name the bank transaction."""

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    date: dt.date
    type: PaymentType = "FULL_PAYMENT"
    check_account_id: int = Field(gt=0)
    transaction_id: int | None = Field(default=None, gt=0)

    def body(self, *, date_as_timestamp: bool) -> dict[str, Any]:
        moment = dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=dt.UTC)
        body: dict[str, Any] = {
            "amount": float(self.amount),
            "date": int(moment.timestamp()) if date_as_timestamp else moment.isoformat(),
            "type": self.type,
            "checkAccount": ref(self.check_account_id, "CheckAccount"),
            "createFeed": False,
        }
        if self.transaction_id is not None:
            body["checkAccountTransaction"] = ref(self.transaction_id, "CheckAccountTransaction")
        return body


class VoucherLine(Input):
    account_datev_id: int = Field(gt=0, description="a booking account from ReceiptGuidance (client-specific)")
    tax_rate: Decimal = Field(ge=0, le=100)
    sum_gross: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    comment: str | None = Field(default=None, max_length=500)


class NewVoucher(Input):
    """An expense (creditDebit C) or revenue (D) voucher. `description` (the receipt number) is the business key:
    an unknown outcome is settled by looking it up, so keep it unique."""

    description: str = Field(min_length=1, max_length=200)
    voucher_date: dt.date
    supplier_id: int | None = Field(default=None, gt=0)
    supplier_name: str | None = Field(default=None, max_length=255)
    credit_debit: Literal["C", "D"] = "C"
    tax_rule: int = 9
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    payment_deadline: dt.date | None = None
    draft: bool = False
    lines: list[VoucherLine] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _check(self) -> NewVoucher:
        if self.supplier_id is None and not self.supplier_name:
            raise ValueError("give supplier_id or supplier_name")
        table = EXPENSE_TAX_RATES if self.credit_debit == "C" else REVENUE_TAX_RATES
        allowed = table.get(self.tax_rule)
        if allowed is None:
            raise ValueError(
                f"tax_rule {self.tax_rule} does not fit credit_debit {self.credit_debit} ({sorted(table)})"
            )
        for index, line in enumerate(self.lines):
            if line.tax_rate != line.tax_rate.to_integral_value() or int(line.tax_rate) not in allowed:
                raise ValueError(
                    f"lines[{index}].tax_rate {line.tax_rate} is not allowed with tax_rule {self.tax_rule}"
                )
        return self

    def body(self, filename: str | None) -> dict[str, Any]:
        voucher: dict[str, Any] = {
            "objectName": "Voucher",
            "mapAll": True,
            "voucherDate": _day(self.voucher_date),
            "description": self.description,
            "status": 50 if self.draft else 100,
            "creditDebit": self.credit_debit,
            "voucherType": "VOU",
            "currency": self.currency,
            "taxRule": ref(self.tax_rule, "TaxRule"),
            "taxType": "default",
        }
        if self.supplier_id is not None:
            voucher["supplier"] = ref(self.supplier_id, "Contact")
        if self.supplier_name:
            voucher["supplierName"] = self.supplier_name
        if self.payment_deadline:
            voucher["paymentDeadline"] = _day(self.payment_deadline)
        positions = [
            {
                "objectName": "VoucherPos",
                "mapAll": True,
                "accountDatev": ref(line.account_datev_id, "AccountDatev"),
                "taxRate": float(line.tax_rate),
                "net": False,
                "sumGross": float(line.sum_gross),
                "comment": line.comment,
            }
            for line in self.lines
        ]
        return {"voucher": voucher, "voucherPosSave": positions, "voucherPosDelete": None, "filename": filename}
