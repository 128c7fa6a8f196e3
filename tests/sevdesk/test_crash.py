"""kill -9 of a process in the middle of a create: the rerun finds the committed draft by its business key and
writes nothing twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import httpx

from lexflow.sevdesk.sandbox import ServedSevdesk

SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys
    from decimal import Decimal
    from lexflow.sevdesk.client import SevdeskClient
    from lexflow.sevdesk.models import InvoiceDraft, InvoiceLine
    url, token, contact = sys.argv[1], sys.argv[2], int(sys.argv[3])
    line = InvoiceLine(name="Beratung", quantity=Decimal(1), price=Decimal(100), tax_rate=Decimal(19))
    draft = InvoiceDraft(business_key="CRASH-1", contact_id=contact, invoice_date=dt.date(2026, 3, 2), lines=[line])
    with SevdeskClient(token, url, rate_limit=0, timeout=30) as client:
        print("sending", flush=True)
        client.create_invoice_draft(draft)
        print("done", flush=True)
    """
)


def test_kill_9_after_the_commit_then_rerun_writes_once(sevdesk: ServedSevdesk, control: httpx.Client) -> None:
    from lexflow.sevdesk.client import SevdeskClient
    from tests.sevdesk.test_client import draft, invoices_with_note

    with SevdeskClient(sevdesk.token, sevdesk.url, rate_limit=0, settle_delay=0) as client:
        from lexflow.sevdesk.models import NewContact

        contact = client.create_contact(NewContact(name="Acme GmbH"))
        # the write commits, then the answer is held back for 2 s: the process dies while waiting for it
        rule = {"route": "POST /Invoice/Factory/saveInvoice", "kind": "timeout_after_commit", "latencyMs": 2000}
        assert control.post("/faults", json=rule).status_code == 201
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, sevdesk.url, sevdesk.token, str(contact.id)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while invoices_with_note(sevdesk, "lexflow:CRASH-1") == 0:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "the draft was never committed"
                time.sleep(0.02)
        finally:
            proc.kill()  # SIGKILL
            output = proc.communicate(timeout=10)[0]
        assert "sending" in output and "done" not in output
        rerun = client.create_invoice_draft(draft(contact.id, key="CRASH-1"))
        assert rerun.invoice.business_key == "CRASH-1"
        assert invoices_with_note(sevdesk, "lexflow:CRASH-1") == 1
