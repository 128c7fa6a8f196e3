"""`reconcile_payments` and `log_expense` end to end on every built provider, each against its own served sandbox.

What happens follows the provider's capabilities, never its name: where it records payments, an approved match is
recorded once (exact and part payments), reruns record nothing more; where it cannot (Lexware Office), the match
waits for a person and recording it is the typed `CapabilityMissing`. Bank lines come from the API where it reads
the bank's own lines (sevDesk), from a statement file elsewhere.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking.ledger import MatchLedger
from lexflow.core import CapabilityMissing
from lexflow.core.models import CustomerDraft, Invoice, InvoiceDraft, InvoiceLineDraft
from lexflow.core.provider import Provider
from tests.flows.conftest import FlowProvider

pytestmark = pytest.mark.prefect


PAYER = "Hoffmann Bau GmbH"


def _invoice(p: Provider, customer_id: str, amount: str, reference: str) -> Invoice:
    line = InvoiceLineDraft(name="Beratung", unit_price=Decimal(amount), tax="standard")
    draft = InvoiceDraft(customer_id=customer_id, lines=[line], finalize=True, payment_term_days=14)
    return p.create_invoice(draft.model_copy(update={"reference": reference}))


def _statement(tmp_path: Path, lines: list[tuple[Decimal, str]]) -> Path:
    from lexflow.banking.transactions import BankTransaction
    from lexflow.banking.writers import write_camt053

    txs = [
        BankTransaction(
            transaction_id=f"line-{n}",
            booking_date=date.today(),
            amount=amount,
            counterparty_name=PAYER,
            counterparty_iban="DE89370400440532013000",
            remittance=purpose,
        )
        for n, (amount, purpose) in enumerate(lines)
    ]
    inbox = tmp_path / "statements"
    inbox.mkdir(exist_ok=True)
    (inbox / "konto.xml").write_bytes(write_camt053(txs))
    return inbox


def _bank(
    flow_provider: FlowProvider, request: pytest.FixtureRequest, tmp_path: Path, lines: list[tuple[Decimal, str]]
) -> str | None:
    """The lines on the bank: in the system where its API reads them (then statement_path None), else in a file."""
    bank = flow_provider.capabilities.read_bank_transactions
    if bank.available and bank.statement_lines:  # sevDesk: lines imported into its sandbox's bank account
        from tests.core.conftest import sevdesk_bank_line

        served = request.getfixturevalue(f"{flow_provider.name}_served")
        for amount, purpose in lines:
            sevdesk_bank_line(served, amount, purpose, PAYER)
        return None
    return str(_statement(tmp_path, lines))


def _open(p: Provider, invoice_id: str) -> Decimal:
    inv = p.get_invoice(invoice_id)
    assert inv.open_amount is not None
    return inv.open_amount.amount


def test_reconcile_records_an_approved_match_once(
    flow_provider: FlowProvider, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from flows.reconcile_payments import reconcile_payments

    p = flow_provider.provider
    customer = p.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    full = _invoice(p, customer, "1000.00", "ORDER-F2A-1")  # 1190.00 gross
    part = _invoice(p, customer, "500.00", "ORDER-F2A-2")  # 595.00 gross, 200.00 paid now
    assert full.total_gross is not None and full.number and part.number
    statement = _bank(
        flow_provider, request, tmp_path, [(full.total_gross.amount, full.number), (Decimal("200.00"), part.number)]
    )
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    ledger = MatchLedger(db)

    first = reconcile_payments(statement, database_url=db, ask="never")
    assert first["transactions"] == 2 and first["by_kind"].get("exact") == 1
    matched = {r.kind: r for r in ledger.rows(limit=100) if r.kind in ("exact", "partial")}
    assert set(matched) == {"exact", "partial"}, first["by_kind"]
    assert first["payments_recorded"] == 0 and _open(p, full.id) == full.total_gross.amount  # nothing before approval

    for row in matched.values():  # a person approves both (as `lexflow bank decide` or a Slack click does)
        ledger.decide(row.transaction_id, confirmed=True, by="anna")
    second = reconcile_payments(statement, database_url=db, ask="never")
    third = reconcile_payments(statement, database_url=db, ask="never")

    if not p.capabilities.supports("record_payment"):  # a person assigns it in the system itself
        assert second["payments_recorded"] == third["payments_recorded"] == 0
        assert first["review_items"] == 1  # the exact match, put up with its deeplink
        assert {r.status for r in ledger.rows(limit=100) if r.kind in ("exact", "partial")} == {"confirmed"}
        with pytest.raises(CapabilityMissing) as exc:
            from lexflow.banking.recording import record_approved

            record_approved([], p, ledger=ledger)
        assert exc.value.capability == "record_payment" and exc.value.instead
        return
    assert first["flagged"] == 2  # exact and part payment both wait for a person
    assert second["payments_recorded"] == 2 and third["payments_recorded"] == 0
    assert _open(p, full.id) == 0 and p.get_invoice(full.id).status == "paid"
    assert _open(p, part.id) == Decimal("395.00") and p.get_invoice(part.id).status == "partially_paid"
    assert {r.status for r in ledger.rows(limit=100) if r.kind in ("exact", "partial")} == {"payment_recorded"}


def test_log_expense_books_a_receipt_once(flow_provider: FlowProvider, tmp_path: Path) -> None:
    """Every provider books the receipt under the supplier's number, once: a rerun finds it. Where the system does
    not read receipts (no OCR), a value not given is 'needs data' naming it, never a guess."""
    from datetime import timedelta

    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.sandbox.starter import sample_receipt

    p = flow_provider.provider
    number = "BB-2026-F2A"
    issued = date.today() - timedelta(days=2)
    known = {"supplier_name": "Bürobedarf AG", "category": "Bürobedarf", "voucher_date": issued}
    good = sample_receipt(tmp_path / "beleg.pdf", number=number, gross="23.80")
    unsure = sample_receipt(tmp_path / "quittung.pdf", number="BB-2026-F2B", gross="11.90")
    receipts = [
        Receipt(path=str(good), voucher_number=number, total_gross=Decimal("23.80"), **known),
        Receipt(path=str(unsure), voucher_number="BB-2026-F2B", **known),  # no amount given
    ]
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    first = log_expense(receipts, ocr_timeout_seconds=20, poll_interval_seconds=0.3, database_url=db)
    again = log_expense(receipts[:1], ocr_timeout_seconds=20, poll_interval_seconds=0.3, database_url=db)
    assert first[0]["outcome"] == again[0]["outcome"] == "booked", first
    assert first[0]["voucher"] == again[0]["voucher"] and "23.80" in first[0]["detail"]
    booked = [e for e in p.list_expenses(issued_from=issued - timedelta(days=1)) if e.number == number]
    assert len(booked) == 1 and booked[0].total_gross is not None
    assert booked[0].total_gross.amount == Decimal("23.80")
    if not p.capabilities.supports("read_receipts"):
        assert first[1]["outcome"] == "needs data" and "total_gross" in first[1]["detail"], first[1]
        assert "does not read receipts" in first[1]["detail"]
        assert [e for e in p.list_expenses() if e.number == "BB-2026-F2B"] == []


def test_a_match_approved_when_asked_is_recorded_in_the_same_run(
    flow_provider: FlowProvider, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flow asks as it does today (one Confirm/Dismiss request per match, here answered by a person who
    confirms everything); where the system records payments the approved match is recorded before the run ends."""
    import lexflow.approvals
    from flows.reconcile_payments import reconcile_payments
    from lexflow.approvals.decision import ApprovalDecision

    asked: list[str] = []

    def person(req: Any, **_: Any) -> ApprovalDecision:
        asked.append(req.subject)
        return ApprovalDecision(approved=True, approver="U0ANNA")

    monkeypatch.setattr(lexflow.approvals, "request_approval", person)
    p = flow_provider.provider
    customer = p.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    inv = _invoice(p, customer, "1000.00", "ORDER-F2A-3")
    assert inv.total_gross is not None and inv.number
    statement = _bank(flow_provider, request, tmp_path, [(inv.total_gross.amount, inv.number)])
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    totals = reconcile_payments(statement, database_url=db, ask="always")
    again = reconcile_payments(statement, database_url=db, ask="always")
    if p.capabilities.supports("record_payment"):
        name = p.capabilities.display_name
        assert asked == [f"Record payment in {name}: 1,190.00 EUR from {PAYER}"]
        assert [d["decision"] for d in totals["decisions"]] == ["confirmed"]
        assert totals["payments_recorded"] == 1 and again["payments_recorded"] == 0 and len(asked) == 1
        assert p.get_invoice(inv.id).status == "paid"
    else:  # the exact match is put up for the person to assign in the system; nothing is asked or recorded
        assert asked == [] and totals["review_items"] == 1 and totals["payments_recorded"] == 0
        assert p.get_invoice(inv.id).status == "open"


def test_a_refused_receipt_can_be_corrected_and_booked(flow_provider: FlowProvider, tmp_path: Path) -> None:
    """A category the system does not know is refused before anything is booked, naming the field; the corrected
    receipt (same file and number) is then booked, once."""
    from datetime import timedelta

    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.sandbox.starter import sample_receipt

    number = "BB-2026-F2C"
    path = sample_receipt(tmp_path / "beleg.pdf", number=number, gross="59.50")
    given = {"path": str(path), "supplier_name": "Bürobedarf AG", "voucher_number": number,
             "voucher_date": date.today() - timedelta(days=1), "total_gross": Decimal("59.50")}  # fmt: skip
    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    wrong = log_expense([Receipt(**given, category="Gibt es nicht")], poll_interval_seconds=0.3, database_url=db)
    assert wrong[0]["outcome"] == "refused" and "category" in wrong[0]["detail"], wrong
    right = log_expense([Receipt(**given, category="Bürobedarf")], poll_interval_seconds=0.3, database_url=db)
    assert right[0]["outcome"] == "booked", right
    assert len([e for e in flow_provider.provider.list_expenses() if e.number == number]) == 1


def test_a_recording_interrupted_after_the_write_is_settled_by_the_lookup(
    flow_provider: FlowProvider, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run dies between the payment and the ledger (as kill -9 would; the SIGKILL itself is
    tests/banking/test_recording_crash.py): the next run finds the payment by its business key on every system that
    records payments, and records nothing a second time."""
    import subprocess
    import sys

    from sqlalchemy import update

    from lexflow.banking.ledger import MatchProgress, claimant
    from lexflow.banking.readers import read_statement
    from lexflow.banking.recording import line_from_provider, reconcile_recording, record_approved

    p = flow_provider.provider
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'lexflow.db'}")
    if not p.capabilities.supports("record_payment"):
        with pytest.raises(CapabilityMissing) as exc:
            record_approved([], p, ledger=ledger)
        assert exc.value.capability == "record_payment"
        return
    customer = p.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    inv = _invoice(p, customer, "1000.00", "ORDER-F2A-4")
    assert inv.total_gross is not None and inv.number
    statement = _bank(flow_provider, request, tmp_path, [(inv.total_gross.amount, inv.number)])
    if statement is None:
        lines = [line_from_provider(t) for t in p.list_bank_transactions()]
    else:
        lines = read_statement(str(Path(statement) / "konto.xml"))
    [exact] = [i for i in reconcile_recording(lines, p, ledger=ledger).items if i.kind == "exact"]
    ledger.decide(exact.transaction_id, confirmed=True, by="anna")

    finish = MatchLedger.finish

    def killed(self: MatchLedger, transaction_id: str, **kw: Any) -> None:
        if kw.get("status") == "payment_recorded":
            raise SystemExit("killed after the write, before the ledger")
        finish(self, transaction_id, **kw)

    monkeypatch.setattr(MatchLedger, "finish", killed)
    with pytest.raises(SystemExit):
        record_approved(lines, p, ledger=ledger)
    monkeypatch.undo()
    assert _open(p, inv.id) == 0
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{claimant().rpartition(':')[0]}:{gone.stdout.strip()}"
    with ledger._sessions.begin() as s:  # the killed process no longer runs
        s.execute(update(MatchProgress).values(claimed_by=dead))
    [done] = record_approved(lines, p, ledger=ledger)
    assert done.outcome == "found", done
    assert {r.transaction_id: r.status for r in ledger.rows()}[exact.transaction_id] == "payment_recorded"
    assert _open(p, inv.id) == 0 and p.get_invoice(inv.id).status == "paid"
