"""Slack path end to end: a flow pauses, signed clicks go to the real receiver over HTTP, the flow resumes."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore
from lexflow.audit import AuditTrail
from lexflow.testing.slack_clicks import button_payload, click, post_payload, reject

from .conftest import ALICE, CAROL, MALLORY, SIGNING_SECRET
from .helpers import CREATED, SETTINGS, ephemerals_for, result_of, start_flow, updates_for, wait_posted, wait_until

pytestmark = pytest.mark.prefect


@pytest.fixture(autouse=True)
def _settings(slack_settings: SlackApprovalSettings) -> None:
    SETTINGS["settings"] = slack_settings


def _text(blocks: list[dict]) -> str:
    return str(blocks)


def test_approve_resumes_flow_and_updates_message(receiver_url, fake_slack, slack_settings, approvals_db):
    future = start_flow("Invoice A-1 for Acme")
    posted = wait_posted(fake_slack, "Invoice A-1 for Acme")
    post = next(c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ts") == posted.ts)
    body = _text(post.args["blocks"])
    assert "Acme GmbH" in body and "119.00 EUR" in body and "Paused run in Prefect" in body
    assert posted.choices == ("approve", "reject")

    started = time.monotonic()
    resp = click(receiver_url, SIGNING_SECRET, posted, user=ALICE)
    assert resp.status_code == 200 and time.monotonic() - started < 3  # ack inside Slack's 3 s
    result = result_of(future, fake_slack, posted, approvals_db)
    assert result["approved"] is True and result["approver"] == ALICE and not result["expired"]
    assert "Invoice A-1 for Acme" in CREATED

    update = wait_until(lambda: updates_for(fake_slack, posted))[-1]
    assert f"Approved by <@{ALICE}>" in _text(update.args["blocks"])
    assert "actions" not in [b["type"] for b in update.args["blocks"]]  # buttons gone
    row = ApprovalStore(approvals_db).get(posted.request_id)
    assert row is not None and row.state == "approved" and row.decided_by == ALICE

    records = [r for r in AuditTrail(approvals_db).list() if r.approval_ref == posted.request_id]
    actions = {r.action: r for r in records}
    assert {"approval.invoice.requested", "approval.invoice.decided"} <= set(actions)
    decided = actions["approval.invoice.decided"]
    assert decided.actor.name == f"slack:{ALICE}" and decided.input["approved"] is True
    assert decided.input["latency_s"] >= 0
    for r in records:  # secrets never reach the trail
        assert slack_settings.bot_token.get_secret_value() not in r.model_dump_json()
        assert SIGNING_SECRET not in r.model_dump_json()


def test_reject_with_reason_from_modal(receiver_url, fake_slack, approvals_db):
    future = start_flow("Invoice R-2 for Acme")
    posted = wait_posted(fake_slack, "Invoice R-2 for Acme")
    resp = reject(receiver_url, SIGNING_SECRET, fake_slack, posted, user=ALICE, reason="Wrong hourly rate")
    assert resp.status_code == 200
    result = result_of(future, fake_slack, posted, approvals_db)
    assert result == {"approved": False, "approver": ALICE, "reason": "Wrong hourly rate", "expired": False}
    assert "Invoice R-2 for Acme" not in CREATED
    update = wait_until(lambda: updates_for(fake_slack, posted))[-1]
    text = _text(update.args["blocks"])
    assert f"Rejected by <@{ALICE}>" in text and "Wrong hourly rate" in text


def test_non_approver_is_refused_and_group_member_may_decide(receiver_url, fake_slack, approvals_db):
    future = start_flow("Invoice N-3 for Acme")
    posted = wait_posted(fake_slack, "Invoice N-3 for Acme")
    assert click(receiver_url, SIGNING_SECRET, posted, user=MALLORY).status_code == 200
    refusal = wait_until(lambda: ephemerals_for(fake_slack, MALLORY))[-1]
    assert "not an approver" in refusal.args["text"]
    # The reject button does not even open the modal for a non-approver.
    opened = len(fake_slack.calls_to("views.open"))
    click(receiver_url, SIGNING_SECRET, posted, user=MALLORY, choice="reject")
    wait_until(lambda: len(ephemerals_for(fake_slack, MALLORY)) >= 2)
    assert len(fake_slack.calls_to("views.open")) == opened
    assert updates_for(fake_slack, posted) == [] and not future.done()  # message unchanged, run still waits

    click(receiver_url, SIGNING_SECRET, posted, user=CAROL)  # member of the approvers' user group
    assert result_of(future, fake_slack, posted, approvals_db)["approver"] == CAROL


def test_forged_signature_and_stale_timestamp_get_401(receiver_url, fake_slack):
    from lexflow.testing.fake_slack import PostedRequest

    posted = PostedRequest(channel="C0INVOICES", ts="1.000001", request_id="no-such", choices=("approve",), text="x")
    payload = button_payload(posted, choice="approve", user=ALICE)
    calls = len(fake_slack.calls)
    assert post_payload(receiver_url, "not-the-secret", payload).status_code == 401
    stale = int(time.time()) - 6 * 60
    assert post_payload(receiver_url, SIGNING_SECRET, payload, timestamp=stale).status_code == 401
    unsigned = httpx.post(receiver_url + "/slack/events", data={"payload": "{}"})
    assert unsigned.status_code == 401
    time.sleep(0.3)
    assert len(fake_slack.calls) == calls  # nothing reached the listeners
    # Correctly signed but unknown: accepted (200) and answered privately.
    before = len(ephemerals_for(fake_slack, ALICE))
    assert post_payload(receiver_url, SIGNING_SECRET, payload).status_code == 200
    assert "unknown" in wait_until(lambda: ephemerals_for(fake_slack, ALICE)[before:])[-1].args["text"]


def test_double_click_decides_once(receiver_url, fake_slack, approvals_db):
    future = start_flow("Invoice D-4 for Acme")
    posted = wait_posted(fake_slack, "Invoice D-4 for Acme")
    before = len(ephemerals_for(fake_slack, ALICE))
    codes: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: codes.append(click(receiver_url, SIGNING_SECRET, posted, user=ALICE).status_code)
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200]
    assert result_of(future, fake_slack, posted, approvals_db)["approved"] is True
    note = wait_until(lambda: ephemerals_for(fake_slack, ALICE)[before:])[-1]
    assert "Already decided" in note.args["text"]
    click(receiver_url, SIGNING_SECRET, posted, user=ALICE)  # a third, late click
    wait_until(lambda: len(ephemerals_for(fake_slack, ALICE)) >= before + 2)
    assert CREATED.count("Invoice D-4 for Acme") == 1
    assert len(wait_until(lambda: updates_for(fake_slack, posted))) == 1


def test_expiry_reminds_then_rejects_cleanly(receiver_url, fake_slack, approvals_db):
    from prefect import get_client

    future = start_flow("Invoice E-5 for Acme", expires_s=3)
    posted = wait_posted(fake_slack, "Invoice E-5 for Acme")
    result = future.result(timeout=30)
    assert result["approved"] is False and result["expired"] is True
    assert "Invoice E-5 for Acme" not in CREATED
    reminders = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == posted.ts]
    assert len(reminders) == 1 and "Reminder" in reminders[0].args["text"]
    update = wait_until(lambda: updates_for(fake_slack, posted))[-1]
    assert "Expired" in _text(update.args["blocks"])
    row = ApprovalStore(approvals_db).get(posted.request_id)
    assert row is not None and row.state == "expired"
    # The run ended cleanly (Completed), not Failed by a pause timeout.
    import asyncio

    async def state() -> str:
        async with get_client() as client:
            fr = await client.read_flow_run(row.flow_run_id)  # type: ignore[arg-type]
            return fr.state.type.value  # type: ignore[union-attr]

    assert asyncio.run(state()) == "COMPLETED"
    # A click after expiry changes nothing.
    before = len(ephemerals_for(fake_slack, ALICE))
    click(receiver_url, SIGNING_SECRET, posted, user=ALICE)
    assert "expired" in wait_until(lambda: ephemerals_for(fake_slack, ALICE)[before:])[-1].args["text"]
