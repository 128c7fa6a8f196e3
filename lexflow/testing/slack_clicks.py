"""Drive the real receiver like Slack does: correctly signed interaction payloads over HTTP.

Used by the tests, the benchmark and `make demo` (with `lexflow.testing.fake_slack.FakeSlack`)::

    posted = fake.wait_for_request()
    click(receiver_url, signing_secret, posted, choice="approve", user="U0ALICE")
    reject(receiver_url, signing_secret, fake, posted, user="U0ALICE", reason="wrong price")
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from lexflow.approvals import messages
from lexflow.approvals.receiver import DEFAULT_PATH
from lexflow.testing.fake_slack import FakeSlack, PostedRequest


def signed_headers(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body.decode())
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig or "",
    }


def post_payload(
    receiver_url: str,
    signing_secret: str,
    payload: dict[str, Any],
    *,
    timestamp: int | None = None,
    path: str = DEFAULT_PATH,
    timeout: float = 10.0,
) -> httpx.Response:
    """POST `payload=<json>` form-encoded and signed, as Slack's interactivity requests are."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = signed_headers(signing_secret, body, timestamp)
    return httpx.post(receiver_url.rstrip("/") + path, content=body, headers=headers, timeout=timeout)


def _envelope(kind: str, user: str) -> dict[str, Any]:
    """What every interaction payload carries: type, user, app, team, a fresh trigger id."""
    return {
        "type": kind,
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0FAKE",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "trigger_id": f"trigger-{uuid.uuid4().hex[:12]}",
    }


def button_payload(posted: PostedRequest, *, choice: str, user: str, response_url: str | None = None) -> dict[str, Any]:
    """A `block_actions` payload for one button of a posted request (trimmed to what Slack always sends)."""
    now = f"{time.time():.6f}"
    return {
        **_envelope("block_actions", user),
        "container": {"type": "message", "message_ts": posted.ts, "channel_id": posted.channel},
        "channel": {"id": posted.channel, "name": "approvals"},
        "message": {"ts": posted.ts, "text": posted.text},
        "response_url": response_url or "https://hooks.slack.com/actions/fake",
        "actions": [
            {
                "type": "button",
                "action_id": messages.ACTION_PREFIX + choice,
                "block_id": messages.ACTIONS_BLOCK,
                "value": posted.request_id,
                "action_ts": now,
            }
        ],
    }


def view_submission_payload(view: dict[str, Any], *, user: str, reason: str) -> dict[str, Any]:
    """The `view_submission` Slack sends when the reason modal (as opened by `views.open`) is submitted."""
    submitted = dict(view)
    submitted["state"] = {
        "values": {messages.REASON_BLOCK: {messages.REASON_INPUT: {"type": "plain_text_input", "value": reason}}}
    }
    return {**_envelope("view_submission", user), "view": submitted}


def click(
    receiver_url: str,
    signing_secret: str,
    posted: PostedRequest,
    *,
    choice: str = "approve",
    user: str,
    timestamp: int | None = None,
) -> httpx.Response:
    """Press a button of a posted request as `user`."""
    return post_payload(
        receiver_url, signing_secret, button_payload(posted, choice=choice, user=user), timestamp=timestamp
    )


def reject(
    receiver_url: str,
    signing_secret: str,
    fake: FakeSlack,
    posted: PostedRequest,
    *,
    user: str,
    reason: str,
    choice: str = "reject",
    timeout: float = 10.0,
) -> httpx.Response:
    """Press Reject, wait for the modal the receiver opens, submit it with `reason`."""
    before = len(fake.calls_to("views.open"))
    resp = click(receiver_url, signing_secret, posted, choice=choice, user=user)
    resp.raise_for_status()
    opened = fake.wait_for("views.open", before + 1, timeout=timeout)[-1]
    view = opened.response.get("view") or opened.args["view"]
    return post_payload(receiver_url, signing_secret, view_submission_payload(view, user=user, reason=reason))
