"""The crash matrix (issue 12): a real flow process is killed with SIGKILL at each step boundary of its writes,
then the flow is run again; the sandbox and the SMTP catcher must show 0 duplicates and 0 lost writes, and an
outcome that cannot be looked up (a mail handed to the server) must be reported, never repeated blind.

Step boundaries (`LEXFLOW_CRASH_AT`, read by `lexflow.operations.crash_point`): `<kind>:intent` (intent recorded,
nothing sent), `<kind>:answer` (the write's answer received, outcome not recorded), `<kind>:recorded` (outcome
recorded, the Prefect task result not yet stored); for the mail also `mail:handover` (recorded as leaving, the
SMTP DATA not yet sent). Bounded: one forked process per row (tests/flows/crash_worker.py), a few seconds each.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import select
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from lexflow.approvals.store import ApprovalStore
from lexflow.operations import CRASH_ENV, OutcomeUnknown
from lexflow.prefect.pausing import wait_for_paused_run
from lexflow.testing import MailCatcher
from tests.approvals import conftest as approvals_conftest
from tests.approvals.helpers import wait_until
from tests.flows import test_exactly_once, test_flows_e2e
from tests.flows.test_flows_e2e import _customer, _invoices, _request

pytestmark = [
    pytest.mark.prefect,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash worker forks a process per crash (POSIX)"),
]
lexware, catcher, never_ask = test_flows_e2e.lexware, test_flows_e2e.catcher, test_exactly_once.never_ask

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """The forking worker process (tests/flows/crash_worker.py): one job at a time, its exit code read back."""

    def __init__(self, log: Path) -> None:
        from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_LOCAL_STORAGE_PATH

        env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": str(PREFECT_API_URL.value()),
               "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value())}  # fmt: skip
        env.pop(CRASH_ENV, None)
        self.log = log
        self._err = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.flows.crash_worker"], env=env, cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._err, text=True, bufsize=1,
        )  # fmt: skip

    def start(
        self, flow: str, served: Any, params: dict[str, Any], point: str, env: dict[str, str] | None = None
    ) -> int:
        """Start a job; returns the pid of its process (to kill it from outside, e.g. while it waits)."""
        job = {"flow": flow, "url": served.url, "api_key": served.api_key, "params": params, "point": point,
               "env": env or {}}  # fmt: skip
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.pid = int(self.proc.stdout.readline())
        return self.pid

    def killed(self, timeout: float = 90) -> None:
        """The job's process died by SIGKILL (at its crash point), not by an error or a normal end."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        code = int(self.proc.stdout.readline()) if ready else None
        tail = self.log.read_bytes().decode(errors="replace")[-3000:]
        assert code == -9, f"the flow process was not killed at the crash point (exit {code}):\n{tail}"

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._err.close()


@pytest.fixture(scope="module")
def worker(prefect_flows: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(tmp_path_factory.mktemp("crash") / "worker.log")
    yield w
    w.close()


# point → (invoices, mails) right after the kill, and whether the rerun must report a possibly sent mail
INVOICE_POINTS = {
    "invoice:intent": (0, 0, False),
    "invoice:answer": (1, 0, False),
    "invoice:recorded": (1, 0, False),
    "mail:intent": (1, 0, False),
    "mail:handover": (1, 0, True),
    "mail:answer": (1, 1, True),
    "mail:recorded": (1, 1, False),
}


@pytest.mark.parametrize("point", list(INVOICE_POINTS))
def test_invoice_flow_killed_then_rerun(
    point: str,
    worker: Worker,
    lexware: Any,
    served_sandbox: Any,
    catcher: MailCatcher,
    database_url: str,
    never_ask: list[Any],
) -> None:
    from prefect.flow_runs import resume_flow_run

    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    req = _request()
    params = {"request": req.model_dump(mode="json"), "smtp_url": catcher.url, "approval_poll_interval": 0.2,
              "database_url": database_url}  # fmt: skip
    worker.start("invoice", served_sandbox, params, point)
    run_id = wait_for_paused_run("create-approve-send-invoice", timeout=90)
    resume_flow_run(uuid.UUID(run_id), run_input={"approved": True, "approver": "U0APPROVER"})
    worker.killed()
    invoices, mails, reported = INVOICE_POINTS[point]
    assert (len(_invoices(lexware)), len(catcher.messages)) == (invoices, mails)

    rerun = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url, return_state=True)
    if reported:  # the mail may have gone out: said so with its Message-ID, not mailed again
        with pytest.raises(OutcomeUnknown, match=r"possibly sent at .* \(Message-ID <"):
            rerun.result()
        assert len(catcher.messages) == mails
        if mails == 0:  # a person checked and found nothing: the override sends it, once
            out = create_approve_send_invoice(
                request=req, smtp_url=catcher.url, database_url=database_url, resend_mail=True
            )
            assert catcher.wait_for(1)[0].message_id == out["message_id"]
    else:
        out = rerun.result()
        assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
        (mail,) = catcher.wait_for(1)
        assert mail.message_id == out["message_id"]
    assert len(_invoices(lexware)) == 1 and len(catcher.messages) == 1 and not never_ask


@pytest.mark.parametrize("point", ["expense:intent", "expense:answer", "expense:recorded"])
def test_log_expense_killed_then_rerun(
    point: str, worker: Worker, lexware: Any, served_sandbox: Any, database_url: str, tmp_path: Path
) -> None:
    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.sandbox.starter import sample_receipt

    number = f"KM-{uuid.uuid4().hex[:6]}"
    path = sample_receipt(tmp_path / "beleg.pdf", number=number, gross="95.50")
    receipt = Receipt(path=str(path), voucher_number=number, total_gross="95.50", category="Bürobedarf",
                      voucher_date=date.today() - timedelta(days=1))  # fmt: skip
    params = {"receipts": [receipt.model_dump(mode="json")], "ocr_timeout_seconds": 20, "poll_interval_seconds": 0.3,
              "database_url": database_url}  # fmt: skip
    worker.start("expense", served_sandbox, params, point)
    worker.killed()
    (row,) = log_expense([receipt], ocr_timeout_seconds=20, poll_interval_seconds=0.3, database_url=database_url)
    assert row["outcome"] == "booked" and "95.5" in row["detail"], row
    (voucher,) = lexware.voucherlist.iter(voucher_type="purchaseinvoice", voucher_status="any")
    booked = lexware.vouchers.get(voucher.id)
    assert booked.voucher_number == number and float(booked.total_gross_amount) == 95.50
    assert booked.voucher_status in ("open", "overdue")


def test_crm_lead_killed_after_the_create_then_rerun(
    worker: Worker, lexware: Any, served_sandbox: Any, database_url: str
) -> None:
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from lexflow.ledger import Ledger

    leads = [{"id": "L-CRASH", "company": "Absturz GmbH", "email": "info@absturz.de"}]
    params = {"source": leads, "crm_source": "crash", "database_url": database_url}
    worker.start("crm", served_sandbox, params, "contact:answer")
    worker.killed()
    assert len(list(lexware.contacts.list())) == 1
    (row,) = crm_lead_to_customer(leads, crm_source="crash", database_url=database_url)
    (contact,) = lexware.contacts.list()
    assert row["outcome"] in ("created", "unchanged") and Ledger(database_url).contact_for("L-CRASH", "crash") == str(
        contact.id
    )


# The approval asked in (fake) Slack: the request waits in the approvals store, the receiver resumes the run.
fake_slack, approvals_db = approvals_conftest.fake_slack, approvals_conftest.approvals_db
slack_settings, receiver_url = approvals_conftest.slack_settings, approvals_conftest.receiver_url


@pytest.mark.parametrize("click", ["while the rerun waits", "before the rerun", "killed before posting"])
def test_invoice_flow_killed_while_waiting_for_slack_then_rerun_asks_once(
    click: str,
    worker: Worker,
    lexware: Any,
    served_sandbox: Any,
    catcher: MailCatcher,
    database_url: str,
    fake_slack: Any,
    slack_settings: Any,
    receiver_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kill -9 while the run waits for the Slack decision, rerun: the rerun waits for the message already posted
    (or takes the decision made meanwhile): one Slack request, one invoice, one mail. Killed after recording the
    request but before posting it (`approval:intent`), the rerun posts that same request, once."""
    from prefect import get_client

    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.testing.slack_clicks import click as press

    env = {"LEXFLOW_SLACK_BOT_TOKEN": fake_slack.token, "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
           "LEXFLOW_SLACK_APPROVERS": approvals_conftest.ALICE, "LEXFLOW_SLACK_BASE_URL": fake_slack.api_url,
           "LEXFLOW_SLACK_DATABASE_URL": slack_settings.resolved_database_url()}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _customer()
    req = _request()
    seen = len(fake_slack.posted_requests())
    params = {"request": req.model_dump(mode="json"), "smtp_url": catcher.url, "approval_poll_interval": 0.2,
              "database_url": database_url}  # fmt: skip
    if click == "killed before posting":
        worker.start("invoice", served_sandbox, params, "approval:intent", env=env)
        worker.killed()
        assert len(fake_slack.posted_requests()) == seen
        (asked,) = [p for p in ApprovalStore(slack_settings.resolved_database_url()).pending()
                    if {"label": "Reference", "value": req.request_id} in p.request.summary.model_dump()["fields"]]  # fmt: skip
    else:
        pid = worker.start("invoice", served_sandbox, params, "", env=env)
        posted = fake_slack.wait_for_request(seen + 1, timeout=90)
        first_run = wait_for_paused_run("create-approve-send-invoice", timeout=90)
        os.kill(pid, signal.SIGKILL)  # kill -9 while it waits for the decision
        worker.killed()
    assert _invoices(lexware) == []

    def approve() -> None:
        assert press(receiver_url, approvals_conftest.SIGNING_SECRET, posted, user=approvals_conftest.ALICE).is_success
        wait_until(lambda: ApprovalStore(slack_settings.resolved_database_url()).get(posted.request_id).state
                   == "approved")  # fmt: skip

    if click == "before the rerun":
        approve()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    rerun = pool.submit(create_approve_send_invoice, request=req, smtp_url=catcher.url, approval_poll_interval=0.2,
                        database_url=database_url)  # fmt: skip
    if click == "killed before posting":
        posted = fake_slack.wait_for_request(seen + 1, timeout=90)
        assert posted.request_id == asked.id  # the request the killed run recorded, posted now
        approve()
    if click == "while the rerun waits":
        wait_for_paused_run("create-approve-send-invoice", timeout=90, exclude={first_run})
        assert len(fake_slack.posted_requests()) == seen + 1  # waits for the message already posted
        with get_client(sync_client=True) as client:  # the dead run cannot be answered in the UI any more
            assert client.read_flow_run(uuid.UUID(first_run)).state.is_crashed()
        approve()
    out = rerun.result(timeout=90)
    assert out["status"] == "sent" and out["approver"] == approvals_conftest.ALICE
    assert len(fake_slack.posted_requests()) == seen + 1  # the rerun posted no second request
    assert len(_invoices(lexware)) == 1 and len(catcher.wait_for(1)) == 1


def _dunnings(served: Any) -> int:
    store = served.state.store
    return sum(store.count(org, "dunnings") for org in store.organizations("dunnings"))


# point → (dunning drafts right after the kill, what the rerun reports for the invoice)
DUNNING_POINTS = {
    "dunning:intent": (0, "reminded"),
    "dunning:answer": (1, "possibly created"),
    "dunning:recorded": (1, "reminded"),
}


@pytest.mark.parametrize("point", list(DUNNING_POINTS))
def test_dunning_run_killed_then_rerun(
    point: str, worker: Worker, lexware: Any, served_sandbox: Any, database_url: str
) -> None:
    from flows.dunning_run import dunning_run
    from lexflow.actions import run
    from lexflow.actions.approvals import grant
    from tasks.common import FLOW_PROFILE, get_client

    draft = {"contact_id": _customer(), "line_items": [{"name": "Wartung", "unit_price": "50"}],
             "payment_term_days": 7, "finalize": True}  # fmt: skip
    run("lexware_create_invoice", draft, profile=FLOW_PROFILE, approval_ref=grant("lexware_create_invoice", draft, approver="t"),
        client=get_client())  # fmt: skip
    test_flows_e2e._control(served_sandbox).clock_advance(days=30)
    as_of = (date.today() + timedelta(days=30)).isoformat()
    worker.start("dunning", served_sandbox, {"as_of": as_of, "database_url": database_url}, point)
    worker.killed()
    drafts, outcome = DUNNING_POINTS[point]
    assert _dunnings(served_sandbox) == drafts
    (row,) = dunning_run(as_of=as_of, database_url=database_url)
    assert row["action"] == outcome and _dunnings(served_sandbox) == 1
    if outcome == "possibly created":  # said with the time, never created blind; a second rerun says it again
        assert "possibly created at" in row["why"] and "recreate_unknown=true" in row["why"]
        assert dunning_run(as_of=as_of, database_url=database_url)[0]["action"] == outcome
    assert _dunnings(served_sandbox) == 1


@pytest.mark.parametrize("point", ["sync:contacts", "sync:voucherlist", "sync:details", "sync:checkpoint"])
def test_sync_history_killed_then_rerun(
    point: str, worker: Worker, lexware: Any, served_sandbox: Any, database_url: str
) -> None:
    from flows.sync_history import sync_history
    from lexflow.sync import SyncStore

    test_flows_e2e._control(served_sandbox).seed(vouchers=120, seed=3)
    listed = {str(v.id) for v in lexware.voucherlist.iter(voucher_type="any", voucher_status="any")}
    contacts = {str(c.id) for c in lexware.contacts.list()}
    worker.start("sync", served_sandbox, {"database_url": database_url, "batch_size": 50}, point)
    worker.killed()
    store = SyncStore(database_url)
    assert store.checkpoint("history:lexware") is None  # a killed run never moves the checkpoint
    out = sync_history(database_url=database_url, batch_size=50)
    assert out["pending_after"] == 0 and store.checkpoint("history:lexware") is not None
    # nothing lost, nothing doubled: exactly the sandbox's rows, once each
    assert store.count("vouchers") == store.count("documents") == len(listed)
    assert store.count("contacts") == len(contacts)
    again = sync_history(database_url=database_url)
    assert again["mode"] == "incremental" and again["details_fetched"] == 0
