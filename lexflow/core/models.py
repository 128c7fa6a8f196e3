"""Provider-neutral records: what the flows move, whatever accounting system keeps the books.

Ids are the provider's own (`provider` says whose). Money is `Decimal` with an ISO 4217 currency, never a float.
Tax is a provider-specific reference (`TaxRef`), resolved from a lexflow tax key by the provider's `TaxMapping`.
Statuses are normalised (`DocumentStatus`); the provider's own word is kept beside it in `provider_status`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, model_validator

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", to_upper=True, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A name that is more than blanks."""

DocumentStatus = Literal["draft", "awaiting_approval", "open", "partially_paid", "paid", "void"]
"""The normalised lifecycle of an invoice, credit note or expense. `overdue` is derived, not a status."""
STATUSES: tuple[DocumentStatus, ...] = DocumentStatus.__args__  # type: ignore[attr-defined]
StatusFilter = Literal["draft", "awaiting_approval", "open", "partially_paid", "paid", "void", "overdue"]
UNPAID: frozenset[str] = frozenset({"open", "partially_paid"})


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Money(Record):
    amount: Decimal
    currency: CurrencyCode = "EUR"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class TaxRef(Record):
    """A provider's own tax reference: Lexware a percentage, Xero a TaxType code, QuickBooks a TaxCodeRef id."""

    code: str = Field(min_length=1, max_length=64)
    rate: Decimal | None = Field(default=None, description="The percentage, where the provider states one.")
    label: str | None = None


class Address(Record):
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    country_code: str = Field(default="DE", pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2.")


# ------------------------------------------------------------------------------------------------------ customers
class CustomerDraft(Record):
    """What create_customer needs. The e-mail is the business key: a customer with it is found, not created twice."""

    name: Text = Field(max_length=255)
    kind: Literal["company", "person"] = "company"
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(default=None, max_length=64)
    address: Address | None = None
    vat_id: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=1000)


class Customer(Record):
    provider: str
    id: str
    name: str
    kind: Literal["company", "person"] = "company"
    emails: list[str] = []
    phone: str | None = None
    address: Address | None = None
    vat_id: str | None = None
    number: str | None = Field(default=None, description="The provider's customer number, if it keeps one.")
    version: str | None = Field(default=None, description="Optimistic-lock token (Lexware version, QBO SyncToken).")


# ------------------------------------------------------------------------------------------------------- invoices
class InvoiceLineDraft(Record):
    name: Text = Field(max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=14, decimal_places=4)
    unit: str = Field(default="Stück", min_length=1, max_length=32)
    unit_price: Decimal = Field(
        max_digits=16, decimal_places=4, description="Per unit, net (gross when prices_include_tax)."
    )
    tax: str = Field(
        min_length=1,
        max_length=64,
        description="A lexflow tax key of the provider's mapping (standard, reduced, zero) or the provider's own tax "
        "code (Lexware: the percentage, e.g. 19).",
    )


class InvoiceDraft(Record):
    """A new invoice. `reference` is its business key: an invoice already carrying it is returned, not created again."""

    customer_id: str = Field(min_length=1, max_length=64)
    issue_date: date | None = Field(default=None, description="Defaults to today.")
    service_date: date | None = Field(
        default=None,
        description="When the service was delivered (Leistungsdatum), where the provider prints one; "
        "not after the issue date.",
    )
    payment_term_days: int | None = Field(default=None, ge=0, le=365, description="Due date = issue date + days.")
    currency: CurrencyCode = "EUR"
    prices_include_tax: bool = False
    lines: list[InvoiceLineDraft] = Field(min_length=1, max_length=300)
    reference: str | None = Field(default=None, min_length=4, max_length=80, pattern=r"^[\w./#:-]+$")
    title: str | None = Field(default=None, max_length=25)
    note: str | None = Field(default=None, max_length=2000, description="Printed below the lines.")
    finalize: bool = Field(
        default=False, description="Create it final (numbered, open). Where the provider has no drafts it always is."
    )

    @model_validator(mode="after")
    def _service_before_issue(self) -> InvoiceDraft:
        if self.service_date and self.service_date > (self.issue_date or date.today()):
            raise ValueError("service_date must not be after the issue date")
        return self


class InvoiceLine(Record):
    name: str
    description: str | None = None
    quantity: Decimal
    unit: str | None = None
    unit_price: Money
    tax: TaxRef
    line_total: Money | None = None


class InvoiceSummary(Record):
    """An invoice as lists show it (Lexware's voucher list, Xero's unpaged lists): no lines."""

    provider: str
    id: str
    number: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    currency: CurrencyCode = "EUR"
    total_gross: Money | None = None
    open_amount: Money | None = Field(default=None, description="What is still unpaid; None where unknown (drafts).")
    status: DocumentStatus
    provider_status: str = Field(description="The provider's own status, unchanged.")
    version: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived_is_not_input(cls, data: object) -> object:
        """`overdue` is computed: a record read back from its JSON (a ledger row, a stored result) drops it."""
        if isinstance(data, dict) and "overdue" in data:
            data = {k: v for k, v in data.items() if k != "overdue"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        """Unpaid and past its due date today."""
        return self.is_overdue(date.today())

    def is_overdue(self, as_of: date) -> bool:
        return self.status in UNPAID and self.due_date is not None and self.due_date < as_of

    def matches(self, wanted: StatusFilter, as_of: date | None = None) -> bool:
        return self.is_overdue(as_of or date.today()) if wanted == "overdue" else self.status == wanted


class Invoice(InvoiceSummary):
    lines: list[InvoiceLine] = []
    prices_include_tax: bool = False
    total_net: Money | None = None
    total_tax: Money | None = None
    reference: str | None = None


class CreditNote(Record):
    provider: str
    id: str
    number: str | None = None
    invoice_id: str | None = Field(default=None, description="The invoice it corrects, if linked.")
    issue_date: date | None = None
    total_gross: Money | None = None
    status: DocumentStatus
    provider_status: str


class Cancellation(Record):
    """A final invoice cancelled the way its API can: voided in place, or settled by a linked credit note
    (Lexware's credit note, sevDesk's cancellation invoice). At most one per invoice."""

    provider: str
    invoice_id: str
    method: Literal["void", "credit_note"]
    credit_note_id: str | None = Field(default=None, description="The linked credit note (method credit_note).")
    credit_note_number: str | None = None
    invoice_status: DocumentStatus = Field(description="The invoice's status after the cancellation.")


# ------------------------------------------------------------------------------------------------------- payments
class PaymentDraft(Record):
    """A payment received for an invoice: "mark paid" is recording one, never writing a status."""

    invoice_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    currency: CurrencyCode = "EUR"
    paid_on: date
    account_ref: str | None = Field(default=None, max_length=64, description="The provider's bank/cash account.")
    bank_transaction_id: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(
        default=None, max_length=80, description="Business key (e.g. the bank line's id): recorded at most once."
    )


class Payment(Record):
    provider: str
    id: str | None = None
    invoice_id: str
    amount: Money
    paid_on: date | None = None
    kind: str | None = Field(default=None, description="The provider's payment type, e.g. bank, cash, credit note.")
    bank_transaction_id: str | None = None


# ------------------------------------------------------------------------------------------------------- expenses
class Receipt(Record):
    filename: str = Field(min_length=1, max_length=255)
    content: bytes = Field(repr=False, max_length=5 * 1024 * 1024)


class ExpenseItemDraft(Record):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="Net, or gross when prices_include_tax.")
    tax: str = Field(min_length=1, max_length=64, description="Tax key or the provider's own tax code.")
    category: str = Field(min_length=1, max_length=255, description="The provider's expense category: name or id.")


class ExpenseDraft(Record):
    """A supplier invoice or receipt with its file. `number` (the supplier's invoice number) is its business key."""

    supplier_name: str | None = Field(default=None, max_length=255)
    supplier_id: str | None = Field(default=None, max_length=64)
    number: str = Field(min_length=1, max_length=64)
    issue_date: date
    due_date: date | None = None
    currency: CurrencyCode = "EUR"
    prices_include_tax: bool = True
    items: list[ExpenseItemDraft] = Field(min_length=1, max_length=100)
    receipt: Receipt
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _supplier(self) -> ExpenseDraft:
        if not self.supplier_name and not self.supplier_id:
            raise ValueError("give supplier_name or supplier_id")
        return self


class ExpenseItem(Record):
    amount: Money
    tax_amount: Money | None = None
    tax: TaxRef
    category: str | None = None


class Expense(Record):
    provider: str
    id: str
    number: str | None = None
    supplier_id: str | None = None
    supplier_name: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    total_gross: Money | None = None
    total_tax: Money | None = None
    open_amount: Money | None = None
    status: DocumentStatus
    provider_status: str
    items: list[ExpenseItem] = []
    receipt_ids: list[str] = Field(default_factory=list, description="The provider's ids of the attached files.")


# --------------------------------------------------------------------------------------------------- bank
class BankTransaction(Record):
    """One booked bank line as the provider's API reads it. `amount` is signed: money in is positive.

    Field names follow `lexflow.banking.transactions.BankTransaction` (lines read from statement files), so the two
    can become one record when the banking package moves onto the core (docs/architecture.md)."""

    provider: str
    id: str
    account_ref: str | None = None
    booking_date: date
    value_date: date | None = None
    amount: Money
    counterparty_name: str | None = None
    remittance: str = Field(default="", description="Remittance information (Verwendungszweck).")
    end_to_end_id: str | None = None
    status: str | None = Field(default=None, description="The provider's own state (e.g. booked, linked).")


# ---------------------------------------------------------------------------- customers + invoice flows (upsert, preview)
class CustomerUpdate(Record):
    """What `upsert_customer` changes on an existing customer; a field left None stays as it is."""

    email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        max_length=254,
        description="Added to the customer's e-mails (the ones it has stay).",
    )
    phone: str | None = Field(default=None, max_length=64)
    address: Address | None = Field(default=None, description="Replaces the billing address.")
    vat_id: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=1000)

    def changed_fields(self) -> list[str]:
        return sorted(k for k, v in self if v is not None)


class TaxTotal(Record):
    """One tax of an invoice: the lines' net amount with this tax, and the tax on it."""

    tax: TaxRef
    net: Decimal
    amount: Decimal


class InvoicePreview(Record):
    """An invoice's totals as the provider will compute them, before anything is created: what an approver sees."""

    currency: CurrencyCode = "EUR"
    line_amounts: list[Decimal] = Field(
        description="Each line's amount (net, or gross when prices_include_tax), rounded to cents."
    )
    taxes: list[TaxTotal]
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    warnings: list[str] = Field(
        default_factory=list, description="Why the provider would refuse the invoice (e.g. a rate not valid then)."
    )


# ------------------------------------------------------------------------------------ dunning (F2b: dunning_run)
class DunningDraft(Record):
    """A payment reminder for one open invoice. The business key is the invoice and the day: at most one a day."""

    invoice_id: str = Field(min_length=1, max_length=64)
    as_of: date
    fee: Decimal = Field(default=Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    introduction: str | None = Field(default=None, max_length=2000, description="The reminder's opening text.")


class Dunning(Record):
    """A dunning document the provider keeps with the invoice (always a draft there)."""

    provider: str
    id: str
    invoice_id: str
    invoice_number: str | None = None
    open_amount: Money | None = None
    view_url: str | None = None
