"""Xero and QuickBooks webhooks end to end over real sockets: each served sandbox delivers signed, thin events to the
served receiver (uvicorn on 127.0.0.1); the inbox stores them once as neutral events; the worker re-fetches each
record through the provider's adapter and runs the resource route (CRM mapping, waiting runs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.ledger import Ledger
from lexflow.webhooks.config import WebhookConfig, WorkerSettings
from lexflow.webhooks.inbox import EventStatus, Inbox
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.receiver import create_receiver_app
from lexflow.webhooks.sources import QUICKBOOKS_PATH, XERO_PATH, quickbooks_source, xero_source
from lexflow.webhooks.worker import InboxWorker
from tests.webhooks import helpers

UNUSED_LEXWARE_KEY = WebhookPublicKey(b"-----BEGIN PUBLIC KEY-----\nunused\n-----END PUBLIC KEY-----\n")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Receiver:
    """The served receiver with both HMAC sources, its inbox, and a worker the test drains (deterministic)."""

    def __init__(self, url: str, inbox: Inbox, worker: InboxWorker) -> None:
        self.url, self.inbox, self.worker = url, inbox, worker

    def rows(self) -> list[Any]:
        return sorted(self.inbox.list(limit=100), key=lambda row: row.id)


@pytest.fixture
def xero_adapter() -> Any:
    """On the process's embedded (served) Xero sandbox, reset and authorised for this test."""
    from tests.xero.support import sandbox_adapter

    return sandbox_adapter()


@pytest.fixture
def xero_sandbox(xero_adapter: Any) -> Any:
    from lexflow.xero.client import embedded_sandbox

    return embedded_sandbox()


@pytest.fixture
def qbo_adapter(quickbooks_client: Any) -> Any:
    from lexflow.quickbooks.adapter import QuickBooksAdapter

    return QuickBooksAdapter(quickbooks_client)


@pytest.fixture
def serve(tmp_path: Path) -> Any:
    """`serve(xero_key, qbo_token, adapters)` → a running Receiver; stopped at the end of the test."""
    stack: list[Any] = []

    def start(xero_key: str, qbo_token: str, adapters: dict[str, Any] | None, *, running: bool = False) -> Receiver:
        """`running`: the worker runs beside the receiver (woken by each stored event) instead of being drained.
        `adapters` None: the worker's own default, `get_provider(name=provider).for_tenant(tenant)`."""
        inbox = Inbox(f"sqlite:///{tmp_path / f'inbox{len(stack)}.db'}")
        config = WebhookConfig(worker=WorkerSettings(poll_interval=30))
        factory = None if adapters is None else (lambda p, t: adapters[p].for_tenant(t))
        worker = InboxWorker(inbox, config, adapters=factory)
        app = create_receiver_app(
            inbox,
            UNUSED_LEXWARE_KEY,
            worker=worker if running else None,
            sources=[xero_source(SecretStr(xero_key)), quickbooks_source(SecretStr(qbo_token))],
        )
        served = helpers.serve(app)
        base = served.__enter__()
        stack.append(served)
        return Receiver(base, inbox, worker)

    yield start
    for served in reversed(stack):
        served.__exit__(None, None, None)


def _invoice_draft(customer_id: str) -> InvoiceDraft:
    line = InvoiceLineDraft(name="Beratung", quantity=Decimal(2), unit_price=Decimal("100.00"), tax="standard")
    return InvoiceDraft(customer_id=customer_id, issue_date=date(2026, 3, 2), lines=[line], finalize=True)


# -- Xero ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def xero_receiver(serve: Any, xero_sandbox: Any, xero_adapter: Any) -> Receiver:
    key = xero_sandbox.config.webhook_key.get_secret_value()
    return serve(key, "qbo-unused", {"xero": xero_adapter})  # type: ignore[no-any-return]


def test_xero_intent_to_receive_passes_with_the_right_key_and_stores_nothing(
    xero_receiver: Receiver, xero_sandbox: Any
) -> None:
    answer = httpx.post(f"{xero_sandbox.url}/_sandbox/webhooks", json={"url": xero_receiver.url + XERO_PATH})
    assert answer.json()["status"] == "OK"
    assert xero_receiver.rows() == []  # the handshake's empty batches are not events


def test_xero_intent_to_receive_fails_with_a_wrong_key(serve: Any, xero_sandbox: Any, xero_adapter: Any) -> None:
    receiver = serve("not-the-webhook-key", "qbo-unused", {"xero": xero_adapter})
    answer = httpx.post(f"{xero_sandbox.url}/_sandbox/webhooks", json={"url": receiver.url + XERO_PATH})
    assert answer.status_code == 400 and answer.json()["status"] == "INTENT_TO_RECEIVE_FAILED"


def test_xero_answers_are_empty_200_or_401(xero_receiver: Receiver, xero_sandbox: Any) -> None:
    key = xero_sandbox.config.webhook_key.get_secret_value()
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"ABCDEFGHIJKLMNOPQRST"}'
    url = xero_receiver.url + XERO_PATH
    good = httpx.post(url, content=body, headers={"x-xero-signature": sign(body, key)})
    bad = httpx.post(url, content=body, headers={"x-xero-signature": sign(body, "wrong")})
    missing = httpx.post(url, content=body)
    assert (good.status_code, good.content) == (200, b"")
    assert (bad.status_code, bad.content) == (401, b"")
    assert (missing.status_code, missing.content) == (401, b"")


def test_xero_events_are_stored_once_and_the_worker_refetches_them(
    serve: Any, xero_sandbox: Any, xero_adapter: Any
) -> None:
    """The worker's default re-fetch: `get_provider(name="xero")` (no credentials: the embedded sandbox) switched to
    the tenant the event names, which is not the connection's first one."""
    assert xero_adapter.client.tenant_id != xero_sandbox.config.tenants[0].tenant_id
    xero_receiver = serve(xero_sandbox.config.webhook_key.get_secret_value(), "qbo-unused", None)
    assert httpx.post(f"{xero_sandbox.url}/_sandbox/webhooks", json={"url": xero_receiver.url + XERO_PATH}).is_success
    customer = xero_adapter.create_customer(CustomerDraft(name="Webhook Kunde GmbH", email="alt@kunde.example"))
    invoice = xero_adapter.create_invoice(_invoice_draft(customer.id))
    ledger = Ledger(xero_receiver.inbox.database_url)
    ledger.link_contact("hubspot", "crm-7", customer.id, "linked", "old@kunde.example")

    delivered = httpx.post(f"{xero_sandbox.url}/_sandbox/webhooks/deliver").json()
    assert delivered["status"] == 200 and delivered["delivered"] >= 2
    rows = xero_receiver.rows()
    kinds = {(r.provider, r.resource_type, r.event_type, r.resource_id) for r in rows}
    assert ("xero", "contact", "contact.created", customer.id) in kinds
    assert ("xero", "invoice", "invoice.created", invoice.id) in kinds
    assert {r.organization_id for r in rows} == {xero_adapter.client.tenant_id.lower()}

    assert xero_receiver.worker.drain() == len(rows)
    done = {r.resource_id + r.event_type: r for r in xero_receiver.rows()}
    assert all(r.status == EventStatus.DONE.value for r in done.values())
    # the event carried ids only: number and status come from the re-fetched record
    invoice_result = done[invoice.id + "invoice.created"].result
    assert invoice.number and invoice.number in invoice_result and "no run is waiting" in invoice_result
    assert "hubspot:crm-7" in done[customer.id + "contact.created"].result
    assert ledger.links_for_contact(customer.id)[0].email == "alt@kunde.example"


def test_xero_redelivery_is_stored_once_and_a_forgery_not_at_all(xero_receiver: Receiver, xero_sandbox: Any) -> None:
    key = xero_sandbox.config.webhook_key.get_secret_value()
    event = {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/4ab9fc9a-2a0f-4c0e-8d1f-2e1b6f1e3a10",
        "resourceId": "4ab9fc9a-2a0f-4c0e-8d1f-2e1b6f1e3a10",
        "eventDateUtc": "2026-03-10T09:12:44.123",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": "70784a63-d24b-46a9-a4db-0e70a274b056",
        "tenantType": "ORGANISATION",
    }
    url = xero_receiver.url + XERO_PATH
    forged = orjson.dumps({"events": [event], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "A"})
    assert httpx.post(url, content=forged, headers={"x-xero-signature": sign(forged, "guess")}).status_code == 401
    assert xero_receiver.rows() == []
    for sequence in (1, 2):  # Xero's retry is a new batch (sequence, entropy) around the same event
        body = orjson.dumps(
            {"events": [event], "firstEventSequence": sequence, "lastEventSequence": sequence, "entropy": str(sequence)}
        )
        assert httpx.post(url, content=body, headers={"x-xero-signature": sign(body, key)}).status_code == 200
    rows = xero_receiver.rows()
    assert len(rows) == 1 and rows[0].deliveries == 2
    assert xero_receiver.worker.drain() == 1
    # a redelivery after it was processed: counted, not processed again
    assert httpx.post(url, content=body, headers={"x-xero-signature": sign(body, key)}).status_code == 200
    assert xero_receiver.worker.drain() == 0
    (row,) = xero_receiver.rows()
    assert row.deliveries == 3 and row.status == EventStatus.DONE.value and row.attempts == 1


def test_xero_event_of_an_invoice_gone_since_is_done_without_a_record(
    xero_receiver: Receiver, xero_sandbox: Any
) -> None:
    key = xero_sandbox.config.webhook_key.get_secret_value()
    tenant = xero_sandbox.config.tenants[1].tenant_id
    event = {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/00000000-0000-4000-8000-000000000001",
        "resourceId": "00000000-0000-4000-8000-000000000001",
        "eventDateUtc": "2026-03-10T09:12:44.123",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }
    body = orjson.dumps({"events": [event], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "B"})
    url = xero_receiver.url + XERO_PATH
    assert httpx.post(url, content=body, headers={"x-xero-signature": sign(body, key)}).status_code == 200
    xero_receiver.worker.drain()
    row = xero_receiver.rows()[0]
    assert row.status == EventStatus.DONE.value and "could not be read" in (row.result or "")


# -- QuickBooks Online --------------------------------------------------------------------------------------------
@pytest.fixture
def qbo_receiver(serve: Any, quickbooks_served: Any, qbo_adapter: Any) -> Iterator[Receiver]:
    receiver = serve("xero-unused", quickbooks_served.config.verifier_token, {"quickbooks": qbo_adapter})
    yield receiver
    quickbooks_served.control("webhooks", url=None)


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_quickbooks_events_in_both_formats_are_stored_and_refetched(
    qbo_receiver: Receiver, quickbooks_served: Any, qbo_adapter: Any, fmt: str
) -> None:
    quickbooks_served.control("webhooks", url=qbo_receiver.url + QUICKBOOKS_PATH, format=fmt)
    customer = qbo_adapter.create_customer(CustomerDraft(name=f"QBO Kunde {fmt}", email=f"{fmt}@kunde.example"))
    invoice = qbo_adapter.create_invoice(_invoice_draft(customer.id))
    ledger = Ledger(qbo_receiver.inbox.database_url)
    ledger.link_contact("pipedrive", f"p-{fmt}", customer.id, "linked", "old@kunde.example")

    assert quickbooks_served.control("webhooks-flush")["delivered"] == 1  # one aggregated, signed POST
    rows = qbo_receiver.rows()
    assert {(r.provider, r.organization_id, r.event_type, r.resource_id) for r in rows} >= {
        ("quickbooks", quickbooks_served.realm, "contact.created", customer.id),
        ("quickbooks", quickbooks_served.realm, "invoice.created", invoice.id),
    }
    qbo_receiver.worker.drain()
    done = {r.resource_id + r.event_type: r for r in qbo_receiver.rows()}
    assert {r.status for r in done.values()} == {EventStatus.DONE.value}
    assert f"is {invoice.status}" in (done[invoice.id + "invoice.created"].result or "")
    assert ledger.links_for_contact(customer.id)[0].email == f"{fmt}@kunde.example"


def test_quickbooks_same_change_in_both_formats_is_stored_once(qbo_receiver: Receiver, quickbooks_served: Any) -> None:
    from lexflow.quickbooks.sandbox.webhooks import payload

    token = quickbooks_served.config.verifier_token
    change = [{"name": "Invoice", "id": "130", "operation": "Update", "lastUpdated": "2026-03-02T10:00:00.000Z"}]
    url = qbo_receiver.url + QUICKBOOKS_PATH
    for fmt in ("legacy", "cloudevents", "legacy"):
        body = orjson.dumps(payload(quickbooks_served.realm, change, fmt))
        answer = httpx.post(url, content=body, headers={"intuit-signature": sign(body, token)})
        assert answer.status_code == 200
    rows = qbo_receiver.rows()
    assert len(rows) == 1 and rows[0].deliveries == 3 and rows[0].event_type == "invoice.updated"


def test_quickbooks_wrong_signature_is_refused_and_nothing_stored(
    qbo_receiver: Receiver, quickbooks_served: Any
) -> None:
    from lexflow.quickbooks.sandbox.webhooks import payload

    change = [{"name": "Invoice", "id": "131", "operation": "Create", "lastUpdated": "2026-03-02T10:00:00.000Z"}]
    body = orjson.dumps(payload(quickbooks_served.realm, change, "legacy"))
    url = qbo_receiver.url + QUICKBOOKS_PATH
    assert httpx.post(url, content=body, headers={"intuit-signature": sign(body, "wrong-token")}).status_code == 401
    assert httpx.post(url, content=body).status_code == 401
    signed = sign(body, quickbooks_served.config.verifier_token)
    altered = body.replace(b"131", b"132")
    assert httpx.post(url, content=altered, headers={"intuit-signature": signed}).status_code == 401
    assert qbo_receiver.rows() == []


def test_quickbooks_sandbox_retries_a_refused_delivery_and_it_lands_once(
    serve: Any, quickbooks_served: Any, qbo_adapter: Any
) -> None:
    """A receiver with the wrong token answers 401; Intuit retries on its schedule; fixed, the retry lands once."""
    wrong = serve("xero-unused", "wrong-token", {"quickbooks": qbo_adapter})
    right = serve("xero-unused", quickbooks_served.config.verifier_token, {"quickbooks": qbo_adapter})
    try:
        quickbooks_served.control("webhooks", url=wrong.url + QUICKBOOKS_PATH)
        qbo_adapter.create_customer(CustomerDraft(name="Retry Kunde", email="retry@kunde.example"))
        assert quickbooks_served.control("webhooks-flush")["delivered"] == 0
        assert wrong.rows() == []
        quickbooks_served.control("webhooks", url=right.url + QUICKBOOKS_PATH)
        quickbooks_served.control("clock", advance_seconds=10)
        assert quickbooks_served.control("webhooks-flush")["delivered"] == 1
        assert quickbooks_served.control("webhooks-flush")["delivered"] == 0  # nothing left to retry
        assert [r.event_type for r in right.rows()] == ["contact.created"]
    finally:
        quickbooks_served.control("clock", advance_seconds=-10)
        quickbooks_served.control("webhooks", url=None)


def test_quickbooks_event_of_another_realm_is_parked_not_read_from_this_one(
    qbo_receiver: Receiver, quickbooks_served: Any
) -> None:
    from lexflow.quickbooks.sandbox.webhooks import payload

    change = [{"name": "Invoice", "id": "1", "operation": "Update", "lastUpdated": "2026-03-02T10:00:00.000Z"}]
    body = orjson.dumps(payload("123456789", change, "cloudevents"))
    url = qbo_receiver.url + QUICKBOOKS_PATH
    token = quickbooks_served.config.verifier_token
    assert httpx.post(url, content=body, headers={"intuit-signature": sign(body, token)}).status_code == 200
    qbo_receiver.worker.drain()
    row = qbo_receiver.rows()[0]
    assert row.status == EventStatus.PARKED.value and "123456789" in (row.parked_reason or "")


def test_a_signed_body_that_is_not_an_event_batch_is_400(qbo_receiver: Receiver, quickbooks_served: Any) -> None:
    body = b'{"hello": "world"}'
    token = quickbooks_served.config.verifier_token
    answer = httpx.post(
        qbo_receiver.url + QUICKBOOKS_PATH, content=body, headers={"intuit-signature": sign(body, token)}
    )
    assert answer.status_code == 400 and "eventNotifications" in answer.json()["detail"]
    assert qbo_receiver.rows() == []


# -- configuration --------------------------------------------------------------------------------------------------
def test_paths_come_from_settings_and_never_show_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lexflow.cli import app
    from lexflow.webhooks.cli import _sources
    from lexflow.webhooks.config import WebhookSettings

    monkeypatch.setenv("LEXFLOW_WEBHOOKS_XERO_WEBHOOK_KEY", "xero-secret-4711")
    monkeypatch.delenv("LEXFLOW_WEBHOOKS_QUICKBOOKS_VERIFIER_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["webhooks", "paths"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "/webhooks/xero" in result.output and "/webhooks/quickbooks" in result.output
    assert "NOT SET" in result.output and "xero-secret-4711" not in result.output
    sources = _sources(WebhookSettings())
    assert [s.provider for s in sources] == ["xero"]  # no verifier token: QuickBooks' path is not served
    assert "xero-secret-4711" not in repr(sources) + str(sources)


def test_a_refused_delivery_logs_neither_the_key_nor_the_signature(
    xero_receiver: Receiver, xero_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = xero_sandbox.config.webhook_key.get_secret_value()
    body = b'{"events":[]}'
    forged = sign(body, "guess")
    with caplog.at_level("DEBUG"):
        assert (
            httpx.post(xero_receiver.url + XERO_PATH, content=body, headers={"x-xero-signature": forged}).status_code
            == 401
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "rejected a xero webhook" in text
    assert key not in text and forged not in text


def test_a_lexware_event_without_a_route_of_its_type_takes_the_same_resource_route(client: Any, db_url: str) -> None:
    """No provider branch: Lexware's `contact.created` (no event-type route) runs the contact resource route, with
    the contact re-read through the Lexware adapter, exactly like a Xero or QuickBooks contact event."""
    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.webhooks.events import WebhookEvent

    created = client.contacts.create(
        {
            "version": 0,
            "roles": {"customer": {}},
            "company": {"name": "Lexware Kunde GmbH"},
            "emailAddresses": {"business": ["neu@kunde.example"]},
        }
    )
    inbox = Inbox(db_url)
    Ledger(db_url).link_contact("hubspot", "crm-9", created.id, "linked", "alt@kunde.example")
    body = helpers.event_body(event_type="contact.created", resource_id=created.id)
    inbox.store(WebhookEvent.model_validate_json(body), body)
    worker = InboxWorker(inbox, WebhookConfig(routes={}), adapters=lambda p, t: {"lexware": LexwareAdapter(client)}[p])
    assert worker.drain() == 1
    row = inbox.list()[0]
    assert row.status == EventStatus.DONE.value and row.provider == "lexware" and row.resource_type == "contact"
    assert "hubspot:crm-9" in (row.result or "")
    assert Ledger(db_url).links_for_contact(created.id)[0].email == "neu@kunde.example"


def test_the_worker_beside_the_receiver_processes_a_delivery_at_once(
    serve: Any, quickbooks_served: Any, qbo_adapter: Any
) -> None:
    """The receiver wakes its worker after storing (the worker's own poll is 30 s away)."""
    receiver = serve("xero-unused", quickbooks_served.config.verifier_token, {"quickbooks": qbo_adapter}, running=True)
    try:
        quickbooks_served.control("webhooks", url=receiver.url + QUICKBOOKS_PATH, format="cloudevents")
        customer = qbo_adapter.create_customer(CustomerDraft(name="Sofort Kunde", email="sofort@kunde.example"))
        assert quickbooks_served.control("webhooks-flush")["delivered"] == 1
        row = helpers.wait_for(
            lambda: next((r for r in receiver.rows() if r.status == EventStatus.DONE.value), None), timeout=10
        )
        assert row.resource_id == customer.id and "no CRM record is linked" in (row.result or "")
    finally:
        quickbooks_served.control("webhooks", url=None)


@pytest.mark.prefect
def test_a_quickbooks_invoice_update_resumes_the_flow_run_waiting_for_it(
    prefect_harness: None, serve: Any, quickbooks_served: Any, qbo_adapter: Any
) -> None:
    """The same effect as Lexware's `voucher.created` route: a run paused in `wait_for_event` continues, with the
    invoice re-read through the QuickBooks adapter as its input."""
    import threading

    from lexflow.webhooks.waiting import EventWaiter, _sessions

    receiver = serve("xero-unused", quickbooks_served.config.verifier_token, {"quickbooks": qbo_adapter}, running=True)
    db_url = receiver.inbox.database_url
    customer = qbo_adapter.create_customer(CustomerDraft(name="Wartet GmbH", email="wartet@kunde.example"))
    invoice = qbo_adapter.create_invoice(_invoice_draft(customer.id))
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(_waits_for_invoice_update(invoice.id, db_url)))
    thread.start()
    try:

        def waiting() -> bool:
            with _sessions(db_url)() as session:
                return session.query(EventWaiter).count() == 1

        helpers.wait_for(waiting, timeout=90)
        quickbooks_served.control("webhooks", url=receiver.url + QUICKBOOKS_PATH, format="legacy")
        qbo_adapter.update_invoice(invoice.id, _invoice_draft(customer.id).model_copy(update={"note": "changed"}))
        assert quickbooks_served.control("webhooks-flush")["delivered"] == 1
        thread.join(90)
        assert not thread.is_alive(), "the waiting run was not resumed"
    finally:
        quickbooks_served.control("webhooks", url=None)
    assert result["event_type"] == "invoice.updated" and result["resource_id"] == invoice.id
    assert result["resource"]["provider"] == "quickbooks" and result["resource"]["id"] == invoice.id


def _waits_for_invoice_update(invoice_id: str, database_url: str) -> dict[str, Any]:
    from prefect import flow

    from lexflow.webhooks.waiting import wait_for_event

    @flow(name="webhook-test-waits-for-invoice-update")
    def waits(invoice_id: str, database_url: str) -> dict[str, Any]:
        arrived = wait_for_event("invoice.updated", invoice_id, timeout=120, poll_interval=1, database_url=database_url)
        return arrived.model_dump()

    return waits(invoice_id, database_url)  # type: ignore[no-any-return]
