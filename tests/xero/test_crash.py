"""kill -9 between Xero's commit and its answer, then a rerun: still exactly one invoice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import httpx

from lexflow.xero.client import XeroClient
from lexflow.xero.models import Contact, ContactRef, Invoice, LineItem
from lexflow.xero.sandbox import ServedXeroSandbox
from tests.xero.conftest import TENANT_A, make_client

SCRIPT = """
import sys
from decimal import Decimal
import httpx
from lexflow.xero.client import XeroClient, XeroOAuth, authorise_programmatically, sandbox_settings, xero_limiter
from lexflow.xero.models import ContactRef, Invoice, LineItem
oauth = XeroOAuth(sandbox_settings(sys.argv[1], minute_limit=0), httpx.Client(timeout=60))
authorise_programmatically(oauth)
client = XeroClient(oauth, sys.argv[2], limiter=xero_limiter(oauth.settings, sys.argv[2], paced=False))
client.create_invoice(Invoice(type="ACCREC", contact=ContactRef(contact_id=sys.argv[3]), due_date="2026-03-16",
    status="AUTHORISED", line_items=[LineItem(description="Work", unit_amount=Decimal("100"), account_code="200",
    tax_type="OUTPUT2")]), business_key="lexflow:CRASH-1")
print("answered")
"""


def _invoice(contact_id: str) -> Invoice:
    return Invoice(
        type="ACCREC",
        contact=ContactRef(contact_id=contact_id),
        due_date="2026-03-16",
        status="AUTHORISED",
        line_items=[LineItem(description="Work", unit_amount=Decimal("100"), account_code="200", tax_type="OUTPUT2")],
    )


def test_kill_9_after_commit_then_rerun_writes_once(xero: ServedXeroSandbox) -> None:
    client: XeroClient = make_client(xero)
    contact = client.create_contact(Contact(name="Crash Test Ltd"))
    httpx.post(
        f"{xero.url}/_sandbox/faults", json={"route": "PUT /Invoices", "kind": "timeout_after_commit", "delay": 30}
    ).raise_for_status()
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, xero.url, TENANT_A, contact.contact_id or ""],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not xero.state.books.invoices(TENANT_A):  # committed; the answer is still held back
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    rerun = client.create_invoice(_invoice(contact.contact_id or ""), business_key="lexflow:CRASH-1")
    stored = xero.state.books.invoices(TENANT_A)
    assert len(stored) == 1 and rerun.invoice_id == stored[0]["InvoiceID"]
    xero.state.config = xero.state.config.model_copy(update={"idempotency_seconds": 1})  # long after the window
    xero.state.advance(5)
    found = client.find_invoice("lexflow:CRASH-1", "ACCREC", contact.contact_id)
    assert found is not None and found.invoice_id == rerun.invoice_id  # the search-first that outlives the key
