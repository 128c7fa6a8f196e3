"""Every flow end to end: Prefect test harness + the served sandbox over real HTTP + the SMTP catcher."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from lexflow.client import LexwareClient, RetryPolicy
from lexflow.prefect.pausing import wait_for_paused_run
from lexflow.testing import MailCatcher
from lexflow.testing.sandbox_control import SandboxControl
from tasks.common import use_client

pytestmark = pytest.mark.prefect


@pytest.fixture
def lexware(served_sandbox: Any, prefect_flows: Path) -> Iterator[Any]:
    served_sandbox.reset()
    fast_retries = RetryPolicy(max_attempts=3, backoff_base=0.01)
    client = LexwareClient(
        api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0, retry=fast_retries
    )
    with client, use_client(client):
        yield client


@pytest.fixture
def catcher() -> Iterator[MailCatcher]:
    with MailCatcher() as c:
        yield c


def _control(served: Any) -> SandboxControl:
    return SandboxControl(served.url, served.api_key)


def _invoices(client: Any) -> list[Any]:
    return list(client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))


def _customer(email: str = "einkauf@kunde.de") -> str:
    from lexflow.actions import run
    from tasks.common import FLOW_PROFILE, get_client

    out = run("upsert_customer", {"name": "Kunde GmbH", "email": email}, profile=FLOW_PROFILE, client=get_client())
    return str(out.contact_id)  # type: ignore[attr-defined]


def _run_paused(fn: Any, decide: dict[str, Any], flow_name: str, **kwargs: Any) -> Any:
    """Run a flow in a thread, answer its approval through the same API the Slack receiver uses, return its state."""
    from prefect.flow_runs import resume_flow_run

    box: dict[str, Any] = {}
    t = threading.Thread(target=lambda: box.setdefault("state", fn(**kwargs, return_state=True)))
    t.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            run_id = wait_for_paused_run(flow_name, timeout=0.5)
            break
        except TimeoutError:
            if not t.is_alive():
                return box["state"]  # ended before asking (the assertions will say why)
            if time.monotonic() > deadline:
                raise
    resume_flow_run(uuid.UUID(run_id), run_input=decide)
    t.join(60)
    return box["state"]


# ------------------------------------------------------------------------------------------------ CRM
def test_leads_become_customers_and_the_crm_duplicate_is_caught(lexware: Any, database_url: str) -> None:
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from lexflow.ledger import Ledger

    leads = [
        {"id": "L1", "company": "Alpha GmbH", "email": "info@alpha.de", "city": "Berlin", "zip": "10115"},
        {"id": "L2", "company": "Beta AG", "email": "kontakt@beta.de"},
        {"id": "L3", "company": "Alpha GmbH (Zweitlead)", "email": "INFO@alpha.de"},
        {"id": "L4", "company": "Gamma KG", "email": "kaputt"},
    ]
    rows = crm_lead_to_customer(leads, crm_source="test", database_url=database_url)
    outcome = {r["crm_id"]: r["outcome"] for r in rows}
    assert outcome == {"L1": "created", "L2": "created", "L3": "needs review", "L4": "needs review"}
    assert "L1" in next(r["detail"] for r in rows if r["crm_id"] == "L3")
    ledger = Ledger(database_url)
    assert ledger.contact_for("L1", "test") and ledger.contact_for("L2", "test")
    assert len(list(lexware.contacts.list())) == 2
    again = crm_lead_to_customer(leads, crm_source="test", database_url=database_url)
    assert [r["outcome"] for r in again] == [r["outcome"] for r in rows]  # cached: nothing sent again
    assert len(list(lexware.contacts.list())) == 2
    # The CRM changes L2's e-mail: the ledger link makes it an update of the same contact, not a new one.
    before = ledger.contact_for("L2", "test")
    moved = [*leads[:1], {**leads[1], "email": "neu@beta.de"}]
    third = crm_lead_to_customer(moved, crm_source="test", database_url=database_url)
    assert third[1]["outcome"] == "updated" and ledger.contact_for("L2", "test") == before
    assert len(list(lexware.contacts.list())) == 2


# ------------------------------------------------------------------------------------------------ invoices
def _request(**over: Any) -> Any:
    from flows.create_approve_send_invoice import InvoiceRequest

    data = {
        "request_id": f"order-{uuid.uuid4().hex[:8]}",
        "email": "einkauf@kunde.de",
        "lines": [
            {"name": "Beratung", "quantity": "2", "unit_name": "Stunde", "unit_price": "100.00", "tax_rate": "19"}
        ],
        "service_date": date.today().isoformat(),
    }
    return InvoiceRequest.model_validate({**data, **over})


def test_invoice_approved_is_finalized_mailed_and_audited(
    lexware: Any, catcher: MailCatcher, database_url: str
) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.audit import AuditTrail

    _customer()
    state = _run_paused(
        create_approve_send_invoice, {"approved": True, "approver": "U0APPROVER", "reason": "ok"},
        "create-approve-send-invoice", request=_request(), smtp_url=catcher.url, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip
    out = state.result()
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    inv = lexware.invoices.get(out["invoice_id"])
    assert inv.voucher_status == "open" and inv.voucher_number == out["voucher_number"]
    (mail,) = catcher.wait_for(1)
    assert mail.message_id == out["message_id"] and mail.rcpt_to == ["einkauf@kunde.de"]
    name, media, pdf = mail.attachments()[0]
    assert media == "application/pdf" and pdf.startswith(b"%PDF") and out["voucher_number"] in name
    rec = [r for r in AuditTrail().list(action="flow.invoice_sent") if r.input.get("invoice_id") == out["invoice_id"]]
    assert rec and rec[0].input["approver"] == "U0APPROVER" and rec[0].input["message_id"] == out["message_id"]
    from prefect.artifacts import Artifact

    table = Artifact.get("audit-create-approve-send-invoice")
    assert table is not None and "lexware_create_invoice" in str(table.data) and "flow.invoice_sent" in str(table.data)


def test_rejected_invoice_creates_nothing(lexware: Any, catcher: MailCatcher, database_url: str) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    state = _run_paused(
        create_approve_send_invoice, {"approved": False, "approver": "U0APPROVER", "reason": "falscher Preis"},
        "create-approve-send-invoice", request=_request(), smtp_url=catcher.url, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip
    assert state.result()["status"] == "rejected"
    assert _invoices(lexware) == [] and catcher.messages == []


def test_crash_after_creation_then_rerun_sends_once_without_duplicate(
    lexware: Any, catcher: MailCatcher, database_url: str
) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.testing import free_port

    _customer()
    req = _request()
    dead_smtp = f"smtp://127.0.0.1:{free_port()}"  # nothing listens: the flow dies after the invoice exists
    state = _run_paused(
        create_approve_send_invoice, {"approved": True, "approver": "U0APPROVER"}, "create-approve-send-invoice",
        request=req, smtp_url=dead_smtp, approval_poll_interval=0.2, database_url=database_url,
    )  # fmt: skip
    assert state.is_failed()
    assert len(_invoices(lexware)) == 1
    # The rerun (a new flow run, same request) must neither ask again nor create again.
    out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    assert len(_invoices(lexware)) == 1
    assert len(catcher.wait_for(1)) == 1


_KILLED_WORKER = """
import os, sys
import tasks.mail
tasks.mail.send_document = lambda *a, **k: os._exit(17)   # the process dies between creation and the mail
from flows.create_approve_send_invoice import InvoiceRequest, create_approve_send_invoice
from lexflow.client import LexwareClient
from tasks.common import use_client
url, key, request, db = sys.argv[1:5]
with LexwareClient(api_key=key, base_url=url, rate_limit=0) as client, use_client(client):
    create_approve_send_invoice(request=InvoiceRequest.model_validate_json(request), smtp_url="smtp://127.0.0.1:9",
                                approval_poll_interval=0.2, database_url=db)
"""


def test_hard_kill_after_creation_then_rerun(
    lexware: Any, served_sandbox: Any, catcher: MailCatcher, database_url: str, tmp_path: Path
) -> None:
    """A worker process killed (os._exit) right after the invoice was created; a new run finishes the job once."""
    import os
    import subprocess
    import sys

    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_LOCAL_STORAGE_PATH

    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    req = _request()
    script = tmp_path / "worker.py"
    script.write_text(_KILLED_WORKER, encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value()),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, str(script), served_sandbox.url, served_sandbox.api_key, req.model_dump_json(), database_url],
        env=env,
    )
    try:
        run_id = wait_for_paused_run("create-approve-send-invoice", timeout=90)
        resume_flow_run(uuid.UUID(run_id), run_input={"approved": True, "approver": "U0APPROVER"})
        assert proc.wait(90) == 17
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(_invoices(lexware)) == 1 and catcher.messages == []
    out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    assert len(_invoices(lexware)) == 1
    assert len(catcher.wait_for(1)) == 1


# ------------------------------------------------------------------------------------------------ expenses
def test_receipt_is_uploaded_ocr_awaited_and_booked(lexware: Any, tmp_path: Path) -> None:
    from flows.log_expense import Receipt, log_expense
    from lexflow.sandbox.starter import sample_receipt

    path = sample_receipt(tmp_path / "beleg.pdf", number="BB-2026-117", gross="59.50")
    rows = log_expense(
        [Receipt(path=str(path), supplier_name="Bürobedarf AG", voucher_number="BB-2026-117", total_gross="59.50", category="Bürobedarf",
                 voucher_date=date.today() - timedelta(days=1))],
        ocr_timeout_seconds=20, poll_interval_seconds=0.3,
    )  # fmt: skip
    assert rows[0]["outcome"] == "booked", rows
    vouchers = list(lexware.voucherlist.iter(voucher_type="purchaseinvoice", voucher_status="any"))
    assert [v.voucher_number for v in vouchers] == ["BB-2026-117"]
    assert vouchers[0].voucher_status in ("open", "overdue")  # booked; the list derives overdue from the due date
    from lexflow.audit import shared_trail

    (booked,) = shared_trail().list(action="lexware_create_expense", resource_id=str(vouchers[0].id))
    assert booked.outcome == "ok"
    assert [c.path for c in booked.http_calls if "/files" in c.path] == []  # sent once, by upload-receipt


def test_receipt_waits_for_the_voucher_created_webhook(lexware: Any, tmp_path: Path) -> None:
    """wait="webhook": the run pauses until the webhook worker's `continue_waiting_runs` resumes it."""
    from sqlalchemy import select

    from flows.log_expense import Receipt, log_expense
    from lexflow.sandbox.starter import sample_receipt
    from lexflow.webhooks.events import WebhookEvent
    from lexflow.webhooks.waiting import EventWaiter, RunNotPausedYet, _sessions, continue_waiting_runs

    path = sample_receipt(tmp_path / "hook.pdf", number="HK-1", gross="11.90")
    receipt = Receipt(path=str(path), voucher_number="HK-1", total_gross="11.90", category="Porto",
                      voucher_date=date.today())  # fmt: skip
    box: dict[str, Any] = {}
    t = threading.Thread(target=lambda: box.update(rows=log_expense([receipt], wait="webhook", ocr_timeout_seconds=60)))
    t.start()
    run_id = wait_for_paused_run("log-expense", timeout=60)
    with _sessions(None)() as s:
        waiter = s.execute(select(EventWaiter).where(EventWaiter.flow_run_id == run_id)).scalar_one()
    event = WebhookEvent.model_validate(
        {"organizationId": "org", "eventType": "voucher.created", "resourceId": waiter.resource_id,
         "eventDate": "2026-11-24T10:00:00.000+01:00"}
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            assert continue_waiting_runs(event, None).endswith("resumed")
            break
        except RunNotPausedYet:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    t.join(60)
    assert box["rows"][0]["outcome"] == "booked", box


# ------------------------------------------------------------------------------------------------ sync
def test_sync_crash_then_rerun_then_incremental(
    lexware: Any, served_sandbox: Any, database_url: str, tmp_path: Path
) -> None:
    from flows.sync_history import sync_history
    from lexflow.sync import SyncStore

    control = _control(served_sandbox)
    control.seed(vouchers=300, seed=7)
    listed = sorted(lexware.voucherlist.iter(voucher_type="any", voucher_status="any"), key=lambda v: str(v.id))
    # Fail every attempt to read one invoice in the middle: the run dies after several stored batches.
    victim = next(v for v in listed[120:] if v.voucher_type == "invoice")
    control.faults(route=f"GET /v1/invoices/{victim.id}", kind="500", count=3)  # = the client attempts of one run
    state = sync_history(database_url=database_url, batch_size=50, return_state=True)
    assert state.is_failed()
    store = SyncStore(database_url)
    assert store.checkpoint("history") is None and 0 < len(store.pending_documents()) < len(listed)
    rerun = sync_history(
        database_url=database_url, batch_size=50, export_dir=str(tmp_path / "export"), return_state=True
    )
    out = rerun.result()
    assert out["pending_after"] == 0 and store.count("documents") == len(listed) == store.count("vouchers")
    assert out["details_fetched"] < len(listed)  # only what the crashed run had not stored
    assert (tmp_path / "export" / "documents.parquet").exists()
    again = sync_history(database_url=database_url)
    assert again["mode"] == "incremental" and again["details_fetched"] == 0
    # The reads are audited as each flow run, per page or batch; the crashed run's failing batch too.
    from lexflow.audit import AuditTrail

    trail = AuditTrail()
    crashed = trail.list(flow_run_id=str(state.state_details.flow_run_id))
    assert [r.action for r in crashed if r.outcome == "error"] == ["sync.details_batch"]
    reads = trail.list(flow_run_id=str(rerun.state_details.flow_run_id))
    assert len(reads) == out["audit_records"] and {r.action for r in reads} == {
        "sync.contacts_page", "sync.voucherlist_batch", "sync.details_batch"
    }  # fmt: skip
    assert all(r.outcome == "ok" and r.actor.kind == "flow" and r.input["effect"] == "read" for r in reads)
    assert trail.verify().ok
    from prefect.artifacts import Artifact

    progress = Artifact.get("sync-history-progress")
    assert progress is not None and float(str(progress.data)) == 100.0


# ------------------------------------------------------------------------------------------------ dunning + duplicates
def test_dunning_run_once_per_invoice_and_day(
    lexware: Any, served_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.dunning_run import dunning_run
    from lexflow.actions import run
    from tasks.common import FLOW_PROFILE, get_client

    cid = _customer()
    draft = {"contact_id": cid, "line_items": [{"name": "Wartung", "unit_price": "50"}], "payment_term_days": 7,
             "finalize": True}  # fmt: skip
    from lexflow.actions.approvals import grant

    ref = grant("lexware_create_invoice", draft, approver="test")
    run("lexware_create_invoice", draft, profile=FLOW_PROFILE, approval_ref=ref, client=get_client())
    _control(served_sandbox).clock_advance(days=30)
    as_of = date.today() + timedelta(days=30)
    from lexflow.testing.fake_slack import FakeSlack

    with FakeSlack(token="xoxb-dunning") as fake:
        for name, value in {"BOT_TOKEN": "xoxb-dunning", "CHANNEL": "C0FINANCE", "BASE_URL": fake.api_url}.items():
            monkeypatch.setenv(f"LEXFLOW_SLACK_{name}", value)
        rows = dunning_run(as_of=as_of)
        assert len(rows) == 1 and rows[0]["days overdue"] >= 20
        assert dunning_run(as_of=as_of) == rows  # cached per invoice and day: no second dunning
        notes = [c.args for c in fake.calls_to("chat.postMessage")]
    assert notes and notes[0]["channel"] == "C0FINANCE" and "1 dunning draft(s)" in notes[0]["text"]
    dunnings = [
        v for v in lexware.voucherlist.iter(voucher_type="any", voucher_status="any") if v.voucher_type == "dunning"
    ]
    # dunnings may not be listed by the voucher list at all (docs/lexware.md#voucher-list has no dunning type)
    assert len(dunnings) <= 1


def test_duplicate_report_lists_groups_with_links(lexware: Any) -> None:
    from flows.duplicate_contacts_report import duplicate_contacts_report

    lexware.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Delta GmbH"},
                             "emailAddresses": {"business": ["info@delta.de"]}})  # fmt: skip
    lexware.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Delta"},
                             "emailAddresses": {"business": ["INFO@delta.de"]}})  # fmt: skip
    rows = duplicate_contacts_report()
    assert len(rows) == 2 and {r["group"] for r in rows} == {1}
    # the served sandbox has no web app: no permalink to app.lexware.de with a sandbox id
    assert all(r["open in Lexware Office"].endswith("(no web app)") for r in rows)
