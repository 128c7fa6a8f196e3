"""`sync_history` and `dunning_run` end to end on every built provider, over its served sandbox (Prefect harness, real
HTTP): the flows are the same code, and what differs comes from capabilities data (a dunning document, or lexflow's
own reminder mail; the change mechanism behind `changes_since`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.core.provider import Provider
from lexflow.providers import built
from lexflow.testing import MailCatcher
from tasks.common import use_client

pytestmark = pytest.mark.prefect


@dataclass
class FlowWorld:
    provider: Provider
    dunning_documents: Callable[[], int]
    """How many dunning documents the provider keeps (0 where it keeps none)."""
    fail_document_listing: Callable[[], None]
    """From now on the sandbox answers the listing of documents with 500 (the sync dies mid-run)."""
    heal: Callable[[], None]


def _lexware(request: pytest.FixtureRequest) -> Iterator[FlowWorld]:
    from lexflow.client import LexwareClient, RetryPolicy
    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.testing.sandbox_control import SandboxControl

    served = request.getfixturevalue("served_sandbox")
    served.reset()
    control = SandboxControl(served.url, served.api_key)
    store = served.state.store
    with LexwareClient(
        api_key=served.api_key, base_url=served.url, rate_limit=0, retry=RetryPolicy(max_attempts=3, backoff_base=0.01)
    ) as client:
        yield FlowWorld(
            provider=LexwareAdapter(client),
            dunning_documents=lambda: sum(store.count(o, "dunnings") for o in store.organizations("dunnings")),
            fail_document_listing=lambda: control.faults(route="GET /v1/voucherlist", kind="500", count=50) and None,
            heal=control.clear_faults,
        )


def _sevdesk(request: pytest.FixtureRequest) -> Iterator[FlowWorld]:
    from lexflow.sevdesk.adapter import SevdeskAdapter
    from lexflow.sevdesk.sandbox.gate import FaultRule

    served = request.getfixturevalue("sevdesk_served")
    client = request.getfixturevalue("sevdesk_client")  # resets the sandbox
    yield FlowWorld(
        provider=SevdeskAdapter(client),
        dunning_documents=lambda: sum(1 for i in client.iter_invoices(invoice_type="MA")),
        fail_document_listing=lambda: served.state.faults.add(FaultRule(route="GET /Invoice", kind="500", count=50))
        and None,
        heal=lambda: served.state.faults.clear(),
    )


def _xero(request: pytest.FixtureRequest) -> Iterator[FlowWorld]:
    from lexflow.xero.client import embedded_sandbox
    from lexflow.xero.sandbox.state import Fault
    from tests.xero.support import sandbox_adapter

    state = embedded_sandbox().state
    yield FlowWorld(
        provider=sandbox_adapter(),
        dunning_documents=lambda: 0,
        fail_document_listing=lambda: state.faults.append(Fault("GET", "/Invoices", "500", 50)),
        heal=state.faults.clear,
    )


def _quickbooks(request: pytest.FixtureRequest) -> Iterator[FlowWorld]:
    from lexflow.quickbooks.adapter import QuickBooksAdapter
    from lexflow.quickbooks.sandbox.app import FaultRule

    served = request.getfixturevalue("quickbooks_served")
    client = request.getfixturevalue("quickbooks_client")
    yield FlowWorld(
        provider=QuickBooksAdapter(client),
        dunning_documents=lambda: 0,
        fail_document_listing=lambda: served.state.faults.append(FaultRule("*", "query", "error", 500, 50)),
        heal=served.state.faults.clear,
    )


WORLDS = {"lexware": _lexware, "sevdesk": _sevdesk, "xero": _xero, "quickbooks": _quickbooks}


@pytest.fixture(params=built())
def flows_on(request: pytest.FixtureRequest, prefect_flows: Path) -> Iterator[FlowWorld]:
    """The flows run against this provider's sandbox (`use_client` with its adapter)."""
    for world in WORLDS[request.param](request):
        with use_client(world.provider):
            yield world


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
    flows_on: FlowWorld, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.dunning_run import dunning_run

    p = flows_on.provider
    overdue, current = _overdue_invoices(p, 2)
    numbers = {p.get_invoice(i).number or i for i in overdue}
    with MailCatcher() as catcher:
        rows = dunning_run(as_of=date.today(), database_url=database_url, smtp_url=catcher.url)
        assert {r["invoice"] for r in rows if r["action"] == "reminded"} == numbers  # not the current one
        assert all(r["days overdue"] == 26 and r["dunning"] for r in rows)
        again = dunning_run(as_of=date.today(), database_url=database_url, smtp_url=catcher.url)
        assert again == rows  # once per invoice and day
        mails = catcher.messages
    if p.capabilities.supports("dunning"):  # the provider's own dunning document, as a draft there
        assert flows_on.dunning_documents() == 2 and mails == []
    else:  # lexflow's reminder mail with the invoice PDF, to the customer's address
        assert flows_on.dunning_documents() == 0 and len(mails) == 2
        for mail in mails:
            assert mail.subject.startswith("Zahlungserinnerung: Rechnung ")
            assert mail.message["To"] == "buchhaltung@mahn-kunde.test"
            (name, media, content), *_ = mail.attachments()
            assert media == "application/pdf" and content.startswith(b"%PDF")
    from lexflow.audit import AuditTrail

    actions = [r.action for r in AuditTrail(database_url).list()] or [r.action for r in AuditTrail().list()]
    assert "dunning.unpaid_invoices" in actions


@pytest.mark.parametrize("flows_on", [n for n in ("sevdesk", "xero") if n in built()], indirect=True)
def test_sync_crash_then_rerun_then_incremental(flows_on: FlowWorld, database_url: str) -> None:
    from flows.sync_history import sync_history
    from lexflow.sync import SyncStore, stream_of

    p = flows_on.provider
    p.cursor_margin = 1  # the sandbox runs on this machine's clock: a second of margin is enough here
    overdue, _ = _overdue_invoices(p, 3)
    time.sleep(2.1)  # the setup lies before the rerun's cursor (whole seconds less the margin)
    flows_on.fail_document_listing()
    state = sync_history(database_url=database_url, return_state=True)
    assert state.is_failed()
    store = SyncStore(database_url)
    assert store.checkpoint(stream_of(p)) is None  # a crashed run never moves the cursor
    assert store.count("contacts") >= 1 and store.count("vouchers") == 0  # the contacts page was stored
    flows_on.heal()
    rerun = sync_history(database_url=database_url)
    assert rerun["mode"] == "full" and rerun["pending_after"] == 0
    assert set(overdue) <= {r["id"] for r in store.rows("vouchers")}
    assert store.count("documents") == store.count("vouchers")  # every document whole, once
    before = store.count("vouchers")
    again = sync_history(database_url=database_url)  # nothing changed since the rerun began
    assert again["mode"] == "incremental" and again["vouchers_listed"] == again["contacts"] == 0
    assert store.count("vouchers") == before
