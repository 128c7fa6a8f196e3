"""sevDesk behind the neutral `Provider` interface, over `lexflow.sevdesk.client.SevdeskClient`.

sevDesk can do what Lexware cannot: change a draft, finalize it later (by sending), book payments (`bookAmount`,
part payments too) and read the bank (`CheckAccountTransaction`). Every write has a business key and is settled by
an exact lookup by the client, never repeated blind. Facts: docs/sevdesk.md.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lexflow.core.changes import ChangePage, ContactRow, DocumentDetail, DocumentRow
from lexflow.core.errors import InvalidRecord, NotCancellable, RecordNotFound, UnknownTaxCode
from lexflow.core.models import (
    Address,
    BankTransaction,
    Cancellation,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    DocumentStatus,
    Dunning,
    DunningDraft,
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
from lexflow.sevdesk import models as sd
from lexflow.sevdesk.capabilities import CAPABILITIES, TAX
from lexflow.sevdesk.client import SevdeskClient

CENT = Decimal("0.01")
UNKEYED = "unkeyed~"
"""Prefix of the business key of an invoice created without a reference: it still settles an unknown outcome of
that one create, and `~` cannot occur in a reference, so it never matches one."""
INVOICE_RULE, EXPENSE_RULE = 1, 9
"""Tax rules (sevdesk-Update 2.0): 1 taxable sales, 9 expenses with deductible input tax."""
CUSTOMER_CATEGORY = 3
COUNTRIES = {1: "DE"}
"""sevDesk's `StaticCountry` ids lexflow knows (1 = Germany); the list itself is not in the published spec."""

_STATUS: dict[int, DocumentStatus] = {
    100: "draft",
    200: "open",
    500: "void",  # cancelled (the sandbox's choice; sevDesk documents no code for it)
    750: "partially_paid",
    1000: "paid",
}
_VOUCHER_STATUS: dict[int, DocumentStatus] = {50: "draft", 100: "open", 750: "partially_paid", 1000: "paid"}
"""Vouchers count differently: 50 is the draft and 100 already open (unpaid)."""
_QUERY: dict[str, tuple[int, ...]] = {
    "draft": (100,),
    "awaiting_approval": (),  # no approval state in sevDesk: approval lives in lexflow
    "open": (200,),
    "partially_paid": (750,),
    "overdue": (200, 750),
    "paid": (1000,),
    "void": (500,),
}
TRANSACTION_STATUS = {100: "unbooked", 200: "linked", 300: "private", 350: "auto_booked", 400: "booked"}


def normalise_status(raw: int, *, voucher: bool = False) -> DocumentStatus:
    """sevDesk's status code of an invoice (or voucher) as a neutral status; an unknown (future) one counts as open,
    never as paid."""
    return (_VOUCHER_STATUS if voucher else _STATUS).get(int(raw), "open")


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def _id(kind: str, id: str) -> int:
    """sevDesk ids are positive integers; anything else cannot exist (and must not reach a URL)."""
    if not id.isdigit() or int(id) <= 0:
        raise RecordNotFound(CAPABILITIES.display_name, kind, id)
    return int(id)


class SevdeskAdapter(Provider):
    """One sevDesk account. The client brings the rate limit, retries and settling of unknown outcomes."""

    capabilities = CAPABILITIES
    tax = TAX
    invoice_rounding = "line"  # each position's tax rounded, then summed (docs/sevdesk.md)

    def __init__(self, client: SevdeskClient) -> None:
        self.client = client
        self._accounts: dict[int, sd.CheckAccount] | None = None

    def add_call_listener(self, listener: Any) -> None:
        """The audit trail collects the HTTP calls of whatever `run()` was given, adapter or client."""
        self.client.add_call_listener(listener)

    @property
    def backend_description(self) -> str:
        return self.client.backend_description

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _found_number(self, kind: str, id: str) -> Iterator[int]:
        """`Provider._found` for sevDesk's numeric ids, yielding the number; also its 400 "not found"."""
        from lexflow.transport.errors import NotFound, ValidationFailed

        number = _id(kind, id)
        try:
            yield number
        except NotFound:
            raise RecordNotFound(self.capabilities.display_name, kind, id) from None
        except ValidationFailed as exc:  # sevDesk often answers a missing object with 400 "not found"
            if "not found" not in str(exc).lower() and "does not exist" not in str(exc).lower():
                raise
            raise RecordNotFound(self.capabilities.display_name, kind, id) from None

    # customers -------------------------------------------------------------------------------------------------
    def create_customer(self, draft: CustomerDraft) -> Customer:
        """Search first: a customer with this e-mail is returned, not created again. Contact, e-mail and address are
        separate, non-atomic calls in sevDesk, so a contact of the same name without any e-mail (one a crash left
        half-made) is completed instead of a second one created."""
        if draft.email:
            found = self.search_customers(email=draft.email)
            if found:
                return found[0]
        if draft.address and draft.address.country_code not in COUNTRIES.values():
            raise InvalidRecord(
                "address.country_code",
                f"{draft.address.country_code!r}: lexflow knows sevDesk's country id for "
                f"{', '.join(COUNTRIES.values())} only; leave the address out and add it in sevDesk.",
            )
        contact = self._half_made(draft) if draft.email else None
        if contact is None:
            if draft.kind == "company":
                new = sd.NewContact(name=draft.name.strip(), category=CUSTOMER_CATEGORY, vat_number=draft.vat_id)
            else:
                parts = draft.name.split()
                new = sd.NewContact(
                    surename=" ".join(parts[:-1]) or None, familyname=parts[-1], category=CUSTOMER_CATEGORY
                )
            contact = self.client.create_contact(new)
        if draft.email:
            self.client.add_email(contact.id, draft.email)
        if draft.phone:
            self._add_phone(contact.id, draft.phone)
        if draft.address and draft.address.street and draft.address.zip and draft.address.city:
            self.client.add_address(
                contact.id, street=draft.address.street, zip=draft.address.zip, city=draft.address.city
            )
        return self._customer(contact)

    def _half_made(self, draft: CustomerDraft) -> sd.Contact | None:
        name = " ".join(draft.name.split())
        for contact in self.client.iter_contacts(name=name, category=CUSTOMER_CATEGORY):
            same = " ".join(contact.display_name.split()).casefold() == name.casefold()
            if same and not self.client.communication_ways(contact.id, "EMAIL"):
                return contact
        return None

    def _add_phone(self, contact_id: int, phone: str) -> None:
        if not any(w.value == phone for w in self.client.communication_ways(contact_id, "PHONE")):
            self.client.add_phone(contact_id, phone)

    def get_customer(self, id: str) -> Customer:
        with self._found_number("customer", id) as number:
            return self._customer(self.client.get_contact(number))

    def search_customers(self, *, name: str | None = None, email: str | None = None) -> list[Customer]:
        """By name: sevDesk's `name` filter (a part of the name). By e-mail: a client-side scan of the e-mail
        addresses, because sevDesk cannot search contacts by e-mail."""
        if not name and not email:
            raise ValueError("search_customers needs a name or an e-mail")
        if email:
            contacts = self.client.find_contacts_by_email(email)
        else:
            assert name is not None
            contacts = list(self.client.iter_contacts(name=name.strip(), category=CUSTOMER_CATEGORY))
        customers = [self._customer(c) for c in contacts if c.category is None or c.category.id == CUSTOMER_CATEGORY]
        if name and email:
            needle = " ".join(name.split()).casefold()
            customers = [c for c in customers if needle in " ".join(c.name.split()).casefold()]
        return customers

    def _customer(self, c: sd.Contact) -> Customer:
        ways = self.client.communication_ways(c.id)
        emails = [w.value for w in sorted(ways, key=lambda w: not w.main) if w.type == "EMAIL"]
        phones = [w.value for w in sorted(ways, key=lambda w: not w.main) if w.type == "PHONE"]
        addresses = self.client.addresses(c.id)
        address = None
        if addresses:
            a = addresses[0]
            country = COUNTRIES.get(a.country.id, "DE") if a.country else "DE"
            address = Address(street=a.street, zip=a.zip, city=a.city, country_code=country)
        return Customer(
            provider=self.name,
            id=str(c.id),
            name=c.display_name,
            kind="company" if c.name else "person",
            emails=list(dict.fromkeys(emails)),
            phone=phones[0] if phones else None,
            address=address,
            vat_id=c.vat_number or None,
            number=c.customer_number,
        )

    # invoices --------------------------------------------------------------------------------------------------
    def _invoice_draft(self, draft: InvoiceDraft, business_key: str) -> sd.InvoiceDraft:
        self.capabilities.require_currency(draft.currency)
        contact_id = _id("customer", draft.customer_id) if draft.customer_id.isdigit() else None
        if contact_id is None:
            raise InvalidRecord("customer_id", f"{draft.customer_id!r} is not a sevDesk contact id (a number).")
        lines = []
        for index, line in enumerate(draft.lines):
            rate = self.tax.resolve(line.tax).rate or Decimal(0)
            if line.unit_price < 0:
                raise InvalidRecord(f"lines[{index}].unit_price", "must not be negative in sevDesk.")
            lines.append(
                sd.InvoiceLine(
                    name=line.name, quantity=line.quantity, price=line.unit_price, tax_rate=rate, text=line.description
                )
            )
        terms: dict[str, Any] = {}
        if draft.payment_term_days is not None:
            terms["time_to_pay"] = draft.payment_term_days
        return sd.InvoiceDraft(
            business_key=business_key,
            contact_id=contact_id,
            invoice_date=draft.issue_date or dt.date.today(),
            delivery_date=draft.service_date,
            currency=draft.currency,
            tax_rule=INVOICE_RULE,
            show_net=not draft.prices_include_tax,
            header=draft.title,
            foot_text=draft.note,
            lines=lines,
            **terms,
        )

    def create_invoice(self, draft: InvoiceDraft) -> Invoice:
        """Always a draft first (the only status sevDesk creates); `finalize` then marks it sent (`sendBy`), which
        makes it open. The reference is the business key: an invoice already carrying it is returned."""
        key = draft.reference or f"{UNKEYED}{uuid.uuid4().hex}"
        saved = self.client.create_invoice_draft(self._invoice_draft(draft, key))
        if draft.finalize and saved.invoice.status == 100:
            self.client.send_invoice_by(saved.invoice.id, "VPDF")
        return self.get_invoice(str(saved.invoice.id))

    def finalize_invoice(self, id: str) -> Invoice:
        """Finalize a draft later by marking it sent (sevDesk numbers it and it becomes open); idempotent."""
        with self._found_number("invoice", id) as number:
            invoice = self.client.get_invoice(number)
        if invoice.status == 100:
            self.client.send_invoice_by(number, "VPDF")
        return self.get_invoice(id)

    def find_invoice(self, reference: str, customer_id: str | None = None) -> Invoice | None:
        if customer_id is not None and customer_id.isdigit():
            saved = self.client.find_invoice(reference, int(customer_id))
            return self.get_invoice(str(saved.invoice.id)) if saved else None
        if customer_id is not None:
            return None
        for invoice in self.client.iter_invoices():
            if invoice.business_key == reference:
                return self.get_invoice(str(invoice.id))
        return None

    def get_invoice(self, id: str) -> Invoice:
        with self._found_number("invoice", id) as number:
            invoice = self.client.get_invoice(number)
        summary = self._summary(invoice)
        currency = summary.currency
        lines = [
            InvoiceLine(
                name=p.name or "",
                description=p.model_extra.get("text") if p.model_extra else None,
                quantity=p.quantity,
                unit_price=Money(amount=p.price if p.price is not None else Decimal(0), currency=currency),
                tax=self._tax_of(p.tax_rate),
                line_total=Money(amount=p.sum_gross, currency=currency) if p.sum_gross is not None else None,
            )
            for p in self.client.invoice_positions(number)
        ]
        key = invoice.business_key
        show_net = str((invoice.model_extra or {}).get("showNet", "1")) not in ("0", "false", "False")
        return Invoice(
            **summary.model_dump(exclude={"overdue"}),
            lines=lines,
            prices_include_tax=not show_net,
            total_net=Money(amount=invoice.sum_net, currency=currency),
            total_tax=Money(amount=invoice.sum_tax, currency=currency),
            reference=None if key is None or key.startswith(UNKEYED) else key,
        )

    def _summary(self, invoice: sd.Invoice) -> InvoiceSummary:
        currency = (invoice.currency or "EUR").upper()
        issued = _day(invoice.invoice_date)
        due = issued + dt.timedelta(days=invoice.time_to_pay) if issued and invoice.time_to_pay is not None else None
        status = normalise_status(invoice.status)
        contact = invoice.contact
        address = str((invoice.model_extra or {}).get("address") or "").strip()
        return InvoiceSummary(
            provider=self.name,
            id=str(invoice.id),
            number=invoice.invoice_number,
            customer_id=str(contact.id) if contact else None,
            customer_name=address.splitlines()[0] if address else None,  # the address block starts with the name
            issue_date=issued,
            due_date=due,
            currency=currency,
            total_gross=Money(amount=invoice.sum_gross, currency=currency),
            # a cancelled invoice owes nothing (its cancellation invoice settled it), whatever sumGross says
            open_amount=None
            if status == "draft"
            else Money(amount=Decimal(0) if status == "void" else invoice.open_amount, currency=currency),
            status=status,
            provider_status=str(invoice.status),
        )

    def _tax_of(self, rate: Decimal) -> TaxRef:
        try:
            return self.tax.resolve(str(rate))
        except UnknownTaxCode:
            return TaxRef(code=str(rate), rate=rate)

    def list_invoices(
        self,
        statuses: list[StatusFilter] | None = None,
        *,
        customer_id: str | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
    ) -> Iterator[InvoiceSummary]:
        wanted = list(dict.fromkeys(statuses or []))
        codes: list[int | None] = [*sorted({c for w in wanted for c in _QUERY[w]})] if wanted else [None]
        if customer_id is not None and not customer_id.isdigit():
            return
        contact = int(customer_id) if customer_id else None
        today = dt.date.today()
        for code in codes:
            # regular invoices only: a sent reminder (MA) or a cancellation (SR) is not another debt (F2b)
            for invoice in self.client.iter_invoices(status=code, contact_id=contact, invoice_type="RE"):
                summary = self._summary(invoice)
                if issued_from and (summary.issue_date is None or summary.issue_date < issued_from):
                    continue
                if issued_to and (summary.issue_date is None or summary.issue_date > issued_to):
                    continue
                if not wanted or any(summary.matches(w, today) for w in wanted):
                    yield summary

    def update_invoice(self, id: str, draft: InvoiceDraft) -> Invoice:
        """Replace a draft's customer, lines and terms; it keeps its business key. Only drafts can change."""
        with self._found_number("invoice", id) as number:
            current = self.client.get_invoice(number)
        if current.status != 100:
            raise InvalidRecord(
                "id",
                f"invoice {current.invoice_number or id} is {normalise_status(current.status)}; sevDesk changes "
                "drafts only. Cancel it (a cancellation invoice) and create a new one.",
            )
        key = current.business_key or draft.reference or f"{UNKEYED}{uuid.uuid4().hex}"
        self.client.update_invoice_draft(number, self._invoice_draft(draft, key))
        if draft.finalize:
            return self.finalize_invoice(id)
        return self.get_invoice(id)

    # payments --------------------------------------------------------------------------------------------------
    def record_payment(self, payment: PaymentDraft) -> Payment:
        """Book the payment on the invoice (`bookAmount`): the rest of the open amount as a full payment, less as a
        part payment (status 750). A named bank transaction is linked, and one that is booked already is refused, so
        a rerun of a reconciliation books nothing twice; an unknown outcome is settled by the invoice's paid amount
        (the client)."""
        if payment.reference:  # a business key: the payment booked under it is the answer, not a second one
            found = self.find_payment(payment.bank_transaction_id or payment.reference, payment.invoice_id)
            if found is not None:
                return found
        with self._found_number("invoice", payment.invoice_id) as number:
            invoice = self.client.get_invoice(number)
        currency = (invoice.currency or "EUR").upper()
        if payment.currency != currency:
            raise InvalidRecord("currency", f"the invoice is in {currency}, the payment in {payment.currency}.")
        if invoice.status not in (200, 750):
            raise InvalidRecord(
                "invoice_id",
                f"invoice {invoice.invoice_number or number} is {normalise_status(invoice.status)}; only open or "
                "partially paid invoices take payments (finalize a draft first).",
            )
        if payment.amount > invoice.open_amount:
            raise InvalidRecord(
                "amount", f"{payment.amount} is more than the open amount {invoice.open_amount} {currency}."
            )
        transaction = None
        if payment.bank_transaction_id:
            with self._found_number("bank transaction", payment.bank_transaction_id) as tx_id:
                transaction = self.client.get_transaction(tx_id)
            if transaction.status != 100:
                raise InvalidRecord(
                    "bank_transaction_id",
                    f"bank transaction {tx_id} is {TRANSACTION_STATUS.get(transaction.status, transaction.status)} "
                    "in sevDesk already; nothing was booked again.",
                )
        account_id = self._payment_account(payment, transaction)
        booking = sd.PaymentBooking(
            amount=payment.amount,
            date=payment.paid_on,
            type="FULL_PAYMENT" if payment.amount == invoice.open_amount else "N",
            check_account_id=account_id,
            transaction_id=transaction.id if transaction else None,
        )
        self.client.book_invoice_payment(number, booking)
        return Payment(
            provider=self.name,
            invoice_id=str(number),
            amount=Money(amount=payment.amount, currency=currency),
            paid_on=payment.paid_on,
            kind="bank" if transaction else "manual",
            bank_transaction_id=str(transaction.id) if transaction else None,
        )

    def find_payment(self, reference: str, invoice_id: str) -> Payment | None:
        """sevDesk keeps no reference on a payment; what it keeps is the bank transaction a payment was booked
        from. So the business key is the transaction's id (reconciliation reads the lines from the API): a
        transaction that is linked or booked already has been used, by lexflow or by a person, and is never booked
        again. Any other reference cannot be looked up (None)."""
        if not reference.isdigit() or int(reference) <= 0:
            return None
        _id("invoice", invoice_id)
        try:
            with self._found_number("bank transaction", reference) as number:
                transaction = self.client.get_transaction(number)
        except RecordNotFound:
            return None
        if transaction.status == 100:  # unbooked: no payment was booked from it
            return None
        account = self._check_accounts().get(transaction.check_account.id)
        currency = (account.currency if account and account.currency else "EUR").upper()
        booked = transaction.entry_date or transaction.value_date
        return Payment(
            provider=self.name,
            invoice_id=invoice_id,
            amount=Money(amount=abs(transaction.amount), currency=currency),
            paid_on=booked.date() if booked else None,
            kind="bank",
            bank_transaction_id=str(transaction.id),
        )

    def _payment_account(self, payment: PaymentDraft, transaction: sd.CheckAccountTransaction | None) -> int:
        if transaction is not None:
            return transaction.check_account.id
        accounts = self._check_accounts()
        if payment.account_ref:
            if not payment.account_ref.isdigit() or int(payment.account_ref) not in accounts:
                raise InvalidRecord(
                    "account_ref", f"{payment.account_ref!r} is not a check account: use one of {sorted(accounts)}."
                )
            return int(payment.account_ref)
        default = [a.id for a in accounts.values() if a.default_account]
        if not default:
            raise InvalidRecord("account_ref", f"no default check account in sevDesk: name one of {sorted(accounts)}.")
        return default[0]

    def _check_accounts(self) -> dict[int, sd.CheckAccount]:
        if self._accounts is None:
            self._accounts = {a.id: a for a in self.client.check_accounts()}
        return self._accounts

    # expenses --------------------------------------------------------------------------------------------------
    def create_expense(self, draft: ExpenseDraft) -> Expense:
        """Upload the receipt (`uploadTempFile`), then save the voucher (`saveVoucher`, open). The supplier's number
        is the voucher's description and its business key: a voucher with it is returned, not booked twice."""
        self.capabilities.require_currency(draft.currency)
        accounts = self._booking_accounts([item.category for item in draft.items])
        lines = []
        for index, (item, account) in enumerate(zip(draft.items, accounts, strict=True)):
            rate = self.tax.resolve(item.tax).rate or Decimal(0)
            gross = item.amount if draft.prices_include_tax else (item.amount * (1 + rate / 100))
            lines.append(
                sd.VoucherLine(
                    account_datev_id=account,
                    tax_rate=rate,
                    sum_gross=gross.quantize(CENT, ROUND_HALF_UP),
                    comment=f"item {index + 1}",
                )
            )
        supplier_id = None
        if draft.supplier_id is not None:
            with self._found_number("supplier", draft.supplier_id) as supplier_id:
                self.client.get_contact(supplier_id)
        voucher = sd.NewVoucher(
            description=draft.number,
            voucher_date=draft.issue_date,
            supplier_id=supplier_id,
            supplier_name=draft.supplier_name,
            credit_debit="C",
            tax_rule=EXPENSE_RULE,
            currency=draft.currency,
            payment_deadline=draft.due_date,
            lines=lines,
        )
        media = "application/pdf" if draft.receipt.filename.lower().endswith(".pdf") else "image/jpeg"
        if draft.receipt.filename.lower().endswith(".png"):
            media = "image/png"
        temp = self.client.upload_receipt(draft.receipt.filename, draft.receipt.content, media)
        saved = self.client.create_voucher(voucher, temp)
        return self._expense(saved.voucher, with_items=True)

    def _booking_accounts(self, wanted: list[str]) -> list[int]:
        """Each item's category (a booking account's name, number or id from ReceiptGuidance) as its id."""
        accounts = self.client.booking_accounts("expense")
        keys: dict[str, int] = {}
        for a in accounts:
            keys[str(a.account_datev_id)] = a.account_datev_id
            if a.account_number:
                keys[a.account_number] = a.account_datev_id
            keys[" ".join(a.account_name.split()).casefold()] = a.account_datev_id
        ids = []
        for w in wanted:
            key = " ".join(w.split()).casefold()
            if key not in keys:
                names = ", ".join(sorted(a.account_name for a in accounts))
                raise InvalidRecord(
                    "items.category", f"{w!r} is not an expense account in sevDesk. Use one of: {names}."
                )
            ids.append(keys[key])
        return ids

    def _expense(self, v: sd.Voucher, *, with_items: bool) -> Expense:
        currency = (v.currency or "EUR").upper()
        status = normalise_status(v.status, voucher=True)
        items = []
        if with_items:
            for p in self.client.voucher_positions(v.id):
                items.append(
                    ExpenseItem(
                        amount=Money(amount=p.sum_gross, currency=currency),
                        tax_amount=Money(amount=p.sum_gross - p.sum_net, currency=currency),
                        tax=self._tax_of(p.tax_rate),
                        category=str(p.account_datev.id) if p.account_datev else None,
                    )
                )
        return Expense(
            provider=self.name,
            id=str(v.id),
            number=v.description,
            supplier_id=str(v.supplier.id) if v.supplier else None,
            supplier_name=v.supplier_name,
            issue_date=_day(v.voucher_date),
            due_date=_day(v.payment_deadline),
            total_gross=Money(amount=v.sum_gross, currency=currency),
            total_tax=Money(amount=v.sum_tax, currency=currency),
            open_amount=None if status == "draft" else Money(amount=v.sum_gross - v.paid_amount, currency=currency),
            status=status,
            provider_status=str(v.status),
            items=items,
            receipt_ids=[str(v.document.id)] if v.document else [],
        )

    def list_expenses(
        self, *, issued_from: dt.date | None = None, issued_to: dt.date | None = None, supplier_id: str | None = None
    ) -> Iterator[Expense]:
        for v in self.client.iter_vouchers(credit_debit="C"):
            issued = _day(v.voucher_date)
            if issued_from and (issued is None or issued < issued_from):
                continue
            if issued_to and (issued is None or issued > issued_to):
                continue
            if supplier_id and (v.supplier is None or str(v.supplier.id) != supplier_id):
                continue
            yield self._expense(v, with_items=False)

    # bank ------------------------------------------------------------------------------------------------------
    def get_bank_transaction(self, id: str) -> BankTransaction:
        with self._found_number("bank transaction", id) as number:
            return self._transaction(self.client.get_transaction(number))

    def list_bank_transactions(
        self,
        *,
        booked_from: dt.date | None = None,
        booked_to: dt.date | None = None,
        account_ref: str | None = None,
    ) -> Iterator[BankTransaction]:
        account = None
        if account_ref is not None:
            if not account_ref.isdigit():
                raise InvalidRecord("account_ref", f"{account_ref!r} is not a sevDesk check account id (a number).")
            account = int(account_ref)
        start = dt.datetime.combine(booked_from, dt.time.min).isoformat() if booked_from else None
        end = dt.datetime.combine(booked_to, dt.time.max).isoformat() if booked_to else None
        for tx in self.client.iter_transactions(account, start=start, end=end):
            yield self._transaction(tx)

    def _transaction(self, tx: sd.CheckAccountTransaction) -> BankTransaction:
        account = self._check_accounts().get(tx.check_account.id)
        currency = (account.currency if account and account.currency else "EUR").upper()
        booked = tx.entry_date or tx.value_date
        return BankTransaction(
            provider=self.name,
            id=str(tx.id),
            account_ref=str(tx.check_account.id),
            booking_date=booked.date(),
            value_date=tx.value_date.date(),
            amount=Money(amount=tx.amount, currency=currency),
            counterparty_name=tx.payee_payer_name,
            remittance=tx.paymt_purpose or "",
            status=TRANSACTION_STATUS.get(tx.status, str(tx.status)),
        )

    # customers + invoice flows ---------------------------------------------------------------------------------
    def list_customers(self) -> Iterator[Customer]:
        """Every customer; each costs two more requests (its e-mails/phones and its addresses are separate)."""
        for contact in self.client.iter_contacts(category=CUSTOMER_CATEGORY):
            yield self._customer(contact)

    def update_customer(self, id: str, update: CustomerUpdate) -> Customer:
        """E-mail and phone are added as communication ways, the first address is replaced (or added), the VAT id
        written on the contact. Each call is idempotent on its own, so a repeat after a crash completes the rest."""
        with self._found_number("customer", id) as number:
            contact = self.client.get_contact(number)
        a = update.address
        country = next((k for k, v in COUNTRIES.items() if a is not None and v == a.country_code), None)
        if a is not None and country is None:
            raise InvalidRecord(
                "address.country_code",
                f"{a.country_code!r}: lexflow knows sevDesk's country id for {', '.join(COUNTRIES.values())} only.",
            )
        if update.email:
            emails = self.client.communication_ways(number, "EMAIL")
            if not any(w.value.casefold() == update.email.casefold() for w in emails):
                self.client.add_email(number, update.email, main=not emails)
        if update.phone:
            self._add_phone(number, update.phone)
        if a is not None and a.street and a.zip and a.city and country is not None:
            current = self.client.addresses(number)
            if not current:
                self.client.add_address(number, street=a.street, zip=a.zip, city=a.city, country_id=country)
            elif (current[0].street, current[0].zip, current[0].city) != (a.street, a.zip, a.city):
                self.client.update_address(current[0].id, street=a.street, zip=a.zip, city=a.city, country_id=country)
        if update.vat_id and update.vat_id != contact.vat_number:
            contact = self.client.update_contact(number, {"vatNumber": update.vat_id})
        return self._customer(self.client.get_contact(number))

    def invoice_pdf(self, id: str) -> bytes:
        """`getPdf` with `preventSendBy`: fetching the PDF must not mark the invoice sent."""
        with self._found_number("invoice", id) as number:
            return self.client.invoice_pdf(number).data

    # history sync and dunning (F2b) ----------------------------------------------------------------------------
    def changes_since(self, cursor: str | None) -> Iterator[ChangePage]:
        """Contacts, invoices, credit notes and vouchers with `updateAfter` = the cursor (Unix seconds), 1,000 a
        page. The next cursor is this run's start less a minute: what changes while the run reads is listed again
        next time (stored once: rows are upserted), and a clock a minute off loses nothing."""
        next_cursor = str(int(time.time()) - self.cursor_margin)
        after = int(cursor) if cursor else None
        for rows in self.client.changed("Contact", after):
            yield ChangePage(kind="contacts", contacts=[_contact_row(r) for r in rows])
        for resource, kind in (("Invoice", "invoice"), ("CreditNote", "creditnote"), ("Voucher", "voucher")):
            for rows in self.client.changed(resource, after):
                yield ChangePage(kind="documents", documents=[_document_row(kind, r) for r in rows])
        yield ChangePage(kind="documents", cursor=next_cursor)

    def document_detail(self, row: DocumentRow) -> DocumentDetail:
        """An invoice's or voucher's positions (the lists carry the header only), stored with the header."""
        kind = "Invoice" if row.type in ("invoice", "reminder", "cancellation") else "Voucher"
        try:
            positions = self.client.raw_positions(kind, _id(kind.lower(), row.id))
        except RecordNotFound:
            return DocumentDetail(data={"missing": True}, operation=f"{kind}_positions", missing=True)
        except Exception as exc:  # deleted since it was listed (404, or sevDesk's 400 "not found")
            if getattr(exc, "status", None) not in (400, 404) or "not found" not in str(exc).lower():
                raise
            return DocumentDetail(data={"missing": True}, operation=f"{kind}_positions", missing=True)
        return DocumentDetail(data={**row.data, "positions": positions}, operation=f"{kind}_positions")

    def create_dunning(self, draft: DunningDraft) -> Dunning:
        """sevDesk's reminder (`createInvoiceReminder`): a draft invoice of type MA for the open amount, linked to
        the invoice. The API takes no fee and no text for it: a fee is refused here (add it to the draft in
        sevDesk), and the introduction is left to sevDesk's reminder template."""
        if draft.fee > 0:
            raise InvalidRecord(
                "fee", "sevDesk's reminder endpoint takes no fee: run with fee=0 and add it to the draft in sevDesk."
            )
        with self._found_number("invoice", draft.invoice_id) as number:
            invoice = self.client.get_invoice(number)
        if invoice.status not in (200, 750):
            raise InvalidRecord(
                "invoice_id", f"only open invoices can be dunned; this one is {normalise_status(invoice.status)}."
            )
        reminder = self.client.create_reminder(number)
        currency = (invoice.currency or "EUR").upper()
        return Dunning(
            provider=self.name,
            id=str(reminder.id),
            invoice_id=draft.invoice_id,
            invoice_number=invoice.invoice_number,
            open_amount=Money(amount=invoice.open_amount, currency=currency),
        )

    # cancellation (C) --------------------------------------------------------------------------------------------
    def find_cancellation(self, invoice_id: str) -> Cancellation | None:
        with self._found_number("invoice", invoice_id) as number:
            invoice = self.client.get_invoice(number)
        contact_id = invoice.contact.id if invoice.contact is not None else None
        for storno in self.client.iter_invoices(invoice_type="SR", contact_id=contact_id):
            if storno.origin is not None and storno.origin.id == number:
                return self._cancellation(invoice_id, storno)
        return None

    def cancel_invoice(self, invoice_id: str, reason: str) -> Cancellation:
        """sevDesk's cancelInvoice: a paid cancellation invoice (SR) from the invoice; `reason` is lexflow's only
        (the endpoint takes no text)."""
        with self._found_number("invoice", invoice_id) as number:
            invoice = self.client.get_invoice(number)
        if invoice.status == 100:
            raise NotCancellable(
                self.capabilities.display_name, invoice.invoice_number or invoice_id,
                "it is a draft; sevDesk cancels final invoices only.", "delete the draft in sevDesk.",
            )  # fmt: skip
        existing = self.find_cancellation(invoice_id)
        if existing is not None:
            return existing
        return self._cancellation(invoice_id, self.client.cancel_invoice(number))

    def _cancellation(self, invoice_id: str, storno: sd.Invoice) -> Cancellation:
        return Cancellation(
            provider=self.name,
            invoice_id=invoice_id,
            method="credit_note",
            credit_note_id=str(storno.id),
            credit_note_number=storno.invoice_number,
            invoice_status=self.get_invoice(invoice_id).status,
        )


_INVOICE_TYPES = {"RE": "invoice", "SR": "cancellation", "MA": "reminder"}


def _contact_row(c: dict[str, Any]) -> ContactRow:
    name = c.get("name") or " ".join(x for x in (c.get("surename"), c.get("familyname")) if x)
    number = str(c.get("customerNumber") or "")
    return ContactRow(
        id=str(c["id"]),
        name=name or "",
        customer_number=int(number) if number.isdigit() else None,
        archived=str(c.get("status")) == "1000" if c.get("status") is not None else None,
        data=c,
    )


def _document_row(kind: str, d: dict[str, Any]) -> DocumentRow:
    """A listed invoice, credit note or voucher. Invoices and vouchers need their positions (`complete=False`);
    credit notes are stored as listed (lexflow reads no credit-note positions)."""
    contact = d.get("contact") or d.get("supplier") or {}
    if kind == "invoice":
        kind = _INVOICE_TYPES.get(str(d.get("invoiceType") or "RE"), "invoice")
    elif kind == "voucher":
        kind = "purchaseinvoice" if d.get("creditDebit") == "C" else "salesinvoice"
    gross = d.get("sumGross")
    paid = d.get("paidAmount") or 0
    return DocumentRow(
        id=str(d["id"]),
        type=kind,
        status=str(d.get("status")) if d.get("status") is not None else None,
        number=d.get("invoiceNumber") or d.get("creditNoteNumber") or d.get("description"),
        date=d.get("invoiceDate") or d.get("creditNoteDate") or d.get("voucherDate"),
        due_date=d.get("paymentDeadline"),
        updated=d.get("update"),
        contact_id=str(contact["id"]) if contact.get("id") is not None else None,
        contact_name=d.get("supplierName"),
        total=Decimal(str(gross)) if gross is not None else None,
        open_amount=Decimal(str(gross)) - Decimal(str(paid)) if gross is not None else None,
        complete=kind == "creditnote",
        data=d,
    )


def connect(client: SevdeskClient | None = None) -> SevdeskAdapter:
    """The adapter over `client`, else over `connect_sevdesk()` (the embedded sandbox without a token)."""
    if client is None:
        from lexflow.sevdesk.client import connect_sevdesk

        client = connect_sevdesk()
    return SevdeskAdapter(client)
