"""Sandbox webhooks to a real local receiver: signature, both payload formats, retry schedule on the clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lexflow.quickbooks.client import parse_webhook, verify_webhook
from lexflow.quickbooks.sandbox import ServedQuickBooks
from lexflow.transport.errors import InvalidRequest
from tests.quickbooks.conftest import Api


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[bytes, str | None]] = []
        self.fail = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((body, self.headers.get("intuit-signature")))
                status = 500 if outer.fail > 0 else 200
                outer.fail -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def receiver(qbo: ServedQuickBooks) -> Iterator[Receiver]:
    r = Receiver()
    yield r
    qbo.control("webhooks", url=None)
    r.server.shutdown()


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_changes_arrive_signed_in_both_formats(qbo: ServedQuickBooks, api: Api, receiver: Receiver, fmt: str) -> None:
    qbo.control("webhooks", url=receiver.url, format=fmt)
    c = api.customer()
    inv = api.invoice(c["Id"])
    assert qbo.control("webhooks-flush")["delivered"] == 1  # aggregated into one POST
    body, signature = receiver.received[-1]
    assert verify_webhook(body, signature, qbo.config.verifier_token)
    assert not verify_webhook(body + b" ", signature, qbo.config.verifier_token)
    assert not verify_webhook(body, signature, "another-token")
    events = parse_webhook(body)
    assert [(e.entity, e.id, e.operation) for e in events] == [
        ("Customer", c["Id"], "Create"),
        ("Invoice", inv["Id"], "Create"),
    ]
    assert {e.realm_id for e in events} == {qbo.realm}


def test_failed_delivery_is_retried_on_the_schedule(qbo: ServedQuickBooks, api: Api, receiver: Receiver) -> None:
    qbo.control("webhooks", url=receiver.url)
    receiver.fail = 1
    api.customer()
    assert qbo.control("webhooks-flush")["delivered"] == 0
    assert qbo.control("webhooks-flush")["delivered"] == 0 and len(receiver.received) == 1  # not due yet
    qbo.control("clock", advance_seconds=10)
    try:
        assert qbo.control("webhooks-flush")["delivered"] == 1 and len(receiver.received) == 2
        assert receiver.received[0][0] == receiver.received[1][0]
    finally:
        qbo.control("clock", advance_seconds=-10)


def test_garbage_webhook_bodies_are_refused() -> None:
    for body in (b"not json", b"{}", b'[{"type": "qbo.invoice"}]', b'{"eventNotifications": [{}]}'):
        with pytest.raises(InvalidRequest):
            parse_webhook(body)
    assert not verify_webhook(b"{}", None, "token")


def test_a_served_sandbox_delivers_on_its_own() -> None:
    import time

    from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, serve_in_thread

    receiver = Receiver()
    with serve_in_thread(QuickBooksSandboxConfig(webhook_delay_seconds=0.1)) as served:
        served.control("webhooks", url=receiver.url, format="cloudevents")
        Api(served).customer()
        deadline = time.monotonic() + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
    receiver.server.shutdown()
    body, signature = receiver.received[0]
    assert verify_webhook(body, signature, served.config.verifier_token)
    assert [e.operation for e in parse_webhook(body)] == ["Create"]
