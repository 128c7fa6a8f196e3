"""`sync_history` and `dunning_run` end to end on every built provider (`flow_provider`: its served sandbox, real
HTTP, Prefect harness): the flows are the same code, and what differs comes from capabilities data (a dunning
document, or lexflow's own reminder mail; the change mechanism behind `changes_since`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.core.provider import Provider
from lexflow.providers import built
from lexflow.testing import MailCatcher

pytestmark = pytest.mark.prefect


@dataclass
class Sandbox:
    """What the tests need of a provider's sandbox beyond the API: its dunning documents and a failing listing."""

    dunning_documents: Callable[[], int]
    """How many dunning documents the provider keeps (0 where it keeps none)."""
    fail_document_listing: Callable[[], None]
    """From now on the sandbox answers the listing of documents with 500 (the sync dies mid-run)."""
    heal: Callable[[], None]


def _lexware(request: pytest.FixtureRequest, flows: Any) -> Sandbox:
    from lexflow.testing.sandbox_control import SandboxControl

    served = request.getfixturevalue("served_sandbox")
    control = SandboxControl(served.url, served.api_key)
    store = served.state.store
    return Sandbox(
        dunning_documents=lambda: sum(store.count(o, "dunnings") for o in store.organizations("dunnings")),
        fail_document_listing=lambda: control.faults(route="GET /v1/voucherlist", kind="500", count=50) and None,
        heal=control.clear_faults,
    )


def _sevdesk(request: pytest.FixtureRequest, flows: Any) -> Sandbox:
    from lexflow.sevdesk.sandbox.gate import FaultRule

    state = request.getfixturevalue("sevdesk_served").state
    return Sandbox(
        dunning_documents=lambda: sum(1 for _ in flows.provider.client.iter_invoices(invoice_type="MA")),
        fail_document_listing=lambda: state.faults.add(FaultRule(route="GET /Invoice", kind="500", count=50)) and None,
        heal=lambda: state.faults.clear(),
    )


def _xero(request: pytest.FixtureRequest, flows: Any) -> Sandbox:
    from lexflow.xero.client import embedded_sandbox
    from lexflow.xero.sandbox.state import Fault

    state = embedded_sandbox().state
    return Sandbox(
        dunning_documents=lambda: 0,
        fail_document_listing=lambda: state.faults.append(Fault("GET", "/Invoices", "500", 50)),
        heal=state.faults.clear,
    )


def _quickbooks(request: pytest.FixtureRequest, flows: Any) -> Sandbox:
    from lexflow.quickbooks.sandbox.app import FaultRule

    state = request.getfixturevalue("quickbooks_served").state
    return Sandbox(
        dunning_documents=lambda: 0,
        fail_document_listing=lambda: state.faults.append(FaultRule("*", "query", "error", 500, 50)),
        heal=state.faults.clear,
    )


SANDBOXES = {"lexware": _lexware, "sevdesk": _sevdesk, "xero": _xero, "quickbooks": _quickbooks}


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, flow_provider: Any) -> Sandbox:
    return SANDBOXES[flow_provider.name](request, flow_provider)


def _overdue_invoices(provider: Provider, n: int) -> tuple[list[str], str]:
    """`n` invoices 26 days overdue and one not yet due, for a customer with an e-mail address."""
    customer = provider.create_customer(CustomerDraft(name="Mahn Kunde GmbH", email="buchhaltung@mahn-kunde.test"))
    line = InvoiceLineDraft(name="Wartung", unit_price=Decimal("100.00"), tax="standard")

    def invoice(issued: date) -> str:
        draft = InvoiceDraft(customer_id=customer.id, lines=[line], issue_date=issued, payment_term_days=14,
                             finalize=True)  # fmt: skip
        return provider.create_invoice(draft).id

    overdue = [invoice(date.today() - timedelta(days=40)) for _ in range(n)]
    return overdue, invoice(date.today())


def test_dunning_reminds_each_overdue_invoice_once_per_day(
    flow_provider: Any, sandbox: Sandbox, database_url: str
) -> None:
    from flows.dunning_run import dunning_run

    p = flow_provider.provider
    overdue, current = _overdue_invoices(p, 2)
    numbers = {p.get_invoice(i).number or i for i in overdue}
    with MailCatcher() as catcher:
        rows = dunning_run(as_of=date.today(), database_url=database_url, smtp_url=catcher.url)
        assert {r["invoice"] for r in rows if r["action"] == "reminded"} == numbers
        assert (p.get_invoice(current).number or current) not in {r["invoice"] for r in rows}  # not yet due
        assert all(r["days overdue"] == 26 and r["dunning"] for r in rows)
        again = dunning_run(as_of=date.today(), database_url=database_url, smtp_url=catcher.url)
        assert again == rows  # once per invoice and day
        mails = catcher.messages
    if p.capabilities.supports("dunning"):  # the provider's own dunning document, as a draft there
        assert sandbox.dunning_documents() == 2 and mails == []
    else:  # lexflow's reminder mail with the invoice PDF, to the customer's address
        assert sandbox.dunning_documents() == 0 and len(mails) == 2
        for mail in mails:
            assert mail.subject.startswith("Zahlungserinnerung: Rechnung ")
            assert mail.message["To"] == "buchhaltung@mahn-kunde.test"
            (_, media, content), *_ = mail.attachments()
            assert media == "application/pdf" and content.startswith(b"%PDF")
    from lexflow.audit import AuditTrail

    actions = [r.action for r in AuditTrail(database_url).list()] or [r.action for r in AuditTrail().list()]
    assert "dunning.unpaid_invoices" in actions


@pytest.mark.parametrize("flow_provider", [n for n in ("sevdesk", "xero") if n in built()], indirect=True)
def test_sync_crash_then_rerun_then_incremental(flow_provider: Any, sandbox: Sandbox, database_url: str) -> None:
    from flows.sync_history import sync_history
    from lexflow.sync import SyncStore, stream_of

    p = flow_provider.provider
    p.cursor_margin = 1  # the sandbox runs on this machine's clock: a second of margin is enough here
    overdue, _ = _overdue_invoices(p, 3)
    time.sleep(2.1)  # the setup lies before the rerun's cursor (whole seconds less the margin)
    sandbox.fail_document_listing()
    state = sync_history(database_url=database_url, return_state=True)
    assert state.is_failed()
    store = SyncStore(database_url)
    assert store.checkpoint(stream_of(p)) is None  # a crashed run never moves the cursor
    assert store.count("contacts") >= 1 and store.count("vouchers") == 0  # the contacts page was stored
    sandbox.heal()
    rerun = sync_history(database_url=database_url)
    assert rerun["mode"] == "full" and rerun["pending_after"] == 0
    assert set(overdue) <= {r["id"] for r in store.rows("vouchers")}
    assert store.count("documents") == store.count("vouchers")  # every document whole, once
    before = store.count("vouchers")
    again = sync_history(database_url=database_url)  # nothing changed since the rerun began
    assert again["mode"] == "incremental" and again["vouchers_listed"] == again["contacts"] == 0
    assert store.count("vouchers") == before


def test_a_provider_with_webhooks_is_not_polled(flow_provider: Any, database_url: str) -> None:
    """`poll-changes` polls only where the provider sends no webhooks (branching on capabilities data)."""
    from flows.poll_changes import poll_changes as flow

    out = flow(database_url=database_url)
    if flow_provider.capabilities.supports("webhooks"):
        assert out["events"] == 0 and "webhooks" in out["skipped"]
    else:
        assert out["events"] == 0 and "skipped" not in out  # the first poll takes the cursor
