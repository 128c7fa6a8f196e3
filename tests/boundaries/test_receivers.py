"""The approvals and webhooks receivers at their boundary (issue 13, item 6), over real sockets."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from lexflow.approvals.fake_slack import FakeSlack, PostedRequest
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.testing import button_payload, signed_headers

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
