"""Every flow end to end: Prefect test harness + the served sandbox over real HTTP + the SMTP catcher."""

from __future__ import annotations

import contextvars
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from lexflow.lexware.client import LexwareClient, RetryPolicy
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
    return str(out.customer.id)  # type: ignore[attr-defined]


# CRM, invoices and the duplicate report: tests/flows/test_customer_invoice_flows.py (on every provider)
def _request(**over: Any) -> Any:
    from flows.create_approve_send_invoice import InvoiceRequest

    data = {
        "request_id": f"order-{uuid.uuid4().hex[:8]}",
        "email": "einkauf@kunde.de",
        "lines": [{"name": "Beratung", "quantity": "2", "unit": "Stunde", "unit_price": "100.00", "tax": "standard"}],
        "service_date": date.today().isoformat(),
    }
    return InvoiceRequest.model_validate({**data, **over})


# ------------------------------------------------------------------------------------------------ expenses
def test_receipt_is_uploaded_ocr_awaited_and_booked(lexware: Any, tmp_path: Path) -> None:
    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.sandbox.starter import sample_receipt

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
    from lexflow.lexware.sandbox.starter import sample_receipt
    from lexflow.webhooks.events import WebhookEvent
    from lexflow.webhooks.waiting import EventWaiter, RunNotPausedYet, _sessions, continue_waiting_runs

    path = sample_receipt(tmp_path / "hook.pdf", number="HK-1", gross="11.90")
    receipt = Receipt(path=str(path), voucher_number="HK-1", total_gross="11.90", category="Porto",
                      voucher_date=date.today())  # fmt: skip
    box: dict[str, Any] = {}
    context = contextvars.copy_context()  # the test's Prefect settings, in the flow's thread too
    t = threading.Thread(
        target=lambda: box.update(rows=context.run(log_expense, [receipt], wait="webhook", ocr_timeout_seconds=60))
    )
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
    assert store.checkpoint("history:lexware") is None and 0 < len(store.pending_documents()) < len(listed)
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


# ------------------------------------------------------------------------------------------------ dunning
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
