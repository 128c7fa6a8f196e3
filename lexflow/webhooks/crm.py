"""`contact.changed` → the CRM mapping (`lexflow.ledger`, CRM id ↔ contact id) follows what changed in Lexware.

Someone edited a contact in Lexware Office: the mapping learns the new e-mail (so the next CRM import still
matches this contact) and notes the change, so a person or a CRM export can carry it back to the CRM.
"""

from __future__ import annotations

from typing import Any

from lexflow.webhooks.events import WebhookEvent

EMAIL_KINDS = ("business", "office", "private", "other")


def primary_email(contact: dict[str, Any]) -> str | None:
    """The first address by the order the API lists kinds in (a contact keeps one per kind, docs/lexware.md#contacts)."""
    addresses = contact.get("emailAddresses") or {}
    for kind in EMAIL_KINDS:
        for address in addresses.get(kind) or []:
            if address:
                return str(address)
    return None


def contact_display_name(contact: dict[str, Any]) -> str:
    company = (contact.get("company") or {}).get("name")
    person = contact.get("person") or {}
    return company or " ".join(p for p in (person.get("firstName"), person.get("lastName")) if p) or "(no name)"


def sync_contact_to_crm_mapping(
    event: WebhookEvent, resource: dict[str, Any] | None, database_url: str | None = None
) -> str:
    """Webhook action: update every CRM link of this contact; idempotent (it writes the current state)."""
    from lexflow.ledger import Ledger

    if resource is None:
        return f"contact {event.resource_id} could not be read; mapping unchanged"
    ledger = Ledger(database_url)
    links = ledger.links_for_contact(event.resource_id)
    if not links:
        return f"no CRM record is linked to contact {event.resource_id}"
    email = primary_email(resource)
    note = f"changed in Lexware Office at {event.event_date}: {contact_display_name(resource)}"
    for link in links:
        ledger.link_contact(link.crm_source, link.crm_id, event.resource_id, link.status, email or link.email, note)
    return f"updated {len(links)} CRM link(s): " + ", ".join(f"{link.crm_source}:{link.crm_id}" for link in links)
