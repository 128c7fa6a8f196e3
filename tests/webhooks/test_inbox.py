from __future__ import annotations

import time

import pytest

from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox, RetryPolicy
from tests.webhooks.helpers import event_body


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    if request.param == "sqlite":
        return db_url
    from sqlalchemy import text

    from lexflow.db import get_engine

    pg = request.getfixturevalue("postgres_url")
    with get_engine(pg).begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS webhook_inbox"))
    return pg


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
