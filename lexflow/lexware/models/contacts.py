"""Contact (docs/lexware.md#contacts)."""

from __future__ import annotations

from pydantic import Field

from lexflow.lexware.models._base import ApiModel


class Role(ApiModel):
    number: int | None = None


class Roles(ApiModel):
    """A role is present if its key is present; send `{}` to request it on create."""

    customer: Role | None = None
    vendor: Role | None = None


class ContactPerson(ApiModel):
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    primary: bool | None = None
    email_address: str | None = None
    phone_number: str | None = None


class Company(ApiModel):
    name: str | None = None
    tax_number: str | None = None
    vat_registration_id: str | None = None
    allow_tax_free_invoices: bool | None = None
    contact_persons: list[ContactPerson] | None = None


class Person(ApiModel):
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ContactAddress(ApiModel):
    supplement: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    country_code: str | None = None


class ContactAddresses(ApiModel):
    billing: list[ContactAddress] | None = None
    shipping: list[ContactAddress] | None = None


class ContactXRechnung(ApiModel):
    buyer_reference: str | None = None
    vendor_number_at_customer: str | None = None


class EmailAddresses(ApiModel):
    business: list[str] | None = None
    office: list[str] | None = None
    private: list[str] | None = None
    other: list[str] | None = None


class PhoneNumbers(ApiModel):
    business: list[str] | None = None
    office: list[str] | None = None
    mobile: list[str] | None = None
    private: list[str] | None = None
    fax: list[str] | None = None
    other: list[str] | None = None


class Contact(ApiModel):
    """A customer and/or vendor: exactly one of `company`/`person`; at least one role."""

    id: str | None = None
    organization_id: str | None = None
    version: int = 0
    roles: Roles = Field(default_factory=Roles)
    company: Company | None = None
    person: Person | None = None
    addresses: ContactAddresses | None = None
    x_rechnung: ContactXRechnung | None = Field(default=None, alias="xRechnung")
    email_addresses: EmailAddresses | None = None
    phone_numbers: PhoneNumbers | None = None
    note: str | None = None
    archived: bool | None = None

    @property
    def display_name(self) -> str:
        if self.company is not None and self.company.name:
            return self.company.name
        if self.person is not None:
            return " ".join(p for p in (self.person.first_name, self.person.last_name) if p)
        return ""
