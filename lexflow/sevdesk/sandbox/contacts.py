"""Contacts, communication ways and addresses (docs/sevdesk.md#contacts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.core import SevdeskError, bad, ref, ref_id, s
from lexflow.sevdesk.sandbox.web import CountAll, Limit, Offset, after, flag, objects, paged, read_body, state_of

router = APIRouter(tags=["Contact"])

CATEGORIES = {2: "Supplier", 3: "Customer", 4: "Partner", 28: "Prospect customer"}
STATUSES = {100, 500, 1000}
COMM_TYPES = {"EMAIL", "PHONE", "WEB", "MOBILE"}
COMM_KEYS = {1: "Private", 2: "Work", 3: "Fax", 4: "Mobile", 5: "Empty", 6: "Autobox", 7: "Newsletter", 8: "Invoicing"}
TEXT_FIELDS = (
    "name",
    "surename",
    "familyname",
    "name2",
    "titel",
    "academicTitle",
    "gender",
    "birthday",
    "vatNumber",
    "taxNumber",
    "taxOffice",
    "bankAccount",
    "bankNumber",
    "description",
    "additionalInformation",
    "buyerReference",
)
NUMBER_FIELDS = (
    "defaultTimeToPay",
    "defaultCashbackTime",
    "defaultCashbackPercent",
    "defaultDiscountAmount",
    "defaultDiscountPercentage",
)
FLAG_FIELDS = ("exemptVat", "governmentAgency")


def _apply(state: Any, doc: dict[str, Any], body: dict[str, Any]) -> None:
    for name in TEXT_FIELDS:
        if name in body:
            doc[name] = None if body[name] is None else str(body[name])
    for name in NUMBER_FIELDS:
        if name in body:
            doc[name] = s(body[name])
    for name in FLAG_FIELDS:
        if name in body:
            doc[name] = s(flag(body[name]) if isinstance(body[name], str) else bool(body[name]))
    if "category" in body:
        cat = ref_id(body, "category", "Category")
        if cat not in CATEGORIES:
            raise bad(f"category {cat} does not exist (2 Supplier, 3 Customer, 4 Partner, 28 Prospect customer)")
        doc["category"] = ref(cat, "Category")
    if "status" in body:
        try:
            status = int(body["status"])
        except (TypeError, ValueError):
            status = -1
        if status not in STATUSES:
            raise bad("status must be 100 (lead), 500 (pending) or 1000 (active)")
        doc["status"] = str(status)
    if "parent" in body:
        parent = ref_id(body, "parent", "Contact", required=False)
        if parent is not None:
            state.need("Contact", parent)
        doc["parent"] = None if parent is None else ref(parent, "Contact")
    if "customerNumber" in body and body["customerNumber"] is not None:
        number = str(body["customerNumber"])
        taken = [c for c in state.all("Contact") if c.get("customerNumber") == number and c["id"] != doc.get("id")]
        parent = doc.get("parent")
        if taken and not (parent and all(c["id"] == parent["id"] for c in taken)):
            raise bad(f"customerNumber {number} is already in use")
        doc["customerNumber"] = number


def next_customer_number(state: Any) -> str:
    used = [int(c["customerNumber"]) for c in state.all("Contact") if str(c.get("customerNumber") or "").isdigit()]
    return str(max([1000, *used]) + 1)


@router.get("/Contact", summary="List contacts (documented filters; no e-mail filter)")
async def list_contacts(
    request: Request,
    depth: str | None = None,
    customerNumber: str | None = None,
    name: str | None = None,
    category_id: int | None = Query(None, alias="category[id]"),
    parent_id: int | None = Query(None, alias="parent[id]"),
    createAfter: int | None = None,
    createBefore: int | None = None,
    updateAfter: int | None = None,
    updateBefore: int | None = None,
    orderByCustomerNumber: str | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    state = state_of(request)
    docs = state.all("Contact")
    if depth != "1":  # persons are only listed with depth=1 (docs/sevdesk.md#endpoints)
        docs = [d for d in docs if d.get("name")]
    if customerNumber is not None:
        docs = [d for d in docs if d.get("customerNumber") == customerNumber]
    if name:
        needle = name.lower()
        docs = [
            d for d in docs if any(needle in str(d.get(f) or "").lower() for f in ("name", "surename", "familyname"))
        ]
    if category_id is not None:
        docs = [d for d in docs if d.get("category", {}).get("id") == str(category_id)]
    if parent_id is not None:
        docs = [d for d in docs if (d.get("parent") or {}).get("id") == str(parent_id)]
    docs = [
        d
        for d in docs
        if after(d, "create", createAfter)
        and after(d, "create", createBefore, before=True)
        and after(d, "update", updateAfter)
        and after(d, "update", updateBefore, before=True)
    ]
    if orderByCustomerNumber:
        docs.sort(key=lambda d: str(d.get("customerNumber") or ""), reverse=orderByCustomerNumber.upper() == "DESC")
    return paged(request, docs, limit, offset, countAll)


@router.post("/Contact", summary="Create a contact", status_code=201)
async def create_contact(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request)
    if "category" not in body:
        raise bad("category is required: {'id': 3, 'objectName': 'Category'} for a customer")
    if not (body.get("name") or body.get("surename") or body.get("familyname")):
        raise bad("name (organisation) or surename/familyname (person) is required")
    doc: dict[str, Any] = dict.fromkeys(TEXT_FIELDS)
    doc.update({"status": "100", "customerNumber": None, "parent": None, "exemptVat": "0", "governmentAgency": "0"})
    doc.update(dict.fromkeys(NUMBER_FIELDS))
    _apply(state, doc, body)
    if doc["customerNumber"] is None and doc.get("parent"):
        doc["customerNumber"] = state.need("Contact", doc["parent"]["id"]).get("customerNumber")
    elif doc["customerNumber"] is None and doc["category"]["id"] == "3":
        doc["customerNumber"] = next_customer_number(state)
    return objects(state.create("Contact", doc), 201)


@router.get("/Contact/Factory/getNextCustomerNumber", summary="Next free customer number")
async def get_next_customer_number(request: Request) -> Response:
    return objects(next_customer_number(state_of(request)))


@router.get("/Contact/Mapper/checkCustomerNumberAvailability", summary="Is a customer number free?")
async def check_customer_number(request: Request, customerNumber: str | None = None) -> Response:
    if not customerNumber:  # observed live: a 500 without the parameter (docs/sevdesk.md#contacts)
        raise SevdeskError(500, "customerNumber is missing")
    taken = any(c.get("customerNumber") == customerNumber for c in state_of(request).all("Contact"))
    return objects(not taken)


@router.get("/Contact/{contactId}", summary="One contact (an array of one)")
async def get_contact(request: Request, contactId: int) -> Response:
    return objects([state_of(request).need("Contact", contactId)])


@router.put("/Contact/{contactId}", summary="Update a contact (partial)")
async def update_contact(request: Request, contactId: int) -> Response:
    state = state_of(request)
    doc = state.need("Contact", contactId)
    body = await read_body(request)
    _apply(state, doc, body)
    return objects(state.touch("Contact", doc))


def _references(state: Any, contact_id: str) -> list[str]:
    found = []
    for kind, field in (
        ("Invoice", "contact"),
        ("CreditNote", "contact"),
        ("Voucher", "supplier"),
        ("Contact", "parent"),
    ):
        if any((d.get(field) or {}).get("id") == contact_id for d in state.all(kind)):
            found.append(kind)
    return found


@router.delete("/Contact/{contactId}", summary="Delete a contact (refused while documents reference it)")
async def delete_contact(request: Request, contactId: int) -> Response:
    state = state_of(request)
    doc = state.need("Contact", contactId)
    used = _references(state, doc["id"])
    if used:
        raise SevdeskError(409, f"Contact {contactId} is still referenced by {', '.join(used)}")
    for kind in ("CommunicationWay", "ContactAddress"):
        for way in state.all(kind):
            if way["contact"]["id"] == doc["id"]:
                state.delete(kind, way["id"])
    state.delete("Contact", doc["id"])
    return objects([None])


# ------------------------------------------------------------------------------------------ communication ways
def _comm_apply(state: Any, doc: dict[str, Any], body: dict[str, Any], create: bool) -> None:
    if create or "contact" in body:
        contact = ref_id(body, "contact", "Contact")
        state.need("Contact", contact)
        doc["contact"] = ref(contact, "Contact")
    if create or "type" in body:
        kind = str(body.get("type") or "").upper()
        if kind not in COMM_TYPES:
            raise bad("type must be EMAIL, PHONE, WEB or MOBILE")
        doc["type"] = kind
    if create or "value" in body:
        if not str(body.get("value") or "").strip():
            raise bad("value is required")
        doc["value"] = str(body["value"]).strip()
    if create or "key" in body:
        key = ref_id(body, "key", "CommunicationWayKey")
        if key not in COMM_KEYS:
            raise bad("key must be a CommunicationWayKey id 1-8 (8 = invoicing)")
        doc["key"] = ref(key, "CommunicationWayKey")
    if create or "main" in body:
        doc["main"] = s(bool(body.get("main")) and str(body.get("main")).lower() not in ("0", "false"))


@router.get("/CommunicationWay", tags=["CommunicationWay"], summary="List communication ways (no value filter)")
async def list_communication_ways(
    request: Request,
    contact_id: int | None = Query(None, alias="contact[id]"),
    type: str | None = None,
    main: str | None = None,
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    docs = state_of(request).all("CommunicationWay")
    if contact_id is not None:
        docs = [d for d in docs if d["contact"]["id"] == str(contact_id)]
    if type:
        docs = [d for d in docs if d["type"] == type.upper()]
    if main is not None:
        docs = [d for d in docs if d["main"] == s(flag(main))]
    return paged(request, docs, limit, offset, countAll)


@router.post("/CommunicationWay", tags=["CommunicationWay"], summary="Add an e-mail/phone/web way", status_code=201)
async def create_communication_way(request: Request) -> Response:
    state = state_of(request)
    doc: dict[str, Any] = {}
    _comm_apply(state, doc, await read_body(request), True)
    return objects(state.create("CommunicationWay", doc), 201)


@router.get("/CommunicationWay/{wayId}", tags=["CommunicationWay"], summary="One communication way")
async def get_communication_way(request: Request, wayId: int) -> Response:
    return objects([state_of(request).need("CommunicationWay", wayId)])


@router.put("/CommunicationWay/{wayId}", tags=["CommunicationWay"], summary="Update a communication way")
async def update_communication_way(request: Request, wayId: int) -> Response:
    state = state_of(request)
    doc = state.need("CommunicationWay", wayId)
    _comm_apply(state, doc, await read_body(request), False)
    return objects(state.touch("CommunicationWay", doc))


@router.delete("/CommunicationWay/{wayId}", tags=["CommunicationWay"], summary="Delete a communication way")
async def delete_communication_way(request: Request, wayId: int) -> Response:
    state = state_of(request)
    state.need("CommunicationWay", wayId)
    state.delete("CommunicationWay", wayId)
    return objects([None])


# ------------------------------------------------------------------------------------------ addresses
ADDRESS_FIELDS = ("street", "zip", "city", "name", "name2", "name3", "name4")


def _address_apply(state: Any, doc: dict[str, Any], body: dict[str, Any], create: bool) -> None:
    if create or "contact" in body:
        contact = ref_id(body, "contact", "Contact")
        state.need("Contact", contact)
        doc["contact"] = ref(contact, "Contact")
    if create or "country" in body:
        doc["country"] = ref(ref_id(body, "country", "StaticCountry"), "StaticCountry")
    if "category" in body:
        category = ref_id(body, "category", "Category", required=False)
        doc["category"] = None if category is None else ref(category, "Category")
    for name in ADDRESS_FIELDS:
        if name in body or create:
            doc[name] = None if body.get(name) is None else str(body[name])


@router.get("/ContactAddress", tags=["ContactAddress"], summary="List contact addresses")
async def list_addresses(
    request: Request,
    contact_id: int | None = Query(None, alias="contact[id]"),
    limit: int | None = Limit,
    offset: int | None = Offset,
    countAll: str | None = CountAll,
) -> Response:
    docs = state_of(request).all("ContactAddress")
    if contact_id is not None:
        docs = [d for d in docs if d["contact"]["id"] == str(contact_id)]
    return paged(request, docs, limit, offset, countAll)


@router.post("/ContactAddress", tags=["ContactAddress"], summary="Add an address", status_code=201)
async def create_address(request: Request) -> Response:
    state = state_of(request)
    doc: dict[str, Any] = {"category": None}
    _address_apply(state, doc, await read_body(request), True)
    return objects(state.create("ContactAddress", doc), 201)


@router.get("/ContactAddress/{addressId}", tags=["ContactAddress"], summary="One address")
async def get_address(request: Request, addressId: int) -> Response:
    return objects([state_of(request).need("ContactAddress", addressId)])


@router.put("/ContactAddress/{addressId}", tags=["ContactAddress"], summary="Update an address")
async def update_address(request: Request, addressId: int) -> Response:
    state = state_of(request)
    doc = state.need("ContactAddress", addressId)
    _address_apply(state, doc, await read_body(request), False)
    return objects(state.touch("ContactAddress", doc))


@router.delete("/ContactAddress/{addressId}", tags=["ContactAddress"], summary="Delete an address")
async def delete_address(request: Request, addressId: int) -> Response:
    state = state_of(request)
    state.need("ContactAddress", addressId)
    state.delete("ContactAddress", addressId)
    return objects([None])
