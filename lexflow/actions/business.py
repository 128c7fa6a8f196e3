"""Business actions: the right way to do common jobs with this API, in one call each.

They encode what the raw operations leave to the caller: search before create (no idempotency key exists),
compute totals before anything is created, cancel through a linked credit note (no delete or void exists),
and read payment state without pretending it can be written.
"""

from __future__ import annotations

import base64
import contextlib
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, FileContent, FileOutput, Input, Output, SavesFile
from lexflow.actions.registry import Action, Effect, Registry
from lexflow.models import carries_reference
from lexflow.names import name_key, search_pattern

TWO = Decimal("0.01")


def _d(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _dump(obj: Any) -> dict[str, Any]:
    """API JSON (camelCase) of a model or dict."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(obj or {})


def _get(obj: Any, *keys: str, default: Any = None) -> Any:
    cur = _dump(obj) if isinstance(obj, BaseModel) else obj
    for k in keys:
        if isinstance(cur, BaseModel):
            cur = _dump(cur)
        if not isinstance(cur, dict):
            return default
        cur = cur.get(k)
    return default if cur is None else cur


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(text.split())


def _timestamp(d: date) -> str:
    """Sales documents need yyyy-MM-ddTHH:mm:ss.SSS+hh:mm (§3.2); midnight Berlin is close enough for a date."""
    return f"{d.isoformat()}T00:00:00.000+01:00"


def _view_url(client: Any, resource: str, id_: str) -> str | None:
    """The web-app link to show a person; None on the sandbox (its ids open nothing in the real web app)."""
    try:
        from lexflow.client.deeplinks import link_for

        return link_for(client, resource, id_)
    except Exception:
        return None


# ================================================================================================ customers
class AddressIn(Input):
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    country_code: str = Field(default="DE", min_length=2, description="ISO 3166 alpha-2, e.g. DE, AT, FR.")
    supplement: str | None = None


class UpsertCustomerInput(Input):
    name: str = Field(min_length=1, description="Company name, or the person's full name when kind=person.")
    kind: Literal["company", "person"] = "company"
    first_name: str | None = Field(default=None, description="Person contacts: first name.")
    last_name: str | None = Field(
        default=None, description="Person contacts: last name (defaults to the last word of name)."
    )
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    address: AddressIn | None = None
    vat_registration_id: str | None = None
    tax_number: str | None = None
    note: str | None = Field(default=None, max_length=1000)
    contact_id: str | None = Field(
        default=None, pattern=UUID_PATTERN, description="Answer to a clarification: update exactly this contact."
    )


class Candidate(Output):
    id: str
    name: str
    emails: list[str] = []
    customer_number: int | None = None
    vendor_number: int | None = None
    matched_by: str = ""


class UpsertCustomerOutput(Output):
    status: Literal["created", "updated", "unchanged", "clarification"]
    contact_id: str | None = None
    customer_number: int | None = None
    matched_by: str | None = Field(default=None, description="email, name or contact_id.")
    changed_fields: list[str] = []
    candidates: list[Candidate] = Field(default_factory=list, description="Only for status=clarification.")
    message: str = ""
    view_url: str | None = None


def _contact_name(c: dict[str, Any]) -> str:
    if c.get("company"):
        return str(c["company"].get("name") or "")
    p = c.get("person") or {}
    return " ".join(x for x in (p.get("firstName"), p.get("lastName")) if x)


def _contact_emails(c: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for values in (c.get("emailAddresses") or {}).values():
        out.extend(values or [])
    for person in (c.get("company") or {}).get("contactPersons") or []:
        if person.get("emailAddress"):
            out.append(person["emailAddress"])
    return out


def _candidate(c: dict[str, Any], matched_by: str) -> Candidate:
    roles = c.get("roles") or {}
    return Candidate(
        id=str(c["id"]),
        name=_contact_name(c),
        emails=_contact_emails(c),
        customer_number=(roles.get("customer") or {}).get("number"),
        vendor_number=(roles.get("vendor") or {}).get("number"),
        matched_by=matched_by,
    )


def _escape_like(text: str) -> str:
    """`_` and `%` are wildcards in the contact filters (§12.7); a literal search escapes them."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _search(client: Any, **filters: Any) -> list[dict[str, Any]]:
    return [_dump(c) for c in client.contacts.list(**filters)]


SCAN_LIMIT = 5000
"""Contacts read at most (20 pages, about 10 s at 2 requests/second) to find a name too short for the API's search."""


class _ScanIncomplete(Exception):
    """More contacts exist than `SCAN_LIMIT`: a name too short to search could not be checked against all."""


def _find_matches(client: Any, data: UpsertCustomerInput) -> tuple[list[dict[str, Any]], str]:
    if data.contact_id:
        return [_dump(client.contacts.get(data.contact_id))], "contact_id"
    if data.email:
        wanted = _norm(data.email)
        seen: dict[str, dict[str, Any]] = {}
        for query in dict.fromkeys([data.email, data.email.lower()]):  # the filter may be case-sensitive
            for c in _search(client, email=_escape_like(query)):
                if any(_norm(e) == wanted for e in _contact_emails(c)):
                    seen[str(c["id"])] = c
        if seen:
            return list(seen.values()), "email"
    key = name_key(data.name)
    found = {str(c["id"]): c for c in _name_candidates(client, data.name) if name_key(_contact_name(c)) == key}
    return (list(found.values()), "name") if found else ([], "")


def _name_candidates(client: Any, name: str) -> Iterable[dict[str, Any]]:
    """Contacts that may carry `name` in another spelling: the API's search with a wildcard pattern covering every
    spelling with the same key (both cases, in case the filter is case-sensitive); a name too short for the search
    (fewer than 3 letters) is looked for in the whole contact list, read up to `SCAN_LIMIT` contacts."""
    pattern = search_pattern(name)
    if pattern is not None:
        for query in dict.fromkeys([pattern, pattern.lower()]):
            yield from _search(client, name=query)
        return
    for n, contact in enumerate(client.contacts.list(), start=1):
        if n > SCAN_LIMIT:
            raise _ScanIncomplete
        yield _dump(contact)


def _desired_contact(data: UpsertCustomerInput) -> dict[str, Any]:
    body: dict[str, Any] = {"version": 0, "roles": {"customer": {}}}
    if data.kind == "company":
        company: dict[str, Any] = {"name": data.name.strip()}
        if data.vat_registration_id:
            company["vatRegistrationId"] = data.vat_registration_id
        if data.tax_number:
            company["taxNumber"] = data.tax_number
        body["company"] = company
    else:
        parts = data.name.strip().split()
        last = data.last_name or (parts[-1] if parts else data.name)
        first = data.first_name or (" ".join(parts[:-1]) if len(parts) > 1 else None)
        body["person"] = {k: v for k, v in {"firstName": first, "lastName": last}.items() if v}
    if data.email:
        body["emailAddresses"] = {"business": [data.email]}
    if data.phone:
        body["phoneNumbers"] = {"business": [data.phone]}
    if data.address:
        a = data.address
        addr = {
            "street": a.street,
            "zip": a.zip,
            "city": a.city,
            "countryCode": a.country_code,
            "supplement": a.supplement,
        }
        body["addresses"] = {"billing": [{k: v for k, v in addr.items() if v}]}
    if data.note:
        body["note"] = data.note
    return body


def _changes(current: dict[str, Any], data: UpsertCustomerInput) -> dict[str, Any]:
    """Top-level fields to write so the contact carries the given data; empty when nothing differs."""
    changes: dict[str, Any] = {}
    if "customer" not in (current.get("roles") or {}):
        changes["roles"] = {**(current.get("roles") or {}), "customer": {}}
    if data.email and not any(_norm(e) == _norm(data.email) for e in _contact_emails(current)):
        emails = {k: list(v) for k, v in (current.get("emailAddresses") or {}).items()}
        if emails.get("business"):
            emails.setdefault("other", [])
            if not emails["other"]:
                emails["other"] = [data.email]  # writes allow one entry per list (§12.6)
            else:
                emails["business"] = [data.email]
        else:
            emails["business"] = [data.email]
        changes["emailAddresses"] = emails
    if data.phone:
        phones = {k: list(v) for k, v in (current.get("phoneNumbers") or {}).items()}
        if data.phone not in [p for v in phones.values() for p in v]:
            phones["business"] = [data.phone]
            changes["phoneNumbers"] = phones
    if data.address:
        desired = _desired_contact(data)["addresses"]["billing"][0]
        billing = ((current.get("addresses") or {}).get("billing") or [{}])[0]
        if any(billing.get(k) != v for k, v in desired.items()):
            changes["addresses"] = {**(current.get("addresses") or {}), "billing": [desired]}
    if current.get("company") is not None and data.kind == "company":
        company = dict(current["company"])
        touched = False
        for key, value in (("vatRegistrationId", data.vat_registration_id), ("taxNumber", data.tax_number)):
            if value and company.get(key) != value:
                company[key], touched = value, True
        if touched:
            changes["company"] = company
    if data.note and current.get("note") != data.note:
        changes["note"] = data.note
    return changes


def upsert_customer(client: Any, data: UpsertCustomerInput) -> UpsertCustomerOutput:
    from lexflow.client.errors import AmbiguousWrite

    try:
        matches, how = _find_matches(client, data)
    except _ScanIncomplete:
        return UpsertCustomerOutput(
            status="clarification",
            message=f"The name {data.name!r} is too short for the contact search and there are more than "
            f"{SCAN_LIMIT} contacts to read instead, so lexflow cannot rule out that this customer exists; nothing "
            "was changed. Call again with the customer's e-mail, or with contact_id set to the existing contact.",
        )
    if len(matches) > 1:
        return UpsertCustomerOutput(
            status="clarification",
            matched_by=how,
            candidates=[_candidate(c, how) for c in matches],
            message=f"{len(matches)} contacts match by {how}; nothing was changed. Call again with contact_id set "
            "to the one you mean.",
        )
    if matches:
        current = matches[0]
        cid = str(current["id"])
        changes = _changes(current, data)
        if not changes:
            return _upsert_out(client, "unchanged", current, how, [], "The contact already has this data.")
        client.contacts.update(cid, changes)
        return _upsert_out(client, "updated", _dump(client.contacts.get(cid)), how, sorted(changes), "Contact updated.")
    try:
        result = client.contacts.create(_desired_contact(data))
    except AmbiguousWrite:
        # The create may have happened (e.g. 504 after commit). Search again instead of creating a duplicate.
        matches, how = _find_matches(client, data)
        if len(matches) == 1:
            return _upsert_out(
                client, "created", matches[0], how, [], "Created (confirmed by search after an ambiguous write)."
            )
        raise
    cid = str(_get(result, "id"))
    return _upsert_out(client, "created", _dump(client.contacts.get(cid)), None, [], "Contact created.")


def _upsert_out(
    client: Any, status: Any, c: dict[str, Any], how: str | None, changed: list[str], msg: str
) -> UpsertCustomerOutput:
    cid = str(c.get("id"))
    return UpsertCustomerOutput(
        status=status,
        contact_id=cid,
        customer_number=((c.get("roles") or {}).get("customer") or {}).get("number"),
        matched_by=how,
        changed_fields=changed,
        message=msg,
        view_url=_view_url(client, "contacts", cid),
    )


class FindDuplicatesInput(Input):
    threshold: int = Field(default=90, ge=50, le=100, description="Name similarity 0..100 (rapidfuzz token ratio).")
    customers_only: bool = False


class DuplicateGroup(Output):
    reason: Literal["same_email", "similar_name"]
    score: float
    contacts: list[Candidate]


class FindDuplicatesOutput(Output):
    scanned: int
    groups: list[DuplicateGroup]


def _name_key(name: str) -> str:
    return name_key(name, keep_legal_form=False)


def find_duplicate_contacts(client: Any, data: FindDuplicatesInput) -> FindDuplicatesOutput:
    from rapidfuzz import fuzz

    contacts = [_dump(c) for c in client.contacts.list(**({"customer": True} if data.customers_only else {}))]
    groups: list[DuplicateGroup] = []
    by_email: dict[str, list[dict[str, Any]]] = {}
    for c in contacts:
        for e in {_norm(x) for x in _contact_emails(c)}:
            by_email.setdefault(e, []).append(c)
    paired: set[frozenset[str]] = set()
    for members in by_email.values():
        if len(members) > 1:
            ids = frozenset(str(m["id"]) for m in members)
            if ids not in paired:
                paired.add(ids)
                groups.append(
                    DuplicateGroup(reason="same_email", score=100, contacts=[_candidate(m, "email") for m in members])
                )
    keys = [(_name_key(_contact_name(c)), c) for c in contacts]
    for i, (ka, a) in enumerate(keys):
        for kb, b in keys[i + 1 :]:
            if not ka or not kb:
                continue
            score = fuzz.token_sort_ratio(ka, kb)
            pair = frozenset({str(a["id"]), str(b["id"])})
            if score >= data.threshold and not any(pair <= p for p in paired):
                paired.add(pair)
                groups.append(
                    DuplicateGroup(
                        reason="similar_name", score=score, contacts=[_candidate(a, "name"), _candidate(b, "name")]
                    )
                )
    return FindDuplicatesOutput(scanned=len(contacts), groups=groups)


# ================================================================================================ invoices
class LineIn(Input):
    name: str = Field(min_length=1, max_length=255)
    quantity: Decimal = Field(default=Decimal(1), gt=0, decimal_places=4)
    unit_name: str = "Stück"
    unit_price: Decimal = Field(description="Net price per unit (gross when tax_type=gross), up to 4 decimals.")
    tax_rate: Decimal = Field(default=Decimal(19), ge=0, le=100, description="0, 7 or 19 (German rates today).")
    discount_percentage: Decimal | None = Field(default=None, ge=0, le=100)
    description: str | None = Field(default=None, max_length=2000)
    type: Literal["custom", "text"] = "custom"


class InvoiceDraft(Input):
    contact_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="Customer contact (preferred).")
    recipient_name: str | None = Field(default=None, description="One-time address name when there is no contact.")
    country_code: str = "DE"
    voucher_date: date | None = Field(default=None, description="Defaults to today.")
    tax_type: Literal["net", "gross", "vatfree"] = "net"
    line_items: list[LineIn] = Field(min_length=1, max_length=300)
    total_discount_percentage: Decimal | None = Field(default=None, ge=0, le=100)
    shipping_type: Literal["none", "service", "delivery", "serviceperiod", "deliveryperiod"] = "none"
    shipping_date: date | None = None
    shipping_end_date: date | None = None
    payment_term_days: int | None = Field(default=None, ge=0, le=365)
    title: str | None = Field(default=None, max_length=25)
    introduction: str | None = Field(default=None, max_length=2000)
    remark: str | None = Field(default=None, max_length=2000)
    reference: str | None = Field(
        default=None,
        min_length=4,
        max_length=80,
        description="Your unique reference (e.g. order number). Printed in the remark; makes create_invoice safe to "
        "retry: an invoice already carrying it is returned instead of creating a second one.",
    )

    @model_validator(mode="after")
    def _recipient(self) -> InvoiceDraft:
        if not self.contact_id and not self.recipient_name:
            raise ValueError("give contact_id (a customer) or recipient_name (a one-time address)")
        if self.shipping_type != "none" and not self.shipping_date:
            raise ValueError(f"shipping_date is required for shipping_type={self.shipping_type}")
        if self.shipping_type.endswith("period") and not self.shipping_end_date:
            raise ValueError(f"shipping_end_date is required for shipping_type={self.shipping_type}")
        return self

    def body(self) -> dict[str, Any]:
        """The POST /v1/invoices JSON for this draft."""
        price_key = "grossAmount" if self.tax_type == "gross" else "netAmount"
        lines: list[dict[str, Any]] = []
        for li in self.line_items:
            if li.type == "text":
                lines.append(
                    {"type": "text", "name": li.name, **({"description": li.description} if li.description else {})}
                )
                continue
            line: dict[str, Any] = {
                "type": "custom",
                "name": li.name,
                "quantity": float(li.quantity),
                "unitName": li.unit_name,
                "unitPrice": {
                    "currency": "EUR",
                    price_key: float(li.unit_price),
                    "taxRatePercentage": float(0 if self.tax_type == "vatfree" else li.tax_rate),
                },
            }
            if li.description:
                line["description"] = li.description
            if li.discount_percentage:
                line["discountPercentage"] = float(li.discount_percentage)
            lines.append(line)
        address: dict[str, Any] = (
            {"contactId": self.contact_id}
            if self.contact_id
            else {"name": self.recipient_name, "countryCode": self.country_code}
        )
        total: dict[str, Any] = {"currency": "EUR"}
        if self.total_discount_percentage:
            total["totalDiscountPercentage"] = float(self.total_discount_percentage)
        shipping: dict[str, Any] = {"shippingType": self.shipping_type}
        if self.shipping_date:
            shipping["shippingDate"] = _timestamp(self.shipping_date)
        if self.shipping_end_date:
            shipping["shippingEndDate"] = _timestamp(self.shipping_end_date)
        body: dict[str, Any] = {
            "voucherDate": _timestamp(self.voucher_date or date.today()),
            "address": address,
            "lineItems": lines,
            "totalPrice": total,
            "taxConditions": {"taxType": self.tax_type},
            "shippingConditions": shipping,
        }
        if self.payment_term_days is not None:
            body["paymentConditions"] = {
                "paymentTermLabel": f"Zahlbar innerhalb von {self.payment_term_days} Tagen",
                "paymentTermDuration": self.payment_term_days,
            }
        for key in ("title", "introduction", "remark"):
            if getattr(self, key):
                body[key] = getattr(self, key)
        if self.reference:
            body["remark"] = (
                body.get("remark", "") + "\n" if body.get("remark") else ""
            ) + f"Referenz: {self.reference}"
        return body

    def tax_date(self) -> date:
        """The date that decides which tax rates are valid (§4.3 shippingConditions)."""
        if self.shipping_type.endswith("period") and self.shipping_end_date:
            return self.shipping_end_date
        if self.shipping_type != "none" and self.shipping_date:
            return self.shipping_date
        return self.voucher_date or date.today()


class TaxLine(Output):
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal


class Totals(Output):
    line_amounts: list[Decimal]
    tax_amounts: list[TaxLine]
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    currency: Literal["EUR"] = "EUR"


class PreviewInvoiceOutput(Output):
    totals: Totals
    warnings: list[str] = []
    request_body: dict[str, Any] = Field(description="Exactly what create_invoice will send.")


def _totals(draft: InvoiceDraft) -> tuple[Totals, list[str]]:
    import lexflow.models.totals as tmod  # the sandbox computes with the same module

    body = draft.body()
    result = tmod.compute_document_totals(
        body["lineItems"], draft.tax_type, total_discount_percentage=draft.total_discount_percentage
    )
    warnings: list[str] = []
    try:
        valid = tmod.valid_tax_rates(draft.tax_date())
        for li in draft.line_items:
            if li.type != "text" and draft.tax_type != "vatfree" and Decimal(li.tax_rate) not in valid:
                warnings.append(
                    f"line {li.name!r}: tax rate {li.tax_rate}% is not valid on {draft.tax_date()} "
                    f"(valid: {', '.join(str(v) for v in sorted(valid))}); the API will refuse it (406)."
                )
    except AttributeError:
        pass
    taxes = [
        TaxLine(
            tax_rate=_d(_get(t, "taxRatePercentage", default=_get(t, "tax_rate_percentage"))),
            net_amount=_d(_get(t, "netAmount", default=_get(t, "net_amount"))),
            tax_amount=_d(_get(t, "taxAmount", default=_get(t, "tax_amount"))),
        )
        for t in (getattr(result, "tax_amounts", None) or [])
    ]
    return (
        Totals(
            line_amounts=[_d(x) for x in (getattr(result, "line_amounts", None) or [])],
            tax_amounts=taxes,
            total_net=_d(result.total_net).quantize(TWO),
            total_tax=_d(result.total_tax).quantize(TWO),
            total_gross=_d(result.total_gross).quantize(TWO),
        ),
        warnings,
    )


def preview_invoice(client: Any, data: InvoiceDraft) -> PreviewInvoiceOutput:
    totals, warnings = _totals(data)
    return PreviewInvoiceOutput(totals=totals, warnings=warnings, request_body=data.body())


class CreateInvoiceInput(InvoiceDraft):
    finalize: bool = Field(
        default=False, description="true: the invoice is created open and numbered; it can never be edited or deleted."
    )
    expected_total_gross: Decimal | None = Field(
        default=None, description="The gross total the approver saw in preview_invoice; creation refuses if it differs."
    )


class CreateInvoiceOutput(Output):
    invoice_id: str
    already_existed: bool = Field(default=False, description="An invoice with this reference was found; none created.")
    voucher_number: str | None = None
    voucher_status: str | None = None
    total_gross: Decimal | None = None
    preview_total_gross: Decimal
    view_url: str | None = None


def create_invoice(client: Any, data: CreateInvoiceInput) -> CreateInvoiceOutput:
    totals, warnings = _totals(data)
    if data.expected_total_gross is not None and _d(data.expected_total_gross).quantize(TWO) != totals.total_gross:
        raise InvalidInput(
            f"expected_total_gross {data.expected_total_gross} differs from the computed {totals.total_gross}; "
            "nothing was created. Run preview_invoice again and have the new total approved."
        )
    if warnings:
        raise InvalidInput("; ".join(warnings))
    existing = _invoice_with_reference(client, data, totals.total_gross) if data.reference else None
    if existing:
        iid = existing
    else:
        # With a reference the client finds a timed-out create itself; without one an AmbiguousWrite propagates
        # (there is no idempotency key: only a look at the voucher list can tell).
        iid = str(
            _get(client.invoices.create(data.body(), finalize=data.finalize, correlation_ref=data.reference), "id")
        )
    inv = _dump(client.invoices.get(iid))
    return CreateInvoiceOutput(
        invoice_id=iid,
        already_existed=existing is not None,
        voucher_number=inv.get("voucherNumber"),
        voucher_status=inv.get("voucherStatus"),
        total_gross=_get(inv, "totalPrice", "totalGrossAmount"),
        preview_total_gross=totals.total_gross,
        view_url=_view_url(client, "invoices", iid),
    )


#: How far back `create_invoice` looks for an invoice already carrying the reference.
REFERENCE_LOOKBACK = timedelta(days=7)


def _invoice_with_reference(client: Any, data: CreateInvoiceInput, gross: Decimal) -> str | None:
    return find_invoice_by_reference(client, str(data.reference), data.contact_id, gross)


def find_invoice_by_reference(client: Any, reference: str, contact_id: str | None, gross: Decimal) -> str | None:
    """A recent invoice (same contact, same gross total, created within `REFERENCE_LOOKBACK`) whose remark carries
    `Referenz: <reference>` exactly (never `AUFTRAG-10` for `AUFTRAG-1`), if any. Reads only."""
    since = datetime.now(UTC).date() - REFERENCE_LOOKBACK
    filters: dict[str, Any] = {"created_date_from": since.isoformat()}
    if contact_id:
        filters["contact_id"] = contact_id
    for row in client.voucherlist.iter(voucher_type="invoice", voucher_status="any", **filters):
        r = _dump(row)
        if r.get("totalAmount") is not None and _d(r["totalAmount"]).quantize(TWO) != gross:
            continue
        inv = _dump(client.invoices.get(str(r["id"])))
        if carries_reference(str(inv.get("remark") or ""), f"Referenz: {reference}"):
            return str(r["id"])
    return None


class CancelInvoiceInput(Input):
    invoice_id: str = Field(pattern=UUID_PATTERN)
    reason: str = Field(min_length=3, max_length=500, description="Printed in the credit note's introduction.")
    voucher_date: date | None = None


class CancelInvoiceOutput(Output):
    credit_note_id: str
    credit_note_number: str | None = None
    credit_note_status: str | None = None
    invoice_status: str | None = None
    view_url: str | None = None


def cancel_invoice(client: Any, data: CancelInvoiceInput) -> CancelInvoiceOutput:
    inv = _dump(client.invoices.get(data.invoice_id))
    status = inv.get("voucherStatus")
    if status == "draft":
        raise InvalidInput(
            "The invoice is a draft: the API cannot delete or cancel drafts. Delete it in the Lexware web app."
        )
    if status == "voided":
        raise InvalidInput("The invoice is already voided.")
    if any(rv.get("voucherType") == "creditnote" for rv in inv.get("relatedVouchers") or []):
        raise InvalidInput("The invoice already has a credit note; the API allows only one per invoice.")
    lines = []
    gross_doc = _get(inv, "taxConditions", "taxType") == "gross"
    key = "grossAmount" if gross_doc else "netAmount"
    for li in inv.get("lineItems") or []:
        if li.get("type") == "text":
            lines.append({"type": "text", "name": li.get("name"), "description": li.get("description")})
            continue
        unit = dict(li.get("unitPrice") or {})
        price = _d(unit.get(key))
        if li.get("discountPercentage"):  # credit notes have no line discounts: fold it into the price
            price = (price * (1 - _d(li["discountPercentage"]) / 100)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        lines.append(
            {
                "type": "custom",
                "name": li.get("name"),
                "quantity": li.get("quantity"),
                "unitName": li.get("unitName") or "Stück",
                "unitPrice": {
                    "currency": "EUR",
                    key: float(price),
                    "taxRatePercentage": unit.get("taxRatePercentage", 0),
                },
            }
        )
    address = dict(inv.get("address") or {})
    address.pop("contactPerson", None)
    if address.get("contactId"):
        address = {"contactId": address["contactId"]}
    total: dict[str, Any] = {"currency": "EUR"}
    if _get(inv, "totalPrice", "totalDiscountPercentage"):
        total["totalDiscountPercentage"] = _get(inv, "totalPrice", "totalDiscountPercentage")
    number = inv.get("voucherNumber") or data.invoice_id
    body = {
        "voucherDate": _timestamp(data.voucher_date or date.today()),
        "address": address,
        "lineItems": [{k: v for k, v in li.items() if v is not None} for li in lines],
        "totalPrice": total,
        "taxConditions": {k: v for k, v in (inv.get("taxConditions") or {"taxType": "net"}).items() if v is not None},
        "title": "Rechnungskorrektur",
        "introduction": f"Stornierung der Rechnung {number}. Grund: {data.reason}",
    }
    result = client.credit_notes.create(body, finalize=True, preceding_sales_voucher_id=data.invoice_id)
    cid = str(_get(result, "id"))
    cn = _dump(client.credit_notes.get(cid))
    after = _dump(client.invoices.get(data.invoice_id))
    return CancelInvoiceOutput(
        credit_note_id=cid,
        credit_note_number=cn.get("voucherNumber"),
        credit_note_status=cn.get("voucherStatus"),
        invoice_status=after.get("voucherStatus"),
        view_url=_view_url(client, "credit-notes", cid),
    )


class InvoiceDocumentInput(SavesFile):
    invoice_id: str = Field(pattern=UUID_PATTERN)
    format: Literal["pdf", "xrechnung"] = "pdf"


def invoice_document(client: Any, data: InvoiceDocumentInput) -> FileOutput:
    accept = "application/xml" if data.format == "xrechnung" else "application/pdf"
    return FileOutput.from_download(client.invoices.file(data.invoice_id, accept=accept), data)


# ================================================================================================ receivables
class OpenItemsInput(Input):
    as_of: date | None = Field(default=None, description="Reference day for ageing (default today).")
    contact_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    bucket_days: list[int] = Field(default=[30, 60, 90], description="Upper bounds of the overdue buckets in days.")


class OpenItem(Output):
    id: str
    voucher_number: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    voucher_date: date | None = None
    due_date: date | None = None
    total_amount: Decimal | None = None
    open_amount: Decimal
    days_overdue: int
    bucket: str
    status: str


class OpenItemsOutput(Output):
    as_of: date
    total_open: Decimal
    buckets: dict[str, Decimal]
    items: list[OpenItem]


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _bucket_names(bounds: list[int]) -> list[str]:
    names, low = ["not due"], 1
    for b in sorted(bounds):
        names.append(f"{low}-{b}")
        low = b + 1
    names.append(f">{sorted(bounds)[-1]}" if bounds else ">0")
    return names


def open_items(client: Any, data: OpenItemsInput) -> OpenItemsOutput:
    as_of = data.as_of or datetime.now(UTC).date()
    bounds = sorted(data.bucket_days)
    names = _bucket_names(bounds)
    buckets = {n: Decimal("0.00") for n in names}
    items: list[OpenItem] = []
    filters = {"contact_id": data.contact_id} if data.contact_id else {}
    for row in client.voucherlist.iter(voucher_type="invoice", voucher_status="open", **filters):
        r = _dump(row)
        open_amount = _d(r.get("openAmount") if r.get("openAmount") is not None else r.get("totalAmount"))
        if open_amount <= 0:
            continue
        due = _as_date(r.get("dueDate"))
        days = (as_of - due).days if due else 0
        if days <= 0:
            bucket = names[0]
        else:
            idx = next((i for i, b in enumerate(bounds) if days <= b), len(bounds))
            bucket = names[idx + 1]
        buckets[bucket] += open_amount
        items.append(
            OpenItem(
                id=str(r["id"]),
                voucher_number=r.get("voucherNumber"),
                contact_id=r.get("contactId"),
                contact_name=r.get("contactName"),
                voucher_date=_as_date(r.get("voucherDate")),
                due_date=due,
                total_amount=r.get("totalAmount"),
                open_amount=open_amount,
                days_overdue=max(days, 0),
                bucket=bucket,
                status=str(r.get("voucherStatus")),
            )
        )
    items.sort(key=lambda i: -i.days_overdue)
    return OpenItemsOutput(
        as_of=as_of, total_open=sum((i.open_amount for i in items), Decimal("0.00")), buckets=buckets, items=items
    )


class PaymentStatusInput(Input):
    voucher_id: str = Field(pattern=UUID_PATTERN, description="Invoice, credit note or bookkeeping voucher id.")


class PaymentStatusOutput(Output):
    voucher_id: str
    payment_status: str | None = None
    voucher_status: str | None = None
    open_amount: Decimal | None = None
    paid_date: str | None = None
    settled: bool
    items: list[dict[str, Any]] = []
    note: str = ""


def payment_status(client: Any, data: PaymentStatusInput) -> PaymentStatusOutput:
    p = _dump(client.payments.get(data.voucher_id))
    status = p.get("voucherStatus")
    note = "Read-only: the API cannot mark anything paid; assign payments in the web app or via bank matching."
    if status == "voided":
        note = "Voided: looks balanced with open amount 0, but nothing was paid. " + note
    return PaymentStatusOutput(
        voucher_id=data.voucher_id,
        payment_status=p.get("paymentStatus"),
        voucher_status=status,
        open_amount=p.get("openAmount"),
        paid_date=p.get("paidDate"),
        settled=p.get("paymentStatus") == "balanced" and status != "voided",
        items=p.get("paymentItems") or [],
        note=note,
    )


# ================================================================================================ expenses, dunning
class ExpenseItem(Input):
    amount: Decimal = Field(
        gt=0,
        description="Gross amount (net when tax_type=net) of this item, positive: a refund or credit from the "
        "supplier is type=purchasecreditnote with positive amounts.",
    )
    tax_rate: Decimal = Field(default=Decimal(19), ge=0, le=100, description="Percent: 0, 7 or 19 in Germany.")
    category: str = Field(
        min_length=2,
        description="Posting category (type outgo): its id, or its name as in posting_categories_list, e.g. 'Bürobedarf'.",
    )


class CreateExpenseInput(Input):
    receipt: FileContent | None = Field(
        default=None, description="The receipt file; not needed with file_id and voucher_id of an earlier upload."
    )
    voucher_number: str = Field(min_length=1, description="The supplier's invoice number.")
    voucher_date: date
    due_date: date | None = None
    type: Literal["purchaseinvoice", "purchasecreditnote"] = "purchaseinvoice"
    tax_type: Literal["gross", "net"] = "gross"
    items: list[ExpenseItem] = Field(min_length=1)
    contact_id: str | None = Field(
        default=None, pattern=UUID_PATTERN, description="Vendor; omit to use the collective contact."
    )
    supplier_name: str | None = Field(default=None, description="Shown with the collective contact.")
    remark: str | None = None
    file_id: str | None = Field(
        default=None,
        pattern=UUID_PATTERN,
        description="Set with voucher_id when files_upload already sent this receipt.",
    )
    voucher_id: str | None = Field(
        default=None,
        pattern=UUID_PATTERN,
        description="The voucher that upload created: it is completed without sending the file a second time.",
    )

    @model_validator(mode="after")
    def _upload_pair(self) -> CreateExpenseInput:
        if bool(self.file_id) != bool(self.voucher_id):
            raise ValueError("give file_id and voucher_id together (both from the files_upload result), or neither")
        if self.receipt is None and not self.file_id:
            raise ValueError("receipt: give the file, or file_id and voucher_id of an earlier files_upload")
        return self


class CreateExpenseOutput(Output):
    voucher_id: str
    file_id: str
    voucher_status: str | None = None
    total_gross: Decimal
    total_tax: Decimal
    view_url: str | None = None


def _category_ids(client: Any, data: CreateExpenseInput) -> list[str]:
    """Resolve each item's category (an id, or an outgo category's name) to an id; name the choices on a miss."""
    import re

    wanted = [it.category for it in data.items]
    if all(re.match(UUID_PATTERN, w) for w in wanted):
        return wanted
    outgo = [_dump(c) for c in client.posting_categories.list()]
    outgo = [c for c in outgo if c.get("type") == "outgo"]
    by_name = {_norm(c.get("name")): str(c["id"]) for c in outgo}
    ids = []
    for w in wanted:
        if re.match(UUID_PATTERN, w):
            ids.append(w)
        elif _norm(w) in by_name:
            ids.append(by_name[_norm(w)])
        else:
            names = ", ".join(sorted(str(c.get("name")) for c in outgo))
            raise InvalidInput(f"items.category {w!r} is not an outgo posting category. Use one of: {names}.")
    return ids


def _expense_body(data: CreateExpenseInput, file_id: str, categories: list[str]) -> dict[str, Any]:
    items, gross, tax = [], Decimal("0.00"), Decimal("0.00")
    for it, category_id in zip(data.items, categories, strict=True):
        rate = _d(it.tax_rate)
        amount = _d(it.amount).quantize(TWO)
        if data.tax_type == "gross":
            t = (amount - (amount / (1 + rate / 100)).quantize(TWO, ROUND_HALF_UP)).quantize(TWO)
            gross += amount
        else:
            t = (amount * rate / 100).quantize(TWO, ROUND_HALF_UP)
            gross += amount + t
        tax += t
        items.append(
            {
                "amount": float(amount),
                "taxAmount": float(t),
                "taxRatePercent": float(rate),
                "categoryId": category_id,
            }
        )
    body: dict[str, Any] = {
        "type": data.type,
        "voucherStatus": "open",
        "voucherNumber": data.voucher_number,
        "voucherDate": data.voucher_date.isoformat(),
        "totalGrossAmount": float(gross),
        "totalTaxAmount": float(tax),
        "taxType": data.tax_type,
        "voucherItems": items,
        "files": [file_id],
    }
    if data.due_date:
        body["dueDate"] = data.due_date.isoformat()
    if data.contact_id:
        body["useCollectiveContact"] = False
        body["contactId"] = data.contact_id
    else:
        body["useCollectiveContact"] = True
        if data.supplier_name:
            body["contactName"] = data.supplier_name
    if data.remark:
        body["remark"] = data.remark
    return body


def create_expense(client: Any, data: CreateExpenseInput) -> CreateExpenseOutput:
    categories = _category_ids(client, data)
    voucher_id: str | None
    if data.file_id and data.voucher_id:  # uploaded before (the flow waited for its OCR): no second upload
        file_id, voucher_id = data.file_id, data.voucher_id
    else:
        assert data.receipt is not None  # the input's validator demands one or the other
        upload = _dump(client.files.upload(data.receipt.read(), data.receipt.filename))
        file_id, voucher_id = str(upload.get("id")), upload.get("voucherId") or upload.get("voucher_id")
    body = _expense_body(data, file_id, categories)
    if voucher_id:
        # The upload created a voucher (unchecked after OCR); complete it and book it (`open`), keeping the file.
        client.vouchers.update(str(voucher_id), body)
    else:
        body.pop("files")
        voucher_id = str(_get(client.vouchers.create(body), "id"))
        if data.receipt is None:
            raise InvalidInput("receipt: the upload created no voucher to complete; give the receipt file")
        client.vouchers.upload_file(voucher_id, data.receipt.read(), data.receipt.filename)
    v = _dump(client.vouchers.get(str(voucher_id)))
    return CreateExpenseOutput(
        voucher_id=str(voucher_id),
        file_id=file_id,
        voucher_status=v.get("voucherStatus"),
        total_gross=_d(body["totalGrossAmount"]),
        total_tax=_d(body["totalTaxAmount"]),
        view_url=_view_url(client, "vouchers", str(voucher_id)),
    )


class CreateDunningInput(Input):
    invoice_id: str = Field(pattern=UUID_PATTERN)
    fee: Decimal = Field(default=Decimal("0"), ge=0, description="Dunning fee (net), 0 for a plain reminder.")
    voucher_date: date | None = None
    title: str | None = Field(default="Zahlungserinnerung", max_length=25)
    introduction: str | None = Field(default=None, max_length=2000)


class CreateDunningOutput(Output):
    dunning_id: str
    invoice_id: str
    invoice_number: str | None = None
    open_amount: Decimal | None = None
    view_url: str | None = None
    note: str = "Dunnings are always drafts in the API: review and send it from the web app or e-mail the PDF."


def create_dunning(client: Any, data: CreateDunningInput) -> CreateDunningOutput:
    inv = _dump(client.invoices.get(data.invoice_id))
    if inv.get("voucherStatus") not in ("open", "overdue"):
        raise InvalidInput(f"Only open invoices can be dunned; this one is {inv.get('voucherStatus')!r}.")
    number = inv.get("voucherNumber")
    tax_conditions = {k: v for k, v in (inv.get("taxConditions") or {"taxType": "net"}).items() if v is not None}
    key = "grossAmount" if tax_conditions.get("taxType") == "gross" else "netAmount"
    lines: list[dict[str, Any]] = [
        {"type": "text", "name": f"Rechnung {number}", "description": "Bitte begleichen Sie den offenen Betrag."}
    ]
    if data.fee > 0:
        lines.append(
            {
                "type": "custom",
                "name": "Mahngebühr",
                "quantity": 1,
                "unitName": "pauschal",
                "unitPrice": {"currency": "EUR", key: float(data.fee), "taxRatePercentage": 0},
            }
        )
    address = dict(inv.get("address") or {})
    address = (
        {"contactId": address["contactId"]}
        if address.get("contactId")
        else {k: v for k, v in address.items() if k in ("name", "street", "zip", "city", "countryCode", "supplement")}
    )
    body: dict[str, Any] = {
        "voucherDate": _timestamp(data.voucher_date or date.today()),
        "address": address,
        "lineItems": lines,
        "totalPrice": {"currency": "EUR"},
        "taxConditions": tax_conditions,
        "shippingConditions": {"shippingType": "none"},
    }
    if data.title:
        body["title"] = data.title
    if data.introduction:
        body["introduction"] = data.introduction
    result = client.dunnings.create(body, preceding_sales_voucher_id=data.invoice_id)
    did = str(_get(result, "id"))
    open_amount = None
    with contextlib.suppress(Exception):  # payment info is a nicety here; the dunning exists either way
        open_amount = _dump(client.payments.get(data.invoice_id)).get("openAmount")
    return CreateDunningOutput(
        dunning_id=did, invoice_id=data.invoice_id, invoice_number=number, open_amount=open_amount,
        view_url=_view_url(client, "dunnings", did),
    )  # fmt: skip


# ================================================================================================ registration
_DRAFT_EXAMPLE: dict[str, Any] = {
    "contact_id": EXAMPLE_ID,
    "voucher_date": "2026-11-24",
    "line_items": [
        {"name": "Beratung", "quantity": "2", "unit_name": "Stunde", "unit_price": "100.00", "tax_rate": "19"},
        {"name": "Fachbuch", "quantity": "1", "unit_price": "8.32", "tax_rate": "7"},
    ],
}


def _finalize_effect(d: Any) -> Effect:
    return "irreversible" if d.finalize else "write"


def _actions() -> Iterable[Action]:
    yield Action(
        name="upsert_customer",
        description=(
            "Make sure a customer exists with this data, without ever creating a duplicate. Searches by e-mail "
            "(any letter case) first, then by exact name; updates the one match, creates when there is none. "
            "Several matches return status=clarification with the candidates and change nothing: call again with "
            "contact_id. Safe to retry after a timeout. Will not delete or merge contacts."
        ),
        input_model=UpsertCustomerInput, output_model=UpsertCustomerOutput, scope="contacts:write", effect="write",
        handler=upsert_customer, idempotent=True, group="business",
        examples=(
            {"name": "Muster GmbH", "email": "info@muster.de", "address": {"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"}},
            {"name": "Erika Mustermann", "kind": "person", "email": "erika@example.org"},
        ),
    )  # fmt: skip
    yield Action(
        name="find_duplicate_contacts",
        description=(
            "Scan all contacts for likely duplicates: the same e-mail address (any case) or very similar names "
            "(legal forms like GmbH ignored). Read-only: it reports groups, it never merges (the API cannot delete "
            "contacts)."
        ),
        input_model=FindDuplicatesInput, output_model=FindDuplicatesOutput, scope="contacts:read", effect="read",
        handler=find_duplicate_contacts, idempotent=True, group="business", examples=({"threshold": 90},),
    )  # fmt: skip
    yield Action(
        name="preview_invoice",
        description=(
            "Compute an invoice's exact totals locally with the server's rounding rules and show the request body, "
            "without creating anything. Use it before create_invoice so an approver sees the final numbers; pass "
            "its total_gross as expected_total_gross to create_invoice."
        ),
        input_model=InvoiceDraft, output_model=PreviewInvoiceOutput, scope="invoices:read", effect="read",
        handler=preview_invoice, idempotent=True, group="business", examples=(_DRAFT_EXAMPLE,), uses_client=False,
    )  # fmt: skip
    yield Action(
        name="create_invoice",
        description=(
            "Create an invoice, as a draft or (finalize=true) open and numbered. A finalized invoice can never be "
            "edited, deleted or voided through the API: preview and approve first. Does not send e-mail (the API "
            "cannot); download the PDF with invoice_document. No idempotency key exists: after a timeout, check "
            "the voucher list before retrying."
        ),
        input_model=CreateInvoiceInput, output_model=CreateInvoiceOutput, scope="invoices:write", effect="irreversible",
        handler=create_invoice, idempotent=False, group="business", input_effect=_finalize_effect,
        examples=({**_DRAFT_EXAMPLE, "finalize": True, "expected_total_gross": "246.90"},),
    )  # fmt: skip
    yield Action(
        name="cancel_invoice",
        description=(
            "Cancel an open or paid invoice with a finalized credit note pursued from it (the API has no delete or "
            "void, and deleting would break the numbering). The credit note mirrors the invoice's lines, becomes "
            "paidoff and clears the open amount. Only one credit note per invoice; drafts must be deleted in the "
            "web app."
        ),
        input_model=CancelInvoiceInput, output_model=CancelInvoiceOutput, scope="credit_notes:write",
        effect="irreversible", handler=cancel_invoice, idempotent=False, group="business",
        examples=({"invoice_id": EXAMPLE_ID, "reason": "Doppelt berechnet"},),
    )  # fmt: skip
    yield Action(
        name="invoice_document",
        description=(
            "Download a finalized invoice as PDF or as XRechnung XML (XRechnung needs a net invoice for a contact "
            "with a Leitweg-ID). Drafts have no document (409). Returns metadata; bytes only with include_content."
        ),
        input_model=InvoiceDocumentInput, output_model=FileOutput, scope="invoices:read", effect="read",
        handler=invoice_document, idempotent=True, group="business",
        examples=({"invoice_id": EXAMPLE_ID, "format": "pdf"},),
    )  # fmt: skip
    yield Action(
        name="open_items",
        description=(
            "Open receivables (unpaid open and overdue invoices) from the voucher list, with days overdue and ageing "
            "buckets (not due, 1-30, 31-60, 61-90, >90 by default). Read-only."
        ),
        input_model=OpenItemsInput, output_model=OpenItemsOutput, scope="voucherlist:read", effect="read",
        handler=open_items, idempotent=True, group="business", examples=({}, {"as_of": "2026-12-31"}),
    )  # fmt: skip
    yield Action(
        name="payment_status",
        description=(
            "Payment state of one invoice, credit note or bookkeeping voucher: open amount, payment items, paid "
            "date. Read-only: the API cannot mark anything paid. Drafts have no payment info (406)."
        ),
        input_model=PaymentStatusInput, output_model=PaymentStatusOutput, scope="payments:read", effect="read",
        handler=payment_status, idempotent=True, group="business", examples=({"voucher_id": EXAMPLE_ID},),
    )  # fmt: skip
    yield Action(
        name="create_expense",
        description=(
            "Book a supplier invoice or receipt: upload the file, then complete the bookkeeping voucher with number, "
            "date and items and book it (open). Totals are computed from the items so they match exactly. Already "
            "uploaded with files_upload: pass its file_id and voucher_id and the file is not sent again."
        ),
        input_model=CreateExpenseInput, output_model=CreateExpenseOutput, scope="vouchers:write", effect="write",
        handler=create_expense, idempotent=False, group="business",
        examples=(
            {
                "receipt": {"filename": "beleg.pdf", "content_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()},
                "voucher_number": "R-2026-17", "voucher_date": "2026-11-20", "supplier_name": "Bürobedarf AG",
                "items": [{"amount": "119.00", "tax_rate": "19", "category": "Bürobedarf"}],
            },
        ),
    )  # fmt: skip
    yield Action(
        name="create_dunning",
        description=(
            "Create a payment reminder (dunning) for an open invoice, optionally with a fee. Dunnings are always "
            "drafts through the API; send the PDF yourself. Does not change the invoice."
        ),
        input_model=CreateDunningInput, output_model=CreateDunningOutput, scope="dunnings:write", effect="write",
        handler=create_dunning, idempotent=False, group="business",
        examples=({"invoice_id": EXAMPLE_ID, "fee": "5.00"},),
    )  # fmt: skip


def register(reg: Registry) -> None:
    for action in _actions():
        reg.add(action)
