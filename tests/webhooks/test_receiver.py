"""The receiver over real HTTP (uvicorn on 127.0.0.1): signature, durability, de-duplication, retries, parking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lexflow.audit import AuditTrail
from lexflow.webhooks.config import CallableAction, WebhookConfig, WorkerSettings
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox, RetryPolicy, StoreResult
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.receiver import SIGNATURE_HEADER, create_receiver_app
from lexflow.webhooks.worker import InboxWorker
from tests.webhooks import helpers
from tests.webhooks.helpers import KeyPair, event_body, serve, wait_for

PATH = "/webhooks/lexware"


def _config(callable_: str = "tests.webhooks.helpers:record", **worker: Any) -> WebhookConfig:
    route = CallableAction(callable=callable_, refetch=False)
    return WebhookConfig(
        routes={"invoice.status.changed": route, "payment.changed": route},
        worker=WorkerSettings(poll_interval=0.2, **worker),
    )


class Receiver:
    def __init__(self, url: str, inbox: Inbox, keys: KeyPair) -> None:
        self.url, self.inbox, self.keys = url + PATH, inbox, keys

    def post(self, body: bytes, signature: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if signature != "":
            headers[SIGNATURE_HEADER] = signature or self.keys.sign(body)
        return httpx.post(self.url, content=body, headers=headers, timeout=10)


@pytest.fixture
def receiver(db_url: str, keys: KeyPair, request: pytest.FixtureRequest) -> Iterator[Receiver]:
    marker = request.node.get_closest_marker("route")
    config = _config(*(marker.args if marker else ()), **(marker.kwargs if marker else {}))
    retry = RetryPolicy(config.worker.max_attempts, base_delay=config.worker.base_delay)
    inbox = Inbox(db_url, retry=retry)
    worker = InboxWorker(inbox, config, client_factory=lambda: None)
    app = create_receiver_app(inbox, WebhookPublicKey(keys.public_pem), worker=worker)
    with serve(app) as url:
        yield Receiver(url, inbox, keys)


def test_signed_event_is_stored_answered_and_processed_once(receiver: Receiver) -> None:
    body = event_body(resource_id="inv-1")
    response = receiver.post(body)
    assert response.status_code == 200 and response.json()["duplicate"] is False
    row_id = response.json()["id"]
    wait_for(lambda: receiver.inbox.get(row_id).status == EventStatus.DONE)
    (call,) = helpers.CALLS
    assert call["event"].resource_id == "inv-1"
    row = receiver.inbox.get(row_id)
    assert row.status == EventStatus.DONE and row.body == body
    trail = AuditTrail(receiver.inbox.database_url)
    (audit,) = wait_for(lambda: trail.list(action="webhook.invoice.status.changed"))
    assert audit.outcome == "ok" and audit.resource_ids == ["inv-1"] and audit.actor.name == "lexflow-webhooks"
    assert audit.input["route"] == "callable tests.webhooks.helpers:record"


def test_redelivery_is_answered_200_and_processed_once(receiver: Receiver) -> None:
    body = event_body(resource_id="inv-2")
    assert receiver.post(body).status_code == 200
    wait_for(lambda: helpers.CALLS)
    again = receiver.post(body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    time.sleep(0.4)  # two worker polls
    assert len(helpers.CALLS) == 1
    assert receiver.inbox.get(again.json()["id"]).deliveries == 2


def test_forged_signature_is_rejected_and_not_stored(receiver: Receiver) -> None:
    body = event_body(resource_id="inv-3")
    forged = KeyPair().sign(body)
    assert receiver.post(body, signature=forged).status_code == 401
    assert receiver.post(body, signature="").status_code == 401  # no header at all
    assert receiver.post(body, signature="not-base64!").status_code == 401
    assert receiver.inbox.counts() == {s.value: 0 for s in EventStatus}


def test_altered_body_is_rejected(receiver: Receiver) -> None:
    body = event_body(resource_id="inv-4")
    signature = receiver.keys.sign(body)
    tampered = body.replace(b"inv-4", b"inv-5")
    reformatted = body.replace(b",", b", ")  # same JSON, other bytes: the signature covers the raw bytes
    assert receiver.post(tampered, signature=signature).status_code == 401
    assert receiver.post(reformatted, signature=signature).status_code == 401
    assert receiver.inbox.counts()["pending"] == receiver.inbox.counts()["done"] == 0


def test_signed_but_malformed_body_is_400(receiver: Receiver) -> None:
    body = b'{"eventType":"invoice.changed"}'
    response = receiver.post(body)
    assert response.status_code == 400 and "organizationId" in response.json()["detail"]


def test_head_precheck_and_health(receiver: Receiver) -> None:
    assert httpx.head(receiver.url).status_code == 200
    health = httpx.get(receiver.url.removesuffix(PATH) + "/healthz").json()
    assert health["ok"] is True and health["inbox"]["pending"] == 0


@pytest.mark.route("tests.webhooks.helpers:flaky", base_delay=0.1)
def test_failing_action_is_retried_with_backoff(receiver: Receiver) -> None:
    response = receiver.post(event_body(event_type="payment.changed", resource_id="v-1"))
    event_id = response.json()["id"]
    wait_for(lambda: receiver.inbox.get(event_id).status == EventStatus.DONE, timeout=5)
    row = receiver.inbox.get(event_id)
    assert row.attempts == 3 and len(helpers.CALLS) == 1
    assert row.last_error is None


@pytest.mark.route("tests.webhooks.helpers:always_fails", base_delay=0.05, max_attempts=3)
def test_poison_event_is_parked_with_its_reason(receiver: Receiver) -> None:
    event_id = receiver.post(event_body(event_type="payment.changed", resource_id="v-2")).json()["id"]
    wait_for(lambda: receiver.inbox.get(event_id).status == EventStatus.PARKED, timeout=5)
    row = receiver.inbox.get(event_id)
    assert row.attempts == 3
    assert row.parked_reason == "gave up after 3 attempts: RuntimeError: ledger rejected the payment"
    trail = AuditTrail(receiver.inbox.database_url)
    (audit,) = wait_for(lambda: trail.list(resource_id="v-2"))  # written right after the inbox records the parking
    assert audit.outcome == "error" and "ledger rejected the payment" in (audit.error or "")


@pytest.mark.route("tests.webhooks.helpers:does_not_exist")
def test_unimportable_callable_is_parked_at_once(receiver: Receiver) -> None:
    event_id = receiver.post(event_body(resource_id="inv-6")).json()["id"]
    wait_for(lambda: receiver.inbox.get(event_id).status == EventStatus.PARKED, timeout=5)
    row = receiver.inbox.get(event_id)
    assert row.attempts == 1 and "tests.webhooks.helpers:does_not_exist" in (row.parked_reason or "")


def test_5xx_only_when_the_event_cannot_be_stored(db_url: str, keys: KeyPair) -> None:
    class BrokenInbox(Inbox):
        def store(self, event: WebhookEvent, body: bytes) -> StoreResult:
            raise OSError("disk full")

    inbox = BrokenInbox(db_url)
    with serve(create_receiver_app(inbox, WebhookPublicKey(keys.public_pem))) as url:
        body = event_body()
        response = httpx.post(url + PATH, content=body, headers={SIGNATURE_HEADER: keys.sign(body)})
    assert response.status_code == 503 and "retry" in response.json()["detail"]
    assert "disk full" not in response.text


def test_answer_does_not_wait_for_a_slow_action(db_url: str, keys: KeyPair) -> None:
    config = WebhookConfig(
        routes={
            "invoice.status.changed": CallableAction(
                callable="tests.webhooks.helpers:slow", parameters={"seconds": 1.5}, refetch=False
            )
        }
    )
    inbox = Inbox(db_url)
    worker = InboxWorker(inbox, config, client_factory=lambda: None)
    with serve(create_receiver_app(inbox, WebhookPublicKey(keys.public_pem), worker=worker)) as url:
        started = time.perf_counter()
        for n in range(3):
            body = event_body(resource_id=f"slow-{n}")
            assert httpx.post(url + PATH, content=body, headers={SIGNATURE_HEADER: keys.sign(body)}).status_code == 200
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"three events took {elapsed:.2f} s to be accepted"
        worker.stop(timeout=0.1)  # do not wait for the sleeps
