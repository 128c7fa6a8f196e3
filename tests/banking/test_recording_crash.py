"""kill -9 while recording an approved payment (capability record_payment), on a real subprocess against the served
sevDesk sandbox: the next run never books the bank line twice. A line sevDesk read itself is settled by an exact
lookup (the transaction is linked once booked); a statement-file line cannot be looked up there (sevDesk keeps no
reference on a payment and has no idempotency keys), so the interrupted match goes to a person instead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking.ledger import MatchLedger
from lexflow.banking.readers import read_statement
from lexflow.banking.recording import line_from_provider, reconcile_recording, record_approved
from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.sevdesk.adapter import SevdeskAdapter
from tests.core.conftest import sevdesk_bank_line

ROOT = Path(__file__).resolve().parents[2]
PAYER = "Hoffmann Bau GmbH"


def _statement(tmp_path: Path, amount: Decimal, purpose: str) -> Path:
    from datetime import date

    from lexflow.banking.transactions import BankTransaction
    from lexflow.banking.writers import write_camt053

    line = BankTransaction(
        transaction_id="line-1",
        booking_date=date.today(),
        amount=amount,
        counterparty_name=PAYER,
        counterparty_iban="DE89370400440532013000",
        remittance=purpose,
    )
    path = tmp_path / "konto.xml"
    path.write_bytes(write_camt053([line]))
    return path


@pytest.mark.parametrize("point", ["payment:intent", "payment:answer"])
@pytest.mark.parametrize("source", ["api", "file"])
def test_killed_recording_never_books_twice(
    sevdesk_served: Any, sevdesk_client: Any, tmp_path: Path, source: str, point: str
) -> None:
    provider = SevdeskAdapter(sevdesk_client)
    customer = provider.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    line = InvoiceLineDraft(name="Beratung", unit_price=Decimal("1000.00"), tax="standard")
    invoice = provider.create_invoice(InvoiceDraft(customer_id=customer, lines=[line], finalize=True))
    assert invoice.number and invoice.total_gross is not None
    gross = invoice.total_gross.amount
    if source == "api":
        sevdesk_bank_line(sevdesk_served, gross, invoice.number, PAYER)
        where = "api"
        lines = [line_from_provider(t) for t in provider.list_bank_transactions()]
    else:
        where = str(_statement(tmp_path, gross, invoice.number))
        lines = read_statement(where)
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    ledger = MatchLedger(db)
    [exact] = [i for i in reconcile_recording(lines, provider, ledger=ledger).items if i.kind == "exact"]
    ledger.decide(exact.transaction_id, confirmed=True, by="anna")

    proc = subprocess.run(
        [sys.executable, "-m", "tests.banking.recording_crash_worker", sevdesk_served.url, sevdesk_served.token, db,
         where],
        cwd=ROOT, env={**os.environ, "LEXFLOW_CRASH_AT": point}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    [row] = [r for r in ledger.rows() if r.transaction_id == exact.transaction_id]
    assert row.status == "recording"  # the ledger never learnt the outcome
    written = point == "payment:answer"
    paid = sevdesk_client.get_invoice(int(invoice.id)).paid_amount
    assert paid == (gross if written else 0)

    [done] = record_approved(lines, provider, ledger=ledger)  # the next run
    assert record_approved(lines, provider, ledger=ledger) == []  # and the one after: nothing left to do
    status = {r.transaction_id: r.status for r in ledger.rows()}[exact.transaction_id]
    paid = sevdesk_client.get_invoice(int(invoice.id)).paid_amount
    if source == "api":  # the line itself says whether it was booked: settled, booked exactly once
        assert (done.outcome, status, paid) == ("found" if written else "recorded", "payment_recorded", gross)
    else:  # no exact lookup: a person checks, nothing is booked a second time
        assert (done.outcome, status, paid) == ("to_person", "awaiting_assignment", gross if written else 0)
        assert "interrupted" in done.detail and invoice.number in done.detail


def test_a_claim_left_by_a_killed_run_is_finished_and_the_unshown_match_asked_again(
    sevdesk_served: Any, sevdesk_client: Any, tmp_path: Path
) -> None:
    """Killed between claim and finish (nothing was sent anywhere): the next run finishes the claim once and lists
    the match again, since no person saw it; once shown, it is not listed again."""
    from sqlalchemy import update

    from lexflow.banking.ledger import MatchProgress, claimant

    provider = SevdeskAdapter(sevdesk_client)
    customer = provider.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    line = InvoiceLineDraft(name="Beratung", unit_price=Decimal("1000.00"), tax="standard")
    invoice = provider.create_invoice(InvoiceDraft(customer_id=customer, lines=[line], finalize=True))
    assert invoice.number and invoice.total_gross is not None
    sevdesk_bank_line(sevdesk_served, invoice.total_gross.amount, invoice.number, PAYER)
    lines = [line_from_provider(t) for t in provider.list_bank_transactions()]
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'lexflow.db'}")
    first = reconcile_recording(lines, provider, ledger=ledger)
    [exact] = [i for i in first.items if i.kind == "exact"]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{claimant().rpartition(':')[0]}:{gone.stdout.strip()}"  # a process of this host that has ended
    with ledger._sessions.begin() as s:  # as a run killed right after its claim leaves it
        s.execute(update(MatchProgress).values(claimed_by=dead))
    ledger.finish(exact.transaction_id, status="acting", action="none")

    second = reconcile_recording(lines, provider, ledger=ledger)
    [again] = [i for i in second.items if i.transaction_id == exact.transaction_id]
    assert second.recovered == [exact.transaction_id] and (again.action, again.status) == ("flagged", "needs_decision")
    ledger.mark_shown([exact.transaction_id])
    third = reconcile_recording(lines, provider, ledger=ledger)
    [skipped] = [i for i in third.items if i.transaction_id == exact.transaction_id]
    assert third.recovered == [] and third.republished == 0 and skipped.action == "skipped"
