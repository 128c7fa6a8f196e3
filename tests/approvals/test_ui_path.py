"""The Prefect UI path: the same `ApprovalDecision` schema answered through `POST /flow_runs/{id}/resume`."""

from __future__ import annotations

import json

import httpx
import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore
from lexflow.audit import AuditTrail

from .helpers import CREATED, SETTINGS, start_flow, updates_for, wait_posted, wait_until

pytestmark = pytest.mark.prefect


def _api() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value()).rstrip("/")


def _paused_row(store: ApprovalStore, subject: str):
    def find():
        for p in store.list():
            if p.subject == subject and p.state == "pending":
                return p
        return None

    p = wait_until(find, timeout=30)
    # The row is written before the pause; wait until Prefect shows the run as paused.
    wait_until(lambda: httpx.get(f"{_api()}/flow_runs/{p.flow_run_id}").json()["state"]["type"] == "PAUSED")
    return p


def test_ui_resume_without_slack(prefect_harness, approvals_db, fake_slack, caplog):
    SETTINGS["settings"] = SlackApprovalSettings(database_url=approvals_db, poll_interval=0.2)
    posts_before = len(fake_slack.calls)
    future = start_flow("Invoice U-6 for Acme")
    p = _paused_row(ApprovalStore(approvals_db), "Invoice U-6 for Acme")

    # The UI renders its form from this stored schema (docs/prefect.md#approving-in-the-prefect-ui): the same model the Slack path uses.
    schema = httpx.get(f"{_api()}/flow_runs/{p.flow_run_id}/input/paused-{p.pause_key}-schema").json()
    schema = json.loads(schema) if isinstance(schema, str) else schema
    assert set(schema["properties"]) == {"approved", "approver", "reason"}
    assert schema["required"] == ["approved", "approver"]

    bad = httpx.post(f"{_api()}/flow_runs/{p.flow_run_id}/resume", json={"run_input": {"approved": True}})
    assert bad.json()["status"] == "REJECT" and "approver" in bad.json()["details"]["reason"]
    assert not future.done()  # still paused: the form can be retried

    good = httpx.post(
        f"{_api()}/flow_runs/{p.flow_run_id}/resume",
        json={"run_input": {"approved": True, "approver": "Dana (UI)", "reason": "checked"}},
    )
    assert good.status_code == 201 and good.json()["status"] == "ACCEPT"
    result = future.result(timeout=30)
    assert result == {"approved": True, "approver": "Dana (UI)", "reason": "checked", "expired": False}
    assert "Invoice U-6 for Acme" in CREATED
    row = ApprovalStore(approvals_db).get(p.id)
    assert row is not None and row.state == "approved" and row.decided_by == "Dana (UI)"
    decided = [r for r in AuditTrail(approvals_db).list() if r.approval_ref == p.id and r.action.endswith("decided")]
    assert decided and decided[0].input["via"] == "prefect-ui"
    assert len(fake_slack.calls) == posts_before  # no Slack configured: nothing was posted
    assert any("Slack is not configured" in r.getMessage() for r in caplog.records)


def test_ui_decision_updates_the_slack_message(receiver_url, slack_settings, fake_slack, approvals_db):
    SETTINGS["settings"] = slack_settings
    future = start_flow("Invoice U-7 for Acme")
    posted = wait_posted(fake_slack, "Invoice U-7 for Acme")
    p = _paused_row(ApprovalStore(approvals_db), "Invoice U-7 for Acme")
    resp = httpx.post(
        f"{_api()}/flow_runs/{p.flow_run_id}/resume",
        json={"run_input": {"approved": False, "approver": "Dana", "reason": "duplicate order"}},
    )
    assert resp.json()["status"] == "ACCEPT"
    assert future.result(timeout=30)["approved"] is False
    text = str(wait_until(lambda: updates_for(fake_slack, posted))[-1].args["blocks"])
    assert "Rejected by Dana in the Prefect UI" in text and "duplicate order" in text


def test_expiry_without_receiver_is_a_clean_rejection(prefect_harness, tmp_path):
    """No Slack and no receiver (own database, so no sweep sees it): the waiting process expires it itself."""
    db = f"sqlite:///{tmp_path / 'own.db'}"
    SETTINGS["settings"] = SlackApprovalSettings(database_url=db, poll_interval=0.2)
    result = start_flow("Invoice X-9 for Acme", expires_s=1.5).result(timeout=30)
    assert result["approved"] is False and result["expired"] is True
    (row,) = ApprovalStore(db).list()
    assert row.state == "expired"
    assert [r.action for r in AuditTrail(db).list() if r.approval_ref == row.id][-1] == "approval.invoice.expired"
    run = httpx.get(f"{_api()}/flow_runs/{row.flow_run_id}").json()
    assert run["state"]["type"] == "COMPLETED"


def test_slack_failure_falls_back_to_the_ui(prefect_harness, fake_slack, approvals_db, caplog):
    SETTINGS["settings"] = SlackApprovalSettings(
        bot_token="xoxb-wrong-token", channel="C0INVOICES", approvers=["U0ALICE"], base_url=fake_slack.api_url,
        database_url=approvals_db, poll_interval=0.2,
    )  # fmt: skip
    future = start_flow("Invoice F-10 for Acme")
    p = _paused_row(ApprovalStore(approvals_db), "Invoice F-10 for Acme")
    assert p.ts is None  # nothing was posted
    httpx.post(
        f"{_api()}/flow_runs/{p.flow_run_id}/resume", json={"run_input": {"approved": True, "approver": "Dana"}}
    ).raise_for_status()
    assert future.result(timeout=30)["approved"] is True
    errors = [r.getMessage() for r in caplog.records if "Could not post" in r.getMessage()]
    assert errors and "invalid_auth" in errors[0] and "xoxb-wrong-token" not in errors[0]
