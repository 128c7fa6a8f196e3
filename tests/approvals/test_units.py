"""Plain-Python parts: request validation, settings, Block Kit, the store's compare-and-set, mode choice."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from lexflow.approvals import CONFIRM, DISMISS, DecisionRequest, Summary, Totals
from lexflow.approvals.messages import ACTION_PREFIX, outcome_message, reason_modal, request_message
from lexflow.approvals.models import slug
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore, utcnow


def test_pause_key_follows_prefects_rule():
    assert DecisionRequest(subject="Invoice RE-1001 für Müller & Co").pause_key == "invoice-re-1001-f-r-m-ller-co"
    assert slug("!!!") == "approval"
    with pytest.raises(ValidationError, match="lowercase letters, digits and dashes; try 'approve-inv-7'"):
        DecisionRequest(subject="x", key="approve-INV-7")


def test_approvers_must_be_slack_ids_and_choices_must_split():
    with pytest.raises(ValidationError, match="not Slack ids"):
        DecisionRequest(subject="x", approvers=["alice@example.com"])
    with pytest.raises(ValidationError, match="one choice that approves and one that does not"):
        DecisionRequest(subject="x", choices=[CONFIRM, CONFIRM.model_copy(update={"id": "ok"})])
    with pytest.raises(ValidationError, match="ids must be unique"):
        DecisionRequest(subject="x", choices=[CONFIRM, DISMISS, DISMISS])
    reco = DecisionRequest(subject="Match TX 42 to RE-7", choices=[CONFIRM, DISMISS], kind="reconciliation")
    assert reco.choice("dismiss").asks_reason and reco.choice("confirm").approves


def test_settings_from_env_keep_secrets_secret(monkeypatch):
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("LEXFLOW_SLACK_SIGNING_SECRET", "sig-very-secret")
    monkeypatch.setenv("LEXFLOW_SLACK_CHANNEL", "C0INVOICES")
    monkeypatch.setenv("LEXFLOW_SLACK_APPROVERS", "U0ALICE, S0GROUP")
    monkeypatch.setenv("LEXFLOW_SLACK_BASE_URL", "http://127.0.0.1:9/api")
    s = SlackApprovalSettings(_env_file=None)  # type: ignore[call-arg]
    assert s.approvers == ["U0ALICE", "S0GROUP"] and s.base_url.endswith("/api/") and s.slack_configured
    shown = repr(s) + str(s.model_dump()) + s.model_dump_json()
    assert "very-secret" not in shown
    assert s.web_client().base_url == "http://127.0.0.1:9/api/"


def test_block_mirrors_settings():
    from lexflow.prefect.blocks import SlackApprovalBlock

    s = SlackApprovalSettings(bot_token="xoxb-1", signing_secret="s", channel="C1", approvers=["U1"], _env_file=None)  # type: ignore[call-arg]
    block = SlackApprovalBlock.from_settings(s)
    assert "xoxb-1" not in repr(block)
    back = block.to_settings()
    assert back.bot_token is not None and back.bot_token.get_secret_value() == "xoxb-1"
    assert back.channel == "C1" and back.approvers == ["U1"]


def test_block_kit_message_has_buttons_totals_and_run_link():
    req = DecisionRequest(
        subject="Invoice <RE-9>",
        summary=Summary(totals=Totals(net=Decimal(100), tax=Decimal(19), gross=Decimal(119))),
    )
    text, blocks = request_message(req, "req-1", approvers=["U1", "S2"], expires_at=utcnow(), ui_url="http://ui/run/1")
    assert text == "Decision needed: Invoice <RE-9>"
    flat = str(blocks)
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Invoice <RE-9>"}  # plain text needs no escaping
    assert "119.00 EUR" in flat and "<http://ui/run/1|Paused run in Prefect>" in flat
    assert "<@U1>" in flat and "<!subteam^S2>" in flat
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [ACTION_PREFIX + "approve", ACTION_PREFIX + "reject"]
    assert {e["value"] for e in actions["elements"]} == {"req-1"}
    assert "Invoice &lt;RE-9&gt;" in actions["elements"][0]["confirm"]["text"]["text"]  # mrkdwn is escaped
    _, done = outcome_message(req, ui_url=None, headline="Rejected by <@U1>", detail="too <high>")
    assert "actions" not in [b["type"] for b in done] and "too &lt;high&gt;" in str(done)
    modal = reason_modal("req-1", req.choice("reject"), req.subject)
    assert modal["private_metadata"] == "req-1|reject"


def test_store_claim_is_compare_and_set(tmp_path):
    store = ApprovalStore(f"sqlite:///{tmp_path / 'a.db'}")
    p = store.add(
        DecisionRequest(subject="x", expires_in=timedelta(minutes=2)), flow_run_id=None, approvers=[], ui_url=None
    )
    assert store.claim(p.id) is True and store.claim(p.id) is False
    store.release(p.id)
    assert store.claim(p.id) is True
    done = store.finish(p.id, "approved", decided_by="U1")
    assert done.state == "approved" and store.pending() == []
    assert done.half_time - done.created_at == timedelta(minutes=1)


def test_choose_mode():
    from lexflow.approvals.flow import choose_mode

    day, minute = timedelta(days=1), timedelta(minutes=1)
    assert choose_mode("auto", day, deployment_id="d", parent_run_id=None) == "suspend"
    assert choose_mode("auto", minute, deployment_id="d", parent_run_id=None) == "pause"
    assert choose_mode("auto", day, deployment_id=None, parent_run_id=None) == "pause"
    assert choose_mode("auto", day, deployment_id="d", parent_run_id="p") == "pause"
    with pytest.raises(ValueError, match="only suspend top-level runs of a deployment"):
        choose_mode("suspend", day, deployment_id=None, parent_run_id=None)


def test_plain_parts_do_not_import_prefect():
    code = (
        "import sys, lexflow.approvals, lexflow.approvals.store, lexflow.testing.fake_slack, "
        "lexflow.approvals.service; print('prefect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
