"""Webhooks by polling, for an accounting system that sends none (sevDesk): its changes as inbox events.

The webhook-driven flows read the inbox (`lexflow.webhooks.inbox`), not the HTTP receiver. Where the API has no
webhooks (capability `webhooks`), a scheduled poll lists what changed since the last poll (`Provider.changes_since`,
sevDesk's `updateAfter`) and stores one event per changed record, shaped like a delivered one:
`{organizationId: <provider>, eventType: "<kind>.changed", resourceId, eventDate: <the record's change time>}`. The
inbox de-duplicates by those four fields, so a record listed by two overlapping polls is one event, and a record
changed again is a new one. The poll's cursor moves only after every event of a poll is stored (a crashed poll is
polled again and stores nothing twice). Documented in docs/webhooks.md#polling-where-there-are-no-webhooks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from lexflow.core.changes import ChangePage
from lexflow.core.provider import Provider
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import Inbox

KINDS = {
    "invoice": "invoice",
    "reminder": "dunning",
    "cancellation": "invoice",
    "creditnote": "credit-note",
    "purchaseinvoice": "voucher",
    "salesinvoice": "voucher",
}
"""The sync's document types as the event kinds the webhook routes know (Lexware's event names)."""


class CursorStore(Protocol):
    """Where a poll keeps its cursor between runs (`lexflow.sync.SyncStore` is one)."""

    def checkpoint(self, stream: str) -> Any: ...

    def complete(self, stream: str, updated_from: str | None) -> None: ...


@dataclass
class PollResult:
    events: int = 0
    duplicates: int = 0
    cursor: str | None = None


def stream_of(provider: Provider) -> str:
    return f"poll:{provider.name}"


def events_of(provider: Provider, page: ChangePage) -> list[WebhookEvent]:
    """One `<kind>.changed` event per changed record of the page, dated with the record's own change time."""
    rows: list[tuple[str, str, str | None]] = [("contact", c.id, _changed(c.data)) for c in page.contacts]
    rows += [(KINDS.get(d.type, "voucher"), d.id, d.updated) for d in page.documents]
    return [
        WebhookEvent.model_validate(
            {
                "organizationId": provider.name,
                "eventType": f"{kind}.{'deleted' if _gone(page, rid) else 'changed'}",
                "resourceId": rid,
                "eventDate": str(when or "unknown"),
            }
        )
        for kind, rid, when in rows
    ]


def _changed(data: dict[str, Any]) -> str | None:
    """The record's own change time (sevDesk `update`, Xero `UpdatedDateUTC`, QuickBooks `LastUpdatedTime`)."""
    meta = data.get("MetaData") or {}
    value = data.get("update") or data.get("UpdatedDateUTC") or meta.get("LastUpdatedTime")
    return str(value) if value else None


def _gone(page: ChangePage, rid: str) -> bool:
    return any(d.id == rid and d.deleted for d in page.documents)


def poll_changes(provider: Provider, inbox: Inbox, store: CursorStore) -> PollResult:
    """Store an inbox event for everything that changed since the last poll; returns what was stored.

    The first poll only takes the cursor the provider gives after listing everything once: what happened before is
    history (`sync-history`'s job), not events."""
    stream = stream_of(provider)
    checkpoint = store.checkpoint(stream)
    since = checkpoint.updated_from if checkpoint is not None else None
    result = PollResult()
    for page in provider.changes_since(since):
        if since is not None:
            for event in events_of(provider, page):
                body = json.dumps(event.model_dump(by_alias=True), sort_keys=True).encode()
                if inbox.store(event, body).duplicate:
                    result.duplicates += 1
                else:
                    result.events += 1
        result.cursor = page.cursor or result.cursor
    store.complete(stream, result.cursor or since)
    return result
