"""Typed QuickBooks Online entities. Field names are QuickBooks' own (PascalCase), so a model reads like the API
reference and serializes to exactly what the API expects. Read models keep unknown fields (`extra="allow"`): a
sparse update never needs them, and nothing the API adds later is lost. Input models refuse unknown fields, so a
typo fails here with the field's name instead of being ignored by QuickBooks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator, model_validator

Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
"""Amounts and quantities: exact in Python, JSON numbers on the wire (QuickBooks expects numbers)."""


class _Read(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def payload(self) -> dict[str, Any]:
        """The JSON body: only what was set, dates and amounts as QuickBooks writes them."""
        return self.model_dump(mode="json", exclude_none=True)


class Ref(BaseModel):
    """`{"value": id, "name": display}`: how one entity points at another (CustomerRef, ItemRef, TaxCodeRef)."""

    value: str = Field(min_length=1)
    name: str | None = None


class EmailAddress(BaseModel):
    Address: str = Field(min_length=3, max_length=100, pattern=r"^[^@\s]+@[^@\s]+$")


class Phone(BaseModel):
    FreeFormNumber: str = Field(max_length=30)


class PhysicalAddress(BaseModel):
    model_config = ConfigDict(extra="allow")
    Line1: str | None = Field(default=None, max_length=500)
    Line2: str | None = Field(default=None, max_length=500)
    City: str | None = Field(default=None, max_length=255)
    CountrySubDivisionCode: str | None = Field(default=None, max_length=255)
    PostalCode: str | None = Field(default=None, max_length=30)
    Country: str | None = Field(default=None, max_length=255)


class MetaInfo(BaseModel):
    CreateTime: str | None = None
    LastUpdatedTime: str | None = None


class Entity(_Read):
    """Every QuickBooks entity: `Id`, `SyncToken` (optimistic lock), `MetaData`."""

    Id: str
    SyncToken: str
    MetaData: MetaInfo | None = None


# ------------------------------------------------------------------------------------------------ customers
class CustomerInput(_Input):
    """A new customer, or the fields of a sparse update (only the fields set are sent)."""

    DisplayName: str | None = Field(default=None, min_length=1, max_length=500)
    Title: str | None = Field(default=None, max_length=16)
    GivenName: str | None = Field(default=None, max_length=100)
    FamilyName: str | None = Field(default=None, max_length=100)
    CompanyName: str | None = Field(default=None, max_length=100)
    PrimaryEmailAddr: EmailAddress | None = None
    PrimaryPhone: Phone | None = None
    BillAddr: PhysicalAddress | None = None
    ShipAddr: PhysicalAddress | None = None
    Notes: str | None = Field(default=None, max_length=1024)
    Active: bool | None = None
    PrimaryTaxIdentifier: str | None = Field(default=None, max_length=20)
    PreferredDeliveryMethod: Literal["Print", "Email", "None"] | None = None

    @field_validator("DisplayName")
    @classmethod
    def _no_colon(cls, value: str | None) -> str | None:
        if value is not None and ":" in value:
            raise ValueError("DisplayName cannot contain ':' (QuickBooks uses it for sub-customers)")
        return value


class Customer(Entity):
    DisplayName: str
    GivenName: str | None = None
    FamilyName: str | None = None
    CompanyName: str | None = None
    PrimaryEmailAddr: EmailAddress | None = None
    BillAddr: PhysicalAddress | None = None
    Notes: str | None = None
    Active: bool = True
    Balance: Number = Decimal(0)


# ------------------------------------------------------------------------------------------------ invoices
class ItemLineDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    ItemRef: Ref | None = None
    Qty: Number | None = None
    UnitPrice: Number | None = None
    TaxCodeRef: Ref | None = None
    ServiceDate: date | None = None


class SalesLine(BaseModel):
    """One invoice line. Leave `Amount` out to let it be `Qty × UnitPrice`; if both are given they must agree."""

    model_config = ConfigDict(extra="allow")
    Id: str | None = None
    Amount: Number | None = None
    Description: str | None = Field(default=None, max_length=4000)
    DetailType: Literal["SalesItemLineDetail", "DescriptionOnly", "SubTotalLineDetail"] = "SalesItemLineDetail"
    SalesItemLineDetail: ItemLineDetail | None = None

    @model_validator(mode="after")
    def _amount(self) -> SalesLine:
        d = self.SalesItemLineDetail
        if self.DetailType == "SalesItemLineDetail":
            if d is None:
                raise ValueError("a SalesItemLineDetail line needs SalesItemLineDetail (Qty, UnitPrice, ItemRef)")
            if d.Qty is not None and d.UnitPrice is not None:
                expected = (d.Qty * d.UnitPrice).quantize(Decimal("0.01"))
                if self.Amount is None:
                    self.Amount = expected
                elif self.Amount.quantize(Decimal("0.01")) != expected:
                    raise ValueError(f"Amount {self.Amount} is not Qty × UnitPrice = {expected}")
            if self.Amount is None:
                raise ValueError("set Amount, or Qty and UnitPrice")
        return self


class TxnLink(BaseModel):
    TxnId: str
    TxnType: str


class InvoiceInput(_Input):
    """A new invoice (final once created: QuickBooks has no drafts), or the fields of a sparse update."""

    CustomerRef: Ref | None = None
    Line: list[SalesLine] | None = None
    TxnDate: date | None = None
    DueDate: date | None = None
    ShipDate: date | None = None
    DocNumber: str | None = Field(default=None, max_length=21)
    BillEmail: EmailAddress | None = None
    CustomerMemo: dict[str, str] | None = None
    PrivateNote: str | None = Field(default=None, max_length=4000)
    GlobalTaxCalculation: Literal["TaxExcluded", "TaxInclusive", "NotApplicable"] | None = None
    CurrencyRef: Ref | None = None

    @model_validator(mode="after")
    def _dates(self) -> InvoiceInput:
        if self.TxnDate and self.DueDate and self.DueDate < self.TxnDate:
            raise ValueError(f"DueDate {self.DueDate} is before TxnDate {self.TxnDate}")
        return self

    def payload(self) -> dict[str, Any]:
        body = super().payload()
        if "Line" in body:  # the server's own subtotal line is never sent back
            body["Line"] = [line for line in body["Line"] if line.get("DetailType") != "SubTotalLineDetail"]
        return body


class Invoice(Entity):
    CustomerRef: Ref
    Line: list[dict[str, Any]] = Field(default_factory=list)
    TxnDate: date | None = None
    DueDate: date | None = None
    DocNumber: str | None = None
    TotalAmt: Number = Decimal(0)
    Balance: Number = Decimal(0)
    EmailStatus: str | None = None
    BillEmail: EmailAddress | None = None
    PrivateNote: str | None = None
    LinkedTxn: list[TxnLink] = Field(default_factory=list)

    @property
    def is_paid(self) -> bool:
        return self.Balance == 0 and self.TotalAmt > 0

    @property
    def is_part_paid(self) -> bool:
        return 0 < self.Balance < self.TotalAmt

    def is_overdue(self, today: date) -> bool:
        return self.Balance > 0 and self.DueDate is not None and self.DueDate < today


# ------------------------------------------------------------------------------------------------ payments
class PaymentLine(BaseModel):
    Amount: Number = Field(gt=0)
    LinkedTxn: list[TxnLink] = Field(min_length=1)


class PaymentInput(_Input):
    """A received payment; each line applies an amount to an invoice (marks it paid or part-paid)."""

    CustomerRef: Ref
    TotalAmt: Number = Field(ge=0)
    TxnDate: date | None = None
    PaymentRefNum: str | None = Field(default=None, max_length=21)
    DepositToAccountRef: Ref | None = None
    PrivateNote: str | None = Field(default=None, max_length=4000)
    Line: list[PaymentLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _applied(self) -> PaymentInput:
        applied = sum((line.Amount for line in self.Line), Decimal(0))
        if applied > self.TotalAmt:
            raise ValueError(f"the lines apply {applied}, more than TotalAmt {self.TotalAmt}")
        return self


class Payment(Entity):
    CustomerRef: Ref
    TotalAmt: Number
    UnappliedAmt: Number = Decimal(0)
    TxnDate: date | None = None
    Line: list[PaymentLine] = Field(default_factory=list)


class CreditMemo(Entity):
    CustomerRef: Ref
    TotalAmt: Number = Decimal(0)
    Balance: Number = Decimal(0)


# ------------------------------------------------------------------------------------------------ expenses
class VendorInput(_Input):
    DisplayName: str = Field(min_length=1, max_length=500)
    CompanyName: str | None = Field(default=None, max_length=100)
    PrimaryEmailAddr: EmailAddress | None = None


class Vendor(Entity):
    DisplayName: str
    CompanyName: str | None = None
    Active: bool = True


class ExpenseLineDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    AccountRef: Ref
    TaxCodeRef: Ref | None = None


class ExpenseLine(BaseModel):
    model_config = ConfigDict(extra="allow")
    Amount: Number = Field(gt=0)
    Description: str | None = Field(default=None, max_length=4000)
    DetailType: Literal["AccountBasedExpenseLineDetail"] = "AccountBasedExpenseLineDetail"
    AccountBasedExpenseLineDetail: ExpenseLineDetail


class BillInput(_Input):
    """A supplier invoice to pay later. `DocNumber` is the supplier's invoice number."""

    VendorRef: Ref
    Line: list[ExpenseLine] = Field(min_length=1)
    TxnDate: date | None = None
    DueDate: date | None = None
    DocNumber: str | None = Field(default=None, max_length=21)
    PrivateNote: str | None = Field(default=None, max_length=4000)


class PurchaseInput(_Input):
    """An expense paid at once (cash, check or credit card) from `AccountRef`."""

    PaymentType: Literal["Cash", "Check", "CreditCard"]
    AccountRef: Ref
    EntityRef: dict[str, str] | None = None
    Line: list[ExpenseLine] = Field(min_length=1)
    TxnDate: date | None = None
    DocNumber: str | None = Field(default=None, max_length=21)
    PrivateNote: str | None = Field(default=None, max_length=4000)


class Bill(Entity):
    VendorRef: Ref
    Line: list[dict[str, Any]] = Field(default_factory=list)
    TxnDate: date | None = None
    DueDate: date | None = None
    DocNumber: str | None = None
    TotalAmt: Number = Decimal(0)
    Balance: Number = Decimal(0)


class Purchase(Entity):
    PaymentType: str
    AccountRef: Ref
    Line: list[dict[str, Any]] = Field(default_factory=list)
    TxnDate: date | None = None
    DocNumber: str | None = None
    TotalAmt: Number = Decimal(0)


class Attachable(Entity):
    FileName: str
    ContentType: str | None = None
    Size: int | None = None
    AttachableRef: list[dict[str, Any]] = Field(default_factory=list)


# ------------------------------------------------------------------------------------------------ webhooks
class ChangeEvent(BaseModel):
    """One entity change from a webhook, whichever payload format carried it (ids only: fetch the entity)."""

    realm_id: str
    entity: str
    """Entity name as QuickBooks writes it (`Invoice`); ids are unique per entity only."""
    id: str
    operation: Literal["Create", "Update", "Delete", "Merge", "Void", "Emailed"]
    last_updated: str | None = None
    deleted_id: str | None = None
