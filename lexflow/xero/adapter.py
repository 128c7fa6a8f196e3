"""Xero behind the neutral `Provider` interface, over `lexflow.xero.client.XeroClient` (one organisation).

Sales invoices are `ACCREC` invoices whose `Reference` carries lexflow's business key; expenses are bills (`ACCPAY`)
keyed by the supplier's invoice number, with the receipt attached; "mark paid" records a Payment. Tax keys
(`standard`, `reduced`, `zero`) are resolved against the organisation's own tax rates, because Xero's TaxType codes
differ per region and organisation. Facts: docs/xero.md.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from lexflow.core.changes import ChangePage, ContactRow, DocumentRow
from lexflow.core.errors import InvalidRecord, NotCancellable, UnknownTaxCode
from lexflow.core.models import (
    Address,
    BankTransaction,
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
from lexflow.xero import models as xm
from lexflow.xero.capabilities import CAPABILITIES
from lexflow.xero.client import XeroClient
from lexflow.xero.errors import XeroNotFound, XeroValidationError

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Xero status → neutral status (AUTHORISED with a payment is partially paid; DELETED counts as void).
_STATUS: dict[str, DocumentStatus] = {
    "DRAFT": "draft",
    "SUBMITTED": "awaiting_approval",
    "AUTHORISED": "open",
    "PAID": "paid",
    "VOIDED": "void",
    "DELETED": "void",
}
_QUERY: dict[str, tuple[str, ...]] = {
    "draft": ("DRAFT",),
    "awaiting_approval": ("SUBMITTED",),
    "open": ("AUTHORISED",),
    "partially_paid": ("AUTHORISED",),
    "overdue": ("AUTHORISED",),
    "paid": ("PAID",),
    "void": ("VOIDED",),
}


def normalise_status(raw: str | None, total: Decimal | None, due: Decimal | None) -> DocumentStatus:
    status = _STATUS.get(raw or "", "open")
    if status == "open" and total is not None and due is not None and 0 < due < total:
        return "partially_paid"
    return status


def tax_mapping(rates: list[xm.TaxRate]) -> TaxMapping:
    """lexflow's tax keys from the organisation's own sales tax rates: the highest rate is `standard`, the next
    lower positive one `reduced`, a zero rate `zero`. Every code of the organisation is accepted as it is."""
    active = [r for r in rates if (r.status or "ACTIVE") == "ACTIVE"]
    codes = {r.tax_type: TaxRef(code=r.tax_type, rate=r.effective_rate, label=r.name) for r in active}
    sales = sorted((r for r in active if r.can_apply_to_revenue), key=lambda r: -r.effective_rate)
    positive = sorted({r.effective_rate for r in sales if r.effective_rate > 0}, reverse=True)
    keys: dict[str, str] = {}
    if positive:
        keys["standard"] = next(r.tax_type for r in sales if r.effective_rate == positive[0])
    if len(positive) > 1:
        keys["reduced"] = next(r.tax_type for r in sales if r.effective_rate == positive[1])
    zero = [r.tax_type for r in sales if r.effective_rate == 0]
    if zero:
        keys["zero"] = next((c for c in zero if "ZERO" in c), zero[0])
    return TaxMapping(provider="Xero", keys=keys, codes=codes)


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency or "EUR")


class XeroAdapter(Provider):
    """One Xero organisation. The client brings OAuth, limits, retries and exactly-once creates."""

    id_format = GUID  # Xero ids are GUIDs

    capabilities = CAPABILITIES
    invoice_rounding = "line"  # each line's tax rounded, then summed (docs/xero.md)

    def __init__(
        self,
        client: XeroClient,
        *,
        sales_account: str = "200",
        bank_account: str = "090",
        tax: TaxMapping | None = None,
    ) -> None:
        self.client = client
        self.sales_account = sales_account
        self.bank_account = bank_account
        self._given_tax = tax
        self._rate_list: list[xm.TaxRate] | None = None

    def close(self) -> None:
        self.client.close()

    def add_call_listener(self, listener: Any) -> None:
        """The audit trail collects the HTTP calls of whatever `run()` was given, adapter or client."""
        self.client.add_call_listener(listener)

    # webhooks (the receiver's re-fetch) ------------------------------------------------------------------------
    def for_tenant(self, tenant: str) -> XeroAdapter:
        """One connection reaches every organisation that consented: a webhook's tenant gets its own client (its
        own limits, never mixed with this one's)."""
        if tenant.lower() == self.client.tenant_id.lower():
            return self
        return XeroAdapter(
            self.client.for_tenant(tenant),
            sales_account=self.sales_account,
            bank_account=self.bank_account,
            tax=self._given_tax,
        )

    @property
    def _rates(self) -> list[xm.TaxRate]:
        """The organisation's tax rates, read once on first use (not when the adapter is built)."""
        if self._rate_list is None:
            self._rate_list = self.client.tax_rates()
        return self._rate_list

    @property
    def tax(self) -> TaxMapping:
        """Built from the organisation's own tax rates on first use, unless one was given."""
        if self._given_tax is None:
            self._given_tax = tax_mapping(self._rates)
        return self._given_tax

    @tax.setter
    def tax(self, mapping: TaxMapping) -> None:
        self._given_tax = mapping

    def not_found_errors(self) -> tuple[type[Exception], ...]:
        return (XeroNotFound,)

    # customers -------------------------------------------------------------------------------------------------
    def create_customer(self, draft: CustomerDraft) -> Customer:
        if draft.email:  # the e-mail is the business key
            found = self.client.find_contacts(email=draft.email)
            if found:
                return self._customer(found[0])
        first = last = None
        if draft.kind == "person":
            parts = draft.name.split()
            first, last = " ".join(parts[:-1]) or None, parts[-1]
        a = draft.address
        contact = xm.Contact(
            name=draft.name.strip(),
            first_name=first,
            last_name=last,
            email_address=draft.email,
            tax_number=draft.vat_id,
            addresses=[
                xm.ContactAddress(address_line1=a.street, city=a.city, postal_code=a.zip, country=a.country_code)
            ]
            if a
            else None,
            phones=[xm.Phone(phone_number=draft.phone)] if draft.phone else None,
        )
        try:
            return self._customer(self.client.create_contact(contact))
        except XeroValidationError as exc:
            raise InvalidRecord("name", "; ".join(exc.messages) or str(exc)) from None

    def get_customer(self, id: str) -> Customer:
        with self._found("customer", id):
            return self._customer(self.client.get_contact(id))

    def search_customers(self, *, name: str | None = None, email: str | None = None) -> list[Customer]:
        if not name and not email:
            raise ValueError("search_customers needs a name or an e-mail")
        found = (
            self.client.find_contacts(email=email.strip())
            if email
            else self.client.find_contacts(search=(name or "").strip())
        )
        customers = [self._customer(c) for c in found]
        if name:
            needle = " ".join(name.split()).casefold()
            customers = [c for c in customers if needle in " ".join(c.name.split()).casefold()]
        return customers

    def _customer(self, c: xm.Contact) -> Customer:
        street = next((a for a in c.addresses or [] if a.address_type == "STREET" and a.address_line1), None)
        address = None
        if street is not None and street.country and len(street.country) == 2:
            address = Address(
                street=street.address_line1,
                zip=street.postal_code,
                city=street.city,
                country_code=street.country.upper(),
            )
        phone = next((p.phone_number for p in c.phones or [] if p.phone_number), None)
        return Customer(
            provider=self.name,
            id=c.contact_id or "",
            name=c.name,
            kind="person"
            if c.last_name and not c.tax_number and c.name == f"{c.first_name or ''} {c.last_name}".strip()
            else "company",
            emails=[c.email_address] if c.email_address else [],
            phone=phone,
            address=address,
            vat_id=c.tax_number,
            number=c.contact_number,
        )

    # invoices --------------------------------------------------------------------------------------------------
    def _lines(self, draft: InvoiceDraft) -> list[xm.LineItem]:
        return [
            xm.LineItem(
                description=line.name if not line.description else f"{line.name}\n{line.description}",
                quantity=line.quantity,
                unit_amount=line.unit_price,
                account_code=self.sales_account,
                tax_type=self.tax.resolve(line.tax).code,
            )
            for line in draft.lines
        ]

    def _body(self, draft: InvoiceDraft) -> xm.Invoice:
        if not GUID.match(draft.customer_id):
            raise InvalidRecord("customer_id", f"{draft.customer_id!r} is not a Xero ContactID (a GUID).")
        issued = draft.issue_date or date.today()
        terms = draft.payment_term_days if draft.payment_term_days is not None else (0 if draft.finalize else None)
        return xm.Invoice(
            type="ACCREC",
            contact=xm.ContactRef(contact_id=draft.customer_id),
            line_items=self._lines(draft),
            date=issued,
            due_date=issued + timedelta(days=terms) if terms is not None else None,
            line_amount_types="Inclusive" if draft.prices_include_tax else "Exclusive",
            reference=draft.reference,
            currency_code=draft.currency,
            status="AUTHORISED" if draft.finalize else "DRAFT",
        )

    def create_invoice(self, draft: InvoiceDraft) -> Invoice:
        """Exactly once per `reference`: an invoice already carrying it is returned; the create itself carries an
        Idempotency-Key from it. Without a reference, a fresh key still makes this one call's retries safe."""
        self.capabilities.require_currency(draft.currency)
        body = self._body(draft)
        if draft.reference:
            existing = self.find_invoice(draft.reference, draft.customer_id)
            if existing is not None:
                return existing
        key = draft.reference or f"lexflow-{uuid.uuid4()}"
        try:
            created = self.client.create_invoice(body, business_key=key)
        except XeroValidationError as exc:
            raise InvalidRecord("invoice", "; ".join(exc.messages) or str(exc)) from None
        return self._invoice(created)

    def find_invoice(self, reference: str, customer_id: str | None = None) -> Invoice | None:
        if customer_id is not None and not GUID.match(customer_id):
            return None
        found = self.client.find_invoice(reference, "ACCREC", customer_id)
        return self._invoice(found) if found else None

    def get_invoice(self, id: str) -> Invoice:
        with self._found("invoice", id):
            return self._invoice(self.client.get_invoice(id))

    def update_invoice(self, id: str, draft: InvoiceDraft) -> Invoice:
        """Drafts freely; an approved invoice until a payment is applied (Xero refuses after that)."""
        with self._found("invoice", id):
            current = self.client.get_invoice(id)
        body = self._body(draft).to_body()
        if current.status not in ("DRAFT", "SUBMITTED"):
            body.pop("Status", None)  # an update never moves an approved invoice back
        try:
            return self._invoice(self.client.update_invoice(id, **body))
        except XeroValidationError as exc:
            raise InvalidRecord("invoice", "; ".join(exc.messages) or str(exc)) from None

    def _tax_ref(self, code: str | None) -> TaxRef:
        try:
            return self.tax.resolve(code or "NONE")
        except UnknownTaxCode:
            return TaxRef(code=code or "NONE")

    def _invoice(self, inv: xm.Invoice) -> Invoice:
        currency = inv.currency_code or "EUR"
        lines = [
            InvoiceLine(
                name=(li.description or "").split("\n", 1)[0] or "-",
                description=(li.description or "").split("\n", 1)[1] if "\n" in (li.description or "") else None,
                quantity=li.quantity,
                unit_price=Money(amount=li.unit_amount or Decimal(0), currency=currency),
                tax=self._tax_ref(li.tax_type),
                line_total=_money(li.line_amount, currency),
            )
            for li in inv.line_items
        ]
        draft = inv.status in ("DRAFT", "SUBMITTED")
        return Invoice(
            provider=self.name,
            id=inv.invoice_id or "",
            number=inv.invoice_number,
            customer_id=inv.contact.contact_id,
            customer_name=inv.contact.name,
            issue_date=inv.date,
            due_date=inv.due_date,
            currency=currency,
            total_gross=_money(inv.total, currency),
            open_amount=None if draft else _money(inv.amount_due, currency),
            status=normalise_status(inv.status, inv.total, inv.amount_due),
            provider_status=inv.status or "",
            lines=lines,
            prices_include_tax=inv.line_amount_types == "Inclusive",
            total_net=_money(inv.sub_total, currency),
            total_tax=_money(inv.total_tax, currency),
            reference=inv.reference,
        )

    def list_invoices(
        self,
        statuses: list[StatusFilter] | None = None,
        *,
        customer_id: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> Iterator[InvoiceSummary]:
        wanted = list(dict.fromkeys(statuses or []))
        query = sorted({s for w in wanted for s in _QUERY[w]}) if wanted else None
        where = ['Type=="ACCREC"']
        if issued_from:
            where.append(f"Date >= DateTime({issued_from.year}, {issued_from.month}, {issued_from.day})")
        if issued_to:
            where.append(f"Date <= DateTime({issued_to.year}, {issued_to.month}, {issued_to.day})")
        today = date.today()
        for inv in self.client.list_invoices(
            statuses=query, where=" AND ".join(where), contact_ids=[customer_id] if customer_id else None
        ):
            summary = self._invoice(inv)
            if not wanted or any(summary.matches(w, today) for w in wanted):
                yield summary

    # payments --------------------------------------------------------------------------------------------------
    def record_payment(self, payment: PaymentDraft) -> Payment:
        """A Payment against the invoice: Xero makes it part-paid or PAID. `reference` (e.g. the bank line) is the
        business key, so it is recorded at most once."""
        with self._found("invoice", payment.invoice_id):
            invoice = self.client.get_invoice(payment.invoice_id)
        if (invoice.currency_code or "EUR") != payment.currency:
            raise InvalidRecord(
                "currency", f"the invoice is in {invoice.currency_code}, the payment in {payment.currency}"
            )
        if payment.reference:
            found = self.find_payment(payment.reference, payment.invoice_id)
            if found is not None:
                return found
        key = payment.reference or payment.bank_transaction_id or f"lexflow-{uuid.uuid4()}"
        try:
            made = self.client.create_payment(
                xm.Payment(
                    invoice=xm.InvoiceRef(invoice_id=payment.invoice_id),
                    account=xm.AccountRef(code=payment.account_ref or self.bank_account),
                    amount=payment.amount,
                    date=payment.paid_on,
                ),
                business_key=key,
            )
        except XeroValidationError as exc:
            raise InvalidRecord("payment", "; ".join(exc.messages) or str(exc)) from None
        return Payment(
            provider=self.name,
            id=made.payment_id,
            invoice_id=payment.invoice_id,
            amount=Money(amount=made.amount, currency=payment.currency),
            paid_on=made.date,
            kind=made.payment_type,
            bank_transaction_id=payment.bank_transaction_id,
        )

    def find_payment(self, reference: str, invoice_id: str) -> Payment | None:
        """The payment whose `Reference` is the business key (the create writes it there), on this invoice."""
        with self._found("invoice", invoice_id):
            made = self.client.find_payment(reference)
        if made is None or made.invoice.invoice_id != invoice_id:
            return None
        return Payment(
            provider=self.name,
            id=made.payment_id,
            invoice_id=invoice_id,
            amount=Money(amount=made.amount, currency=made.invoice.currency_code or "EUR"),
            paid_on=made.date,
            kind=made.payment_type,
        )

    # expenses --------------------------------------------------------------------------------------------------
    def _purchase_code(self, given: str) -> str:
        """The purchase rate matching a sales key's rate (Xero separates output and input tax codes)."""
        ref = self.tax.resolve(given)
        rate = next((r for r in self._rates if r.tax_type == ref.code), None)
        if rate is not None and rate.can_apply_to_expenses:
            return rate.tax_type
        match = next((r for r in self._rates if r.can_apply_to_expenses and r.effective_rate == ref.rate), None)
        return match.tax_type if match else ref.code

    def _account(self, category: str) -> str:
        accounts = self.client.accounts()
        for acc in accounts:
            if acc.type in ("EXPENSE", "DIRECTCOSTS", "OVERHEADS") and category.strip().casefold() in (
                (acc.code or "").casefold(),
                acc.name.casefold(),
            ):
                return acc.code or ""
        names = ", ".join(sorted(a.name for a in accounts if a.type in ("EXPENSE", "DIRECTCOSTS", "OVERHEADS")))
        raise InvalidRecord("items.category", f"{category!r} is not an expense account in Xero. Use one of: {names}.")

    def create_expense(self, draft: ExpenseDraft) -> Expense:
        """A bill (ACCPAY) keyed by the supplier's invoice number, approved, with the receipt attached once."""
        self.capabilities.require_currency(draft.currency)
        existing = self.client.find_invoice(draft.number, "ACCPAY", draft.supplier_id)
        if existing is None:
            bill = xm.Invoice(
                type="ACCPAY",
                contact=xm.ContactRef(contact_id=draft.supplier_id)
                if draft.supplier_id
                else xm.ContactRef(name=draft.supplier_name),
                date=draft.issue_date,
                due_date=draft.due_date or draft.issue_date,
                invoice_number=draft.number,
                line_amount_types="Inclusive" if draft.prices_include_tax else "Exclusive",
                currency_code=draft.currency,
                status="AUTHORISED",
                line_items=[
                    xm.LineItem(
                        description=draft.note or item.category,
                        unit_amount=item.amount,
                        account_code=self._account(item.category),
                        tax_type=self._purchase_code(item.tax),
                    )
                    for item in draft.items
                ],
            )
            try:
                existing = self.client.create_invoice(bill, business_key=draft.number)
            except XeroValidationError as exc:
                raise InvalidRecord("expense", "; ".join(exc.messages) or str(exc)) from None
        bill_id = existing.invoice_id or ""
        if not existing.has_attachments:
            self.client.attach(
                "Invoices",
                bill_id,
                draft.receipt.filename,
                draft.receipt.content,
                "application/pdf" if draft.receipt.filename.lower().endswith(".pdf") else "application/octet-stream",
            )
        return self._expense(self.client.get_invoice(bill_id))

    def _expense(self, bill: xm.Invoice) -> Expense:
        currency = bill.currency_code or "EUR"
        receipts: list[str] = []
        if bill.has_attachments and bill.invoice_id:
            answer = self.client.request("GET", f"/Invoices/{bill.invoice_id}/Attachments")
            receipts = [a["AttachmentID"] for a in answer["Attachments"]]
        return Expense(
            provider=self.name,
            id=bill.invoice_id or "",
            number=bill.invoice_number,
            supplier_id=bill.contact.contact_id,
            supplier_name=bill.contact.name,
            issue_date=bill.date,
            due_date=bill.due_date,
            total_gross=_money(bill.total, currency),
            total_tax=_money(bill.total_tax, currency),
            open_amount=_money(bill.amount_due, currency),
            status=normalise_status(bill.status, bill.total, bill.amount_due),
            provider_status=bill.status or "",
            items=[
                ExpenseItem(
                    amount=Money(amount=li.line_amount or Decimal(0), currency=currency),
                    tax_amount=_money(li.tax_amount, currency),
                    tax=self._tax_ref(li.tax_type),
                    category=li.account_code,
                )
                for li in bill.line_items
            ],
            receipt_ids=receipts,
        )

    def list_expenses(
        self, *, issued_from: date | None = None, issued_to: date | None = None, supplier_id: str | None = None
    ) -> Iterator[Expense]:
        where = ['Type=="ACCPAY"']
        if issued_from:
            where.append(f"Date >= DateTime({issued_from.year}, {issued_from.month}, {issued_from.day})")
        if issued_to:
            where.append(f"Date <= DateTime({issued_to.year}, {issued_to.month}, {issued_to.day})")
        for bill in self.client.list_invoices(
            where=" AND ".join(where), contact_ids=[supplier_id] if supplier_id else None
        ):
            yield self._expense(bill.model_copy(update={"has_attachments": False}))

    # bank ------------------------------------------------------------------------------------------------------
    def get_bank_transaction(self, id: str) -> BankTransaction:
        """A spend/receive record made in Xero, or an invoice payment (money on a bank account too); the bank
        feed's statement lines are not in the API."""
        with self._found("bank transaction", id):
            try:
                return self._bank(self.client.get_bank_transaction(id))
            except XeroNotFound:
                return self._payment_line(self.client.get_payment(id))

    def list_bank_transactions(
        self, *, booked_from: date | None = None, booked_to: date | None = None, account_ref: str | None = None
    ) -> Iterator[BankTransaction]:
        """Spend/receive records and invoice payments (Xero keeps them apart; both moved money on a bank account)."""
        where = ['Status=="AUTHORISED"']
        if booked_from:
            where.append(f"Date >= DateTime({booked_from.year}, {booked_from.month}, {booked_from.day})")
        if booked_to:
            where.append(f"Date <= DateTime({booked_to.year}, {booked_to.month}, {booked_to.day})")
        lines = [self._bank(bt) for bt in self.client.list_bank_transactions(where=" AND ".join(where))]
        lines += [self._payment_line(p) for p in self.client.list_payments(where=" AND ".join(where))]
        for line in sorted(lines, key=lambda t: t.booking_date):
            if account_ref is None or line.account_ref == account_ref:
                yield line

    def _bank(self, bt: xm.BankTransaction) -> BankTransaction:
        total = bt.total or Decimal(0)
        signed = total if bt.type.startswith("RECEIVE") else -total
        return BankTransaction(
            provider=self.name,
            id=bt.bank_transaction_id or "",
            account_ref=bt.bank_account.code,
            booking_date=bt.date or date.today(),
            amount=Money(amount=signed, currency=bt.currency_code or "EUR"),
            counterparty_name=bt.contact.name if bt.contact else None,
            remittance=bt.reference or "",
            status=bt.status,
        )

    def _payment_line(self, p: xm.Payment) -> BankTransaction:
        incoming = (p.payment_type or "ACCRECPAYMENT").startswith("ACCREC") or p.payment_type == "ARCREDITPAYMENT"
        return BankTransaction(
            provider=self.name,
            id=p.payment_id or "",
            account_ref=p.account.code,
            booking_date=p.date or date.today(),
            amount=Money(amount=p.amount if incoming else -p.amount, currency=p.invoice.currency_code or "EUR"),
            counterparty_name=p.invoice.contact.name if p.invoice.contact else None,
            remittance=p.reference or "",
            status=f"payment {p.status or ''}".strip(),
        )

    # customers + invoice flows ---------------------------------------------------------------------------------
    def list_customers(self) -> Iterator[Customer]:
        """Every active contact (Xero marks a contact a customer only once it has a sales document)."""
        for contact in self.client.find_contacts():
            yield self._customer(contact)

    def update_customer(self, id: str, update: CustomerUpdate) -> Customer:
        """Xero keeps one e-mail per contact: a new one replaces it. Last writer wins (no version token)."""
        with self._found("customer", id):
            current = self.client.get_contact(id)
        a = update.address
        change = xm.Contact(
            name=current.name,
            email_address=update.email,
            tax_number=update.vat_id,
            phones=[xm.Phone(phone_number=update.phone)] if update.phone else None,
            addresses=[
                xm.ContactAddress(address_line1=a.street, city=a.city, postal_code=a.zip, country=a.country_code)
            ]
            if a
            else None,
        ).to_body()
        if len(change) == 1:  # only the name: nothing to change
            return self._customer(current)
        try:
            return self._customer(self.client.update_contact(id, **change))
        except XeroValidationError as exc:
            raise InvalidRecord("customer", "; ".join(exc.messages) or str(exc)) from None

    # history sync and dunning (F2b) ----------------------------------------------------------------------------
    def changes_since(self, cursor: str | None) -> Iterator[ChangePage]:
        """Contacts, invoices (sales and bills) and credit notes with `If-Modified-Since` = the cursor (Unix
        seconds), 1,000 a page with their lines, so no detail reads. The next cursor is this run's start less a
        minute (changes made meanwhile are listed again next time; upserted, so stored once). Xero does not list a
        change that leaves the record's own `UpdatedDateUTC` alone (docs/xero.md#history-sync)."""
        next_cursor = str(int(time.time()) - self.cursor_margin)
        since = datetime.fromtimestamp(int(cursor), UTC) if cursor else None
        for rows in self.client.changed("Contacts", since):
            yield ChangePage(kind="contacts", contacts=[_contact_row(r) for r in rows])
        for resource in ("Invoices", "CreditNotes"):
            for rows in self.client.changed(resource, since):
                yield ChangePage(kind="documents", documents=[_document_row(r) for r in rows])
        yield ChangePage(kind="documents", cursor=next_cursor)

    def invoice_pdf(self, id: str) -> bytes:
        with self._found("invoice", id):
            return self.client.invoice_pdf(id)

    # cancellation (C) --------------------------------------------------------------------------------------------
    def find_cancellation(self, invoice_id: str) -> Cancellation | None:
        with self._found("invoice", invoice_id):
            invoice = self.client.get_invoice(invoice_id)
        return self._cancellation(invoice) if invoice.status == "VOIDED" else None

    def cancel_invoice(self, invoice_id: str, reason: str) -> Cancellation:
        """Void (`Status: VOIDED`); Xero refuses it for drafts (deleted instead) and for an invoice with payments
        or allocated credit notes. `reason` is lexflow's only (a void takes no text)."""
        with self._found("invoice", invoice_id):
            invoice = self.client.get_invoice(invoice_id)
        if invoice.status == "VOIDED":
            return self._cancellation(invoice)
        number = invoice.invoice_number or invoice_id
        if invoice.status in ("DRAFT", "SUBMITTED", "DELETED"):
            raise NotCancellable(
                self.capabilities.display_name, number, f"it is {invoice.status}, not approved; Xero voids approved "
                "invoices only.", "delete the draft in Xero.",
            )  # fmt: skip
        if (invoice.amount_paid or 0) > 0 or (invoice.amount_credited or 0) > 0:
            raise NotCancellable(
                self.capabilities.display_name, number, "it has payments or credit notes applied, and Xero voids "
                "only invoices without them.", "remove the payments (or credit note allocations) from the invoice "
                "in Xero, then cancel it again; or issue a credit note for the paid amount in Xero.",
            )  # fmt: skip
        try:
            return self._cancellation(self.client.void(invoice_id))
        except XeroValidationError as exc:
            raise NotCancellable(
                self.capabilities.display_name, number, "; ".join(exc.messages) or str(exc), "check it in Xero."
            ) from None

    def _cancellation(self, invoice: xm.Invoice) -> Cancellation:
        return Cancellation(
            provider=self.name,
            invoice_id=invoice.invoice_id or "",
            method="void",
            invoice_status=normalise_status(invoice.status, invoice.total, invoice.amount_due),
        )


_DOCUMENT_TYPES = {"ACCREC": "invoice", "ACCPAY": "purchaseinvoice", "ACCRECCREDIT": "creditnote",
                   "ACCPAYCREDIT": "purchasecreditnote"}  # fmt: skip


def _contact_row(c: dict[str, Any]) -> ContactRow:
    return ContactRow(
        id=str(c["ContactID"]),
        name=c.get("Name") or "",
        email=c.get("EmailAddress") or None,
        archived=c.get("ContactStatus") == "ARCHIVED",
        data=c,
    )


def _document_row(d: dict[str, Any]) -> DocumentRow:
    """An invoice, bill or credit note as Xero lists it (whole, lines included)."""
    contact = d.get("Contact") or {}
    total, due = d.get("Total"), d.get("AmountDue", d.get("RemainingCredit"))
    return DocumentRow(
        id=str(d.get("InvoiceID") or d.get("CreditNoteID")),
        type=_DOCUMENT_TYPES.get(str(d.get("Type")), str(d.get("Type") or "").lower()),
        status=d.get("Status"),
        number=d.get("InvoiceNumber") or d.get("CreditNoteNumber"),
        date=d.get("DateString"),
        due_date=d.get("DueDateString"),
        updated=d.get("UpdatedDateUTC"),
        contact_id=contact.get("ContactID"),
        contact_name=contact.get("Name"),
        total=Decimal(str(total)) if total is not None else None,
        open_amount=Decimal(str(due)) if due is not None else None,
        deleted=d.get("Status") == "DELETED",
        complete=True,
        data=d,
    )


def adapter_over(client: Any = None) -> XeroAdapter:
    """The adapter over `client`, or over `XeroClient.connect()` (the embedded sandbox without credentials)."""
    return XeroAdapter(client if client is not None else XeroClient.connect())
