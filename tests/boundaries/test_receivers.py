"""The approvals and webhooks receivers at their boundary (issue 13, item 6), over real sockets."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.testing.fake_slack import FakeSlack, PostedRequest
from lexflow.testing.slack_clicks import button_payload, signed_headers

SECRET = "boundary-signing-secret-0123456789"


@pytest.fixture(scope="module")
def approvals_url(tmp_path_factory):
    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer

    with FakeSlack(token="xoxb-boundary-token") as fake:
        settings = SlackApprovalSettings(
            bot_token=fake.token,
            signing_secret=SECRET,
            channel="C0X",
            approvers=["U0ALICE"],
            base_url=fake.api_url,
            database_url=f"sqlite:///{tmp_path_factory.mktemp('recv')}/lexflow.db",
        )
        with ThreadedServer(create_receiver_app(settings, sweep_interval=None)) as server:
            yield server.url + "/slack/events"


def _button() -> dict:
    posted = PostedRequest(channel="C0X", ts="1.000001", request_id="no-such", choices=("approve",), text="x")
    return button_payload(posted, choice="approve", user="U0ALICE")


@pytest.mark.parametrize("timestamp", ["abc", "", "9" * 400, "-1", "1e9", "1 2", "0x10"])
def test_unsigned_requests_with_strange_timestamps_get_401(approvals_url, timestamp):
    body = urlencode({"payload": "{}"}).encode()
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=abc"}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    got = httpx.post(approvals_url, content=body, headers=headers)
    assert got.status_code == 401 and "Traceback" not in got.text


@pytest.mark.parametrize(
    "body",
    [
        b"payload=not-json",
        b"payload=%5B1%2C2%5D",  # a JSON list, not an object
        urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(),  # no actions, no user
        urlencode({"payload": json.dumps({**_button(), "actions": []})}).encode(),
        urlencode({"payload": json.dumps({**_button(), "user": "U0ALICE"})}).encode(),  # user not an object
        urlencode({"payload": json.dumps({**_button(), "actions": [{"value": 5}]})}).encode(),  # no action_id
        urlencode({"payload": json.dumps({"type": "view_submission", "view": "x", "user": {"id": "U"}})}).encode(),
        b"",
    ],
)
def test_signed_but_malformed_payloads_get_400(approvals_url, body):
    got = httpx.post(approvals_url, content=body, headers=_signed(body))
    assert got.status_code == 400, got.text
    assert "Traceback" not in got.text


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig or "",
    }


def test_a_signed_body_that_is_not_utf8_is_refused_not_crashed_on(approvals_url):
    body = b"payload=\xff\xfe"
    assert httpx.post(approvals_url, content=body, headers=_signed(body)).status_code in (400, 401)


def test_an_oversized_body_is_refused_unread(approvals_url):
    body = b"payload=" + b"x" * (2 * 1024 * 1024)
    assert httpx.post(approvals_url, content=body, headers=_signed(body)).status_code == 413


def test_a_well_formed_click_still_works(approvals_url):
    body = urlencode({"payload": json.dumps(_button())}).encode()
    assert httpx.post(approvals_url, content=body, headers=signed_headers(SECRET, body)).status_code == 200


# ------------------------------------------------------------------------------------------------ Lexware webhooks
@pytest.fixture(scope="module")
def webhooks(tmp_path_factory):
    from datetime import timedelta

    from lexflow.webhooks.config import DEFAULT_PATH
    from lexflow.webhooks.inbox import Inbox
    from lexflow.webhooks.keys import WebhookPublicKey
    from lexflow.webhooks.receiver import create_receiver_app
    from tests.webhooks.helpers import KeyPair, serve

    keys = KeyPair()
    inbox = Inbox(f"sqlite:///{tmp_path_factory.mktemp('wh')}/inbox.db")
    app = create_receiver_app(
        inbox, WebhookPublicKey(keys.public_pem), organization_id="org-1", max_event_age=timedelta(hours=48)
    )
    with serve(app) as url:
        yield url + DEFAULT_PATH, keys, inbox


def _event(**fields: str) -> bytes:
    from datetime import UTC, datetime

    from tests.webhooks.helpers import event_body

    fields.setdefault("eventDate", datetime.now(UTC).isoformat(timespec="milliseconds"))
    return event_body(**fields)


def _post(url: str, keys, body: bytes, **headers: str) -> httpx.Response:
    from lexflow.lexware.client.signature import SIGNATURE_HEADER

    return httpx.post(url, content=body, headers={SIGNATURE_HEADER: keys.sign(body), **headers}, timeout=30)


def test_webhook_of_the_configured_organisation_is_stored(webhooks):
    url, keys, _ = webhooks
    assert _post(url, keys, _event(resource_id="fresh-1")).status_code == 200


def test_validly_signed_event_of_another_organisation_is_refused(webhooks):
    url, keys, inbox = webhooks
    before = inbox.counts()
    got = _post(url, keys, _event(organizationId="org-foreign", resource_id="foreign-1"))
    assert got.status_code == 403 and "organisation" in got.json()["detail"]
    assert inbox.counts() == before


def test_validly_signed_event_from_2019_is_refused(webhooks):
    url, keys, inbox = webhooks
    before = inbox.counts()
    got = _post(url, keys, _event(eventDate="2019-05-02T10:00:00.000+02:00", resource_id="old-1"))
    assert got.status_code == 400 and "older" in got.json()["detail"]
    assert inbox.counts() == before


def test_unsigned_200_mb_body_is_refused_without_reading_it(webhooks):
    """Announced as 200 MB over a real socket: the answer (413) comes before the client sent more than a few bytes."""
    import socket
    from urllib.parse import urlsplit

    url, _, _ = webhooks
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 1024)
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]


async def test_a_streamed_body_is_cut_off_at_the_limit():
    """Chunked (no Content-Length): the app stops pulling chunks once past the limit instead of buffering 200 MB."""
    from lexflow.webhooks.receiver import MAX_BODY, create_receiver_app

    app = create_receiver_app(inbox=None, public_key=None)  # type: ignore[arg-type]
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": pulled < 3200}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/webhooks/lexware", "raw_path": b"/webhooks/lexware", "query_string": b"", "root_path": "",
        "headers": [(b"transfer-encoding", b"chunked")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }  # fmt: skip
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert pulled * 65536 <= MAX_BODY + 65536
