"""The default resource routes: what a change of an invoice or a contact does, whichever provider reported it.

The worker hands over the event (provider, tenant, resource type, id, event type, when) and the record re-fetched
through the provider's adapter as a neutral model's JSON (`lexflow.core.models.Invoice` / `Customer`), or None
when it is gone. The effects are the ones Lexware's own routes have: waiting flow runs continue
(`lexflow.webhooks.waiting`), and the CRM mapping follows a contact (`lexflow.webhooks.crm`). Both write their state,
so running an event again changes nothing.
"""

from __future__ import annotations

from typing import Any

from lexflow.webhooks.events import ProviderEvent, WebhookEvent


def _label(event: WebhookEvent | ProviderEvent) -> str:
    return f"{event.provider} {event.resource_type} {event.resource_id}"


def invoice_changed(
    event: WebhookEvent | ProviderEvent, resource: dict[str, Any] | None, database_url: str | None = None
) -> str:
    """Resume every flow run waiting for this event on this invoice (`wait_for_event("invoice.updated", id)`), and
    say what the invoice looks like now."""
    from lexflow.webhooks.waiting import continue_waiting_runs, has_waiters

    if resource is None:
        state = f"{_label(event)} could not be read (deleted, or no longer visible)"
    else:
        number = resource.get("number") or "(no number)"
        state = f"{_label(event)} ({number}) is {resource.get('status')} ({resource.get('provider_status')})"
    if not has_waiters(event.event_type, event.resource_id, database_url):
        return f"{state}; no run is waiting for it"
    return f"{state}; {continue_waiting_runs(event, resource, database_url)}"


def contact_changed(
    event: WebhookEvent | ProviderEvent, resource: dict[str, Any] | None, database_url: str | None = None
) -> str:
    """The CRM mapping (`lexflow.ledger`) takes the contact's current e-mail and notes the change."""
    from lexflow.ledger import Ledger

    if resource is None:
        return f"{_label(event)} could not be read; mapping unchanged"
    ledger = Ledger(database_url)
    links = ledger.links_for_contact(event.resource_id)
    if not links:
        return f"no CRM record is linked to {_label(event)}"
    emails = resource.get("emails") or []
    note = f"changed in {event.provider} at {event.event_date}: {resource.get('name') or '(no name)'}"
    for link in links:
        ledger.link_contact(
            link.crm_source, link.crm_id, event.resource_id, link.status, emails[0] if emails else link.email, note
        )
    return f"updated {len(links)} CRM link(s): " + ", ".join(f"{link.crm_source}:{link.crm_id}" for link in links)
