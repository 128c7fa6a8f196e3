"""Test helpers: a signing key pair like Lexware's, a uvicorn server on a free port, and recording callables."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CALLS: list[dict[str, Any]] = []
FAILURES: dict[str, int] = {}


def record(event: Any, resource: Any) -> str:
    """A mapped callable that remembers every call (in-process tests)."""
    CALLS.append({"event": event, "resource": resource})
    return f"recorded {event.resource_id}"


def record_to_file(event: Any, resource: Any) -> str:
    """A mapped callable for subprocess tests: one JSON line per call in $WEBHOOK_TEST_CALLS."""
    with Path(os.environ["WEBHOOK_TEST_CALLS"]).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"key": event.key, "resource": resource}) + "\n")
    return "written"


def flaky(event: Any, resource: Any) -> str:
    """Fails the first two times per event, then succeeds."""
    FAILURES[event.key] = FAILURES.get(event.key, 0) + 1
    if FAILURES[event.key] <= 2:
        raise ConnectionError(f"downstream unavailable (try {FAILURES[event.key]})")
    CALLS.append({"event": event, "resource": resource})
    return "ok"


def always_fails(event: Any, resource: Any) -> str:
    raise RuntimeError("ledger rejected the payment")


class KeyPair:
    """A 2048-bit RSA pair (Lexware uses 4096; the algorithm is the same and tests stay fast)."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, padding.PKCS1v15(), hashes.SHA512())).decode()


def event_body(event_type: str = "invoice.status.changed", resource_id: str = "r-1", **extra: str) -> bytes:
    """Compact JSON, as Lexware signs it."""
    payload = {
        "organizationId": extra.pop("organizationId", "org-1"),
        "eventType": event_type,
        "resourceId": resource_id,
        "eventDate": extra.pop("eventDate", "2026-01-10T09:00:00.000+01:00"),
        **extra,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 and a free port; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def slow(seconds: float) -> str:
    """A mapped callable that takes its time (an action longer than a lease or than Lexware's 5 s)."""
    time.sleep(seconds)
    CALLS.append({"slept": seconds})
    return "slept"


def confirm_with_client(voucher_id: str, client: Any) -> str:
    """Like the banking ledger's confirm_payment: asks /payments through the worker's client."""
    payment = client.payments.get(voucher_id)
    CALLS.append({"voucher_id": voucher_id, "payment": payment})
    return "confirmed"
