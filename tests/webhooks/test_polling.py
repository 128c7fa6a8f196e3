"""Webhooks by polling where the provider sends none (sevDesk): each change once as an inbox event, the first poll
only takes the cursor."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.sync import SyncStore
from lexflow.webhooks.inbox import Inbox
from lexflow.webhooks.polling import poll_changes


def test_changes_become_inbox_events_once(sevdesk_client, tmp_path: Path) -> None:
    from lexflow.sevdesk.adapter import SevdeskAdapter

    provider = SevdeskAdapter(sevdesk_client)
    assert not provider.capabilities.supports("webhooks")
    provider.cursor_margin = 1
    url = f"sqlite:///{tmp_path}/lexflow.db"
    inbox, store = Inbox(url), SyncStore(url)
    customer = provider.create_customer(CustomerDraft(name="Poll Kunde GmbH", email="poll@kunde.test"))
    time.sleep(2.1)
    first = poll_changes(provider, inbox, store)
    assert first.events == 0 and first.cursor  # what happened before the first poll is history, not events

    line = InvoiceLineDraft(name="Wartung", unit_price=Decimal("50.00"), tax="standard")
    invoice = provider.create_invoice(InvoiceDraft(customer_id=customer.id, lines=[line], finalize=True))
    second = poll_changes(provider, inbox, store)
    events = {(e.event_type, e.resource_id) for e in inbox.list()}
    assert ("invoice.changed", invoice.id) in events and second.events == len(events)
    assert all(e.organization_id == "sevdesk" for e in inbox.list())

    third = poll_changes(provider, inbox, store)  # nothing changed: at most the overlap again, stored once
    assert third.events == 0 and len(inbox.list()) == len(events)
