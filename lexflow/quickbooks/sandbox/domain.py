"""The QuickBooks company model: customers, vendors, invoices, payments, credit memos, each with `SyncToken`.

One `Company` per realm over the shared document store (`lexflow.sandbox.store.Store`). Rules follow the
reference (docs/quickbooks.md): DisplayName unique across name lists incl. inactive (6240), stale SyncToken (5010),
full update clears omitted writable fields, sparse update keeps them, invoices are final on creation, payments
reduce invoice balances through `LinkedTxn`, void zeroes amounts and keeps the record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from lexflow.quickbooks.sandbox import faults
from lexflow.sandbox.store import Store

Doc = dict[str, Any]
CENT = Decimal("0.01")

ENTITIES = {
    "customer": "Customer",
    "vendor": "Vendor",
    "invoice": "Invoice",
    "payment": "Payment",
    "creditmemo": "CreditMemo",
    "taxcode": "TaxCode",
    "purchase": "Purchase",
    "bill": "Bill",
    "account": "Account",
    "attachable": "Attachable",
}
"""Path segment → entity name."""
NAME_LISTS = ("Customer", "Vendor", "Employee")
_RO = {
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "TotalAmt",
    "Balance",
    "HomeBalance",
    "HomeTotalAmt",
    "LinkedTxn",
    "FullyQualifiedName",
    "DeliveryInfo",
    "UnappliedAmt",
    "TxnTaxDetail",
    "RemainingCredit",
    "BalanceWithJobs",
    "InvoiceLink",
}
WRITABLE: dict[str, frozenset[str]] = {
    "Purchase": frozenset(
        {
            "PaymentType",
            "AccountRef",
            "EntityRef",
            "Line",
            "TxnDate",
            "DocNumber",
            "PrivateNote",
            "GlobalTaxCalculation",
            "Credit",
            "CurrencyRef",
        }
    ),
    "Bill": frozenset(
        {
            "VendorRef",
            "Line",
            "TxnDate",
            "DueDate",
            "DocNumber",
            "PrivateNote",
            "SalesTermRef",
            "APAccountRef",
            "GlobalTaxCalculation",
            "CurrencyRef",
        }
    ),
    "Customer": frozenset(
        {
            "DisplayName",
            "Title",
            "GivenName",
            "MiddleName",
            "FamilyName",
            "Suffix",
            "CompanyName",
            "PrimaryEmailAddr",
            "PrimaryPhone",
            "Mobile",
            "Fax",
            "AlternatePhone",
            "WebAddr",
            "BillAddr",
            "ShipAddr",
            "Notes",
            "Active",
            "CurrencyRef",
            "Taxable",
            "DefaultTaxCodeRef",
            "PrimaryTaxIdentifier",
            "BusinessNumber",
            "SalesTermRef",
            "PaymentMethodRef",
            "PreferredDeliveryMethod",
            "PrintOnCheckName",
        }
    ),
    "Vendor": frozenset(
        {
            "DisplayName",
            "GivenName",
            "FamilyName",
            "CompanyName",
            "PrimaryEmailAddr",
            "Active",
            "BillAddr",
            "PrintOnCheckName",
        }
    ),
    "Invoice": frozenset(
        {
            "CustomerRef",
            "Line",
            "TxnDate",
            "DueDate",
            "DocNumber",
            "BillEmail",
            "BillEmailCc",
            "BillEmailBcc",
            "BillAddr",
            "ShipAddr",
            "ShipDate",
            "CustomerMemo",
            "PrivateNote",
            "SalesTermRef",
            "GlobalTaxCalculation",
            "ApplyTaxAfterDiscount",
            "EmailStatus",
            "PrintStatus",
            "CustomField",
            "Deposit",
            "CurrencyRef",
            "AllowOnlinePayment",
            "AllowOnlineCreditCardPayment",
            "AllowOnlineACHPayment",
        }
    ),
    "CreditMemo": frozenset(
        {
            "CustomerRef",
            "Line",
            "TxnDate",
            "DocNumber",
            "BillEmail",
            "CustomerMemo",
            "PrivateNote",
            "GlobalTaxCalculation",
            "CurrencyRef",
        }
    ),
    "Payment": frozenset(
        {
            "CustomerRef",
            "TotalAmt",
            "Line",
            "TxnDate",
            "DepositToAccountRef",
            "PaymentMethodRef",
            "PaymentRefNum",
            "PrivateNote",
            "CurrencyRef",
        }
    ),
}
ACCOUNTS = [
    {"Id": "4", "Name": "Undeposited Funds", "AccountType": "Other Current Asset", "Active": True},
    {"Id": "35", "Name": "Checking", "AccountType": "Bank", "Active": True},
    {"Id": "42", "Name": "Visa", "AccountType": "Credit Card", "Active": True},
    {"Id": "33", "Name": "Accounts Payable (A/P)", "AccountType": "Accounts Payable", "Active": True},
    {"Id": "13", "Name": "Office Supplies", "AccountType": "Expense", "Active": True},
    {"Id": "7", "Name": "Other Business Expenses", "AccountType": "Expense", "Active": True},
    {"Id": "58", "Name": "Travel", "AccountType": "Expense", "Active": True},
    {"Id": "60", "Name": "Bürobedarf", "AccountType": "Expense", "Active": True},
    {"Id": "61", "Name": "Reisekosten", "AccountType": "Expense", "Active": True},
    {"Id": "62", "Name": "Software", "AccountType": "Expense", "Active": True},
    {"Id": "79", "Name": "Sales of Product Income", "AccountType": "Income", "Active": True},
]
"""The sandbox company's chart of accounts (read-only here)."""
TAX_CODES = [
    {"Id": "1", "Name": "Standard 19%", "Rate": "19", "Active": True},
    {"Id": "2", "Name": "Reduced 7%", "Rate": "7", "Active": True},
    {"Id": "3", "Name": "Exempt", "Rate": "0", "Active": True},
]


def money(value: Any, element: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise faults.invalid(element, f"{element} must be a number, got {value!r}") from None
    if not amount.is_finite():
        raise faults.invalid(element, f"{element} must be a finite number")
    return amount.quantize(CENT, ROUND_HALF_UP)


def out(amount: Decimal) -> float:
    return float(amount)


def _date(value: Any, element: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise faults.invalid(element, f"{element} must be a date YYYY-MM-DD, got {value!r}") from None


def apply_tax(doc: Doc, subtotal: Decimal, by_code: dict[str, Decimal]) -> Decimal:
    """`TxnTaxDetail.TotalTax` and `TotalAmt` from the line amounts per tax code and `GlobalTaxCalculation`
    (TaxExcluded: tax on top; TaxInclusive: tax contained in the amounts; otherwise none). Rounded per tax code."""
    mode = doc.get("GlobalTaxCalculation", "NotApplicable")
    rates = {t["Id"]: Decimal(str(t["Rate"])) for t in TAX_CODES}
    tax = Decimal(0)
    for code, amount in by_code.items():
        rate = rates.get(code, Decimal(0))
        if mode == "TaxExcluded":
            tax += (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
        elif mode == "TaxInclusive":
            tax += (amount - amount / (1 + rate / 100)).quantize(CENT, ROUND_HALF_UP)
    doc["TxnTaxDetail"] = {"TotalTax": out(tax)}
    total = subtotal + tax if mode == "TaxExcluded" else subtotal
    doc["TotalAmt"] = out(total)
    return total


class Company:
    """One realm's data. Every method either raises `Fault` or returns the entity as the API shows it."""

    def __init__(
        self,
        store: Store,
        realm: str,
        now: Callable[[], datetime],
        currency: str,
        on_change: Callable[[str, str, str, str], None],
    ) -> None:
        self.store, self.realm, self.now, self.currency = store, realm, now, currency
        self._on_change = on_change

    # -------------------------------------------------------------------------------------------- storage
    def get(self, entity: str, id_: str) -> Doc | None:
        if entity == "Account":
            return next((dict(a) for a in ACCOUNTS if a["Id"] == str(id_)), None)
        doc = self.store.get(self.realm, entity, str(id_))
        return None if doc is None else public(doc)

    def all(self, entity: str) -> list[Doc]:
        if entity == "TaxCode":
            return copy.deepcopy(TAX_CODES)
        if entity == "Account":
            return copy.deepcopy(ACCOUNTS)
        return [public(d) for d in self.store.iter(self.realm, entity)]

    def _must(self, entity: str, id_: Any) -> Doc:
        doc = self.store.get(self.realm, entity, str(id_)) if id_ is not None else None
        if doc is None:
            raise faults.not_found(entity, str(id_))
        return doc

    def _save(self, entity: str, doc: Doc, operation: str) -> Doc:
        doc["id"] = doc["Id"]
        self.store.put(self.realm, entity, doc)
        self._on_change(self.realm, entity, doc["Id"], operation)
        return public(doc)

    def _new(self, entity: str, fields: Doc) -> Doc:
        stamp = self.now().isoformat(timespec="seconds")
        id_ = str(self.store.next_number(self.realm, entity, start=1 if entity != "Invoice" else 130))
        return {
            **fields,
            "domain": "QBO",
            "sparse": False,
            "Id": id_,
            "SyncToken": "0",
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }

    def _bump(self, doc: Doc) -> None:
        doc["SyncToken"] = str(int(doc["SyncToken"]) + 1)
        doc["MetaData"]["LastUpdatedTime"] = self.now().isoformat(timespec="seconds")

    def _check_token(self, doc: Doc, body: Doc) -> None:
        if body.get("SyncToken") is None:
            raise faults.required("SyncToken")
        if str(body["SyncToken"]) != doc["SyncToken"]:
            raise faults.stale()

    def _apply(self, entity: str, doc: Doc, body: Doc) -> Doc:
        """Sparse: change what was sent. Full: the writable fields become exactly what was sent (others cleared)."""
        allowed = WRITABLE[entity]
        sent = {k: v for k, v in body.items() if k in allowed}
        if body.get("sparse") is True:
            return {**doc, **sent}
        kept = {k: v for k, v in doc.items() if k not in allowed}
        return {**kept, **sent}

    # -------------------------------------------------------------------------------------------- name lists
    def _check_name(self, name: str, own: tuple[str, str] | None) -> None:
        folded = name.strip().casefold()
        for entity in NAME_LISTS:
            for other in self.store.iter(self.realm, entity):
                if (entity, other["Id"]) != own and str(other.get("DisplayName", "")).strip().casefold() == folded:
                    raise faults.duplicate_name()

    def _name_fields(self, entity: str, doc: Doc) -> Doc:
        if not doc.get("DisplayName"):
            parts = [doc.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
            name = " ".join(str(p) for p in parts if p) or doc.get("CompanyName")
            if not name:
                raise faults.required("DisplayName")
            doc["DisplayName"] = name
        if len(str(doc["DisplayName"])) > 500:
            raise faults.invalid("DisplayName", "DisplayName is longer than 500 characters")
        for key in ("GivenName", "FamilyName"):
            if len(str(doc.get(key) or "")) > 100:
                raise faults.invalid(key, f"{key} is longer than 100 characters")
        if len(str(doc.get("Notes") or "")) > 1024:
            raise faults.invalid("Notes", "Notes is longer than 1024 characters")
        doc["FullyQualifiedName"] = doc["DisplayName"]
        doc.setdefault("PrintOnCheckName", doc["DisplayName"])
        doc.setdefault("Active", True)
        return doc

    def create_party(self, entity: str, body: Doc) -> Doc:
        doc = self._name_fields(entity, {k: v for k, v in body.items() if k in WRITABLE[entity]})
        self._check_name(doc["DisplayName"], None)
        doc.setdefault("CurrencyRef", {"value": self.currency})
        doc.update({"Balance": 0, "BalanceWithJobs": 0, "Taxable": bool(doc.get("Taxable", False)), "Job": False})
        doc.setdefault("PreferredDeliveryMethod", "Print")
        return self._save(entity, self._new(entity, doc), "Create")

    def update_party(self, entity: str, body: Doc) -> Doc:
        doc = self._must(entity, body.get("Id"))
        self._check_token(doc, body)
        new = self._apply(entity, doc, body)
        if body.get("sparse") is not True:
            new.pop("FullyQualifiedName", None)
            new.pop("PrintOnCheckName", None)
        new = self._name_fields(entity, new)
        self._check_name(new["DisplayName"], (entity, doc["Id"]))
        self._bump(new)
        return self._save(entity, new, "Update")

    # -------------------------------------------------------------------------------------------- sales documents
    def _lines(self, lines: Any) -> tuple[list[Doc], Decimal, dict[str, Decimal]]:
        if not isinstance(lines, list) or not lines:
            raise faults.required("Line")
        out_lines: list[Doc] = []
        subtotal = Decimal(0)
        by_code: dict[str, Decimal] = {}
        for line in lines:
            if not isinstance(line, dict):
                raise faults.invalid("Line", "each Line must be an object")
            kind = line.get("DetailType")
            if kind == "SubTotalLineDetail":
                continue  # the server's own line, sent back by clients that re-send what they read
            if kind == "DescriptionOnly":
                out_lines.append({**line, "Id": str(len(out_lines) + 1), "LineNum": len(out_lines) + 1})
                continue
            if kind != "SalesItemLineDetail":
                raise faults.invalid("Line.DetailType", f"unsupported DetailType {kind!r}; use SalesItemLineDetail")
            detail = dict(line.get("SalesItemLineDetail") or {})
            qty = money(detail["Qty"], "Line.SalesItemLineDetail.Qty") if "Qty" in detail else None
            price = detail.get("UnitPrice")
            amount = money(line["Amount"], "Line.Amount") if "Amount" in line else None
            if amount is None:
                if qty is None or price is None:
                    raise faults.required("Line.Amount")
                amount = (qty * Decimal(str(price))).quantize(CENT, ROUND_HALF_UP)
            elif qty is not None and price is not None:
                expected = (qty * Decimal(str(price))).quantize(CENT, ROUND_HALF_UP)
                if expected != amount:
                    raise faults.business(
                        f"Amount is not equal to UnitPrice * Qty. Supplied value:{out(amount)}", "Line.Amount"
                    )
            detail.setdefault("ItemRef", {"value": "1", "name": "Services"})
            code = str((detail.get("TaxCodeRef") or {}).get("value", ""))
            if code and code not in {t["Id"] for t in TAX_CODES} | {"TAX", "NON"}:
                raise faults.invalid("Line.SalesItemLineDetail.TaxCodeRef", f"unknown TaxCode {code}", "2500")
            by_code[code] = by_code.get(code, Decimal(0)) + amount
            subtotal += amount
            out_lines.append(
                {
                    **line,
                    "Id": str(len(out_lines) + 1),
                    "LineNum": len(out_lines) + 1,
                    "Amount": out(amount),
                    "SalesItemLineDetail": detail,
                }
            )
        out_lines.append({"Amount": out(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        return out_lines, subtotal, by_code

    def _price(self, doc: Doc) -> Decimal:
        """Lines, tax and TotalAmt; returns the total."""
        lines, subtotal, by_code = self._lines(doc.get("Line"))
        doc["Line"] = lines
        return apply_tax(doc, subtotal, by_code)

    def _sales_doc(self, entity: str, doc: Doc) -> Doc:
        customer = (
            self._must("Customer", (doc.get("CustomerRef") or {}).get("value")) if doc.get("CustomerRef") else None
        )
        if customer is None:
            raise faults.required("CustomerRef")
        if not customer.get("Active", True):
            raise faults.not_found("Customer", customer["Id"])
        doc["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        today = self.now().date()
        doc["TxnDate"] = _date(doc.get("TxnDate") or today.isoformat(), "TxnDate")
        if entity == "Invoice" and doc.get("DueDate"):
            doc["DueDate"] = _date(doc["DueDate"], "DueDate")
        if doc.get("DocNumber") and len(str(doc["DocNumber"])) > 21:
            raise faults.invalid("DocNumber", "DocNumber is longer than 21 characters")
        doc.setdefault("CurrencyRef", {"value": self.currency})
        return doc

    def _applied(self, invoice_id: str) -> Decimal:
        """What payments currently apply to this invoice."""
        total = Decimal(0)
        for pay in self.store.iter(self.realm, "Payment"):
            for line in pay.get("Line") or []:
                for link in line.get("LinkedTxn") or []:
                    if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                        total += Decimal(str(line["Amount"]))
        return total

    def create_invoice(self, body: Doc) -> Doc:
        doc = self._sales_doc("Invoice", {k: v for k, v in body.items() if k in WRITABLE["Invoice"]})
        total = self._price(doc)
        if not doc.get("DueDate"):
            doc["DueDate"] = (date.fromisoformat(doc["TxnDate"]) + timedelta(days=30)).isoformat()
        deposit = money(doc.get("Deposit", 0), "Deposit")
        if deposit > total:
            raise faults.business("Deposit is more than the invoice total", "Deposit")
        doc.update(
            {
                "Deposit": out(deposit),
                "Balance": out(total - deposit),
                "LinkedTxn": [],
                "EmailStatus": doc.get("EmailStatus", "NotSet"),
                "PrintStatus": doc.get("PrintStatus", "NotSet"),
            }
        )
        new = self._new("Invoice", doc)
        if not new.get("DocNumber"):
            new["DocNumber"] = str(1000 + int(new["Id"]))
        return self._save("Invoice", new, "Create")

    def update_invoice(self, body: Doc) -> Doc:
        doc = self._must("Invoice", body.get("Id"))
        self._check_token(doc, body)
        if doc.get("_voided"):
            raise faults.business("a voided transaction cannot be changed")
        new = self._sales_doc("Invoice", self._apply("Invoice", doc, body))
        total = self._price(new)
        deposit = money(new.get("Deposit") or 0, "Deposit")
        new["Deposit"] = out(deposit)
        new["Balance"] = out(total - deposit - self._applied(new["Id"]))
        self._bump(new)
        return self._save("Invoice", new, "Update")

    def void_invoice(self, body: Doc) -> Doc:
        doc = self._must("Invoice", body.get("Id"))
        self._check_token(doc, body)
        for line in doc["Line"]:
            line["Amount"] = 0
            if "SalesItemLineDetail" in line:
                line["SalesItemLineDetail"].pop("Qty", None)
        doc.update(
            {
                "TotalAmt": 0,
                "Balance": 0,
                "TxnTaxDetail": {"TotalTax": 0},
                "_voided": True,
                "PrivateNote": ("Voided" + (f" - {doc['PrivateNote']}" if doc.get("PrivateNote") else "")),
            }
        )
        self._bump(doc)
        return self._save("Invoice", doc, "Void")

    def _unapply(self, payment: Doc) -> None:
        """Give the linked invoices and credit memos back what this payment took (void or delete)."""
        for line in payment.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                target = self.store.get(self.realm, str(link.get("TxnType")), str(link.get("TxnId")))
                if target is None:
                    continue
                target["Balance"] = out(Decimal(str(target["Balance"])) + Decimal(str(line["Amount"])))
                if "RemainingCredit" in target:
                    target["RemainingCredit"] = target["Balance"]
                target["LinkedTxn"] = [
                    t
                    for t in target.get("LinkedTxn") or []
                    if not (t["TxnType"] == "Payment" and t["TxnId"] == payment["Id"])
                ]
                self._bump(target)
                self._save(str(link["TxnType"]), target, "Update")

    def void_payment(self, body: Doc) -> Doc:
        doc = self._must("Payment", body.get("Id"))
        self._check_token(doc, body)
        self._unapply(doc)
        note = "Voided" + (f" - {doc['PrivateNote']}" if doc.get("PrivateNote") else "")
        doc.update({"Line": [], "TotalAmt": 0, "UnappliedAmt": 0, "PrivateNote": note})
        self._bump(doc)
        return self._save("Payment", doc, "Void")

    def delete(self, entity: str, body: Doc) -> Doc:
        doc = self._must(entity, body.get("Id"))
        self._check_token(doc, body)
        if entity == "Invoice" and self._applied(doc["Id"]):
            raise faults.business("this invoice has payments applied; delete or void the payments first")
        if entity == "Payment":
            self._unapply(doc)
        self.store.delete(self.realm, entity, doc["Id"])
        self._on_change(self.realm, entity, doc["Id"], "Delete")
        return {"Id": doc["Id"], "status": "Deleted", "domain": "QBO"}

    def send_invoice(self, id_: str, send_to: str | None) -> tuple[Doc, str]:
        doc = self._must("Invoice", id_)
        to = send_to or (doc.get("BillEmail") or {}).get("Address")
        if not to:
            raise faults.business("BillEmail is missing; set BillEmail or pass sendTo", "BillEmail")
        doc["EmailStatus"] = "EmailSent"
        doc["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": self.now().isoformat(timespec="seconds")}
        if send_to:
            doc["BillEmail"] = {"Address": send_to}
        self._bump(doc)
        return self._save("Invoice", doc, "Emailed"), to

    def create_credit_memo(self, body: Doc) -> Doc:
        doc = self._sales_doc("CreditMemo", {k: v for k, v in body.items() if k in WRITABLE["CreditMemo"]})
        total = self._price(doc)
        doc.update({"Balance": out(total), "RemainingCredit": out(total)})
        return self._save("CreditMemo", self._new("CreditMemo", doc), "Create")

    # -------------------------------------------------------------------------------------------- payments
    def create_payment(self, body: Doc) -> Doc:
        doc = {k: v for k, v in body.items() if k in WRITABLE["Payment"]}
        customer = (
            self._must("Customer", (doc.get("CustomerRef") or {}).get("value")) if doc.get("CustomerRef") else None
        )
        if customer is None:
            raise faults.required("CustomerRef")
        if "TotalAmt" not in doc:
            raise faults.required("TotalAmt")
        total = money(doc["TotalAmt"], "TotalAmt")
        if total < 0:
            raise faults.invalid("TotalAmt", "TotalAmt cannot be negative")
        doc["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        doc["TxnDate"] = _date(doc.get("TxnDate") or self.now().date().isoformat(), "TxnDate")
        applied = Decimal(0)
        targets: list[tuple[str, Doc, Decimal]] = []
        lines = doc.get("Line") or []
        for line in lines:
            amount = money(line.get("Amount"), "Line.Amount")
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") not in ("Invoice", "CreditMemo"):
                    raise faults.invalid("Line.LinkedTxn.TxnType", "TxnType must be Invoice or CreditMemo")
                target = self._must(link["TxnType"], link.get("TxnId"))
                if target["CustomerRef"]["value"] != customer["Id"]:
                    raise faults.business(f"{link['TxnType']} {target['Id']} belongs to another customer")
                if amount > Decimal(str(target["Balance"])):
                    raise faults.business(
                        f"the payment amount {out(amount)} is more than the open balance "
                        f"{target['Balance']} of {link['TxnType']} {target['Id']}",
                        "Line.Amount",
                    )
                targets.append((link["TxnType"], target, amount))
            applied += (
                amount
                if any(t == "Invoice" for t in (lk.get("TxnType") for lk in line.get("LinkedTxn") or []))
                else -amount
            )
        if applied > total:
            raise faults.business("the lines apply more than TotalAmt", "TotalAmt")
        doc["TotalAmt"] = out(total)
        doc["UnappliedAmt"] = out(total - applied)
        doc.setdefault("CurrencyRef", {"value": self.currency})
        doc.setdefault("DepositToAccountRef", {"value": "4", "name": "Undeposited Funds"})
        new = self._new("Payment", doc)
        saved = self._save("Payment", new, "Create")
        for entity, target, amount in targets:
            target["Balance"] = out(Decimal(str(target["Balance"])) - amount)
            if entity == "CreditMemo":
                target["RemainingCredit"] = target["Balance"]
            target.setdefault("LinkedTxn", []).append({"TxnId": new["Id"], "TxnType": "Payment"})
            self._bump(target)
            self._save(entity, target, "Update")
        return saved


def _account(ref: Any, element: str, kinds: tuple[str, ...]) -> Doc:
    value = (ref or {}).get("value") if isinstance(ref, dict) else None
    if not value:
        raise faults.required(element)
    account = next((a for a in ACCOUNTS if a["Id"] == str(value)), None)
    if account is None:
        raise faults.invalid(element, f"account {value} does not exist", "2500")
    if account["AccountType"] not in kinds:
        raise faults.business(
            f"account {value} ({account['AccountType']}) cannot be used here; use one of type {', '.join(kinds)}",
            element,
        )
    return {"value": account["Id"], "name": account["Name"]}


def expense_lines(lines: Any) -> tuple[list[Doc], Decimal, dict[str, Decimal]]:
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    out_lines: list[Doc] = []
    total = Decimal(0)
    by_code: dict[str, Decimal] = {}
    for line in lines:
        if not isinstance(line, dict) or line.get("DetailType") != "AccountBasedExpenseLineDetail":
            raise faults.invalid("Line.DetailType", "expense lines need DetailType AccountBasedExpenseLineDetail")
        detail = dict(line.get("AccountBasedExpenseLineDetail") or {})
        detail["AccountRef"] = _account(
            detail.get("AccountRef"),
            "Line.AccountBasedExpenseLineDetail.AccountRef",
            ("Expense", "Other Expense", "Cost of Goods Sold"),
        )
        amount = money(line.get("Amount"), "Line.Amount")
        if amount <= 0:
            raise faults.invalid("Line.Amount", "Amount must be more than 0")
        code = str((detail.get("TaxCodeRef") or {}).get("value", ""))
        if code and code not in {t["Id"] for t in TAX_CODES}:
            raise faults.invalid("Line.AccountBasedExpenseLineDetail.TaxCodeRef", f"unknown TaxCode {code}", "2500")
        by_code[code] = by_code.get(code, Decimal(0)) + amount
        total += amount
        out_lines.append(
            {**line, "Id": str(len(out_lines) + 1), "Amount": out(amount), "AccountBasedExpenseLineDetail": detail}
        )
    return out_lines, total, by_code


def create_purchase(company: Company, body: Doc) -> Doc:
    doc = {k: v for k, v in body.items() if k in WRITABLE["Purchase"]}
    kind = doc.get("PaymentType")
    if kind not in ("Cash", "Check", "CreditCard"):
        raise (
            faults.required("PaymentType")
            if kind is None
            else faults.invalid("PaymentType", "PaymentType must be Cash, Check or CreditCard")
        )
    doc["AccountRef"] = _account(
        doc.get("AccountRef"), "AccountRef", ("Credit Card",) if kind == "CreditCard" else ("Bank",)
    )
    entity_ref = doc.get("EntityRef")
    if entity_ref:
        target = company._must(str(entity_ref.get("type", "Vendor")), entity_ref.get("value"))
        doc["EntityRef"] = {
            "value": target["Id"],
            "name": target["DisplayName"],
            "type": entity_ref.get("type", "Vendor"),
        }
    doc["Line"], subtotal, by_code = expense_lines(doc.get("Line"))
    doc["TxnDate"] = _date(doc.get("TxnDate") or company.now().date().isoformat(), "TxnDate")
    apply_tax(doc, subtotal, by_code)
    doc.setdefault("CurrencyRef", {"value": company.currency})
    return company._save("Purchase", company._new("Purchase", doc), "Create")


def create_bill(company: Company, body: Doc) -> Doc:
    doc = {k: v for k, v in body.items() if k in WRITABLE["Bill"]}
    if not doc.get("VendorRef"):
        raise faults.required("VendorRef")
    vendor = company._must("Vendor", doc["VendorRef"].get("value"))
    doc["VendorRef"] = {"value": vendor["Id"], "name": vendor["DisplayName"]}
    doc["Line"], subtotal, by_code = expense_lines(doc.get("Line"))
    total = apply_tax(doc, subtotal, by_code)
    doc["TxnDate"] = _date(doc.get("TxnDate") or company.now().date().isoformat(), "TxnDate")
    due = doc.get("DueDate") or (date.fromisoformat(doc["TxnDate"]) + timedelta(days=30)).isoformat()
    doc["DueDate"] = _date(due, "DueDate")
    if doc.get("DocNumber") and len(str(doc["DocNumber"])) > 21:
        raise faults.invalid("DocNumber", "DocNumber is longer than 21 characters")
    doc.update(
        {
            "Balance": out(total),
            "APAccountRef": {"value": "33", "name": "Accounts Payable (A/P)"},
        }
    )
    doc.setdefault("CurrencyRef", {"value": company.currency})
    return company._save("Bill", company._new("Bill", doc), "Create")


MAX_UPLOAD = 100 * 1024 * 1024
UPLOAD_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/tiff",
        "text/plain",
        "text/csv",
        "application/xml",
        "text/xml",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)


def create_attachable(company: Company, meta: Doc, content: bytes, content_type: str) -> Doc:
    """A file linked to entities (`AttachableRef[].EntityRef {type, value}`); the bytes are kept as a blob."""
    name = meta.get("FileName")
    if not name:
        raise faults.required("FileName")
    kind = meta.get("ContentType") or content_type
    if kind not in UPLOAD_TYPES:
        raise faults.invalid("ContentType", f"files of type {kind} cannot be attached")
    if len(content) > MAX_UPLOAD:
        raise faults.invalid("file_content", "the file is larger than 100 MB")
    refs = []
    for ref in meta.get("AttachableRef") or []:
        entity_ref = ref.get("EntityRef") or {}
        target = company._must(str(entity_ref.get("type")), entity_ref.get("value"))
        refs.append(
            {
                "EntityRef": {"type": entity_ref.get("type"), "value": target["Id"]},
                "IncludeOnSend": bool(ref.get("IncludeOnSend", False)),
            }
        )
    doc = {
        "FileName": name,
        "ContentType": kind,
        "Size": len(content),
        "AttachableRef": refs,
        "Category": meta.get("Category"),
        "Note": meta.get("Note"),
    }
    new = company._new("Attachable", {k: v for k, v in doc.items() if v is not None})
    new["FileAccessUri"] = f"/v3/company/{company.realm}/download/{new['Id']}"
    company.store.put_blob(company.realm, f"attachable:{new['Id']}", content)
    return company._save("Attachable", new, "Create")


def public(doc: Doc) -> Doc:
    """The entity as the API shows it: without the store's `id` and the sandbox's `_` keys."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if k != "id" and not k.startswith("_")}
