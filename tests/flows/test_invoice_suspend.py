"""The invoice flow's long-approval path, end to end: served as a deployment, it asks in (fake) Slack and suspends
(its process exits); a signed click on the real receiver resumes it; the runner starts it again in a new process,
which creates the invoice once and mails it once, or, rejected, creates and sends nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.testing import MailCatcher
from lexflow.testing.fake_slack import FakeSlack
from lexflow.testing.slack_clicks import click
from tests.approvals.helpers import updates_for, wait_until

from .serve_invoice import DEPLOYMENT

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "flows-suspend-signing-secret-0123"
APPROVER = "U0BOSS"
FLOW_NAME = "create-approve-send-invoice"


@pytest.fixture(scope="module")
def slack(prefect_flows: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fake Slack, the approvals store, and the real receiver (signature check, store, resume) on 127.0.0.1."""
    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer

    db = f"sqlite:///{tmp_path_factory.mktemp('suspend-approvals') / 'approvals.db'}"
    with FakeSlack(token="xoxb-flows-suspend") as fake:
        settings = SlackApprovalSettings(
            bot_token=fake.token, signing_secret=SIGNING_SECRET, channel="C0INVOICES", approvers=[APPROVER],
            base_url=fake.api_url, database_url=db,
        )  # fmt: skip
        with ThreadedServer(create_receiver_app(settings, sweep_interval=0.5)) as receiver:
            yield {"fake": fake, "settings": settings, "receiver_url": receiver.url}


def _run_state(flow_run_id: str) -> tuple[str, str]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        fr = client.read_flow_run(uuid.UUID(flow_run_id))
        return (fr.state.type.value, fr.state.name) if fr.state else ("", "")


def _state_history(flow_run_id: str) -> list[tuple[str, str]]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        states = client.read_flow_run_states(uuid.UUID(flow_run_id))
    return [(s.type.value, s.name or "") for s in sorted(states, key=lambda s: s.timestamp)]


def _runner(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("serve_invoice.py"))],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _flow_processes(runner_pid: int) -> set[int]:
    """Live flow-run processes of the runner (Linux /proc): `serve` spawns one per execution with multiprocessing
    (its long-lived resource tracker is not one)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == runner_pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            out.add(int(stat.parent.name))
    return out


def _stop(runner: subprocess.Popen[str]) -> str:
    runner.terminate()
    try:
        return runner.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        runner.kill()
        return runner.communicate()[0]


def _start(deployment: str, parameters: dict[str, Any], runner: subprocess.Popen[str]) -> str:
    """`run_deployment(timeout=0)` once the runner has registered the deployment."""
    from prefect.deployments import run_deployment

    deadline = time.monotonic() + 60
    while True:
        try:
            return str(run_deployment(deployment, parameters=parameters, timeout=0).id)  # type: ignore[union-attr]
        except Exception:
            assert runner.poll() is None, f"the runner died: {runner.communicate()[0][-3000:]}"
            assert time.monotonic() < deadline, "the runner did not register the deployment within 60 s"
            time.sleep(0.3)


def _request(hours: int) -> dict[str, Any]:
    return {
        "request_id": f"order-{uuid.uuid4().hex[:8]}",
        "email": "einkauf@kunde.de",
        "lines": [
            {"name": "Beratung", "quantity": str(hours), "unit": "Stunde", "unit_price": "100.00", "tax": "standard"}
        ],
        "service_date": date.today().isoformat(),
    }


def test_long_approval_suspends_resumes_in_a_new_process_and_acts_once(
    slack: dict[str, Any], served_sandbox: Any, prefect_flows: Path, tmp_path: Path
) -> None:
    """Two requests on one served deployment: 2 h (238.00 EUR) gets approved, 3 h (357.00 EUR) rejected."""
    from prefect.settings import PREFECT_API_URL

    from lexflow.actions import run
    from lexflow.approvals.store import ApprovalStore
    from lexflow.audit import AuditTrail
    from lexflow.lexware.client import LexwareClient
    from lexflow.testing.slack_clicks import reject
    from tasks.common import FLOW_PROFILE

    served_sandbox.reset()
    fake: FakeSlack = slack["fake"]
    settings: SlackApprovalSettings = slack["settings"]
    lexware = LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0)
    with lexware, MailCatcher() as catcher:
        run("upsert_customer", {"name": "Kunde GmbH", "email": "einkauf@kunde.de"}, profile=FLOW_PROFILE,
            client=lexware, approval_ref="test")  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # an int setting: 1 s is the floor (default 10 s per hop)
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp_path / "results"),
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",  # the minimum; None cannot be said in the environment
            "LEXWARE_API_KEY": served_sandbox.api_key,
            "LEXWARE_BASE_URL": served_sandbox.url,
            "LEXFLOW_SLACK_BOT_TOKEN": fake.token,
            "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
            "LEXFLOW_SLACK_APPROVERS": APPROVER,
            "LEXFLOW_SLACK_BASE_URL": settings.base_url,
            "LEXFLOW_SLACK_DATABASE_URL": settings.resolved_database_url(),
        }
        common = {"smtp_url": catcher.url, "database_url": f"sqlite:///{tmp_path / 'ledger.db'}"}
        runner = _runner(env)
        ids: dict[str, str] = {}
        try:
            for gross, hours in (("238.00", 2), ("357.00", 3)):
                ids[gross] = _start(f"{FLOW_NAME}/{DEPLOYMENT}", {"request": _request(hours), **common}, runner)
            fake.wait_for_request(2, timeout=60)
            posted = {g: next(p for p in fake.posted_requests() if g in p.text) for g in ids}
            assert all("Kunde GmbH" in p.text for p in posted.values())
            for fid in ids.values():
                wait_until(lambda fid=fid: _run_state(fid) == ("PAUSED", "Suspended"), timeout=60)
            # Suspended, not paused: the runs' processes exit and hold no worker slot while a person decides;
            # nothing was created or sent yet.
            wait_until(lambda: not _flow_processes(runner.pid), timeout=30)
            assert list(lexware.voucherlist.iter(voucher_type="invoice", voucher_status="any")) == []
            assert catcher.messages == []

            assert click(slack["receiver_url"], SIGNING_SECRET, posted["238.00"], user=APPROVER).status_code == 200
            reject(slack["receiver_url"], SIGNING_SECRET, fake, posted["357.00"], user=APPROVER, reason="zu teuer")
            for fid in ids.values():
                wait_until(lambda fid=fid: _run_state(fid)[0] in {"COMPLETED", "FAILED", "CRASHED"}, timeout=90)
                assert _run_state(fid) == ("COMPLETED", "Completed"), _state_history(fid)
            # Let the processes exit before the runner stops (a runner shutting down cancels what still runs).
            wait_until(lambda: not _flow_processes(runner.pid), timeout=30)
        except BaseException as exc:
            output = _stop(runner)
            history = {g: _state_history(fid) for g, fid in ids.items()}
            raise AssertionError(f"{exc!r}\nstates: {history}\nrunner output:\n{output[-8000:]}") from exc
        _stop(runner)

        for fid in ids.values():  # each ran again from the top after the click: Resuming → Running → Completed
            history = _state_history(fid)
            resumed = history.index(("SCHEDULED", "Resuming"))
            assert history[:resumed].count(("RUNNING", "Running")) == 1, history
            assert history[resumed:][-2:] == [("RUNNING", "Running"), ("COMPLETED", "Completed")], history
        # Approved: one finalized invoice, one mail, one create_invoice record. Rejected: nothing at all.
        (invoice,) = lexware.voucherlist.iter(voucher_type="invoice", voucher_status="any")
        assert invoice.voucher_status == "open" and Decimal(str(invoice.total_amount)) == Decimal("238.00")
        (mail,) = catcher.messages  # the run completed after the SMTP server accepted it: exactly one mail
        assert mail.rcpt_to == ["einkauf@kunde.de"] and invoice.voucher_number in mail.attachments()[0][0]
        assert len(fake.posted_requests()) == 2  # each asked once, not again on resume
        texts = {g: str(wait_until(lambda p=p: updates_for(fake, p))[-1].args["blocks"]) for g, p in posted.items()}
        assert f"Approved by <@{APPROVER}>" in texts["238.00"]
        assert f"Rejected by <@{APPROVER}>" in texts["357.00"] and "zu teuer" in texts["357.00"]
        rejected = ApprovalStore(settings.resolved_database_url()).get(posted["357.00"].request_id)
        assert rejected is not None and rejected.state == "rejected"
        trail = AuditTrail()
        created = [r for r in trail.list(action="create_invoice", flow_run_id=ids["238.00"]) if r.outcome == "ok"]
        assert len(created) == 1 and created[0].approval_ref == posted["238.00"].request_id
        used = ApprovalStore(settings.resolved_database_url()).get(posted["238.00"].request_id)
        assert used is not None and used.state == "used" and used.request.action == "create_invoice"
        assert len(trail.list(action="flow.invoice_sent", flow_run_id=ids["238.00"])) == 1
        assert trail.list(action="create_invoice", flow_run_id=ids["357.00"]) == []
