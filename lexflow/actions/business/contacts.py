"""Lexware customers: upsert without duplicates with Lexware's own fields (person names, tax number, the name
search's wildcards); the provider-neutral `upsert_customer` and `find_duplicate_contacts` live in
`lexflow.actions.neutral.customers`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from lexflow.actions.business._catalogue import business_action
from lexflow.actions.business._shared import _dump, _get, _norm, _view_url
from lexflow.actions.io import UUID_PATTERN, Input, Output
from lexflow.errors import LexflowError
from lexflow.names import name_key, search_pattern


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
    """`_` and `%` are wildcards in the contact filters (docs/lexware.md#contacts); a literal search escapes them."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _search(client: Any, **filters: Any) -> list[dict[str, Any]]:
    return [_dump(c) for c in client.contacts.list(**filters)]


SCAN_LIMIT = 5000
"""Contacts read at most (20 pages, about 10 s at 2 requests/second) to find a name too short for the API's search."""


class _ScanIncomplete(LexflowError):
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
                emails["other"] = [data.email]  # writes allow one entry per list (docs/lexware.md#contacts)
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


@business_action(
    "lexware_upsert_customer",
    description=(
        "Make sure a customer exists with this data, without ever creating a duplicate. Searches by e-mail "
        "(any letter case) first, then by exact name; updates the one match, creates when there is none. "
        "Several matches return status=clarification with the candidates and change nothing: call again with "
        "contact_id. Safe to retry after a timeout. Will not delete or merge contacts."
    ),
    scope="contacts:write",
    effect="write",
    idempotent=True,
    examples=(
        {
            "name": "Muster GmbH",
            "email": "info@muster.de",
            "address": {"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"},
        },
        {"name": "Erika Mustermann", "kind": "person", "email": "erika@example.org"},
    ),
)
def upsert_customer(client: Any, data: UpsertCustomerInput) -> UpsertCustomerOutput:
    from lexflow.transport.errors import AmbiguousWrite

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
