"""Customers: create (never twice for one e-mail), get, search by name or e-mail, upsert, find duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from typing import Literal

from pydantic import Field, model_validator

from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, Input, Output
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import ById
from lexflow.core.models import Customer, CustomerDraft, CustomerUpdate
from lexflow.core.provider import Provider
from lexflow.names import name_key


class CreateCustomerInput(CustomerDraft, Input):
    pass


class CreateCustomerOutput(Output):
    customer: Customer
    already_existed: bool = Field(default=False, description="A customer with this e-mail exists; none created.")


@neutral_action(
    "create_customer",
    description="Create a customer. The e-mail is the business key: a customer who already has it is returned "
    "instead (already_existed=true), so a retry never creates a duplicate. To change an existing customer use "
    "upsert_customer.",
    scope="contacts:write",
    effect="write",
    idempotent=True,
    examples=({"name": "Muster GmbH", "email": "info@muster.de", "address": {"city": "Berlin", "zip": "10115"}},),
)
def create_customer(provider: Provider, data: CreateCustomerInput) -> CreateCustomerOutput:
    if data.email:
        matches = provider.search_customers(email=data.email)
        if len(matches) == 1:
            return CreateCustomerOutput(customer=matches[0], already_existed=True)
        if matches:
            ids = ", ".join(c.id for c in matches)
            raise InvalidInput(
                f"email: {len(matches)} customers already have this e-mail ({ids}); nothing was created. "
                "Use get_customer with the one you mean."
            )
    return CreateCustomerOutput(customer=provider.create_customer(CustomerDraft.model_validate(data.model_dump())))


@neutral_action(
    "get_customer",
    description="One customer: name, e-mails, phone, billing address, VAT id, customer number.",
    scope="contacts:read",
    effect="read",
    idempotent=True,
    examples=({"id": EXAMPLE_ID},),
)
def get_customer(provider: Provider, data: ById) -> Customer:
    return provider.get_customer(data.id)


class SearchCustomersInput(Input):
    name: str | None = Field(default=None, min_length=3, max_length=255, description="Part of the name (≥ 3 chars).")
    email: str | None = Field(default=None, min_length=3, max_length=254, description="The exact e-mail, any case.")

    @model_validator(mode="after")
    def _one(self) -> SearchCustomersInput:
        if not self.name and not self.email:
            raise ValueError("give name or email (or both)")
        return self


class CustomerList(Output):
    items: list[Customer]


@neutral_action(
    "search_customers",
    description="Customers by name (a part of it, at least 3 characters) or by exact e-mail address (any letter "
    "case); both given: customers matching both.",
    scope="contacts:read",
    effect="read",
    idempotent=True,
    examples=({"email": "info@muster.de"}, {"name": "Muster"}),
)
def search_customers(provider: Provider, data: SearchCustomersInput) -> CustomerList:
    return CustomerList(items=provider.search_customers(name=data.name, email=data.email))


# ---------------------------------------------------------------------------------------------------- upsert
SCAN_LIMIT = 5000
"""Customers read at most to find a name too short for the providers' name search."""


class UpsertCustomerInput(CustomerDraft, Input):
    customer_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[\w.:-]+$",
        description="Answer to a clarification: update exactly this customer.",
    )


class UpsertCustomerOutput(Output):
    status: Literal["created", "updated", "unchanged", "clarification"]
    customer: Customer | None = Field(default=None, description="The customer as it is now (not for clarification).")
    matched_by: Literal["email", "name", "customer_id"] | None = None
    changed_fields: list[str] = []
    candidates: list[Customer] = Field(default_factory=list, description="Only for status=clarification.")
    message: str = ""


def _named(provider: Provider, name: str) -> list[Customer] | None:
    """Customers whose name is `name` in another spelling (`lexflow.names.name_key`: case, Unicode form, legal-form
    spellings), found through the provider's name search on the name's longest plain word; a name without one
    (e.g. "XY") is looked for in the whole customer list. None: more than `SCAN_LIMIT` customers to read."""
    key = name_key(name)
    words = sorted(re.findall(r"[A-Za-z0-9]{3,}", name_key(name, keep_legal_form=False, fold=False)), key=len)
    if words:
        candidates: Iterable[Customer] = provider.search_customers(name=words[-1])
    else:
        candidates = list(islice(provider.list_customers(), SCAN_LIMIT + 1))
        if len(candidates) > SCAN_LIMIT:
            return None
    return [c for c in candidates if name_key(c.name) == key]


def _update_for(current: Customer, draft: CustomerDraft) -> CustomerUpdate:
    """The fields of `draft` the customer does not carry yet (an e-mail it has in any case is kept)."""
    has_email = draft.email is not None and draft.email.casefold() in (e.casefold() for e in current.emails)
    return CustomerUpdate(
        email=draft.email if draft.email and not has_email else None,
        phone=draft.phone if draft.phone and draft.phone != current.phone else None,
        address=draft.address if draft.address and draft.address != current.address else None,
        vat_id=draft.vat_id if draft.vat_id and draft.vat_id != current.vat_id else None,
    )


@neutral_action(
    "upsert_customer",
    description="Make sure a customer exists with this data, without ever creating a duplicate. Searches by e-mail "
    "(any letter case) first, then by name (spellings of one name, e.g. 'GmbH'/'G.m.b.H.', count as one); updates "
    "the one match (adds the e-mail, sets phone, billing address and VAT id), creates when there is none. Several "
    "matches return status=clarification with the candidates and change nothing: call again with customer_id. "
    "Safe to retry. Never deletes or merges customers.",
    scope="contacts:write",
    effect="write",
    idempotent=True,
    examples=(
        {"name": "Muster GmbH", "email": "info@muster.de", "address": {"street": "Hauptstr. 1", "city": "Berlin"}},
        {"name": "Erika Mustermann", "kind": "person", "email": "erika@example.org"},
    ),
)
def upsert_customer(provider: Provider, data: UpsertCustomerInput) -> UpsertCustomerOutput:
    draft = CustomerDraft.model_validate(data.model_dump(exclude={"customer_id"}))
    how: Literal["email", "name", "customer_id"]
    if data.customer_id:
        matches, how = [provider.get_customer(data.customer_id)], "customer_id"
    else:
        matches, how = (provider.search_customers(email=draft.email) if draft.email else []), "email"
        if not matches:
            named, how = _named(provider, draft.name), "name"
            if named is None:
                return UpsertCustomerOutput(
                    status="clarification",
                    message=f"The name {draft.name!r} is too short for the customer search and there are more than "
                    f"{SCAN_LIMIT} customers to read instead, so lexflow cannot rule out that this customer exists; "
                    "nothing was changed. Call again with the e-mail, or with customer_id of the existing customer.",
                )
            matches = named
    if len(matches) > 1:
        return UpsertCustomerOutput(
            status="clarification",
            matched_by=how,
            candidates=matches,
            message=f"{len(matches)} customers match by {how}; nothing was changed. Call again with customer_id set "
            "to the one you mean.",
        )
    if not matches:
        made = provider.create_customer(draft)
        return UpsertCustomerOutput(status="created", customer=made, message="Customer created.")
    current = matches[0]
    update = _update_for(current, draft)
    if not update.changed_fields():
        return UpsertCustomerOutput(
            status="unchanged", customer=current, matched_by=how, message="The customer already has this data."
        )
    return UpsertCustomerOutput(
        status="updated",
        customer=provider.update_customer(current.id, update),
        matched_by=how,
        changed_fields=update.changed_fields(),
        message="Customer updated.",
    )


# ------------------------------------------------------------------------------------------------ duplicates
class FindDuplicatesInput(Input):
    threshold: int = Field(default=90, ge=50, le=100, description="Name similarity 0..100 (rapidfuzz token ratio).")


class DuplicateGroup(Output):
    reason: Literal["same_email", "similar_name"]
    score: float
    customers: list[Customer]


class FindDuplicatesOutput(Output):
    scanned: int
    groups: list[DuplicateGroup]


@neutral_action(
    "find_duplicate_contacts",
    description="Scan all customers for likely duplicates: the same e-mail address (any case) or very similar names "
    "(legal forms like GmbH ignored). Read-only: it reports groups and never merges (a person decides which to "
    "keep, in the accounting system).",
    scope="contacts:read",
    effect="read",
    idempotent=True,
    examples=({"threshold": 90},),
)
def find_duplicate_contacts(provider: Provider, data: FindDuplicatesInput) -> FindDuplicatesOutput:
    from rapidfuzz import fuzz

    customers = list(provider.list_customers())
    groups: list[DuplicateGroup] = []
    by_email: dict[str, list[Customer]] = {}
    for c in customers:
        for email in {" ".join(e.split()).casefold() for e in c.emails}:
            by_email.setdefault(email, []).append(c)
    paired: set[frozenset[str]] = set()
    for members in by_email.values():
        ids = frozenset(m.id for m in members)
        if len(members) > 1 and ids not in paired:
            paired.add(ids)
            groups.append(DuplicateGroup(reason="same_email", score=100, customers=members))
    keys = [(name_key(c.name, keep_legal_form=False), c) for c in customers]
    for i, (ka, a) in enumerate(keys):
        for kb, b in keys[i + 1 :]:
            if not ka or not kb:
                continue
            score = fuzz.token_sort_ratio(ka, kb)
            pair = frozenset({a.id, b.id})
            if score >= data.threshold and not any(pair <= p for p in paired):
                paired.add(pair)
                groups.append(DuplicateGroup(reason="similar_name", score=score, customers=[a, b]))
    return FindDuplicatesOutput(scanned=len(customers), groups=groups)
