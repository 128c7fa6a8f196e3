"""End to end over real sockets: the sandbox (uvicorn) delivers signed events to the receiver (uvicorn), which
verifies them with the key the sandbox serves, stores them, re-fetches the resource and runs the mapped action."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lexflow.lexware.client import LexwareClient
from lexflow.lexware.sandbox.webhooks import sign, signing_key
from lexflow.testing.served import ServedSandbox
from lexflow.webhooks.config import CallableAction, SubscriptionSet
from lexflow.webhooks.inbox import EventStatus, Inbox
from lexflow.webhooks.receiver import SIGNATURE_HEADER
from lexflow.webhooks.subscriptions import list_subscriptions, sync_subscriptions
from tests.banking.helpers import make_invoice, match_invoice
from tests.webhooks import helpers
from tests.webhooks.conftest import ROTATING_KEY, serve_receiver
from tests.webhooks.helpers import wait_for

PATH = "/webhooks/lexware"


@dataclass
class Receiver:
    url: str
    inbox: Inbox


@pytest.fixture
def receiver(sandbox: ServedSandbox, client: LexwareClient, db_url: str) -> Iterator[Receiver]:
    route = CallableAction(callable="tests.webhooks.helpers:record")
    with serve_receiver(sandbox, client, db_url, route) as (url, inbox):
        yield Receiver(url, inbox)


def _contact(client: LexwareClient, name: str) -> str:
    result = client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": name}})
    return result.id


def test_sandbox_event_runs_the_mapped_action_once(client: LexwareClient, receiver: Receiver) -> None:
    report = sync_subscriptions(client, SubscriptionSet(callback_url=receiver.url, events=["contact.changed"]))
    assert [s.event_type for s in report.created] == ["contact.changed"]
    contact_id = _contact(client, "Alt GmbH")
    client.contacts.update(contact_id, lambda c: setattr(c.company, "name", "Neu GmbH"))

    wait_for(lambda: receiver.inbox.counts()["done"] == 1, timeout=15)
    (call,) = helpers.CALLS
    assert call["event"].event_type == "contact.changed" and call["event"].resource_id == contact_id
    assert call["resource"]["company"]["name"] == "Neu GmbH"  # re-fetched: the payload carries only the id
    (row,) = receiver.inbox.list()
    assert row.status == EventStatus.DONE and row.deliveries == 1


def test_redelivery_of_a_sandbox_event_is_processed_once(
    sandbox: ServedSandbox, client: LexwareClient, receiver: Receiver
) -> None:
    sync_subscriptions(client, SubscriptionSet(callback_url=receiver.url, events=["contact.changed"]))
    contact_id = _contact(client, "Einmal AG")
    client.contacts.update(contact_id, lambda c: setattr(c.company, "name", "Einmal AG & Co"))
    wait_for(lambda: receiver.inbox.counts()["done"] == 1, timeout=15)
    (row,) = receiver.inbox.list()

    # Lexware redelivers what it already delivered (e.g. our 200 got lost): same bytes, same signature
    key = signing_key(sandbox.state)
    again = httpx.post(receiver.url, content=row.body, headers={SIGNATURE_HEADER: sign(key, row.body)})
    assert again.status_code == 200 and again.json() == {"id": row.id, "duplicate": True}

    # an attacker replays the signature over an altered body: rejected, nothing stored
    forged = row.body.replace(contact_id.encode(), b"00000000-0000-0000-0000-000000000000")
    assert httpx.post(receiver.url, content=forged, headers={SIGNATURE_HEADER: sign(key, row.body)}).status_code == 401

    wait_for(lambda: receiver.inbox.get(row.id).deliveries == 2)
    assert len(helpers.CALLS) == 1 and sum(receiver.inbox.counts().values()) == 1


def test_sync_recreates_subscriptions_a_key_revocation_removed(sandbox: ServedSandbox, client: LexwareClient) -> None:
    wanted = SubscriptionSet(
        callback_url="http://127.0.0.1:9/hook", events=["invoice.status.changed", "payment.changed"]
    )
    with LexwareClient(api_key=ROTATING_KEY, base_url=sandbox.url, rate_limit=0) as old:
        assert len(sync_subscriptions(old, wanted).created) == 2
    assert {s.event_type for s in list_subscriptions(client)} == {"invoice.status.changed", "payment.changed"}

    sandbox.control.revoke_key(ROTATING_KEY)  # the key is rotated: Lexware drops its subscriptions
    assert list_subscriptions(client) == []

    report = sync_subscriptions(client, wanted)  # with the new key
    assert sorted(s.event_type for s in report.created) == ["invoice.status.changed", "payment.changed"]
    assert sync_subscriptions(client, wanted).created == []  # idempotent: a second sync changes nothing

    client.event_subscriptions.create("contact.changed", "http://127.0.0.1:9/other")
    kept = sync_subscriptions(client, wanted)
    assert [s.event_type for s in kept.extra] == ["contact.changed"] and kept.deleted == []
    pruned = sync_subscriptions(client, wanted, prune=True)
    assert [s.event_type for s in pruned.deleted] == ["contact.changed"]
    assert len(list_subscriptions(client)) == 2


def test_payment_changed_for_a_draft_is_done_not_failed(
    sandbox: ServedSandbox, client: LexwareClient, db_url: str
) -> None:
    """docs/lexware.md#event-types: payment.changed also fires when a document goes back to draft, and /payments then answers 406."""
    from lexflow.webhooks.config import WebhookConfig
    from lexflow.webhooks.events import WebhookEvent
    from lexflow.webhooks.worker import InboxWorker
    from tests.webhooks.helpers import event_body

    draft = make_invoice(client, finalize=False)
    route = CallableAction(
        callable="tests.webhooks.helpers:confirm_with_client",
        parameters={"voucher_id": "{resourceId}", "client": "{client}"},
        refetch=False,
    )
    inbox = Inbox(db_url)
    body = event_body(event_type="payment.changed", resource_id=draft.id)
    event_id = inbox.store(WebhookEvent.model_validate_json(body), body).id
    worker = InboxWorker(inbox, WebhookConfig(routes={"payment.changed": route}), client_factory=lambda: client)
    assert worker.drain() == 1
    row = inbox.get(event_id)
    assert row.status == EventStatus.DONE and row.attempts == 1
    assert "went back to draft" in (row.result or "")

    # with the re-fetch on, the worker's own GET /v1/payments gets the 406 and hands the action `resource: None`
    refetching = WebhookConfig(routes={"payment.changed": CallableAction(callable="tests.webhooks.helpers:record")})
    body = event_body(event_type="payment.changed", resource_id=draft.id, eventDate="2026-01-11T09:00:00.000+01:00")
    event_id = inbox.store(WebhookEvent.model_validate_json(body), body).id
    assert InboxWorker(inbox, refetching, client_factory=lambda: client).drain() == 1
    assert inbox.get(event_id).status == EventStatus.DONE and helpers.CALLS[-1]["resource"] is None


def test_default_route_records_a_matched_draft_on_the_ledger(
    client: LexwareClient, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default `payment.changed` route (`check_payment`) for an invoice with an open bank match that is a draft
    again: the event is done at the first attempt, and the match says what to do in Lexware Office."""
    from lexflow.audit import AuditTrail
    from lexflow.banking import MatchLedger
    from lexflow.settings import get_settings
    from lexflow.webhooks.config import WebhookConfig
    from lexflow.webhooks.events import WebhookEvent
    from lexflow.webhooks.worker import InboxWorker
    from tests.webhooks.helpers import event_body

    monkeypatch.setenv("LEXFLOW_DATABASE_URL", db_url)  # the route's ledger is the default database
    get_settings.cache_clear()
    try:
        draft = make_invoice(client, finalize=False)
        ledger = MatchLedger()
        match_invoice(client, ledger, draft, "RE0007", "tx-7")

        inbox = Inbox(db_url)
        body = event_body(event_type="payment.changed", resource_id=draft.id)
        event_id = inbox.store(WebhookEvent.model_validate_json(body), body).id
        assert InboxWorker(inbox, WebhookConfig(), client_factory=lambda: client).drain() == 1
    finally:
        get_settings.cache_clear()
    row = inbox.get(event_id)
    assert row.status == EventStatus.DONE and row.attempts == 1 and row.last_error is None
    assert "RE0007 is a draft in Lexware Office" in (row.result or "") and "finalize" in (row.result or "")
    (match,) = ledger.rows()
    assert match.status == "voucher_draft" and "finalize the invoice there" in match.note
    (record,) = AuditTrail(db_url).list(action="webhook.payment.changed")
    assert record.outcome == "ok" and record.resource_ids == [draft.id]


def test_default_route_writes_the_ledger_in_the_workers_database_not_the_default_one(
    client: LexwareClient, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lexflow webhooks serve --database-url URL`: `check_payment` reads and writes the ledger in URL (where the
    inbox is), even when LEXFLOW_DATABASE_URL names another database."""
    from sqlalchemy import inspect

    from lexflow.banking import MatchLedger
    from lexflow.db import get_engine
    from lexflow.settings import get_settings
    from lexflow.webhooks.config import WebhookConfig
    from lexflow.webhooks.events import WebhookEvent
    from lexflow.webhooks.worker import InboxWorker
    from tests.webhooks.helpers import event_body

    elsewhere = f"sqlite:///{tmp_path / 'default.db'}"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", elsewhere)
    get_settings.cache_clear()
    try:
        draft = make_invoice(client, finalize=False)
        ledger = MatchLedger(db_url)  # the configured database: the bank match lives here
        match_invoice(client, ledger, draft, "RE0008", "tx-8")
        inbox = Inbox(db_url)
        body = event_body(event_type="payment.changed", resource_id=draft.id)
        event_id = inbox.store(WebhookEvent.model_validate_json(body), body).id
        assert InboxWorker(inbox, WebhookConfig(), client_factory=lambda: client).drain() == 1
    finally:
        get_settings.cache_clear()
    row = inbox.get(event_id)
    assert row.status == EventStatus.DONE and "RE0008 is a draft" in (row.result or ""), row.result
    (match,) = ledger.rows()
    assert match.status == "voucher_draft"
    assert "bank_matches" not in inspect(get_engine(elsewhere)).get_table_names()  # nothing written elsewhere
