"""`lexflow-ask` on Prefect: model requests and tool calls are tasks, the approval pauses the run until the Prefect
UI form (or Slack) answers, and a run killed while it waits is taken over by the rerun: one request, one invoice."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lexflow.approvals.store import ApprovalStore
from lexflow.audit import AuditTrail
from lexflow.prefect.pausing import resume_run, wait_for_paused_run

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(prefect_flows: Path, served_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from lexflow.lexware.client import LexwareClient
    from lexflow.settings import get_settings

    served_sandbox.reset()
    url = f"sqlite:///{tmp_path}/lexflow.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    monkeypatch.delenv("LEXFLOW_SLACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXFLOW_SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client:
        client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "ACME GmbH"},
                                "emailAddresses": {"business": ["billing@acme.example"]}})  # fmt: skip
        yield client, url


def _invoices(client: Any) -> list:
    return list(client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))


def _approve(run_id: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            resume_run(run_id, {"approved": True, "approver": "Dana (UI)", "reason": ""})
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_flow_waits_for_the_ui_approval_then_creates_once(world, served_sandbox):
    from prefect import get_client

    from tests.agent.ask_child import ask_scripted

    client, url = world
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    running = pool.submit(ask_scripted, served_sandbox.url, served_sandbox.api_key)
    run_id = wait_for_paused_run("lexflow-ask", timeout=60)
    assert _invoices(client) == []
    (pending,) = ApprovalStore(url).pending()
    assert pending.request.args_digest and pending.request.summary.totals.gross == 3391.50
    _approve(run_id)
    out = running.result(timeout=60)
    assert len(_invoices(client)) == 1 and out["checks"] and all(c["ok"] for c in out["checks"])
    with get_client(sync_client=True) as prefect:
        names = sorted(t.name for t in prefect.read_task_runs() if str(t.flow_run_id) == run_id)
    assert any(n.startswith("Model Request") for n in names) and any("Call Tool: search_customers" in n for n in names)
    actions = [(r.action, r.outcome) for r in AuditTrail(url).list(limit=100)]
    assert ("approval.agent.decided", "ok") in actions and actions[-1][0] != "approval.agent.requested"


def test_a_run_killed_while_waiting_for_approval_is_taken_over_without_a_second_request(world, served_sandbox):
    import json

    from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_LOCAL_STORAGE_PATH

    from tests.agent.ask_child import ask_scripted

    client, url = world
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value())}  # fmt: skip
    job = json.dumps({"url": served_sandbox.url, "api_key": served_sandbox.api_key})
    child = subprocess.Popen([sys.executable, "-m", "tests.agent.ask_child", job], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        first = wait_for_paused_run("lexflow-ask", timeout=90)
        (asked,) = ApprovalStore(url).pending()
    finally:
        os.kill(child.pid, signal.SIGKILL)  # kill -9 while it waits for the decision
        child.wait(10)
    assert _invoices(client) == []

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    rerun = pool.submit(ask_scripted, served_sandbox.url, served_sandbox.api_key)
    second = wait_for_paused_run("lexflow-ask", timeout=60, exclude={first})
    _approve(second)
    out = rerun.result(timeout=60)
    store = ApprovalStore(url)
    assert [p.id for p in store.list()] == [asked.id], "the rerun waited for the request already asked"
    assert store.get(asked.id).state == "used"
    assert len(_invoices(client)) == 1
    assert out["approvals"][0]["approval_ref"] == asked.id and all(c["ok"] for c in out["checks"])


def test_a_question_pauses_the_run_until_the_form_is_answered_and_nothing_is_written_before(world, served_sandbox):
    from lexflow.lexware.client import LexwareClient
    from tests.agent.ask_child import ask_scripted

    client, url = world
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as other:
        other.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "ACME Inc."}})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    running = pool.submit(ask_scripted, served_sandbox.url, served_sandbox.api_key, "Invoice ACME 100 EUR", True)
    run_id = wait_for_paused_run("lexflow-ask", timeout=60)
    assert _invoices(client) == []
    asked = [r for r in AuditTrail(url).list(limit=100) if r.action == "approval.clarification.requested"]
    assert len(asked) == 1 and asked[0].input["options"] == ["ACME GmbH", "ACME Inc."]
    deadline = time.monotonic() + 30
    while True:
        try:
            resume_run(run_id, {"answer": "ACME Inc.", "answered_by": "Dana"})
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    out = running.result(timeout=60)
    (inv,) = _invoices(client)
    assert inv.contact_name == "ACME Inc." and out["questions"][0]["answer"] == "ACME Inc."
    answered = [r for r in AuditTrail(url).list(limit=100) if r.action == "approval.clarification.answered"]
    assert answered[0].actor.name == "Dana" and answered[0].input["answer"] == "ACME Inc."


@pytest.mark.parametrize("how", ["option button", "other answer"])
def test_a_question_in_slack_is_answered_with_a_button_or_in_words(
    how, world, served_sandbox, fake_slack, slack_settings, receiver_url, monkeypatch
):
    from lexflow.lexware.client import LexwareClient
    from lexflow.testing.slack_clicks import click, reject
    from tests.agent.ask_child import ask_scripted
    from tests.approvals.conftest import ALICE, SIGNING_SECRET

    client, _url = world
    for name, value in {"LEXFLOW_SLACK_BOT_TOKEN": fake_slack.token, "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
                        "LEXFLOW_SLACK_APPROVERS": ALICE, "LEXFLOW_SLACK_BASE_URL": fake_slack.api_url,
                        "LEXFLOW_SLACK_DATABASE_URL": slack_settings.resolved_database_url()}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as other:
        other.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "ACME Inc."}})
    seen = len(fake_slack.posted_requests())
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    running = pool.submit(ask_scripted, served_sandbox.url, served_sandbox.api_key, "Invoice ACME 100 EUR", True)
    posted = fake_slack.wait_for_request(seen + 1, timeout=60)
    assert posted.choices == ("opt-1", "opt-2", "other", "dont-know") and "Which ACME" in posted.text
    wait_for_paused_run("lexflow-ask", timeout=60)
    if how == "option button":
        assert click(receiver_url, SIGNING_SECRET, posted, choice="opt-2", user=ALICE).is_success
    else:
        assert reject(receiver_url, SIGNING_SECRET, fake_slack, posted, user=ALICE, reason="ACME Inc.",
                      choice="other").is_success  # fmt: skip
    out = running.result(timeout=60)
    (inv,) = _invoices(client)
    assert inv.contact_name == "ACME Inc." and out["questions"][0]["answer"] == "ACME Inc."
    assert ApprovalStore(slack_settings.resolved_database_url()).get(posted.request_id).decided_by == ALICE
