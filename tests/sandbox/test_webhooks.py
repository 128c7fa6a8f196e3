"""Event subscriptions and webhook delivery (docs/lexware.md#webhooks) against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import http.server as http_server
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.testclient import TestClient

from lexflow.lexware.sandbox import DEFAULT_API_KEY, ApiKeySpec, SandboxConfig, create_app, sandbox_state
from lexflow.lexware.sandbox.webhooks import EVENT_TYPES, RETRY_DELAYS, dispatcher

from .helpers import company_contact


class Receiver:
    """A webhook receiver: answers each path with a scripted list of statuses (the last one repeats)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.scripts: dict[str, list[int]] = {}
        receiver = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append(
                    {"path": self.path, "headers": dict(self.headers), "body": raw, "t": time.monotonic()}
                )
                script = receiver.scripts.get(self.path, [200])
                status = script.pop(0) if len(script) > 1 else script[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def to(self, path: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def http() -> Iterator[TestClient]:
    config = SandboxConfig(
        rate_limit=0,
        ocr_delay_seconds=None,
        allow_http_callbacks=True,
        api_keys=[ApiKeySpec(key="second-key")],
        webhook_time_scale=0.00001,
        callback_tls_check=False,  # https://h.example is not reachable here; the check has its own tests
    )
    app = create_app(config)
    with TestClient(app, base_url="http://sandbox.test", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as c:
        yield c
    dispatcher(app.state.sandbox).close()


def _subscribe(http: TestClient, event_type: str, url: str, key: str = DEFAULT_API_KEY) -> str:
    r = http.post(
        "/v1/event-subscriptions",
        json={"eventType": event_type, "callbackUrl": url},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _deliveries(http: TestClient) -> list[dict[str, Any]]:
    return list(http.get("/_sandbox/webhooks/deliveries").json()["content"])


def test_the_42_event_types() -> None:
    assert len(EVENT_TYPES) == 42
    assert {"token.revoked", "payment.changed", "voucher.status.changed", "dunning.deleted"} <= EVENT_TYPES
    assert "dunning.status.changed" not in EVENT_TYPES


def test_subscription_resource_rules(http: TestClient) -> None:
    r = http.post(
        "/v1/event-subscriptions", json={"eventType": "Invoice.Created", "callbackUrl": "https://h.example/x"}
    )
    assert r.status_code == 201
    sub_id = r.json()["id"]
    assert r.headers["Location"].endswith(f"/v1/event-subscriptions/{sub_id}")
    got = http.get(f"/v1/event-subscriptions/{sub_id}").json()
    assert got["subscriptionId"] == sub_id and got["eventType"] == "invoice.created" and "id" not in got
    dup = http.post(
        "/v1/event-subscriptions", json={"eventType": "invoice.created", "callbackUrl": "https://h.example/x"}
    )
    assert dup.status_code == 409 and dup.json()["status"] == 409
    unknown = http.post(
        "/v1/event-subscriptions", json={"eventType": "invoice.paid", "callbackUrl": "https://h.example/x"}
    )
    assert unknown.status_code == 406 and unknown.json()["details"][0]["field"] == "eventType"
    listed = http.get("/v1/event-subscriptions").json()
    assert set(listed) == {"content"} and [s["subscriptionId"] for s in listed["content"]] == [sub_id]
    assert http.delete(f"/v1/event-subscriptions/{sub_id}").status_code == 204
    assert http.get(f"/v1/event-subscriptions/{sub_id}").status_code == 404


def test_http_callbacks_need_the_explicit_switch() -> None:
    with TestClient(
        create_app(SandboxConfig(rate_limit=0)), headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    ) as c:
        r = c.post(
            "/v1/event-subscriptions", json={"eventType": "contact.created", "callbackUrl": "http://127.0.0.1/x"}
        )
        assert r.status_code == 406
        assert (
            r.json()["details"][0]["field"] == "callbackUrl"
            and "allow-http-callbacks" in r.json()["details"][0]["message"]
        )


def test_delivery_is_signed_with_the_served_key(http: TestClient, receiver: Receiver) -> None:
    _subscribe(http, "contact.created", f"{receiver.url}/signed")
    created = http.post("/v1/contacts", json=company_contact()).json()
    _until(lambda: len(receiver.to("/signed")) == 1)
    call = receiver.to("/signed")[0]
    body = call["body"]
    assert b" " not in body and b"\n" not in body  # compact JSON, exactly as signed
    payload = orjson.loads(body)
    assert payload["eventType"] == "contact.created" and payload["resourceId"] == created["id"]
    assert set(payload) == {"organizationId", "eventType", "resourceId", "eventDate"}
    pem = http.get("/_sandbox/webhook-public-key").content
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, rsa.RSAPublicKey)
    signature = base64.b64decode(call["headers"]["X-Lxo-Signature"])
    key.verify(signature, body, padding.PKCS1v15(), hashes.SHA512())
    from lexflow.lexware.client.signature import verify_webhook_signature

    assert verify_webhook_signature(body, call["headers"]["X-Lxo-Signature"], pem)  # what lexflow's receiver runs
    with pytest.raises(InvalidSignature):
        key.verify(signature, body.replace(b"contact", b"kontakt"), padding.PKCS1v15(), hashes.SHA512())


def test_404_is_retried_on_the_schedule_then_the_subscription_is_deleted(http: TestClient, receiver: Receiver) -> None:
    receiver.scripts["/gone-later"] = [404]
    sub_id = _subscribe(http, "article.created", f"{receiver.url}/gone-later")
    body = {"title": "Hammer", "type": "PRODUCT", "unitName": "Stück",
            "price": {"leadingPrice": "NET", "netPrice": 10, "taxRate": 19}}  # fmt: skip
    assert http.post("/v1/articles", json=body).status_code == 201
    _until(lambda: http.get(f"/v1/event-subscriptions/{sub_id}").status_code == 404, timeout=20)
    calls = receiver.to("/gone-later")
    assert len(calls) == 1 + len(RETRY_DELAYS) == 26
    log = [d for d in _deliveries(http) if d["subscriptionId"] == sub_id]
    assert [d["outcome"] for d in log] == ["retry"] * 25 + ["subscription_deleted"]
    gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(calls)]
    assert gaps[-1] > gaps[0]  # 2 h vs 10 s, scaled
    assert [d["nextAttemptInSeconds"] for d in log[:6]] == pytest.approx([x * 0.00001 for x in RETRY_DELAYS[:6]])


def test_410_deletes_at_once_and_other_4xx_are_not_retried(http: TestClient, receiver: Receiver) -> None:
    receiver.scripts["/410"] = [410]
    receiver.scripts["/400"] = [400]
    gone = _subscribe(http, "contact.created", f"{receiver.url}/410")
    kept = _subscribe(http, "contact.created", f"{receiver.url}/400")
    http.post("/v1/contacts", json=company_contact())
    _until(lambda: len(receiver.to("/410")) == 1 and len(receiver.to("/400")) == 1)
    assert dispatcher(sandbox_state(http.app)).wait_idle()
    time.sleep(0.05)  # a retry would have come after 0.1 ms
    assert len(receiver.to("/410")) == 1 and len(receiver.to("/400")) == 1
    assert http.get(f"/v1/event-subscriptions/{gone}").status_code == 404
    assert http.get(f"/v1/event-subscriptions/{kept}").status_code == 200


def test_5xx_is_retried_until_success(http: TestClient, receiver: Receiver) -> None:
    receiver.scripts["/flaky"] = [500, 503, 429, 204]
    sub_id = _subscribe(http, "contact.created", f"{receiver.url}/flaky")
    http.post("/v1/contacts", json=company_contact())
    _until(lambda: any(d["outcome"] == "delivered" for d in _deliveries(http)))
    assert [c for c in receiver.to("/flaky")].__len__() == 4
    assert http.get(f"/v1/event-subscriptions/{sub_id}").status_code == 200


def test_flush_delivers_pending_retries_now(http: TestClient, receiver: Receiver) -> None:
    dispatcher(sandbox_state(http.app)).time_scale = 1.0  # the real schedule: next try in 10 s
    receiver.scripts["/later"] = [503, 200]
    _subscribe(http, "contact.created", f"{receiver.url}/later")
    http.post("/v1/contacts", json=company_contact())
    _until(lambda: len(receiver.to("/later")) == 1)
    _until(lambda: http.get("/_sandbox/webhooks/deliveries").json()["pending"] == 1)
    flushed = http.post("/_sandbox/webhooks/flush").json()
    assert flushed == {"attempted": 1, "pending": 0}
    assert len(receiver.to("/later")) == 2 and _deliveries(http)[-1]["outcome"] == "delivered"


def test_revoking_a_key_deletes_its_subscriptions(http: TestClient, receiver: Receiver) -> None:
    mine = _subscribe(http, "contact.created", f"{receiver.url}/mine", key="second-key")
    other = _subscribe(http, "contact.changed", f"{receiver.url}/other")
    r = http.post("/_sandbox/keys/second-key/revoke")
    assert r.status_code == 200, r.text
    ids = [s["subscriptionId"] for s in http.get("/v1/event-subscriptions").json()["content"]]
    assert ids == [other] and mine not in ids
    assert http.get("/v1/profile", headers={"Authorization": "Bearer second-key"}).status_code == 401


def test_a_persisted_sandbox_keeps_its_signing_key_and_subscriptions(tmp_path: Any, monkeypatch: Any) -> None:
    from lexflow.lexware.sandbox import webhooks

    config = SandboxConfig(rate_limit=0, db_path=tmp_path / "sandbox.db", callback_tls_check=False)
    auth = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    with TestClient(create_app(config), headers=auth) as first:
        pem = first.get("/_sandbox/webhook-public-key").content
        _subscribe(first, "invoice.created", "https://hooks.example/lexflow")
    monkeypatch.setattr(webhooks, "_PROCESS_KEYS", {})  # as if the sandbox process restarted
    with TestClient(create_app(config), headers=auth) as second:
        assert second.get("/_sandbox/webhook-public-key").content == pem
        assert [s["callbackUrl"] for s in second.get("/v1/event-subscriptions").json()["content"]] == [
            "https://hooks.example/lexflow"
        ]
