"""The Accounting API's resources and rules, without HTTP: contacts, invoices and bills, payments, credit notes,
bank transactions, attachments. Facts and their sources: docs/xero.md.

Documents are kept in Xero's own JSON shape (what a GET returns), plus bookkeeping under keys starting with `_`
(ISO dates, the update time in milliseconds) that `public()` strips. Money is computed in `Decimal` and rounded
half away from zero to 2 places (4 for unit amounts with `unitdp=4`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from lexflow.errors import LexflowError
from lexflow.sandbox.store import Doc, Store
from lexflow.xero.sandbox.config import Tenant
from lexflow.xero.sandbox.where import QueryParseError, compile_where

CENT = Decimal("0.01")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T00:00:00)?$")

INVOICE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED")
EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
#: Which status a client may set from which (PAID is never set by a client: payments and allocations do it).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "AUTHORISED": ("AUTHORISED", "VOIDED"),
    "PAID": ("PAID",),
    "VOIDED": (),
    "DELETED": (),
}

TAX_RATES: dict[str, tuple[tuple[str, str, str, bool, bool], ...]] = {
    # per country: TaxType, Name, rate %, can apply to revenue, can apply to expenses
    "GB": (
        ("OUTPUT2", "20% (VAT on Income)", "20", True, False),
        ("INPUT2", "20% (VAT on Expenses)", "20", False, True),
        ("RROUTPUT", "5% (VAT on Income)", "5", True, False),
        ("RRINPUT", "5% (VAT on Expenses)", "5", False, True),
        ("ZERORATEDOUTPUT", "Zero Rated Income", "0", True, False),
        ("ZERORATEDINPUT", "Zero Rated Expenses", "0", False, True),
        ("EXEMPTOUTPUT", "Exempt Income", "0", True, False),
        ("EXEMPTINPUT", "Exempt Expenses", "0", False, True),
        ("NONE", "No VAT", "0", True, True),
    ),
    # an organisation outside Xero's tax editions defines its own rates; Xero names them TAX001, TAX002, ...
    "DE": (
        ("TAX001", "Umsatzsteuer 19%", "19", True, False),
        ("TAX002", "Umsatzsteuer 7%", "7", True, False),
        ("TAX003", "Vorsteuer 19%", "19", False, True),
        ("TAX004", "Vorsteuer 7%", "7", False, True),
        ("NONE", "Keine Steuer", "0", True, True),
    ),
}
DEFAULT_TAX = {"GB": {"sales": "OUTPUT2", "purchases": "INPUT2"}, "DE": {"sales": "TAX001", "purchases": "TAX003"}}
ACCOUNTS: tuple[tuple[str, str, str, str | None, bool], ...] = (
    # Code, Name, Type, default tax (sales or purchases, per country), EnablePaymentsToAccount
    ("090", "Business Bank Account", "BANK", None, True),
    ("091", "Business Savings Account", "BANK", None, True),
    ("200", "Sales", "REVENUE", "sales", False),
    ("260", "Other Revenue", "REVENUE", "sales", False),
    ("400", "Advertising", "EXPENSE", "purchases", False),
    ("429", "General Expenses", "EXPENSE", "purchases", False),
    ("610", "Accounts Receivable", "CURRLIAB", None, False),
    ("800", "Accounts Payable", "CURRLIAB", None, False),
    ("877", "Owner Funds Introduced", "EQUITY", None, True),
)
ACCOUNTS_EXTRA: dict[str, tuple[tuple[str, str, str, str | None, bool], ...]] = {
    "DE": (
        ("4930", "Bürobedarf", "EXPENSE", "purchases", False),
        ("8400", "Erlöse 19 % USt", "REVENUE", "sales", False),
    ),
}
CURRENCIES = ("GBP", "EUR", "USD", "AUD", "NZD", "CHF")


class XeroError(LexflowError):
    """An answer other than success: status, Xero's body and extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status, self.body, self.headers = status, body, headers or {}


class Invalid(LexflowError):
    """Validation errors of one element (collected into a ValidationException)."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def validation_exception(elements: list[Doc]) -> XeroError:
    return XeroError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def post_data_invalid(message: str) -> XeroError:
    return XeroError(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message})


def not_found() -> XeroError:
    return XeroError(
        404,
        {
            "ErrorNumber": 17,
            "Type": "ObjectNotFoundException",
            "Message": "The resource you're looking for cannot be found",
        },
    )


def query_parse_error(message: str) -> XeroError:
    return XeroError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


# ------------------------------------------------------------------------------------------------ values
def new_id() -> str:
    return str(uuid.uuid4())


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def ms_date(day: date) -> str:
    return f"/Date({ms(datetime(day.year, day.month, day.day, tzinfo=UTC))}+0000)/"


def money(d: Decimal) -> float:
    return float(d.quantize(CENT, ROUND_HALF_UP))


def dec(value: Any, field_name: str) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(f"{field_name} must be a number")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(f"{field_name} must be a number") from None
    if not d.is_finite() or abs(d) > Decimal("1e12"):
        raise Invalid(f"{field_name} must be a number")
    return d


def parse_day(value: Any, field_name: str) -> date:
    """`YYYY-MM-DD` or `YYYY-MM-DDT00:00:00`; anything else is Xero's PostDataInvalidException."""
    m = DATE_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise post_data_invalid(f"The string '{value}' is not a valid AllXsd value.")
    try:
        return date.fromisoformat(m.group(1))
    except ValueError:
        raise post_data_invalid(f"The string '{value}' is not a valid AllXsd value.") from None


def public(doc: Doc) -> Doc:
    """A stored document as the API shows it (bookkeeping keys removed)."""
    return {k: v for k, v in doc.items() if k != "id" and not k.startswith("_")}


# ------------------------------------------------------------------------------------------------ the books
@dataclass
class Books:
    """All tenants' documents. Callers hold `lock` (the app does) so a write and its idempotency record are atomic."""

    store: Store
    now: Callable[[], datetime]
    tenants: dict[str, Tenant] = field(default_factory=dict)
    email_daily_limit: int = 1000
    on_event: Callable[[str, str, str, str], None] | None = None
    """`(tenant, category, event_type, resource_id)` after a contact, invoice or credit note changed (webhooks)."""

    def _event(self, tenant: str, category: str, kind: str, rid: str) -> None:
        if self.on_event is not None:
            self.on_event(tenant, category, kind, rid)

    def today(self) -> date:
        return self.now().date()

    def _stamp(self, doc: Doc) -> Doc:
        now = self.now()
        doc["_updated"] = ms(now)
        doc["UpdatedDateUTC"] = f"/Date({ms(now)}+0000)/"
        doc["UpdatedDateUTCString"] = now.strftime("%Y-%m-%dT%H:%M:%S")
        return doc

    def _put(self, tenant: str, kind: str, doc: Doc) -> Doc:
        self._stamp(doc)
        if "_seq" not in doc:
            doc["_seq"] = self.store.next_number(tenant, f"seq:{kind}")
        return self.store.put(tenant, kind, doc)

    # -- reference data
    def _country(self, tenant: str) -> str:
        country = self.tenants[tenant].country_code
        return country if country in TAX_RATES else "GB"

    def tax_rates(self, tenant: str) -> list[Doc]:
        return [
            {
                "Name": name,
                "TaxType": code,
                "Status": "ACTIVE",
                "EffectiveRate": float(rate),
                "DisplayTaxRate": float(rate),
                "CanApplyToRevenue": rev,
                "CanApplyToExpenses": exp,
                "CanApplyToAssets": exp,
                "CanApplyToEquity": False,
                "CanApplyToLiabilities": False,
                "TaxComponents": [{"Name": "VAT", "Rate": float(rate), "IsCompound": False, "IsNonRecoverable": False}],
            }
            for code, name, rate, rev, exp in TAX_RATES[self._country(tenant)]
        ]

    def tax_rate(self, tenant: str, code: str) -> Decimal | None:
        for c, _, rate, _, _ in TAX_RATES[self._country(tenant)]:
            if c == code:
                return Decimal(rate)
        return None

    def accounts(self, tenant: str) -> list[Doc]:
        out = []
        for code, name, kind, tax, payments in ACCOUNTS + ACCOUNTS_EXTRA.get(self._country(tenant), ()):
            out.append(
                {
                    "AccountID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{code}")),
                    "Code": code,
                    "Name": name,
                    "Type": kind,
                    "Status": "ACTIVE",
                    "TaxType": DEFAULT_TAX[self._country(tenant)][tax] if tax else "NONE",
                    "EnablePaymentsToAccount": payments,
                    "CurrencyCode": self.tenants[tenant].base_currency if kind == "BANK" else None,
                    "BankAccountNumber": f"{code}-0000001" if kind == "BANK" else None,
                }
            )
        return out

    def account(self, tenant: str, ref: Any) -> Doc | None:
        if not isinstance(ref, dict):
            return None
        for acc in self.accounts(tenant):
            if ref.get("AccountID") and str(ref["AccountID"]).lower() == acc["AccountID"]:
                return acc
            if ref.get("Code") and str(ref["Code"]) == acc["Code"]:
                return acc
        return None

    def organisation(self, tenant: str) -> Doc:
        t = self.tenants[tenant]
        return {
            "OrganisationID": t.tenant_id,
            "Name": t.name,
            "LegalName": t.name,
            "BaseCurrency": t.base_currency,
            "CountryCode": t.country_code,
            "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE",
            "Class": "STANDARD",
            "Version": "GLOBAL",
            "Timezone": "UTC",
        }

    # -- contacts -------------------------------------------------------------------------------------------
    def contacts(self, tenant: str) -> list[Doc]:
        return sorted(self.store.all(tenant, "contact"), key=lambda d: d["_seq"])

    def contact(self, tenant: str, ref: str) -> Doc:
        doc = self.store.get(tenant, "contact", ref.lower()) if GUID_RE.match(ref) else None
        if doc is None:
            doc = next((c for c in self.contacts(tenant) if c.get("ContactNumber") == ref), None)
        if doc is None:
            raise not_found()
        return doc

    def _name_taken(self, tenant: str, name: str, except_id: str | None) -> bool:
        wanted = name.strip().casefold()
        return any(
            c["Name"].strip().casefold() == wanted and c["ContactStatus"] == "ACTIVE" and c["id"] != except_id
            for c in self.store.iter(tenant, "contact")
        )

    def save_contact(self, tenant: str, body: Doc, existing: Doc | None = None) -> Doc:
        if not isinstance(body, dict):
            raise Invalid("A contact must be an object")
        doc: Doc = dict(existing) if existing else {}
        for key in (
            "Name",
            "FirstName",
            "LastName",
            "EmailAddress",
            "ContactNumber",
            "AccountNumber",
            "CompanyNumber",
            "TaxNumber",
            "BankAccountDetails",
            "DefaultCurrency",
            "AccountsReceivableTaxType",
            "AccountsPayableTaxType",
        ):
            if key in body:
                if body[key] is not None and not isinstance(body[key], str):
                    raise Invalid(f"{key} must be text")
                doc[key] = body[key]
        for key in ("Addresses", "Phones", "ContactPersons"):
            if key in body:
                if not isinstance(body[key], list) or not all(isinstance(x, dict) for x in body[key]):
                    raise Invalid(f"{key} must be a list of objects")
                doc[key] = body[key]
        status = body.get("ContactStatus", doc.get("ContactStatus", "ACTIVE"))
        if status not in ("ACTIVE", "ARCHIVED"):
            raise Invalid("ContactStatus must be ACTIVE or ARCHIVED")
        name = doc.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("The contact name is required")
        if len(name) > 255:
            raise Invalid("The contact name must be 255 characters or fewer")
        email = doc.get("EmailAddress")
        if email and (len(email) > 255 or not re.match(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", email)):
            raise Invalid("Email address must be valid.")
        if status == "ACTIVE" and self._name_taken(tenant, name, doc.get("id")):
            raise Invalid(
                f"The contact name {name} is already assigned to another contact. "
                "The contact name must be unique across all active contacts."
            )
        archiving = status == "ARCHIVED" and existing is not None and existing.get("ContactStatus") != "ARCHIVED"
        if archiving and existing is not None and self._outstanding(tenant, existing["id"]):
            raise Invalid("This contact cannot be archived as it has outstanding invoices or bills")
        doc["ContactStatus"] = status
        new = existing is None
        if new:
            doc["id"] = new_id()
            doc["ContactID"] = doc["id"]
            doc.setdefault("IsCustomer", False)
            doc.setdefault("IsSupplier", False)
        doc["Addresses"] = _placeholders(doc.get("Addresses", []), "AddressType", ("POBOX", "STREET"))
        doc["Phones"] = _placeholders(doc.get("Phones", []), "PhoneType", ("DEFAULT", "DDI", "FAX", "MOBILE"))
        doc.setdefault("ContactPersons", [])
        doc.setdefault("ContactGroups", [])
        doc["HasValidationErrors"] = False
        saved = self._put(tenant, "contact", doc)
        self._event(tenant, "CONTACT", "CREATE" if new else "UPDATE", doc["id"])
        return saved

    def _outstanding(self, tenant: str, contact_id: str) -> bool:
        return any(
            i["Contact"]["ContactID"] == contact_id and i["Status"] == "AUTHORISED" and i["AmountDue"] > 0
            for i in self.store.iter(tenant, "invoice")
        )

    def contact_with_balances(self, tenant: str, doc: Doc) -> Doc:
        out = public(doc)
        sums = {"ACCREC": [Decimal(0), Decimal(0)], "ACCPAY": [Decimal(0), Decimal(0)]}
        for inv in self.store.iter(tenant, "invoice"):
            if inv["Contact"]["ContactID"] == doc["id"] and inv["Status"] == "AUTHORISED":
                due = Decimal(str(inv["AmountDue"]))
                sums[inv["Type"]][0] += due
                if inv.get("_due") and date.fromisoformat(inv["_due"]) < self.today():
                    sums[inv["Type"]][1] += due
        out["Balances"] = {
            "AccountsReceivable": {"Outstanding": money(sums["ACCREC"][0]), "Overdue": money(sums["ACCREC"][1])},
            "AccountsPayable": {"Outstanding": money(sums["ACCPAY"][0]), "Overdue": money(sums["ACCPAY"][1])},
        }
        return out

    def _contact_ref(self, tenant: str, ref: Any, doc_type: str) -> Doc:
        """`{ContactID}` must exist; `{Name}` finds the active contact of that name or creates it."""
        if not isinstance(ref, dict):
            raise Invalid("A Contact is required (ContactID or Name)")
        if ref.get("ContactID"):
            cid = str(ref["ContactID"]).lower()
            contact = self.store.get(tenant, "contact", cid) if GUID_RE.match(cid) else None
            if contact is None:
                raise Invalid("The contact specified does not exist.")
        elif isinstance(ref.get("Name"), str) and ref["Name"].strip():
            wanted = ref["Name"].strip().casefold()
            contact = next(
                (
                    c
                    for c in self.contacts(tenant)
                    if c["ContactStatus"] == "ACTIVE" and c["Name"].strip().casefold() == wanted
                ),
                None,
            )
            if contact is None:
                contact = self.save_contact(tenant, {k: v for k, v in ref.items() if k != "ContactID"})
        else:
            raise Invalid("A Contact is required (ContactID or Name)")
        flag = "IsCustomer" if doc_type in ("ACCREC", "ACCRECCREDIT", "RECEIVE") else "IsSupplier"
        if not contact.get(flag):
            contact[flag] = True
            self.store.put(tenant, "contact", contact)
        return contact

    # -- lines and totals -----------------------------------------------------------------------------------
    def _lines(self, tenant: str, raw: Any, amount_types: str, unitdp: int, old: list[Doc]) -> list[Doc]:
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            raise Invalid("LineItems must be a list of objects")
        if len(raw) > 1000:
            raise Invalid("At most 1000 line items are allowed")
        old_ids = {line["LineItemID"] for line in old}
        unit_q = Decimal(1).scaleb(-unitdp)
        out = []
        for n, item in enumerate(raw, 1):
            desc = item.get("Description")
            if desc is not None and not isinstance(desc, str):
                raise Invalid(f"Line {n}: Description must be text")
            qty = dec(item.get("Quantity", 1), f"Line {n}: Quantity")
            has_unit = item.get("UnitAmount") is not None
            unit = dec(item.get("UnitAmount", 0), f"Line {n}: UnitAmount").quantize(unit_q, ROUND_HALF_UP)
            if not has_unit and item.get("LineAmount") is not None:
                line_amount = dec(item["LineAmount"], f"Line {n}: LineAmount").quantize(CENT, ROUND_HALF_UP)
                unit = (line_amount / qty).quantize(unit_q, ROUND_HALF_UP) if qty else Decimal(0)
            discount = dec(item.get("DiscountRate", 0) or 0, f"Line {n}: DiscountRate")
            line_amount = (qty * unit * (1 - discount / 100)).quantize(CENT, ROUND_HALF_UP)
            account = item.get("AccountCode")
            acc = self.account(tenant, {"Code": account}) if account else None
            if account and acc is None:
                raise Invalid(f"Account code '{account}' is not a valid code for this document.")
            tax_type = item.get("TaxType") or (acc["TaxType"] if acc else "NONE")
            rate = self.tax_rate(tenant, str(tax_type))
            if rate is None:
                raise Invalid(
                    f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
                )
            if amount_types == "NoTax":
                tax = Decimal(0)
            elif amount_types == "Inclusive":
                tax = (line_amount * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
            else:
                tax = (line_amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
            if item.get("TaxAmount") is not None and amount_types != "NoTax":
                tax = dec(item["TaxAmount"], f"Line {n}: TaxAmount").quantize(CENT, ROUND_HALF_UP)
            line_id = str(item.get("LineItemID") or "").lower()
            out.append(
                {
                    "LineItemID": line_id if line_id in old_ids else new_id(),
                    "Description": desc or "",
                    "Quantity": float(qty),
                    "UnitAmount": float(unit),
                    "ItemCode": item.get("ItemCode"),
                    "AccountCode": account,
                    "TaxType": tax_type,
                    "TaxAmount": money(tax),
                    "LineAmount": money(line_amount),
                    "DiscountRate": float(discount) if discount else None,
                    "Tracking": item.get("Tracking") or [],
                }
            )
        return out

    @staticmethod
    def _totals(doc: Doc) -> None:
        lines = doc.get("LineItems") or []
        total_lines = sum((Decimal(str(x["LineAmount"])) for x in lines), Decimal(0))
        tax = sum((Decimal(str(x["TaxAmount"])) for x in lines), Decimal(0))
        sub = total_lines - tax if doc["LineAmountTypes"] == "Inclusive" else total_lines
        doc["SubTotal"], doc["TotalTax"], doc["Total"] = money(sub), money(tax), money(sub + tax)

    # -- invoices and credit notes ---------------------------------------------------------------------------
    def invoices(self, tenant: str, kind: str = "invoice") -> list[Doc]:
        return sorted(self.store.all(tenant, kind), key=lambda d: d["_seq"])

    def document(self, tenant: str, kind: str, ref: str) -> Doc:
        doc = self.store.get(tenant, kind, ref.lower()) if GUID_RE.match(ref) else None
        if doc is None:
            number_key = "InvoiceNumber" if kind == "invoice" else "CreditNoteNumber"
            doc = next((d for d in self.invoices(tenant, kind) if d.get(number_key) == ref), None)
        if doc is None:
            raise not_found()
        return doc

    def save_document(self, tenant: str, kind: str, body: Any, unitdp: int = 2, existing: Doc | None = None) -> Doc:
        """Create (`existing` None) or update an invoice/bill (`kind="invoice"`) or credit note (`"creditnote"`)."""
        if not isinstance(body, dict):
            raise Invalid("Each document must be an object")
        is_invoice = kind == "invoice"
        types = ("ACCREC", "ACCPAY") if is_invoice else ("ACCRECCREDIT", "ACCPAYCREDIT")
        id_key, number_key = ("InvoiceID", "InvoiceNumber") if is_invoice else ("CreditNoteID", "CreditNoteNumber")
        doc: Doc = dict(existing) if existing else {}
        old_status = doc.get("Status")
        status = body.get("Status", old_status or "DRAFT")
        if status not in INVOICE_STATUSES:
            raise Invalid(f"Status must be one of {', '.join(INVOICE_STATUSES)}")
        if existing is None:
            if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
                raise Invalid(f"A document cannot be created with status {status}")
            doc_type = body.get("Type")
            if doc_type not in types:
                raise Invalid(f"Type must be {' or '.join(types)}")
            doc["Type"] = doc_type
        else:
            if status not in TRANSITIONS[old_status or "DRAFT"]:
                raise Invalid(f"{'Invoice' if is_invoice else 'Credit note'} not of valid status for modification")
            if body.get("Type") not in (None, doc["Type"]):
                raise Invalid("The Type of a document cannot be changed")
        changes_content = any(k in body for k in ("LineItems", "Contact", "LineAmountTypes", "CurrencyCode"))
        if (
            existing is not None
            and old_status not in ("DRAFT", "SUBMITTED", "AUTHORISED")
            and (changes_content or status != old_status)
        ):
            raise Invalid(f"{'Invoice' if is_invoice else 'Credit note'} not of valid status for modification")
        settled = existing is not None and (
            Decimal(str(doc.get("AmountPaid", 0))) > 0 or Decimal(str(doc.get("AmountCredited", 0))) > 0
        )
        if settled and (changes_content or status == "VOIDED"):
            raise Invalid("This document cannot be edited as it has a payment or credit note allocated to it")
        doc_type = doc["Type"]
        if "Contact" in body or existing is None:
            contact = self._contact_ref(tenant, body.get("Contact"), doc_type)
            doc["Contact"] = {"ContactID": contact["id"], "Name": contact["Name"]}
        amount_types = body.get("LineAmountTypes", doc.get("LineAmountTypes", "Exclusive"))
        if amount_types not in ("Exclusive", "Inclusive", "NoTax"):
            raise Invalid("LineAmountTypes must be Exclusive, Inclusive or NoTax")
        doc["LineAmountTypes"] = amount_types
        for key, target in (("Date", "_date"), ("DueDate", "_due")):
            if body.get(key) is not None:
                doc[target] = parse_day(body[key], key).isoformat()
        doc.setdefault("_date", self.today().isoformat())
        for key in ("Reference", "Url", "BrandingThemeID"):
            if key in body:
                if body[key] is not None and not isinstance(body[key], str):
                    raise Invalid(f"{key} must be text")
                doc[key] = body[key]
        if doc.get("Reference") and len(doc["Reference"]) > 255:
            raise Invalid("Reference must be 255 characters or fewer")
        tenant_currency = self.tenants[tenant].base_currency
        currency = body.get("CurrencyCode", doc.get("CurrencyCode", tenant_currency))
        if currency not in CURRENCIES:
            raise Invalid(f"The currency {currency} is not enabled for this organisation")
        doc["CurrencyCode"] = currency
        doc.setdefault("CurrencyRate", 1.0)
        if "LineItems" in body or existing is None:
            doc["LineItems"] = self._lines(
                tenant, body.get("LineItems", []), amount_types, unitdp, doc.get("LineItems", [])
            )
        elif "LineAmountTypes" in body:
            doc["LineItems"] = self._lines(tenant, doc["LineItems"], amount_types, unitdp, doc["LineItems"])
        self._totals(doc)
        number = body.get(number_key)
        if number is not None:
            if not isinstance(number, str) or not number.strip() or len(number) > 255:
                raise Invalid(f"{number_key} must be text of 1 to 255 characters")
            doc[number_key] = number
        if doc_type in ("ACCREC", "ACCRECCREDIT"):
            if not doc.get(number_key):
                prefix = "INV" if is_invoice else "CN"
                doc[number_key] = f"{prefix}-{self.store.next_number(tenant, f'number:{kind}'):04d}"
            clash = any(
                d.get(number_key) == doc[number_key]
                and d["Type"] == doc_type
                and d["id"] != doc.get("id")
                and d["Status"] != "DELETED"
                for d in self.store.iter(tenant, kind)
            )
            if clash:
                raise Invalid(f"{'Invoice' if is_invoice else 'Credit Note'} # must be unique.")
        if status in ("SUBMITTED", "AUTHORISED") and not doc["LineItems"]:
            raise Invalid("At least one line item is required to submit or approve a document")
        if status == "AUTHORISED":
            if any(not line.get("AccountCode") for line in doc["LineItems"]):
                raise Invalid("An account code must be specified for each line item to approve the document")
            if is_invoice and not doc.get("_due"):
                raise Invalid("Due Date is required to approve an invoice")
        doc["Status"] = status
        new = existing is None
        if new:
            doc["id"] = new_id()
            doc[id_key] = doc["id"]
            doc.update(AmountPaid=0.0, AmountCredited=0.0, SentToContact=False, HasAttachments=False)
            doc.update(Payments=[], Allocations=[]) if not is_invoice else doc.update(Payments=[], CreditNotes=[])
            doc.update(Prepayments=[], Overpayments=[], HasErrors=False, IsDiscounted=False)
        if doc["Status"] == "VOIDED":
            doc["AmountDue"] = 0.0
        else:
            due = Decimal(str(doc["Total"])) - Decimal(str(doc["AmountPaid"])) - Decimal(str(doc["AmountCredited"]))
            doc["AmountDue" if is_invoice else "RemainingCredit"] = money(due)
            if not is_invoice:
                doc["AmountDue"] = money(due)
        self._render_dates(doc)
        doc["StatusAttributeString"] = "OK"
        saved = self._put(tenant, kind, doc)
        self._event(tenant, "INVOICE" if is_invoice else "CREDITNOTE", "CREATE" if new else "UPDATE", doc["id"])
        return saved

    @staticmethod
    def _render_dates(doc: Doc) -> None:
        for src, key in (("_date", "Date"), ("_due", "DueDate")):
            if doc.get(src):
                day = date.fromisoformat(doc[src])
                doc[key] = ms_date(day)
                doc[f"{key}String"] = f"{doc[src]}T00:00:00"

    def summary(self, doc: Doc) -> Doc:
        """A list element without line items (Xero's unpaged lists)."""
        out = public(doc)
        out.pop("LineItems", None)
        return out

    # -- payments -------------------------------------------------------------------------------------------
    def create_payment(self, tenant: str, body: Any) -> Doc:
        if not isinstance(body, dict):
            raise Invalid("A payment must be an object")
        ref = body.get("Invoice")
        if not isinstance(ref, dict) or not (ref.get("InvoiceID") or ref.get("InvoiceNumber")):
            raise Invalid("An Invoice (InvoiceID or InvoiceNumber) is required")
        try:
            invoice = self.document(tenant, "invoice", str(ref.get("InvoiceID") or ref.get("InvoiceNumber")))
        except XeroError:
            raise Invalid("The invoice specified does not exist.") from None
        account = self.account(tenant, body.get("Account"))
        if account is None:
            raise Invalid("An Account (AccountID or Code) of a bank account is required")
        if account["Type"] != "BANK" and not account["EnablePaymentsToAccount"]:
            raise Invalid("Payments can only be made to bank accounts or accounts enabled for payments")
        if invoice["Status"] != "AUTHORISED":
            raise Invalid("Payment can only be made against Authorised documents")
        if body.get("Amount") is None:
            raise Invalid("Amount is required")
        amount = dec(body["Amount"], "Amount").quantize(CENT, ROUND_HALF_UP)
        if amount <= 0:
            raise Invalid("Payment amount must be greater than zero")
        if amount > Decimal(str(invoice["AmountDue"])):
            raise Invalid("Payment amount exceeds the amount outstanding on this document")
        day = parse_day(body["Date"], "Date") if body.get("Date") is not None else self.today()
        reference = body.get("Reference")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 255):
            raise Invalid("Reference must be text of at most 255 characters")
        pid = new_id()
        doc: Doc = {
            "id": pid,
            "PaymentID": pid,
            "_date": day.isoformat(),
            "Date": ms_date(day),
            "Amount": money(amount),
            "BankAmount": money(amount),
            "CurrencyRate": 1.0,
            "Reference": reference or "",
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "Status": "AUTHORISED",
            "IsReconciled": bool(body.get("IsReconciled", False)),
            "HasAccount": True,
            "HasValidationErrors": False,
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]},
            "_invoice": invoice["id"],
        }
        self._apply_payment(tenant, invoice, amount, day, pid)
        doc["Invoice"] = self._invoice_stub(invoice)
        return self._put(tenant, "payment", doc)

    def _invoice_stub(self, invoice: Doc) -> Doc:
        keys = ("Type", "InvoiceID", "InvoiceNumber", "Contact", "AmountDue", "AmountPaid", "Status", "CurrencyCode")
        return {k: invoice.get(k) for k in keys}

    def _apply_payment(self, tenant: str, invoice: Doc, amount: Decimal, day: date, pid: str | None) -> None:
        paid = Decimal(str(invoice["AmountPaid"])) + amount
        invoice["AmountPaid"] = money(paid)
        self._settle(invoice, day)
        if pid is not None:
            invoice["Payments"] = [
                *[p for p in invoice["Payments"] if p["PaymentID"] != pid],
                {"PaymentID": pid, "Date": ms_date(day), "Amount": money(amount)},
            ]
        self._put(tenant, "invoice", invoice)
        self._event(tenant, "INVOICE", "UPDATE", invoice["id"])

    def _settle(self, invoice: Doc, day: date) -> None:
        due = (
            Decimal(str(invoice["Total"]))
            - Decimal(str(invoice["AmountPaid"]))
            - Decimal(str(invoice["AmountCredited"]))
        )
        invoice["AmountDue"] = money(due)
        if due <= 0 and invoice["Status"] == "AUTHORISED":
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = ms_date(day)
        elif due > 0 and invoice["Status"] == "PAID":
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)

    def delete_payment(self, tenant: str, pid: str, body: Any) -> Doc:
        payment = self.store.get(tenant, "payment", pid.lower()) if GUID_RE.match(pid) else None
        if payment is None:
            raise not_found()
        if not isinstance(body, dict) or body.get("Status") != "DELETED":
            raise Invalid('A payment can only be deleted: send {"Status":"DELETED"}')
        if payment["Status"] == "DELETED":
            raise Invalid("This payment has already been deleted")
        if payment["IsReconciled"]:
            raise Invalid("A reconciled payment cannot be deleted; unreconcile it in Xero first")
        invoice = self.store.get(tenant, "invoice", payment["_invoice"])
        assert invoice is not None
        invoice["AmountPaid"] = money(Decimal(str(invoice["AmountPaid"])) - Decimal(str(payment["Amount"])))
        invoice["Payments"] = [p for p in invoice["Payments"] if p["PaymentID"] != payment["id"]]
        self._settle(invoice, self.today())
        self._put(tenant, "invoice", invoice)
        self._event(tenant, "INVOICE", "UPDATE", invoice["id"])
        payment["Status"] = "DELETED"
        payment["Invoice"] = self._invoice_stub(invoice)
        return self._put(tenant, "payment", payment)

    # -- credit note allocations -----------------------------------------------------------------------------
    def allocate(self, tenant: str, credit_id: str, body: Any) -> list[Doc]:
        credit = self.document(tenant, "creditnote", credit_id)
        items = body.get("Allocations") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise Invalid('Send {"Allocations":[{"Invoice":{"InvoiceID":...},"Amount":...}]}')
        out = []
        for item in items:
            if credit["Status"] != "AUTHORISED":
                raise Invalid("Only an authorised credit note can be allocated")
            ref = item.get("Invoice") if isinstance(item, dict) else None
            if not isinstance(ref, dict) or not ref.get("InvoiceID"):
                raise Invalid("Invoice.InvoiceID is required")
            try:
                invoice = self.document(tenant, "invoice", str(ref["InvoiceID"]))
            except XeroError:
                raise Invalid("The invoice specified does not exist.") from None
            if {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}[credit["Type"]] != invoice["Type"]:
                raise Invalid("A credit note can only be allocated to a document of the same kind")
            if invoice["Status"] != "AUTHORISED":
                raise Invalid("Allocations can only be made against Authorised documents")
            amount = dec(item.get("Amount"), "Amount").quantize(CENT, ROUND_HALF_UP)
            if amount <= 0 or amount > Decimal(str(credit["RemainingCredit"])):
                raise Invalid("The amount must be positive and not more than the credit note's remaining credit")
            if amount > Decimal(str(invoice["AmountDue"])):
                raise Invalid("The amount cannot exceed the amount due on the invoice")
            day = parse_day(item["Date"], "Date") if item.get("Date") else self.today()
            aid = new_id()
            invoice["AmountCredited"] = money(Decimal(str(invoice["AmountCredited"])) + amount)
            invoice["CreditNotes"] = [*invoice["CreditNotes"], {"CreditNoteID": credit["id"], "Total": money(amount)}]
            self._settle(invoice, day)
            self._put(tenant, "invoice", invoice)
            self._event(tenant, "INVOICE", "UPDATE", invoice["id"])
            remaining = Decimal(str(credit["RemainingCredit"])) - amount
            credit["RemainingCredit"] = credit["AmountDue"] = money(remaining)
            credit["AmountCredited"] = money(Decimal(str(credit["AmountCredited"])) + amount)
            allocation = {"AllocationID": aid, "Amount": money(amount), "Date": ms_date(day)}
            credit["Allocations"] = [*credit["Allocations"], {**allocation, "Invoice": {"InvoiceID": invoice["id"]}}]
            if remaining <= 0:
                credit["Status"] = "PAID"
                credit["FullyPaidOnDate"] = ms_date(day)
            self._put(tenant, "creditnote", credit)
            self._event(tenant, "CREDITNOTE", "UPDATE", credit["id"])
            out.append(
                {
                    **allocation,
                    "Invoice": self._invoice_stub(invoice),
                    "CreditNote": {
                        "CreditNoteID": credit["id"],
                        "RemainingCredit": credit["RemainingCredit"],
                        "Status": credit["Status"],
                    },
                }
            )
        return out

    # -- bank transactions ----------------------------------------------------------------------------------
    def save_bank_transaction(self, tenant: str, body: Any, existing: Doc | None = None) -> Doc:
        if not isinstance(body, dict):
            raise Invalid("A bank transaction must be an object")
        if existing is not None:
            status = body.get("Status", existing["Status"])
            if status not in ("AUTHORISED", "DELETED", "VOIDED"):
                raise Invalid("Status must be AUTHORISED, DELETED or VOIDED")
            if existing["Status"] != "AUTHORISED":
                raise Invalid("This bank transaction cannot be changed any more")
            if status != "AUTHORISED" and existing["IsReconciled"]:
                raise Invalid("A reconciled bank transaction cannot be deleted")
            changed = dict(existing)
            changed["Status"] = status
            return self._put(tenant, "banktransaction", changed)
        kinds = ("RECEIVE", "SPEND")
        if body.get("Type") not in kinds:
            raise Invalid("Type must be RECEIVE or SPEND")
        account = self.account(tenant, body.get("BankAccount"))
        if account is None or account["Type"] != "BANK":
            raise Invalid("A BankAccount (AccountID or Code of a bank account) is required")
        if not body.get("LineItems"):
            raise Invalid("At least one line item is required")
        amount_types = body.get("LineAmountTypes", "Exclusive")
        if amount_types not in ("Exclusive", "Inclusive", "NoTax"):
            raise Invalid("LineAmountTypes must be Exclusive, Inclusive or NoTax")
        contact = self._contact_ref(tenant, body.get("Contact"), body["Type"])
        lines = self._lines(tenant, body["LineItems"], amount_types, 2, [])
        if any(not line["AccountCode"] for line in lines):
            raise Invalid("An account code must be specified for each line item")
        day = parse_day(body["Date"], "Date") if body.get("Date") else self.today()
        bid = new_id()
        doc: Doc = {
            "id": bid,
            "BankTransactionID": bid,
            "Type": body["Type"],
            "Contact": {"ContactID": contact["id"], "Name": contact["Name"]},
            "BankAccount": {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]},
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "_date": day.isoformat(),
            "Reference": body.get("Reference") or "",
            "IsReconciled": bool(body.get("IsReconciled", False)),
            "CurrencyCode": body.get("CurrencyCode", self.tenants[tenant].base_currency),
            "Status": "AUTHORISED",
            "HasAttachments": False,
        }
        self._totals(doc)
        self._render_dates(doc)
        return self._put(tenant, "banktransaction", doc)

    # -- e-mail ---------------------------------------------------------------------------------------------
    def email_invoice(self, tenant: str, invoice_id: str, sent: list[Doc]) -> None:
        invoice = self.document(tenant, "invoice", invoice_id)
        if invoice["Type"] != "ACCREC":
            raise Invalid("Only sales invoices (ACCREC) can be e-mailed")
        if invoice["Status"] not in ("SUBMITTED", "AUTHORISED", "PAID"):
            raise Invalid("Only invoices that are awaiting approval, awaiting payment or paid can be e-mailed")
        contact = self.store.get(tenant, "contact", invoice["Contact"]["ContactID"])
        recipients = [contact["EmailAddress"]] if contact and contact.get("EmailAddress") else []
        recipients += [
            p["EmailAddress"]
            for p in (contact or {}).get("ContactPersons", [])
            if p.get("IncludeInEmails") and p.get("EmailAddress")
        ]
        if not recipients:
            raise Invalid("The contact has no e-mail address")
        today = self.today().isoformat()
        if sum(1 for s in sent if s["tenant"] == tenant and s["day"] == today) >= self.email_daily_limit:
            raise Invalid("The daily limit of e-mails for this organisation has been reached")
        sent.append({"tenant": tenant, "day": today, "invoice": invoice["id"], "to": recipients})
        invoice["SentToContact"] = True
        self._put(tenant, "invoice", invoice)
        self._event(tenant, "INVOICE", "UPDATE", invoice["id"])


def _placeholders(items: list[Doc], key: str, kinds: tuple[str, ...]) -> list[Doc]:
    """Xero answers with one entry of every address/phone type, empty where nothing was given."""
    have = {x.get(key) for x in items}
    return [*items, *({key: k} for k in kinds if k not in have)]


# ------------------------------------------------------------------------------------------------ queries
def resolver(doc: Doc) -> Callable[[str], Any]:
    """Field values for `where`: dotted paths, with the dates as datetimes."""

    def get(name: str) -> Any:
        if name in ("Date", "DueDate"):
            raw = doc.get("_date" if name == "Date" else "_due")
            return datetime.fromisoformat(raw) if raw else None
        if name == "UpdatedDateUTC":
            return datetime.fromtimestamp(doc["_updated"] / 1000, UTC).replace(tzinfo=None)
        value: Any = doc
        for part in name.split("."):
            if not isinstance(value, dict):
                return None
            value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
        return value

    return get


def apply_where(docs: list[Doc], where: str | None) -> list[Doc]:
    if not where:
        return docs
    try:
        pred = compile_where(where)
    except QueryParseError as exc:
        raise query_parse_error(str(exc)) from None
    return [d for d in docs if pred(resolver(d))]


def apply_order(docs: list[Doc], order: str | None) -> list[Doc]:
    if not order:
        return docs
    parts = order.strip().split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
        raise query_parse_error(f"order '{order}' is not 'Field [ASC|DESC]'")
    get_field = parts[0]
    desc = len(parts) == 2 and parts[1].upper() == "DESC"

    def key(d: Doc) -> tuple[int, Any]:
        v = resolver(d)(get_field)
        return (v is None, str(v).lower() if isinstance(v, str) else v if v is not None else 0)

    return sorted(docs, key=key, reverse=desc)


def modified_since(docs: list[Doc], header: str | None) -> list[Doc]:
    """`If-Modified-Since` as `2026-03-01T00:00:00` (UTC) or an HTTP date."""
    if not header:
        return docs
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            raise post_data_invalid(f"The If-Modified-Since value '{header}' is not a valid timestamp.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    cut = ms(when)
    return [d for d in docs if d["_updated"] > cut]
