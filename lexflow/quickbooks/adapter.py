"""QuickBooks Online behind the neutral `Provider` interface, over `lexflow.quickbooks.client.QuickBooksClient`.

QuickBooks has no drafts: `create_invoice` needs `finalize=True` (approval happens in lexflow before), otherwise
`CapabilityMissing("drafts")`. Invoice states are derived from `Balance` and `TotalAmt` (docs/quickbooks.md).
Business keys become `requestid`s (exactly once) and are kept in `PrivateNote` so `find_invoice` can find them.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lexflow.core.capabilities import Capabilities
from lexflow.core.changes import ChangePage, ContactRow, DocumentRow
from lexflow.core.errors import InvalidRecord, UnknownTaxCode
from lexflow.core.models import (
    Address,
    Cancellation,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    DocumentStatus,
    Expense,
    ExpenseDraft,
    ExpenseItem,
    Invoice,
    InvoiceDraft,
    InvoiceLine,
    InvoiceSummary,
    Money,
    Payment,
    PaymentDraft,
    StatusFilter,
    TaxRef,
)
from lexflow.core.provider import Provider
from lexflow.core.tax import TaxMapping
from lexflow.quickbooks.capabilities import CAPABILITIES

if TYPE_CHECKING:
    from lexflow.quickbooks import models as qm
    from lexflow.quickbooks.client import QuickBooksClient

REFERENCE = "Reference: "
"""How an invoice carries its business key: a line in its PrivateNote (not printed on the invoice)."""
ID = re.compile(r"^\d{1,20}$")

TAX = TaxMapping(
    provider="QuickBooks Online",
    keys={"standard": "1", "reduced": "2", "zero": "3"},
    codes={
        "1": TaxRef(code="1", rate=Decimal(19), label="Standard 19%"),
        "2": TaxRef(code="2", rate=Decimal(7), label="Reduced 7%"),
        "3": TaxRef(code="3", rate=Decimal(0), label="Exempt"),
    },
)
"""The embedded sandbox company's TaxCode ids. A real company has its own ids (`SELECT * FROM TaxCode`): pass its
mapping to the adapter."""


def status_of(total: Decimal, balance: Decimal, note: str | None) -> DocumentStatus:
    """QuickBooks has no status field: void is zeroed with a "Voided" note, paid is nothing open of a total."""
    if total == 0 and balance == 0 and (note or "").startswith("Voided"):
        return "void"
    if balance <= 0 and total > 0:
        return "paid"
    if 0 < balance < total:
        return "partially_paid"
    return "open"


def _reference_of(note: str | None) -> str | None:
    for line in (note or "").splitlines():
        if line.startswith(REFERENCE):
            return line[len(REFERENCE) :].strip() or None
    return None


def payment_ref_num(reference: str) -> str:
    """The business key as `PaymentRefNum` (at most 21 characters): longer keys become a stable digest."""
    if len(reference) <= 21:
        return reference
    return "lf-" + hashlib.sha256(reference.encode()).hexdigest()[:18]


def _tax_total(entity: Any) -> Decimal | None:
    detail = getattr(entity, "TxnTaxDetail", None) or {}
    return Decimal(str(detail["TotalTax"])) if "TotalTax" in detail else None


class QuickBooksAdapter(Provider):
    """One QuickBooks company (realm). The client brings pacing, retries, `requestid`s and token refresh."""

    id_format = ID  # QuickBooks ids are digits

    capabilities: Capabilities = CAPABILITIES
    tax: TaxMapping = TAX
    invoice_rounding = "tax_rate"  # the lines of one tax code summed, then taxed (docs/quickbooks.md)

    def __init__(self, client: QuickBooksClient, tax: TaxMapping | None = None) -> None:
        self.client = client
        if tax is not None:
            self.tax = tax

    def close(self) -> None:
        """Close the client's connections (a flow's per-profile clients are closed when the run's clients are)."""
        self.client.close()

    def not_found_errors(self) -> tuple[type[Exception], ...]:
        from lexflow.transport.errors import NotFound

        return (NotFound,)

    # webhooks (the receiver's re-fetch) ------------------------------------------------------------------------
    def for_tenant(self, tenant: str) -> QuickBooksAdapter:
        """A connection is one company: another realm's event must not be read from this one (ids are per realm)."""
        from lexflow.core.errors import TenantNotConnected

        if tenant != self.client.realm_id:
            raise TenantNotConnected(self.capabilities.display_name, tenant, self.client.realm_id)
        return self

    # customers -------------------------------------------------------------------------------------------------
    def create_customer(self, draft: CustomerDraft) -> Customer:
        """The e-mail is the business key: a customer with it (inactive ones too) is returned, not created again."""
        from lexflow.quickbooks.client import DuplicateName
        from lexflow.quickbooks.models import CustomerInput

        if draft.email:
            found = self.client.find_customers(email=draft.email, include_inactive=True)
            if found:
                return self._customer(found[0])
        a = draft.address
        body = CustomerInput.model_validate(
            {
                "DisplayName": draft.name.replace(":", " "),
                "CompanyName": draft.name[:100] if draft.kind == "company" else None,
                "PrimaryEmailAddr": {"Address": draft.email} if draft.email else None,
                "PrimaryPhone": {"FreeFormNumber": draft.phone} if draft.phone else None,
                "BillAddr": {"Line1": a.street, "City": a.city, "PostalCode": a.zip, "Country": a.country_code}
                if a
                else None,
                "Notes": draft.note,
                "PrimaryTaxIdentifier": draft.vat_id,
            }
        )
        try:
            made = self.client.create_customer(body, business_key=f"customer:{(draft.email or draft.name).lower()}")
        except DuplicateName:
            raise InvalidRecord(
                "name",
                f"{draft.name!r} is already used by another customer, vendor or employee in QuickBooks (inactive "
                "ones included). Use a distinguishing name, e.g. with the city.",
            ) from None
        return self._customer(made)

    def get_customer(self, id: str) -> Customer:
        with self._found("customer", id):
            return self._customer(self.client.get_customer(id))

    def search_customers(self, *, name: str | None = None, email: str | None = None) -> list[Customer]:
        found = self.client.find_customers(name_contains=name, email=email) if (name or email) else []
        if name and email:  # both given: those that match both (QuickBooks has no OR, and this is an AND)
            emails = {c.Id for c in self.client.find_customers(email=email)}
            found = [c for c in self.client.find_customers(name_contains=name) if c.Id in emails]
        return [self._customer(c) for c in found]

    def _customer(self, c: qm.Customer) -> Customer:
        a = c.BillAddr
        address = None
        if a and (a.Line1 or a.City or a.PostalCode):
            country = (a.Country or "").upper()
            address = Address(
                street=a.Line1, zip=a.PostalCode, city=a.City, country_code=country if len(country) == 2 else "DE"
            )
        extra = c.model_extra or {}
        return Customer(
            provider=self.name,
            id=c.Id,
            name=c.DisplayName,
            kind="company" if c.CompanyName else "person",
            emails=[c.PrimaryEmailAddr.Address] if c.PrimaryEmailAddr else [],
            phone=(extra.get("PrimaryPhone") or {}).get("FreeFormNumber"),
            address=address,
            vat_id=extra.get("PrimaryTaxIdentifier"),
            version=c.SyncToken,
        )

    # invoices --------------------------------------------------------------------------------------------------
    def _invoice_body(self, draft: InvoiceDraft) -> qm.InvoiceInput:
        from lexflow.quickbooks.models import InvoiceInput

        self.capabilities.require_currency(draft.currency)
        if not ID.match(draft.customer_id):
            raise InvalidRecord("customer_id", f"{draft.customer_id!r} is not a QuickBooks customer id (digits).")
        issued = draft.issue_date or date.today()
        lines = []
        for line in draft.lines:
            tax = self.tax.resolve(line.tax)
            lines.append(
                {
                    "Description": "\n".join(x for x in (line.name, line.description) if x),
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": "1"},
                        "Qty": line.quantity,
                        "UnitPrice": line.unit_price,
                        "TaxCodeRef": {"value": tax.code},
                    },
                }
            )
        note = "\n".join(x for x in (f"{REFERENCE}{draft.reference}" if draft.reference else None,) if x)
        return InvoiceInput.model_validate(
            {
                "CustomerRef": {"value": draft.customer_id},
                "Line": lines,
                "TxnDate": issued,
                "ShipDate": draft.service_date,
                "DueDate": issued + timedelta(days=draft.payment_term_days)
                if draft.payment_term_days is not None
                else None,
                "CustomerMemo": {"value": draft.note} if draft.note else None,
                "PrivateNote": note or None,
                "GlobalTaxCalculation": "TaxInclusive" if draft.prices_include_tax else "TaxExcluded",
                "CurrencyRef": {"value": draft.currency},
            }
        )

    def create_invoice(self, draft: InvoiceDraft) -> Invoice:
        """Final at once (QuickBooks has no drafts). The reference is the business key (→ `requestid`)."""
        body = self._invoice_body(draft)  # bad input first (it names the field), then what the API cannot
        if not draft.finalize:
            self.capabilities.require("drafts")
        key = f"invoice:{draft.reference}" if draft.reference else f"invoice:{uuid.uuid4()}"
        made = self.client.create_invoice(body, business_key=key)
        return self._invoice(made)

    def find_invoice(self, reference: str, customer_id: str | None = None) -> Invoice | None:
        from lexflow.quickbooks.client import Select

        since = (date.today() - timedelta(days=7)).isoformat() + "T00:00:00Z"
        s = Select("Invoice").where("MetaData.CreateTime", ">=", since)
        if customer_id:
            s.where("CustomerRef", "=", customer_id)
        for row in self.client.query_all(s):
            if _reference_of(row.get("PrivateNote")) == reference:
                return self.get_invoice(str(row["Id"]))
        return None

    def get_invoice(self, id: str) -> Invoice:
        with self._found("invoice", id):
            return self._invoice(self.client.get_invoice(id))

    def _invoice(self, inv: qm.Invoice) -> Invoice:
        currency = ((inv.model_extra or {}).get("CurrencyRef") or {}).get("value") or "EUR"
        tax = _tax_total(inv)
        inclusive = (inv.model_extra or {}).get("GlobalTaxCalculation") == "TaxInclusive"
        lines = []
        for line in inv.Line:
            detail = line.get("SalesItemLineDetail")
            if line.get("DetailType") != "SalesItemLineDetail" or not detail:
                continue
            code = str((detail.get("TaxCodeRef") or {}).get("value", ""))
            name, _, description = str(line.get("Description") or "").partition("\n")
            lines.append(
                InvoiceLine(
                    name=name,
                    description=description or None,
                    quantity=Decimal(str(detail.get("Qty", 1))),
                    unit_price=Money(amount=Decimal(str(detail.get("UnitPrice", line["Amount"]))), currency=currency),
                    tax=self._tax_of(code),
                    line_total=Money(amount=Decimal(str(line["Amount"])), currency=currency),
                )
            )
        summary = self._summary(inv)
        return Invoice(
            **summary.model_dump(exclude={"overdue"}),
            lines=lines,
            prices_include_tax=inclusive,
            total_net=Money(amount=inv.TotalAmt - tax, currency=currency) if tax is not None else None,
            total_tax=Money(amount=tax, currency=currency) if tax is not None else None,
            reference=_reference_of(inv.PrivateNote),
        )

    def _tax_of(self, code: str) -> TaxRef:
        try:
            return self.tax.resolve(code)
        except UnknownTaxCode:
            return TaxRef(code=code or "NON")

    def _summary(self, inv: qm.Invoice) -> InvoiceSummary:
        currency = ((inv.model_extra or {}).get("CurrencyRef") or {}).get("value") or "EUR"
        status = status_of(inv.TotalAmt, inv.Balance, inv.PrivateNote)
        return InvoiceSummary(
            provider=self.name,
            id=inv.Id,
            number=inv.DocNumber,
            customer_id=inv.CustomerRef.value,
            customer_name=inv.CustomerRef.name,
            issue_date=inv.TxnDate,
            due_date=inv.DueDate,
            currency=currency,
            total_gross=Money(amount=inv.TotalAmt, currency=currency),
            open_amount=Money(amount=inv.Balance, currency=currency),
            status=status,
            provider_status=f"Balance {inv.Balance} of {inv.TotalAmt}" + (", voided" if status == "void" else ""),
            version=inv.SyncToken,
        )

    def list_invoices(
        self,
        statuses: list[StatusFilter] | None = None,
        *,
        customer_id: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> Iterator[InvoiceSummary]:
        from lexflow.quickbooks.client import Select
        from lexflow.quickbooks.models import Invoice as QInvoice

        wanted = list(dict.fromkeys(statuses or []))
        if wanted and set(wanted) <= {"draft", "awaiting_approval"}:
            return  # QuickBooks has neither: drafts and approvals live in lexflow
        s = Select("Invoice")
        if wanted and set(wanted) <= {"open", "partially_paid", "overdue"}:
            s.where("Balance", ">", 0)  # unpaid only: let QuickBooks filter
        if customer_id:
            s.where("CustomerRef", "=", customer_id)
        if issued_from:
            s.where("TxnDate", ">=", issued_from)
        if issued_to:
            s.where("TxnDate", "<=", issued_to)
        today = date.today()
        for row in self.client.query_all(s.order_by("TxnDate", descending=True)):
            summary = self._summary(QInvoice.model_validate(row))
            if not wanted or any(summary.matches(w, today) for w in wanted):
                yield summary

    def update_invoice(self, id: str, draft: InvoiceDraft) -> Invoice:
        """A sparse update with the draft's lines, dates and notes; fields the draft does not carry stay."""
        body = self._invoice_body(draft)
        with self._found("invoice", id):
            changed = self.client.update_invoice(id, body, business_key=f"invoice-update:{draft.reference or id}")
        return self._invoice(changed)

    # payments --------------------------------------------------------------------------------------------------
    def record_payment(self, payment: PaymentDraft) -> Payment:
        """A QuickBooks Payment linked to the invoice; the bank line (or reference) is the business key."""
        self.capabilities.require_currency(payment.currency)
        key = payment.reference or payment.bank_transaction_id
        if key:
            found = self.find_payment(key, payment.invoice_id)
            if found is not None:
                return found
        business_key = f"payment:{key}" if key else f"payment:{payment.invoice_id}:{uuid.uuid4()}"
        with self._found("invoice", payment.invoice_id):
            made = self.client.mark_paid(
                payment.invoice_id,
                business_key=business_key,
                amount=payment.amount,
                on=payment.paid_on,
                reference=payment_ref_num(key) if key else None,
                deposit_to=payment.account_ref,
            )
        return self._payment(made, payment.invoice_id, payment.currency, payment.bank_transaction_id)

    def find_payment(self, reference: str, invoice_id: str) -> Payment | None:
        """The customer's payment linked to the invoice whose `PaymentRefNum` carries the business key (the field
        cannot be queried: the customer's payments are read and compared)."""
        from lexflow.quickbooks.client import Select
        from lexflow.quickbooks.models import Payment as QboPayment

        with self._found("invoice", invoice_id):
            invoice = self.client.get_invoice(invoice_id)
        wanted = payment_ref_num(reference)
        rows = self.client.query(Select("Payment").where("CustomerRef", "=", invoice.CustomerRef.value))
        for row in rows:
            made = QboPayment.model_validate(row)
            linked = any(t.TxnId == invoice_id for line in made.Line for t in line.LinkedTxn)
            if linked and (made.model_extra or {}).get("PaymentRefNum") == wanted:
                currency = ((made.model_extra or {}).get("CurrencyRef") or {}).get("value") or "EUR"
                return self._payment(made, invoice_id, currency, None)
        return None

    def _payment(self, made: qm.Payment, invoice_id: str, currency: str, bank_line: str | None) -> Payment:
        return Payment(
            provider=self.name,
            id=made.Id,
            invoice_id=invoice_id,
            amount=Money(amount=made.TotalAmt, currency=currency),
            paid_on=made.TxnDate,
            kind="Payment",
            bank_transaction_id=bank_line,
        )

    # expenses --------------------------------------------------------------------------------------------------
    def _account_id(self, category: str) -> str:
        from lexflow.quickbooks.client import Select

        rows = self.client.query(Select("Account").where("AccountType", "=", "Expense"))
        for row in rows:
            if category in (row["Id"], row["Name"]) or str(row["Name"]).casefold() == category.casefold():
                return str(row["Id"])
        names = ", ".join(str(r["Name"]) for r in rows)
        raise InvalidRecord(
            "items.category", f"{category!r} is not an expense account in QuickBooks. Use one of: {names}."
        )

    def _vendor_id(self, draft: ExpenseDraft) -> str:
        from lexflow.quickbooks.models import VendorInput

        if draft.supplier_id:
            return draft.supplier_id
        name = str(draft.supplier_name)
        found = self.client.find_vendor(name)
        if found:
            return found.Id
        return self.client.create_vendor(VendorInput(DisplayName=name), business_key=f"vendor:{name.lower()}").Id

    def create_expense(self, draft: ExpenseDraft) -> Expense:
        """A Bill (payable) with the receipt attached. The supplier's number is the business key: a bill with it
        from the same vendor is returned, and the upload's `requestid` attaches the receipt once."""
        from lexflow.quickbooks.models import BillInput

        self.capabilities.require_currency(draft.currency)
        if len(draft.number) > 21:
            raise InvalidRecord("number", "QuickBooks keeps at most 21 characters of a bill number (DocNumber).")
        vendor_id = self._vendor_id(draft)
        key = f"expense:{vendor_id}:{draft.number}"
        existing = self.client.find_bills(doc_number=draft.number, vendor_id=vendor_id)
        if existing:
            bill = existing[0]
        else:
            lines = [
                {
                    "Amount": item.amount,
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": self._account_id(item.category)},
                        "TaxCodeRef": {"value": self.tax.resolve(item.tax).code},
                    },
                }
                for item in draft.items
            ]
            body = BillInput.model_validate(
                {
                    "VendorRef": {"value": vendor_id},
                    "Line": lines,
                    "TxnDate": draft.issue_date,
                    "DueDate": draft.due_date,
                    "DocNumber": draft.number,
                    "PrivateNote": draft.note,
                }
            )
            payload_tax = "TaxInclusive" if draft.prices_include_tax else "TaxExcluded"
            bill = self.client.create_bill(body, business_key=key, tax_calculation=payload_tax)
        kind = "application/pdf" if draft.receipt.filename.lower().endswith(".pdf") else "image/jpeg"
        attached = self.client.upload_attachment(
            "Bill", bill.Id, draft.receipt.filename, draft.receipt.content, kind, business_key=key
        )
        return self._expense(bill, [attached.Id])

    def _expense(self, bill: qm.Bill, receipts: list[str] | None = None) -> Expense:
        currency = ((bill.model_extra or {}).get("CurrencyRef") or {}).get("value") or "EUR"
        tax = _tax_total(bill)
        items = []
        for line in bill.Line:
            detail = line.get("AccountBasedExpenseLineDetail") or {}
            code = str((detail.get("TaxCodeRef") or {}).get("value", ""))
            items.append(
                ExpenseItem(
                    amount=Money(amount=Decimal(str(line["Amount"])), currency=currency),
                    tax=self._tax_of(code),
                    category=(detail.get("AccountRef") or {}).get("name"),
                )
            )
        paid = bill.Balance <= 0 and bill.TotalAmt > 0
        return Expense(
            provider=self.name,
            id=bill.Id,
            number=bill.DocNumber,
            supplier_id=bill.VendorRef.value,
            supplier_name=bill.VendorRef.name,
            issue_date=bill.TxnDate,
            due_date=bill.DueDate,
            total_gross=Money(amount=bill.TotalAmt, currency=currency),
            total_tax=Money(amount=tax, currency=currency) if tax is not None else None,
            open_amount=Money(amount=bill.Balance, currency=currency),
            status="paid" if paid else "open",
            provider_status=f"Balance {bill.Balance} of {bill.TotalAmt}",
            items=items,
            receipt_ids=receipts or [],
        )

    def list_expenses(
        self, *, issued_from: date | None = None, issued_to: date | None = None, supplier_id: str | None = None
    ) -> Iterator[Expense]:
        for bill in self.client.find_bills(vendor_id=supplier_id, txn_from=issued_from, txn_to=issued_to):
            yield self._expense(bill)

    # customers + invoice flows ---------------------------------------------------------------------------------
    def list_customers(self) -> Iterator[Customer]:
        from lexflow.quickbooks.client import Select
        from lexflow.quickbooks.models import Customer as QCustomer

        for row in self.client.query_all(Select("Customer")):
            yield self._customer(QCustomer.model_validate(row))

    def update_customer(self, id: str, update: CustomerUpdate) -> Customer:
        """A sparse update (only the given fields; QuickBooks keeps one primary e-mail, so a new one replaces it),
        with the current SyncToken; the change itself is the `requestid`'s business key."""
        import hashlib

        from lexflow.quickbooks.models import CustomerInput

        a = update.address
        changes = CustomerInput.model_validate(
            {
                "PrimaryEmailAddr": {"Address": update.email} if update.email else None,
                "PrimaryPhone": {"FreeFormNumber": update.phone} if update.phone else None,
                "BillAddr": {"Line1": a.street, "City": a.city, "PostalCode": a.zip, "Country": a.country_code}
                if a
                else None,
                "Notes": update.note,
                "PrimaryTaxIdentifier": update.vat_id,
            }
        )
        digest = hashlib.sha256(update.model_dump_json().encode()).hexdigest()[:16]
        with self._found("customer", id):
            return self._customer(self.client.update_customer(id, changes, business_key=f"customer:{id}:{digest}"))

    # history sync and dunning (F2b) ----------------------------------------------------------------------------
    def changes_since(self, cursor: str | None) -> Iterator[ChangePage]:
        """Change data capture: one `GET /cdc` for customers, invoices, credit memos and bills changed since the
        cursor (Unix seconds). CDC reaches 30 days back and returns at most 1,000 records per entity, so a first
        run, an older cursor or a full entity is listed with the query endpoint instead (1,000 a page). The next
        cursor is this run's start less a minute (changes made meanwhile come again next time, stored once)."""
        from datetime import UTC, datetime

        next_cursor = str(int(time.time()) - self.cursor_margin)
        since = datetime.fromtimestamp(int(cursor), UTC) if cursor else None
        fresh = since is not None and datetime.now(UTC) - since < timedelta(days=CDC_DAYS)
        changed = self.client.changes(list(SYNCED), since) if fresh and since is not None else {}
        for entity, kind in SYNCED.items():
            rows = changed.get(entity)
            if rows is not None and len(rows) < CDC_MAX:
                pages: Iterator[list[dict[str, Any]]] = iter([rows])
            else:  # no cursor, too old for CDC, or CDC's cap reached: query what changed (everything without one)
                pages = self._query_pages(entity, since)
            for page in pages:
                if kind == "contacts":
                    yield ChangePage(kind="contacts", contacts=[_contact_row(r) for r in page])
                else:
                    yield ChangePage(kind="documents", documents=[_document_row(kind, r) for r in page])
        yield ChangePage(kind="documents", cursor=next_cursor)

    def _query_pages(self, entity: str, since: Any) -> Iterator[list[dict[str, Any]]]:
        from lexflow.quickbooks.client import Select

        s = Select(entity)
        if since is not None:
            s.where("MetaData.LastUpdatedTime", ">=", since.strftime("%Y-%m-%dT%H:%M:%SZ"))
        start = 1
        while True:
            rows = self.client.query(s, start, CDC_MAX)
            yield rows
            if len(rows) < CDC_MAX:
                return
            start += CDC_MAX

    def invoice_pdf(self, id: str) -> bytes:
        with self._found("invoice", id):
            return self.client.invoice_pdf(id)

    # cancellation (C) --------------------------------------------------------------------------------------------
    def find_cancellation(self, invoice_id: str) -> Cancellation | None:
        invoice = self.get_invoice(invoice_id)
        return self._cancellation(invoice) if invoice.status == "void" else None

    def cancel_invoice(self, invoice_id: str, reason: str) -> Cancellation:
        """Void (`operation=void`: amounts zeroed, record and number kept). The request id derives from the invoice,
        so a retried void is the same request; `reason` is lexflow's only (a void takes no text)."""
        invoice = self.get_invoice(invoice_id)
        if invoice.status == "void":
            return self._cancellation(invoice)
        self.client.void_invoice(invoice_id, f"cancel-invoice:{invoice_id}")
        return self._cancellation(self.get_invoice(invoice_id))

    def _cancellation(self, invoice: Invoice) -> Cancellation:
        return Cancellation(provider=self.name, invoice_id=invoice.id, method="void", invoice_status=invoice.status)


CDC_DAYS, CDC_MAX = 30, 1000
"""Change data capture reaches 30 days back and returns at most 1,000 records per entity (docs/quickbooks.md)."""
SYNCED = {"Customer": "contacts", "Invoice": "invoice", "CreditMemo": "creditnote", "Bill": "purchaseinvoice"}
"""The entities the history sync keeps, and their row type."""


def _contact_row(c: dict[str, Any]) -> ContactRow:
    deleted = c.get("status") == "Deleted"
    return ContactRow(
        id=str(c["Id"]),
        name=c.get("DisplayName") or "",
        email=(c.get("PrimaryEmailAddr") or {}).get("Address"),
        version=int(c["SyncToken"]) if str(c.get("SyncToken", "")).isdigit() else None,
        archived=deleted or (c.get("Active") is False),
        data=c,
    )


def _document_row(kind: str, d: dict[str, Any]) -> DocumentRow:
    """An invoice, credit memo or bill as CDC or a query returns it (whole); a deleted one is its id only."""
    ref = d.get("CustomerRef") or d.get("VendorRef") or {}
    total, balance = d.get("TotalAmt"), d.get("Balance")
    meta = d.get("MetaData") or {}
    return DocumentRow(
        id=str(d["Id"]),
        type=kind,
        status=d.get("status"),
        number=d.get("DocNumber"),
        date=d.get("TxnDate"),
        due_date=d.get("DueDate"),
        updated=meta.get("LastUpdatedTime") or d.get("SyncToken"),
        contact_id=ref.get("value"),
        contact_name=ref.get("name"),
        total=Decimal(str(total)) if total is not None else None,
        open_amount=Decimal(str(balance)) if balance is not None else None,
        deleted=d.get("status") == "Deleted",
        complete=True,
        data=d,
    )
