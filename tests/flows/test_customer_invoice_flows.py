"""The customer and invoice flows end to end on every built provider (`flow_provider`: its served sandbox over real
HTTP), with the Prefect test harness and the SMTP catcher. The flows are the same code for all of them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lexflow.core.models import CustomerDraft
from lexflow.prefect.pausing import wait_for_paused_run
from lexflow.testing import MailCatcher
from tests.flows.conftest import FlowProvider
from tests.flows.paused import run_paused

pytestmark = pytest.mark.prefect
FLOW = "create-approve-send-invoice"
APPROVE = {"approved": True, "approver": "U0APPROVER", "reason": "ok"}


@pytest.fixture
def catcher() -> Iterator[MailCatcher]:
    with MailCatcher() as c:
        yield c


def _customer(email: str = "einkauf@kunde.de") -> str:
    from tasks.common import run_action

    return str(run_action("upsert_customer", {"name": "Kunde GmbH", "email": email}).customer.id)


def _invoices(fp: FlowProvider) -> list[Any]:
    return list(fp.provider.list_invoices())


def _request(**over: Any) -> Any:
    from flows.create_approve_send_invoice import InvoiceRequest

    data = {
        "request_id": f"order-{uuid.uuid4().hex[:8]}",
        "email": "einkauf@kunde.de",
        "lines": [
            {"name": "Beratung", "quantity": "2", "unit": "Stunde", "unit_price": "100.00", "tax": "standard"},
            {"name": "Fachbuch", "quantity": "3", "unit_price": "0.35", "tax": "reduced"},
        ],
        "service_date": date.today().isoformat(),
    }
    return InvoiceRequest.model_validate({**data, **over})


def _run_paused(fn: Any, decide: dict[str, Any], **kwargs: Any) -> Any:
    return run_paused(fn, decide, FLOW, **kwargs)


# ------------------------------------------------------------------------------------------------ CRM
def test_leads_become_customers_and_the_crm_duplicate_is_caught(flow_provider: FlowProvider, database_url: str) -> None:
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from lexflow.ledger import Ledger

    provider = flow_provider.provider
    leads = [
        {"id": "L1", "company": "Alpha GmbH", "email": "info@alpha.de", "city": "Berlin", "zip": "10115",
         "street": "Hauptstr. 1"},
        {"id": "L2", "company": "Beta AG", "email": "kontakt@beta.de"},
        {"id": "L3", "company": "Alpha GmbH (Zweitlead)", "email": "INFO@alpha.de"},
        {"id": "L4", "company": "Gamma KG", "email": "kaputt"},
    ]  # fmt: skip
    rows = crm_lead_to_customer(leads, crm_source="test", database_url=database_url)
    outcome = {r["crm_id"]: r["outcome"] for r in rows}
    assert outcome == {"L1": "created", "L2": "created", "L3": "needs review", "L4": "needs review"}
    assert "L1" in next(r["detail"] for r in rows if r["crm_id"] == "L3")
    ledger = Ledger(database_url)
    alpha, beta = ledger.contact_for("L1", "test"), ledger.contact_for("L2", "test")
    assert alpha and beta and {c.id for c in provider.list_customers()} == {alpha, beta}
    assert provider.get_customer(alpha).address.city == "Berlin"  # type: ignore[union-attr]
    again = crm_lead_to_customer(leads, crm_source="test", database_url=database_url)
    assert [r["outcome"] for r in again] == [r["outcome"] for r in rows]  # cached: nothing sent again
    assert len(list(provider.list_customers())) == 2
    # The CRM changes L2's e-mail: the ledger link makes it an update of the same customer, not a new one.
    moved = [*leads[:1], {**leads[1], "email": "neu@beta.de"}]
    third = crm_lead_to_customer(moved, crm_source="test", database_url=database_url)
    assert third[1]["outcome"] == "updated" and ledger.contact_for("L2", "test") == beta
    assert "neu@beta.de" in provider.get_customer(beta).emails and len(list(provider.list_customers())) == 2


def test_two_customers_of_one_name_are_left_for_a_person(flow_provider: FlowProvider, database_url: str) -> None:
    """A lead whose name matches two customers (spelled differently) is never guessed: needs review, no write."""
    from flows.crm_lead_to_customer import crm_lead_to_customer

    provider = flow_provider.provider
    provider.create_customer(CustomerDraft(name="Delta GmbH"))
    provider.create_customer(CustomerDraft(name="Delta G.m.b.H."))
    (row,) = crm_lead_to_customer([{"id": "D1", "company": "Delta GmbH"}], crm_source="t", database_url=database_url)
    assert row["outcome"] == "needs review" and "several customers match" in row["detail"]
    assert len(list(provider.list_customers())) == 2


# ------------------------------------------------------------------------------------------------ invoices
def test_invoice_approved_is_created_mailed_and_audited(
    flow_provider: FlowProvider, catcher: MailCatcher, database_url: str
) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.audit import AuditTrail

    cid = _customer()
    req = _request()
    state = _run_paused(
        create_approve_send_invoice, APPROVE, request=req, smtp_url=catcher.url, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip
    out = state.result()
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    inv = flow_provider.provider.get_invoice(out["invoice_id"])
    assert (inv.status, inv.customer_id, inv.reference) == ("open", cid, req.request_id)
    assert inv.number == out["voucher_number"] and inv.total_gross is not None
    assert f"{inv.total_gross.amount:.2f}" == out["total_gross"]  # the approved preview is what was created
    assert [li.tax.code for li in inv.lines] == [
        flow_provider.provider.tax.resolve(t).code for t in ("standard", "reduced")
    ]
    (mail,) = catcher.wait_for(1)
    assert mail.message_id == out["message_id"] and mail.rcpt_to == ["einkauf@kunde.de"]
    name, media, pdf = mail.attachments()[0]
    assert media == "application/pdf" and pdf.startswith(b"%PDF") and str(out["voucher_number"] or inv.id) in name
    rec = [r for r in AuditTrail().list(action="flow.invoice_sent") if r.input.get("invoice_id") == out["invoice_id"]]
    assert rec and rec[0].input["approver"] == "U0APPROVER" and rec[0].input["message_id"] == out["message_id"]
    (created,) = [r for r in AuditTrail().list(action="create_invoice") if r.approval_ref and r.outcome == "ok"
                  and r.input.get("reference") == req.request_id]  # fmt: skip
    assert created.input["finalize"] is True


def test_rejected_invoice_creates_nothing(flow_provider: FlowProvider, catcher: MailCatcher, database_url: str) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    state = _run_paused(
        create_approve_send_invoice, {"approved": False, "approver": "U0APPROVER", "reason": "falscher Preis"},
        request=_request(), smtp_url=catcher.url, approval_poll_interval=0.2, database_url=database_url,
    )  # fmt: skip
    assert state.result()["status"] == "rejected"
    assert _invoices(flow_provider) == [] and catcher.messages == []


def test_crash_after_creation_then_rerun_sends_once_without_duplicate(
    flow_provider: FlowProvider, catcher: MailCatcher, database_url: str
) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.testing import free_port

    _customer()
    req = _request()
    dead_smtp = f"smtp://127.0.0.1:{free_port()}"  # nothing listens: the flow dies after the invoice exists
    state = _run_paused(
        create_approve_send_invoice, APPROVE, request=req, smtp_url=dead_smtp, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip
    assert state.is_failed()
    assert len(_invoices(flow_provider)) == 1
    # The rerun (a new flow run, same request) must neither ask again nor create again.
    out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    assert len(_invoices(flow_provider)) == 1
    assert len(catcher.wait_for(1)) == 1


_CONNECT = {
    "lexware": """
from lexflow.lexware.client import LexwareClient
client = LexwareClient(api_key=token, base_url=url, rate_limit=0)
""",
    "sevdesk": """
from lexflow.sevdesk.adapter import SevdeskAdapter
from lexflow.sevdesk.client import SevdeskClient
client = SevdeskAdapter(SevdeskClient(token, url, rate_limit=0, settle_delay=0))
""",
    "quickbooks": """
from types import SimpleNamespace
from lexflow.quickbooks.adapter import QuickBooksAdapter
from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox
from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig
served = SimpleNamespace(url=url, config=QuickBooksSandboxConfig())   # signs in to the same served sandbox
client = QuickBooksAdapter(connect_sandbox(served, QuickBooksSettings(throttle_wait_seconds=0, requests_per_minute=0)))
""",
}
_KILLED_WORKER = """
import os, sys
import tasks.mail
tasks.mail.send_document = lambda *a, **k: os._exit(17)   # the process dies between creation and the mail
from flows.create_approve_send_invoice import InvoiceRequest, create_approve_send_invoice
from tasks.common import use_client
url, token, request, db = sys.argv[1:5]
{connect}
with use_client(client):
    create_approve_send_invoice(request=InvoiceRequest.model_validate_json(request), smtp_url="smtp://127.0.0.1:9",
                                approval_poll_interval=0.2, database_url=db)
"""


@pytest.mark.parametrize("flow_provider", sorted(_CONNECT), indirect=True)
def test_hard_kill_after_creation_then_rerun(
    flow_provider: FlowProvider, catcher: MailCatcher, database_url: str, tmp_path: Path
) -> None:
    """A worker process killed (os._exit) right after the invoice was created; a new run finishes the job once.
    On the providers whose served sandbox another process can reach (Xero's embedded one lives in this process)."""
    import os
    import subprocess
    import sys

    from prefect.flow_runs import resume_flow_run
    from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_LOCAL_STORAGE_PATH

    from flows.create_approve_send_invoice import create_approve_send_invoice

    served = flow_provider.served
    token = getattr(served, "api_key", None) or getattr(served, "token", "-")
    _customer()
    req = _request()
    script = tmp_path / "worker.py"
    script.write_text(_KILLED_WORKER.format(connect=_CONNECT[flow_provider.name]), encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value()),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "LEXFLOW_PROVIDER": flow_provider.name}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, str(script), served.url, token, req.model_dump_json(), database_url], env=env
    )
    try:
        run_id = wait_for_paused_run(FLOW, timeout=90)
        resume_flow_run(uuid.UUID(run_id), run_input=APPROVE)
        assert proc.wait(90) == 17
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(_invoices(flow_provider)) == 1 and catcher.messages == []
    out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER"
    assert len(_invoices(flow_provider)) == 1
    assert len(catcher.wait_for(1)) == 1


# ------------------------------------------------------------------------------------------------ duplicates
def test_duplicate_report_lists_groups(flow_provider: FlowProvider) -> None:
    from flows.duplicate_contacts_report import duplicate_contacts_report

    provider = flow_provider.provider
    provider.create_customer(CustomerDraft(name="Delta GmbH", email="info@delta.de"))
    provider.create_customer(CustomerDraft(name="Delta", email="buero@delta.de"))
    provider.create_customer(CustomerDraft(name="Omega Werkstatt", email="omega@werk.de"))
    rows = duplicate_contacts_report()
    assert len(rows) == 2 and {r["group"] for r in rows} == {1} and {r["name"] for r in rows} == {"Delta GmbH", "Delta"}
    assert {r["reason"] for r in rows} == {"similar name"}
    # the sandboxes have no web app: no link into a real account with a sandbox id
    assert all(r["open"].endswith("(no web link)") for r in rows)
