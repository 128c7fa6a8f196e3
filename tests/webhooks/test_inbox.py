from __future__ import annotations

import time

import pytest

from lexflow.webhooks.events import ProviderEvent, WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox, RetryPolicy
from tests.webhooks.helpers import event_body


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    if request.param == "sqlite":
        return db_url
    return str(request.getfixturevalue("postgres_schema_url"))


def _store(inbox: Inbox, resource_id: str = "r-1") -> int:
    body = event_body(resource_id=resource_id)
    return inbox.store(WebhookEvent.model_validate_json(body), body).id


def test_redelivery_is_recognised_and_counted(url: str) -> None:
    inbox = Inbox(url)
    body = event_body()
    first = inbox.store(WebhookEvent.model_validate_json(body), body)
    again = inbox.store(WebhookEvent.model_validate_json(body), body)
    assert not first.duplicate and again.duplicate and again.id == first.id
    assert inbox.get(first.id).deliveries == 2
    assert inbox.counts()["pending"] == 1


def test_a_claim_is_a_lease_that_a_dead_worker_gives_back(url: str) -> None:
    inbox = Inbox(url, lease=0.3)
    event_id = _store(inbox)
    assert [row.id for row in inbox.claim()] == [event_id]
    assert inbox.claim() == []  # leased to the first worker
    time.sleep(0.35)  # the first worker died without completing
    (row,) = inbox.claim()
    assert row.id == event_id and row.attempts == 2
    inbox.complete(event_id, "ran")
    assert inbox.claim() == [] and inbox.get(event_id).status == EventStatus.DONE


def test_failures_back_off_then_park_and_replay_requeues(url: str) -> None:
    inbox = Inbox(url, retry=RetryPolicy(max_attempts=2, base_delay=0.2))
    event_id = _store(inbox)
    inbox.claim()
    assert inbox.fail(event_id, "boom 1") == EventStatus.PENDING
    assert inbox.claim() == []  # backing off
    time.sleep(0.25)
    assert inbox.claim()[0].attempts == 2
    assert inbox.fail(event_id, "boom 2") == EventStatus.PARKED
    parked = inbox.list(EventStatus.PARKED)
    assert [p.id for p in parked] == [event_id]
    assert parked[0].parked_reason == "gave up after 2 attempts: boom 2"
    replayed = inbox.replay(event_id)
    assert replayed.status == EventStatus.PENDING and replayed.attempts == 0 and replayed.generation == 1
    assert inbox.claim()[0].id == event_id


def test_permanent_failure_parks_at_once(url: str) -> None:
    inbox = Inbox(url)
    event_id = _store(inbox)
    inbox.claim()
    assert inbox.fail(event_id, "no such deployment", permanent=True) == EventStatus.PARKED
    assert inbox.get(event_id).parked_reason == "no such deployment"
    with pytest.raises(KeyError, match="no webhook event with id 999"):
        inbox.replay(999)


def _provider_event(resource_id: str) -> ProviderEvent:
    return ProviderEvent(
        provider="xero",
        tenant="t-1",
        resource_type="invoice",
        resource_id=resource_id,
        event_type="invoice.updated",
        occurred_at="2026-03-10T09:12:44.123",
    )


def test_a_batch_is_stored_in_one_transaction_with_repeats_counted(url: str) -> None:
    inbox = Inbox(url)
    assert not inbox.store(_provider_event("a")).duplicate
    results = inbox.store_batch([_provider_event(r) for r in ("a", "b", "b", "c")])
    assert [r.duplicate for r in results] == [True, False, True, False]
    assert results[1].id == results[2].id
    rows = {row.resource_id: row for row in inbox.list()}
    assert {rid: row.deliveries for rid, row in rows.items()} == {"a": 2, "b": 2, "c": 1}
    assert {row.provider for row in rows.values()} == {"xero"}
    assert rows["b"].to_event() == _provider_event("b")


def test_an_inbox_from_before_the_other_providers_gets_their_columns(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from lexflow.webhooks.inbox import InboxEvent, _row

    old = create_engine(url)  # the table as the Lexware-only versions created it, before lexflow used Alembic
    InboxEvent.__table__.create(old)
    with Session(old) as session:
        body = event_body(resource_id="r-1")
        row = _row(WebhookEvent.model_validate_json(body), body)
        session.add(row)
        session.commit()
        old_id = row.id
    with old.begin() as conn:
        conn.execute(text("ALTER TABLE webhook_inbox DROP COLUMN provider"))
        conn.execute(text("ALTER TABLE webhook_inbox DROP COLUMN resource_type"))
    old.dispose()
    inbox = Inbox(url)
    old = inbox.get(old_id)
    assert old.provider == "lexware" and isinstance(old.to_event(), WebhookEvent)
    new = inbox.store(_provider_event("x"))
    assert inbox.get(new.id).provider == "xero" and inbox.get(new.id).resource_type == "invoice"
