"""Customers: create (never twice for one e-mail), get, search by name or e-mail."""

from __future__ import annotations

from pydantic import Field, model_validator

from lexflow.actions.errors import InvalidInput
from lexflow.actions.io import EXAMPLE_ID, Input, Output
from lexflow.actions.neutral._catalogue import neutral_action
from lexflow.actions.neutral._io import ById
from lexflow.core.models import Customer, CustomerDraft
from lexflow.core.provider import Provider


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
