"""Contacts (docs/lexware.md#contacts): company XOR person, single entries on write, server numbers, search rules, 406 on stale version.
Errors use the legacy IssueList body."""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.responses import Response

from lexflow.lexware.sandbox.common import (
    check_len,
    check_shapes,
    page_params,
    paged,
    query_bool,
    sort_entry,
    stamp_new,
    touch,
)
from lexflow.lexware.sandbox.errors import ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json, public, saved
from lexflow.lexware.sandbox.masterdata import COUNTRY_CODES
from lexflow.sandbox.store import Doc

KIND = "contacts"
_LISTS = {
    "emailAddresses": ("business", "office", "private", "other"),
    "phoneNumbers": ("business", "office", "mobile", "private", "fax", "other"),
}


def contact_name(doc: Doc) -> str:
    if doc.get("company"):
        return str(doc["company"].get("name") or "")
    person = doc.get("person") or {}
    return " ".join(p for p in (person.get("firstName"), person.get("lastName")) if p)


SHAPES: dict[str, type | tuple[type, ...]] = {
    "roles": dict,
    "company": dict,
    "company.contactPersons": list,
    "company.contactPersons[]": dict,
    "person": dict,
    "addresses": dict,
    "addresses.billing": list,
    "addresses.billing[]": dict,
    "addresses.shipping": list,
    "addresses.shipping[]": dict,
    "emailAddresses": dict,
    "phoneNumbers": dict,
    "xRechnung": dict,
    "note": str,
}


def _validate(body: dict[str, Any]) -> list[Issue]:
    check_shapes(body, SHAPES)
    issues: list[Issue] = []
    roles = body.get("roles")
    if not isinstance(roles, dict) or not ({"customer", "vendor"} & set(roles)):
        issues.append(Issue("roles", "missing", "at least one role (customer or vendor) is required"))
    company, person = body.get("company"), body.get("person")
    if company and person:
        issues.append(Issue("company", "invalid_value", "a contact is either a company or a person, not both"))
    elif not company and not person:
        issues.append(Issue("company", "missing", "either company or person is required"))
    if company:
        if not isinstance(company, dict) or not str(company.get("name") or "").strip():
            issues.append(Issue("company.name", "missing", "company.name is required"))
        else:
            persons = company.get("contactPersons") or []
            if len(persons) > 1:
                issues.append(Issue("company.contactPersons.size", "invalid_value", "at most one contact person"))
            for i, cp in enumerate(persons):
                if not str((cp or {}).get("lastName") or "").strip():
                    issues.append(Issue(f"company.contactPersons[{i}].lastName", "missing", "lastName is required"))
                check_len(issues, cp or {}, "salutation", 25, f"company.contactPersons[{i}].")
    if person:
        if not isinstance(person, dict) or not str(person.get("lastName") or "").strip():
            issues.append(Issue("person.lastName", "missing", "person.lastName is required"))
        else:
            check_len(issues, person, "salutation", 25, "person.")
    addresses = body.get("addresses") or {}
    for kind in ("billing", "shipping"):
        entries = addresses.get(kind) or []
        if len(entries) > 1:
            issues.append(Issue(f"addresses.{kind}.size", "invalid_value", f"at most one {kind} address on write"))
        for i, addr in enumerate(entries):
            code = (addr or {}).get("countryCode")
            if not code:
                issues.append(Issue(f"addresses.{kind}[{i}].countryCode", "missing", "countryCode is required"))
            elif code not in COUNTRY_CODES:
                issues.append(Issue(f"addresses.{kind}[{i}].countryCode", "invalid_value", "unknown country code"))
    for group, kinds in _LISTS.items():
        for kind in kinds:
            entries = (body.get(group) or {}).get(kind) or []
            if not isinstance(entries, list):
                issues.append(Issue(f"{group}.{kind}", "invalid_value", "must be a list"))
            elif len(entries) > 1:
                issues.append(Issue(f"{group}.{kind}.size", "invalid_value", f"at most one {group}.{kind} entry"))
    xr = body.get("xRechnung") or {}
    if xr.get("buyerReference") and not xr.get("vendorNumberAtCustomer"):
        issues.append(
            Issue("xRechnung.vendorNumberAtCustomer", "missing", "required when xRechnung.buyerReference is set")
        )
    check_len(issues, body, "note", 1000)
    return issues


_WRITABLE = ("company", "person", "addresses", "xRechnung", "emailAddresses", "phoneNumbers", "note")


def _apply(ctx: Ctx, doc: Doc, body: dict[str, Any]) -> None:
    """PUT replaces the record: fields left out are cleared; role numbers and archived stay server-owned."""
    for key in _WRITABLE:
        if body.get(key) is not None:
            doc[key] = body[key]
        else:
            doc.pop(key, None)
    old_roles = doc.get("roles") or {}
    roles: dict[str, Any] = {}
    for role, start in (("customer", 10001), ("vendor", 70001)):
        if role in (body.get("roles") or {}):
            number = (old_roles.get(role) or {}).get("number")
            if number is None:
                number = ctx.state.store.next_number(ctx.org, f"{role}-number", start)
            roles[role] = {"number": number}
    doc["roles"] = roles
    doc.setdefault("archived", False)


async def create_contact(ctx: Ctx) -> Response:
    body = ctx.body
    issues = _validate(body)
    if body.get("version") not in (None, 0):
        issues.append(Issue("version", "invalid_value", "version must be 0 on create"))
    if issues:
        raise validation(issues)
    doc: Doc = {}
    _apply(ctx, doc, body)
    stamp_new(doc, ctx.org, ctx.state.clock.stamp())
    return saved(ctx, KIND, doc, "contact.created", 200)


async def update_contact(ctx: Ctx) -> Response:
    doc = ctx.doc(KIND, "Contact")
    body = ctx.body
    if body.get("version") != doc["version"]:
        status = ctx.state.config.contact_stale_version_status
        raise ApiError(
            status, "stale version", [Issue("version", "invalid_value", "the contact was changed meanwhile")]
        )
    issues = _validate(body)
    if issues:
        raise validation(issues)
    _apply(ctx, doc, body)
    touch(doc, ctx.state.clock.stamp())
    return saved(ctx, KIND, doc, "contact.changed", 200)


def contact_out(doc: Doc) -> Doc:
    """A contact as the API answers it: the fields of docs/lexware.md#contacts, which has no createdDate/updatedDate (they are kept for
    the action result and the store, not shown; live captures show none either)."""
    return {k: v for k, v in public(doc).items() if k not in ("createdDate", "updatedDate")}


async def get_contact(ctx: Ctx) -> Response:
    doc = ctx.doc(KIND, "Contact")
    return json(contact_out(doc))


def search_pattern(value: str) -> re.Pattern[str]:
    """The API's search text: HTML-decoded (& < > arrive as entities), `%`/`_` wildcards, `\\` escapes them."""
    value = html.unescape(value)
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _emails(doc: Doc) -> list[str]:
    found = [e for entries in (doc.get("emailAddresses") or {}).values() for e in entries or []]
    for cp in (doc.get("company") or {}).get("contactPersons") or []:
        if cp.get("emailAddress"):
            found.append(cp["emailAddress"])
    return found


async def list_contacts(ctx: Ctx) -> Response:
    page, size = page_params(ctx.query)
    items = ctx.state.store.all(ctx.org, KIND)
    for name in ("name", "email"):
        value = ctx.query.get(name)
        if value is None:
            continue
        if len(html.unescape(value)) < 3:
            raise ApiError(400, "size must be between 3 and 255", [Issue(name, "bad_request_error", "min 3 chars")])
        pattern = search_pattern(value)
        if name == "name":
            items = [d for d in items if pattern.search(contact_name(d))]
        else:
            items = [d for d in items if any(pattern.search(e) for e in _emails(d))]
    raw_number = ctx.query.get("number")
    if raw_number is not None:
        try:
            wanted = int(raw_number)
        except ValueError:
            raise ApiError(400, "invalid number", [Issue("number", "invalid_value", "an integer")]) from None
        items = [d for d in items if wanted in {(r or {}).get("number") for r in (d.get("roles") or {}).values()}]
    for role in ("customer", "vendor"):
        flag = query_bool(ctx.query, role)
        if flag is not None:
            items = [d for d in items if (role in (d.get("roles") or {})) == flag]
    items.sort(key=lambda d: contact_name(d).lower())
    return json(paged(items, page, size, [sort_entry("name", "ASC")], mapper=contact_out))


ROUTES = [
    ApiRoute("POST", "/v1/contacts", create_contact, "contacts.write", "issues", True, "Create contact"),
    ApiRoute("GET", "/v1/contacts", list_contacts, "contacts.read", "issues", summary="List/filter contacts"),
    ApiRoute("GET", "/v1/contacts/{id}", get_contact, "contacts.read", "issues", summary="Get contact"),
    ApiRoute("PUT", "/v1/contacts/{id}", update_contact, "contacts.write", "issues", True, "Update contact"),
]
