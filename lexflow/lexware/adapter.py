"""Lexware Office behind the neutral `Provider` interface, over `lexflow.lexware.client.LexwareClient`.

Request bodies are built from the client's typed models (`lexflow.lexware.models`), never as hand-written JSON. What the
API cannot do (update an invoice, record a payment, read bank transactions) is left to `Provider`'s defaults,
which raise `CapabilityMissing` with what lexflow does instead. Facts: docs/lexware.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from lexflow.core.changes import ChangePage, ContactRow, DocumentDetail, DocumentRow
from lexflow.core.errors import InvalidRecord, NotCancellable, UnknownTaxCode
from lexflow.core.models import (
    Address,
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
    InvoicePreview,
    InvoiceSummary,
    Money,
    StatusFilter,
    TaxRef,
    TaxTotal,
)
from lexflow.core.provider import Provider
from lexflow.lexware.capabilities import CAPABILITIES, TAX

if TYPE_CHECKING:
    from lexflow.lexware import models as lx
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.models import Contact, VoucherListItem

CENT = Decimal("0.01")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REFERENCE_LOOKBACK_DAYS = 7
"""How far back `find_invoice` looks for an invoice carrying a reference (the voucher list's created-date filter)."""
REFERENCE = "Referenz: "
"""How an invoice carries its business key: a line in its remark (the same convention as the Lexware action)."""

_STATUS: dict[str, DocumentStatus] = {
    "draft": "draft",
    "blank": "draft",  # a voucher while OCR reads its upload
    "unchecked": "draft",  # a voucher OCR filled in that nobody booked yet
    "open": "open",
    "overdue": "open",  # only the voucher list says it; lexflow derives overdue from the due date itself
    "paid": "paid",
    "paidoff": "paid",  # credit notes and vouchers
    "transferred": "paid",  # paid through the online-banking connector, becomes `paid` once the bank books it
    "sepadebit": "paid",  # collected by SEPA direct debit, becomes `paid` once the bank books it
    "voided": "void",
}
#: voucherStatus values to ask the voucher list for, per normalised status (lexflow filters the rows again).
_QUERY: dict[str, tuple[str, ...]] = {
    "draft": ("draft",),
    "awaiting_approval": (),  # Lexware has no approval state: approval lives in lexflow
    "open": ("open",),
    "partially_paid": ("open",),
    "overdue": ("open",),  # `open` rows include the overdue ones
    "paid": ("paid", "paidoff", "transferred", "sepadebit"),
    "void": ("voided",),
}


def normalise_status(
    raw: str | None, total: Decimal | None = None, open_amount: Decimal | None = None
) -> DocumentStatus:
    """Lexware's voucherStatus as a neutral status. Lexware has no "partially paid": it is an open document whose
    open amount is below its total. Unknown (future) values count as open, so nothing unpaid is taken for paid."""
    status = _STATUS.get((raw or "").lower(), "open")
    if status == "open" and total is not None and open_amount is not None and 0 < open_amount < total:
        return "partially_paid"
    return status


def _day(value: Any) -> date | None:
    """A date from Lexware's `2026-11-24T00:00:00.000+01:00` or `2026-11-24`."""
    return date.fromisoformat(str(value)[:10]) if value else None


def _money(amount: Any, currency: str | None = "EUR") -> Money | None:
    return None if amount is None else Money(amount=Decimal(str(amount)), currency=currency or "EUR")


def _escape_like(text: str) -> str:
    """`_` and `%` are wildcards in the contact filters; a literal search escapes them."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _reference_of(remark: str | None) -> str | None:
    for line in (remark or "").splitlines():
        if line.startswith(REFERENCE):
            return line[len(REFERENCE) :].strip() or None
    return None


class LexwareAdapter(Provider):
    """One Lexware Office account. The client brings the rate limit, retries and settling of unknown outcomes."""

    id_format = UUID  # Lexware ids are UUIDs
    invoice_rounding = "tax_rate"  # tax per rate over the summed lines (docs/lexware.md#totals)

    capabilities = CAPABILITIES
    tax = TAX

    def __init__(self, client: LexwareClient) -> None:
        self.client = client

    def close(self) -> None:
        """Close the client's connections (a flow's per-profile clients are closed when the run's clients are)."""
        self.client.close()

    def add_call_listener(self, listener: Any) -> None:
        """The audit trail collects the HTTP calls of whatever `run()` was given, adapter or client."""
        self.client.add_call_listener(listener)

    def not_found_errors(self) -> tuple[type[Exception], ...]:
        from lexflow.transport.errors import NotFound

        return (NotFound,)

    # customers -------------------------------------------------------------------------------------------------
    def create_customer(self, draft: CustomerDraft) -> Customer:
        from lexflow.lexware import models as lx

        company = person = None
        if draft.kind == "company":
            company = lx.Company(name=draft.name.strip(), vat_registration_id=draft.vat_id)
        else:
            parts = draft.name.split()
            person = lx.Person(first_name=" ".join(parts[:-1]) or None, last_name=parts[-1])
        address = draft.address
        contact = lx.Contact(
            version=0,
            roles=lx.Roles(customer=lx.Role()),
            company=company,
            person=person,
            email_addresses=lx.EmailAddresses(business=[draft.email]) if draft.email else None,
            phone_numbers=lx.PhoneNumbers(business=[draft.phone]) if draft.phone else None,
            addresses=lx.ContactAddresses(
                billing=[
                    lx.ContactAddress(
                        street=address.street, zip=address.zip, city=address.city, country_code=address.country_code
                    )
                ]
            )
            if address
            else None,
            note=draft.note,
        )
        return self.get_customer(str(self.client.contacts.create(contact).id))

    def get_customer(self, id: str) -> Customer:
        with self._found("customer", id):
            return self._customer(self.client.contacts.get(id))

    def search_customers(self, *, name: str | None = None, email: str | None = None) -> list[Customer]:
        if not name and not email:
            raise ValueError("search_customers needs a name or an e-mail")
        found: dict[str, Customer] = {}
        if email:
            wanted = email.strip().casefold()
            for query in dict.fromkeys([email.strip(), email.strip().lower()]):  # the filter may be case-sensitive
                for c in self.client.contacts.list(email=_escape_like(query), customer=True):
                    customer = self._customer(c)
                    if wanted in (e.casefold() for e in customer.emails):
                        found[customer.id] = customer
        else:
            assert name is not None
            for c in self.client.contacts.list(name=_escape_like(name.strip()), customer=True):
                customer = self._customer(c)
                found[customer.id] = customer
        if name and email:
            needle = " ".join(name.split()).casefold()
            found = {k: c for k, c in found.items() if needle in " ".join(c.name.split()).casefold()}
        return list(found.values())

    def _customer(self, c: Contact) -> Customer:
        emails: list[str] = []
        for values in c.email_addresses.model_dump().values() if c.email_addresses else []:
            emails.extend(values or [])
        for person in (c.company.contact_persons or []) if c.company else []:
            if person.email_address:
                emails.append(person.email_address)
        phones = [p for v in (c.phone_numbers.model_dump().values() if c.phone_numbers else []) for p in (v or [])]
        billing = (c.addresses.billing or []) if c.addresses else []
        address = None
        if billing:
            a = billing[0]
            address = Address(street=a.street, zip=a.zip, city=a.city, country_code=a.country_code or "DE")
        if c.company is not None:
            name, kind, vat = c.company.name or "", "company", c.company.vat_registration_id
        else:
            p = c.person
            name = " ".join(x for x in ((p.first_name, p.last_name) if p else ()) if x)
            kind, vat = "person", None
        number = c.roles.customer.number if c.roles and c.roles.customer else None
        return Customer(
            provider=self.name,
            id=str(c.id),
            name=name,
            kind=kind,  # type: ignore[arg-type]
            emails=list(dict.fromkeys(emails)),
            phone=phones[0] if phones else None,
            address=address,
            vat_id=vat,
            number=str(number) if number is not None else None,
            version=str(c.version),
        )

    # invoices --------------------------------------------------------------------------------------------------
    def _invoice_body(self, draft: InvoiceDraft) -> lx.Invoice:
        """The POST /v1/invoices body, from the client's typed models."""
        from lexflow.lexware import models as lx

        self.capabilities.require_currency(draft.currency)
        if not UUID.match(draft.customer_id):
            raise InvalidRecord("customer_id", f"{draft.customer_id!r} is not a Lexware contact id (a UUID).")
        price_key = "gross_amount" if draft.prices_include_tax else "net_amount"
        lines = []
        for line in draft.lines:
            tax = self.tax.resolve(line.tax)
            lines.append(
                lx.LineItem(
                    type="custom",
                    name=line.name,
                    description=line.description,
                    quantity=line.quantity,
                    unit_name=line.unit,
                    unit_price=lx.UnitPrice(
                        currency=draft.currency, **{price_key: line.unit_price}, tax_rate_percentage=tax.rate
                    ),
                )
            )
        remark = "\n".join(x for x in (draft.note, f"{REFERENCE}{draft.reference}" if draft.reference else None) if x)
        return lx.Invoice(
            voucher_date=draft.issue_date or date.today(),
            address=lx.Address(contact_id=draft.customer_id),
            line_items=lines,
            total_price=lx.TotalPrice(currency=draft.currency),
            tax_conditions=lx.TaxConditions(tax_type="gross" if draft.prices_include_tax else "net"),
            shipping_conditions=lx.ShippingConditions(shipping_type="service", shipping_date=draft.service_date)
            if draft.service_date
            else lx.ShippingConditions(shipping_type="none"),
            payment_conditions=lx.PaymentConditions(
                payment_term_label=f"Zahlbar innerhalb von {draft.payment_term_days} Tagen",
                payment_term_duration=draft.payment_term_days,
            )
            if draft.payment_term_days is not None
            else None,
            title=draft.title,
            remark=remark or None,
        )

    def create_invoice(self, draft: InvoiceDraft) -> Invoice:
        if not draft.finalize:
            self.capabilities.require("drafts")
        body = self._invoice_body(draft)
        # With a reference the client settles an unknown outcome by finding the invoice; without one it raises.
        result = self.client.invoices.create(body, finalize=draft.finalize, correlation_ref=draft.reference)
        return self.get_invoice(str(result.id))

    def find_invoice(self, reference: str, customer_id: str | None = None) -> Invoice | None:
        since = date.today() - timedelta(days=REFERENCE_LOOKBACK_DAYS)
        filters: dict[str, Any] = {"created_date_from": since}
        if customer_id:
            filters["contact_id"] = customer_id
        for row in self.client.voucherlist.iter(voucher_type="invoice", voucher_status="any", **filters):
            doc = self.client.invoices.get(str(row.id))
            if _reference_of(doc.remark) == reference:
                return self.get_invoice(str(row.id))
        return None

    def get_invoice(self, id: str) -> Invoice:
        with self._found("invoice", id):
            doc = self.client.invoices.get(id)
        total = doc.total_price
        currency = (total.currency if total else None) or "EUR"
        gross = total.total_gross_amount if total else None
        open_amount = None
        if doc.voucher_status and doc.voucher_status != "draft":
            # payment state lives in its own endpoint; drafts have none (406)
            open_amount = self.client.payments.get(id).open_amount
        tax_type = doc.tax_conditions.tax_type if doc.tax_conditions else "net"
        lines = []
        for li in doc.line_items:
            if li.type == "text" or li.unit_price is None:
                continue
            up = li.unit_price
            price = up.gross_amount if tax_type == "gross" else up.net_amount
            rate = up.tax_rate_percentage if up.tax_rate_percentage is not None else Decimal(0)
            lines.append(
                InvoiceLine(
                    name=li.name or "",
                    description=li.description,
                    quantity=li.quantity if li.quantity is not None else Decimal(1),
                    unit=li.unit_name,
                    unit_price=Money(
                        amount=price if price is not None else Decimal(0), currency=up.currency or currency
                    ),
                    tax=self._tax_of(rate),
                    line_total=_money(li.line_item_amount, currency),
                )
            )
        return Invoice(
            provider=self.name,
            id=str(doc.id),
            number=doc.voucher_number,
            customer_id=doc.address.contact_id if doc.address else None,
            customer_name=doc.address.name if doc.address else None,
            issue_date=_day(doc.voucher_date),
            due_date=_day(doc.due_date),
            currency=currency,
            total_gross=_money(gross, currency),
            total_net=_money(total.total_net_amount if total else None, currency),
            total_tax=_money(total.total_tax_amount if total else None, currency),
            open_amount=_money(open_amount, currency),
            status=normalise_status(doc.voucher_status, gross, open_amount),
            provider_status=doc.voucher_status or "",
            version=str(doc.version) if doc.version is not None else None,
            lines=lines,
            prices_include_tax=tax_type == "gross",
            reference=_reference_of(doc.remark),
        )

    def _tax_of(self, rate: Decimal) -> TaxRef:
        """The mapping's reference for a percentage read back; an odd one (an old document) as it is."""
        try:
            return self.tax.resolve(str(rate))
        except UnknownTaxCode:
            return TaxRef(code=str(rate), rate=rate)

    def list_invoices(
        self,
        statuses: list[StatusFilter] | None = None,
        *,
        customer_id: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> Iterator[InvoiceSummary]:
        wanted = list(dict.fromkeys(statuses or []))
        query = sorted({s for w in wanted for s in _QUERY[w]}) if wanted else ["any"]
        if not query:
            return
        filters: dict[str, Any] = {"sort": "voucherDate,DESC"}
        if customer_id:
            filters["contact_id"] = customer_id
        if issued_from:
            filters["voucher_date_from"] = issued_from
        if issued_to:
            filters["voucher_date_to"] = issued_to
        today = date.today()
        for row in self.client.voucherlist.iter(voucher_type="invoice", voucher_status=query, **filters):
            summary = self._summary(row)
            if not wanted or any(summary.matches(w, today) for w in wanted):
                yield summary

    def _summary(self, row: VoucherListItem) -> InvoiceSummary:
        currency = row.currency or "EUR"
        return InvoiceSummary(
            provider=self.name,
            id=str(row.id),
            number=row.voucher_number,
            customer_id=row.contact_id,
            customer_name=row.contact_name,
            issue_date=_day(row.voucher_date),
            due_date=_day(row.due_date),
            currency=currency,
            total_gross=_money(row.total_amount, currency),
            open_amount=_money(row.open_amount, currency),
            status=normalise_status(row.voucher_status, row.total_amount, row.open_amount),
            provider_status=row.voucher_status or "",
        )

    # expenses --------------------------------------------------------------------------------------------------
    def create_expense(self, draft: ExpenseDraft) -> Expense:
        """Upload the receipt (Lexware makes a voucher of it), then complete and book that voucher (`open`).

        The supplier's invoice number is the business key: a voucher with that number and total is returned as it
        is, so a retry after an unknown outcome books nothing twice."""
        from lexflow.lexware import models as lx

        self.capabilities.require_currency(draft.currency)
        categories = self._categories([i.category for i in draft.items])
        items, gross, tax_total = [], Decimal("0.00"), Decimal("0.00")
        for item, category_id in zip(draft.items, categories, strict=True):
            ref = self.tax.resolve(item.tax)
            rate = ref.rate or Decimal(0)
            amount = item.amount.quantize(CENT)
            if draft.prices_include_tax:
                tax = (amount - (amount / (1 + rate / 100)).quantize(CENT, ROUND_HALF_UP)).quantize(CENT)
                gross += amount
            else:
                tax = (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
                gross += amount + tax
            tax_total += tax
            items.append(lx.VoucherItem(amount=amount, tax_amount=tax, tax_rate_percent=rate, category_id=category_id))
        existing = self.client.vouchers.find_by_number(draft.number)
        if (
            existing is not None
            and existing.total_gross_amount is not None
            and Decimal(str(existing.total_gross_amount)).quantize(CENT) == gross.quantize(CENT)
        ):
            return self._expense_of(str(existing.id))
        voucher = lx.Voucher(
            type="purchaseinvoice",
            voucher_status="open",
            voucher_number=draft.number,
            voucher_date=draft.issue_date,
            due_date=draft.due_date,
            total_gross_amount=gross,
            total_tax_amount=tax_total,
            tax_type="gross" if draft.prices_include_tax else "net",
            voucher_items=items,
            use_collective_contact=draft.supplier_id is None,
            contact_id=draft.supplier_id,
            contact_name=draft.supplier_name if draft.supplier_id is None else None,
            remark=draft.note,
        )
        upload = self.client.files.upload(draft.receipt.content, draft.receipt.filename)
        if upload.voucher_id:  # the upload made a voucher (OCR): complete it and book it, keeping the file
            voucher.files = [upload.id]
            self.client.vouchers.update(upload.voucher_id, voucher)
            voucher_id = upload.voucher_id
        else:
            voucher_id = str(self.client.vouchers.create(voucher).id)
            self.client.vouchers.upload_file(voucher_id, draft.receipt.content, draft.receipt.filename)
        return self._expense_of(voucher_id)

    def _categories(self, wanted: list[str]) -> list[str]:
        """Each item's category (an outgo posting category's id or name) as an id; the choices named on a miss."""
        if all(UUID.match(w) for w in wanted):
            return wanted
        outgo = [c for c in self.client.posting_categories.list() if _attr(c, "type") == "outgo"]
        by_name = {" ".join(str(_attr(c, "name")).split()).casefold(): str(_attr(c, "id")) for c in outgo}
        ids = []
        for w in wanted:
            key = " ".join(w.split()).casefold()
            if UUID.match(w):
                ids.append(w)
            elif key in by_name:
                ids.append(by_name[key])
            else:
                names = ", ".join(sorted(str(_attr(c, "name")) for c in outgo))
                raise InvalidRecord(
                    "items.category", f"{w!r} is not an expense category in Lexware Office. Use one of: {names}."
                )
        return ids

    def _expense_of(self, voucher_id: str) -> Expense:
        with self._found("expense", voucher_id):
            v = self.client.vouchers.get(voucher_id)
        gross = Decimal(str(v.total_gross_amount)) if v.total_gross_amount is not None else None
        open_amount = None
        if v.voucher_status not in (None, "blank", "unchecked"):
            open_amount = self.client.payments.get(voucher_id).open_amount
        return Expense(
            provider=self.name,
            id=str(v.id),
            number=v.voucher_number,
            supplier_id=None if v.use_collective_contact else v.contact_id,
            supplier_name=v.contact_name,
            issue_date=_day(v.voucher_date),
            due_date=_day(v.due_date),
            total_gross=_money(gross),
            total_tax=_money(v.total_tax_amount),
            open_amount=_money(open_amount),
            status=normalise_status(v.voucher_status, gross, open_amount),
            provider_status=v.voucher_status or "",
            items=[
                ExpenseItem(
                    amount=Money(amount=Decimal(str(i.amount or 0))),
                    tax_amount=_money(i.tax_amount),
                    tax=self._tax_of(i.tax_rate_percent or Decimal(0)),
                    category=i.category_id,
                )
                for i in v.voucher_items
            ],
            receipt_ids=list(v.files or []),
        )

    def list_expenses(
        self, *, issued_from: date | None = None, issued_to: date | None = None, supplier_id: str | None = None
    ) -> Iterator[Expense]:
        filters: dict[str, Any] = {"sort": "voucherDate,DESC"}
        if supplier_id:
            filters["contact_id"] = supplier_id
        if issued_from:
            filters["voucher_date_from"] = issued_from
        if issued_to:
            filters["voucher_date_to"] = issued_to
        for row in self.client.voucherlist.iter(
            voucher_type=["purchaseinvoice", "purchasecreditnote"], voucher_status="any", **filters
        ):
            currency = row.currency or "EUR"
            yield Expense(
                provider=self.name,
                id=str(row.id),
                number=row.voucher_number,
                supplier_id=row.contact_id,
                supplier_name=row.contact_name,
                issue_date=_day(row.voucher_date),
                due_date=_day(row.due_date),
                total_gross=_money(row.total_amount, currency),
                open_amount=_money(row.open_amount, currency),
                status=normalise_status(row.voucher_status, row.total_amount, row.open_amount),
                provider_status=row.voucher_status or "",
            )

    # customers + invoice flows ---------------------------------------------------------------------------------
    def list_customers(self) -> Iterator[Customer]:
        for contact in self.client.contacts.list(customer=True):
            yield self._customer(contact)

    def update_customer(self, id: str, update: CustomerUpdate) -> Customer:
        """GET, change, PUT with the current version (the client retries once on a version conflict)."""
        from lexflow.lexware import models as lx

        def change(c: lx.Contact) -> lx.Contact:
            if update.email and update.email.casefold() not in (e.casefold() for e in self._customer(c).emails):
                emails = c.email_addresses or lx.EmailAddresses()
                # a write takes one address per list (docs/lexware.md#contacts): the first free list gets it
                free = next((k for k in ("business", "other", "office", "private") if not getattr(emails, k)), None)
                setattr(emails, free or "business", [update.email])
                c.email_addresses = emails
            if update.phone:
                phones = c.phone_numbers or lx.PhoneNumbers()
                if update.phone not in [p for v in phones.model_dump().values() for p in (v or [])]:
                    phones.business = [update.phone]
                    c.phone_numbers = phones
            if update.address:
                a = update.address
                billing = lx.ContactAddress(street=a.street, zip=a.zip, city=a.city, country_code=a.country_code)
                shipping = c.addresses.shipping if c.addresses else None
                c.addresses = lx.ContactAddresses(billing=[billing], shipping=shipping)
            if update.vat_id and c.company is not None:
                c.company.vat_registration_id = update.vat_id
            if update.note:
                c.note = update.note
            return c

        with self._found("customer", id):
            self.client.contacts.update(id, change)
        return self.get_customer(id)

    def preview_invoice(self, draft: InvoiceDraft) -> InvoicePreview:
        """Lexware's own totals rules (`lexflow.lexware.models.totals`, the sandbox computes with the same module), and the
        tax rates it would refuse on the invoice's date."""
        import lexflow.lexware.models.totals as tmod

        body = self._invoice_body(draft)
        tax_type = body.tax_conditions.tax_type if body.tax_conditions else "net"
        result = tmod.compute_document_totals(body.to_api()["lineItems"], tax_type or "net")
        on = (
            draft.service_date or draft.issue_date or date.today()
        )  # the tax date (docs/lexware.md#shipping-conditions)
        valid = tmod.valid_tax_rates(on)
        warnings = [
            f"lines[{i}] {line.name!r}: tax rate {rate}% is not valid on {on} (valid: "
            f"{', '.join(str(v) for v in sorted(valid))}); Lexware Office would refuse the invoice."
            for i, line in enumerate(draft.lines)
            if (rate := self.tax.resolve(line.tax).rate or Decimal(0)) not in valid
        ]
        return InvoicePreview(
            currency=draft.currency,
            line_amounts=list(result.line_amounts),
            taxes=[
                TaxTotal(
                    tax=self._tax_of(Decimal(str(t["taxRatePercentage"]))),
                    net=Decimal(str(t["netAmount"])),
                    amount=Decimal(str(t["taxAmount"])),
                )
                for t in result.tax_amounts
            ],
            total_net=Decimal(str(result.total_net)),
            total_tax=Decimal(str(result.total_tax)),
            total_gross=Decimal(str(result.total_gross)),
            warnings=warnings,
        )

    def view_url(self, kind: Literal["customer", "invoice"], id: str) -> str | None:
        """The record in Lexware Office's web app (docs/lexware.md#deeplinks); None on the sandbox."""
        from lexflow.lexware.client.deeplinks import link_for

        return link_for(self.client, "contacts" if kind == "customer" else "invoices", id)

    def invoice_pdf(self, id: str) -> bytes:
        with self._found("invoice", id):
            return bytes(self.client.invoices.file(id, accept="application/pdf").content)

    # history sync and dunning (F2b) ----------------------------------------------------------------------------
    def changes_since(self, cursor: str | None, page_size: int = 250) -> Iterator[ChangePage]:
        """Contacts in full (the API has no change filter for them), then the voucher list (every type and status)
        from the cursor's day on, in pages of `page_size` rows; the cursor is the newest `updatedDate` day seen.
        Whole days: the cursor's day is listed again, and the unchanged `updatedDate` keeps that from costing a
        detail read."""
        page = 0
        while True:
            p: Any = self.client.contacts.page(page=page, size=page_size)  # a Page (or a dict in test fakes)
            content = [_json(c) for c in (p.content if hasattr(p, "content") else p["content"])]
            yield ChangePage(kind="contacts", contacts=[contact_row(c) for c in content])
            last = getattr(p, "last", None)
            if last is None:
                last = p.get("last", True) if isinstance(p, dict) else True
            if last or not content:
                break
            page += 1
        filters: dict[str, Any] = {"updated_date_from": date.fromisoformat(cursor)} if cursor else {}
        newest, rows = cursor, []
        for item in self.client.voucherlist.iter(voucher_type="any", voucher_status="any", **filters):
            row = voucher_row(_json(item))
            day = (row.updated or "")[:10] or None
            if day and (newest is None or day > newest):
                newest = day
            rows.append(row)
            if len(rows) >= page_size:
                yield ChangePage(kind="documents", documents=rows, cursor=newest)
                rows = []
        yield ChangePage(kind="documents", documents=rows, cursor=newest)

    def document_detail(self, row: DocumentRow) -> DocumentDetail:
        """The document from its own endpoint (docs/lexware.md#voucher-list names which); one deleted since it was
        listed (404) is `missing`, a type without a detail endpoint `unsupported` (no request)."""
        resource = DETAIL_RESOURCE.get(row.type)
        if resource is None:
            return DocumentDetail(
                data={"unsupported": f"no detail endpoint for voucherType {row.type}"}, operation="", unsupported=True
            )
        try:
            return DocumentDetail(data=_json(getattr(self.client, resource).get(row.id)), operation=f"{resource}_get")
        except Exception as exc:  # NotFound (404): deleted since it was listed; anything else propagates
            if getattr(exc, "status", None) != 404:
                raise
            return DocumentDetail(data={"missing": True}, operation=f"{resource}_get", missing=True)

    def create_dunning(self, draft: DunningDraft) -> Dunning:
        """A dunning draft following the invoice (`precedingSalesVoucherId`), with the fee as a line of its own."""
        from lexflow.lexware import models as lx

        with self._found("invoice", draft.invoice_id):
            invoice = self.client.invoices.get(draft.invoice_id)
        if invoice.voucher_status not in ("open", "overdue"):
            raise InvalidRecord(
                "invoice_id", f"only open invoices can be dunned; this one is {invoice.voucher_status!r}."
            )
        gross = bool(invoice.tax_conditions and invoice.tax_conditions.tax_type == "gross")
        lines = [
            lx.LineItem(
                type="text",
                name=f"Rechnung {invoice.voucher_number}",
                description="Bitte begleichen Sie den offenen Betrag.",
            )
        ]
        if draft.fee > 0:
            price = {"gross_amount" if gross else "net_amount": draft.fee}
            lines.append(
                lx.LineItem(
                    type="custom",
                    name="Mahngebühr",
                    quantity=Decimal(1),
                    unit_name="pauschal",
                    unit_price=lx.UnitPrice(currency="EUR", tax_rate_percentage=Decimal(0), **price),
                )
            )
        contact_id = invoice.address.contact_id if invoice.address else None
        address = lx.Address(contact_id=contact_id) if contact_id else invoice.address
        body = lx.Dunning(
            voucher_date=draft.as_of,
            address=address,
            line_items=lines,
            total_price=lx.TotalPrice(currency="EUR"),
            tax_conditions=lx.TaxConditions(tax_type="gross" if gross else "net"),
            shipping_conditions=lx.ShippingConditions(shipping_type="none"),
            title="Zahlungserinnerung",
            introduction=draft.introduction,
        )
        made = self.client.dunnings.create(body, preceding_sales_voucher_id=draft.invoice_id)
        open_amount = self.client.payments.get(draft.invoice_id).open_amount
        from lexflow.lexware.client.deeplinks import link_for

        try:
            view_url = link_for(self.client, "dunnings", str(made.id))
        except Exception:  # the sandbox's ids open nothing in the real web app
            view_url = None
        return Dunning(
            provider=self.name,
            id=str(made.id),
            invoice_id=draft.invoice_id,
            invoice_number=invoice.voucher_number,
            open_amount=_money(open_amount),
            view_url=view_url,
        )

    # cancellation (C) --------------------------------------------------------------------------------------------
    def find_cancellation(self, invoice_id: str) -> Cancellation | None:
        from lexflow.lexware.cancellation import credit_note_of, invoice_json

        with self._found("invoice", invoice_id):
            invoice = invoice_json(self.client, invoice_id)
        credit_note_id = credit_note_of(invoice)
        return None if credit_note_id is None else self._cancellation(invoice_id, credit_note_id)

    def cancel_invoice(self, invoice_id: str, reason: str) -> Cancellation:
        from lexflow.lexware.cancellation import cancel_by_credit_note, credit_note_of, invoice_json

        with self._found("invoice", invoice_id):
            invoice = invoice_json(self.client, invoice_id)
        number = str(invoice.get("voucherNumber") or invoice_id)
        if invoice.get("voucherStatus") == "draft":
            raise NotCancellable(
                self.capabilities.display_name, number, "it is a draft; the API cannot delete or cancel drafts.",
                "delete the draft in the Lexware web app.",
            )  # fmt: skip
        existing = credit_note_of(invoice)
        if existing is not None:
            return self._cancellation(invoice_id, existing)
        if invoice.get("voucherStatus") == "voided":
            raise NotCancellable(
                self.capabilities.display_name, number, "it is voided already.", "nothing: it is cancelled."
            )
        return self._cancellation(invoice_id, cancel_by_credit_note(self.client, invoice, reason, date.today()))

    def _cancellation(self, invoice_id: str, credit_note_id: str) -> Cancellation:
        note = self.client.credit_notes.get(credit_note_id)
        return Cancellation(
            provider=self.name,
            invoice_id=invoice_id,
            method="credit_note",
            credit_note_id=credit_note_id,
            credit_note_number=note.voucher_number,
            invoice_status=self.get_invoice(invoice_id).status,
        )


#: voucherType → client attribute holding its details (docs/lexware.md#voucher-list).
DETAIL_RESOURCE = {
    "invoice": "invoices",
    "creditnote": "credit_notes",
    "orderconfirmation": "order_confirmations",
    "quotation": "quotations",
    "deliverynote": "delivery_notes",
    "downpaymentinvoice": "down_payment_invoices",
    "salesinvoice": "vouchers",
    "salescreditnote": "vouchers",
    "purchaseinvoice": "vouchers",
    "purchasecreditnote": "vouchers",
}


def _json(obj: Any) -> dict[str, Any]:
    """API JSON (camelCase) of a client model or a dict."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(obj)


def contact_row(c: dict[str, Any]) -> ContactRow:
    """A contact's API JSON as the sync store's row."""
    roles = c.get("roles") or {}
    company, person = c.get("company") or {}, c.get("person") or {}
    name = company.get("name") or " ".join(x for x in (person.get("firstName"), person.get("lastName")) if x)
    emails = c.get("emailAddresses") or {}
    first = next((v[0] for v in emails.values() if v), None) if isinstance(emails, dict) else None
    return ContactRow(
        id=str(c["id"]),
        version=c.get("version"),
        name=name or "",
        email=first,
        customer_number=(roles.get("customer") or {}).get("number"),
        vendor_number=(roles.get("vendor") or {}).get("number"),
        archived=c.get("archived"),
        data=c,
    )


def voucher_row(v: dict[str, Any]) -> DocumentRow:
    """A voucher-list row's API JSON as the sync store's row (the details come from the document's endpoint)."""
    return DocumentRow(
        id=str(v["id"]),
        type=v.get("voucherType") or "",
        status=v.get("voucherStatus"),
        number=v.get("voucherNumber"),
        date=v.get("voucherDate"),
        due_date=v.get("dueDate"),
        updated=v.get("updatedDate"),
        contact_id=v.get("contactId"),
        contact_name=v.get("contactName"),
        total=v.get("totalAmount"),
        open_amount=v.get("openAmount"),
        data=v,
    )


def _attr(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
