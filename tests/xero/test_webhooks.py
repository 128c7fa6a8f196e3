"""Xero webhooks end to end: the sandbox's intent-to-receive check and signed deliveries to lexflow's receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lexflow.sandbox.gateway import free_port
from lexflow.xero.sandbox import ServedXeroSandbox
from lexflow.xero.webhooks import WebhookEvent, receiver_app, signature, verify
from tests.xero.conftest import Api


def _serve(app: object) -> tuple[str, object, threading.Thread]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}/xero/webhooks", server, thread


@pytest.fixture
def received(xero: ServedXeroSandbox) -> Iterator[tuple[str, list[WebhookEvent]]]:
    events: list[WebhookEvent] = []
    url, server, thread = _serve(receiver_app(xero.config.webhook_key.get_secret_value(), events.extend))
    yield url, events
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(timeout=5)


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"events":[]}'
    good = signature(body, "key")
    assert verify(body, good, "key")
    assert not verify(body + b" ", good, "key")
    assert not verify(body, None, "key")


def test_intent_to_receive_then_signed_thin_events(api: Api, received: tuple[str, list[WebhookEvent]]) -> None:
    url, events = received
    answer = api.control("/webhooks", {"url": url})
    assert answer.json()["status"] == "OK"
    contact = api.contact()
    inv = api.invoice(contact["ContactID"])
    api.call(
        "PUT",
        "/Payments",
        json={"Payments": [{"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 1440}]},
    )
    delivered = api.control("/webhooks/deliver").json()
    assert delivered["status"] == 200
    kinds = [(e.event_category, e.event_type, e.resource_id) for e in events]
    assert ("CONTACT", "CREATE", contact["ContactID"]) in kinds
    assert ("INVOICE", "CREATE", inv["InvoiceID"]) in kinds
    assert ("INVOICE", "UPDATE", inv["InvoiceID"]) in kinds  # a payment shows up as an invoice update only
    assert all(e.event_category != "PAYMENT" for e in events)


def test_a_receiver_that_accepts_bad_signatures_fails_the_handshake(api: Api) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def accept_all(request: object) -> Response:
        return Response(status_code=200)

    url, server, thread = _serve(Starlette(routes=[Route("/xero/webhooks", accept_all, methods=["POST"])]))
    try:
        answer = api.control("/webhooks", {"url": url})
        assert answer.status_code == 400 and answer.json()["status"] == "INTENT_TO_RECEIVE_FAILED"
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=5)


def test_failed_delivery_keeps_the_events_for_the_retry(api: Api, received: tuple[str, list[WebhookEvent]]) -> None:
    url, events = received
    api.control("/webhooks", {"url": url})
    api.contact()
    api.sandbox.state.webhook_url = "http://127.0.0.1:9/nothing"  # the receiver is down
    assert api.control("/webhooks/deliver").status_code == 502
    api.sandbox.state.webhook_url = url
    assert api.control("/webhooks/deliver").json()["delivered"] == 1
    assert len(events) == 1
