"""The match ledger on SQLite and PostgreSQL: one claim per transaction, decisions, learning IBAN fingerprints."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking import BankTransaction
from lexflow.banking.ledger import MatchLedger, check_payment, confirm_payment, iban_fingerprint
from lexflow.banking.matcher import Matcher
from lexflow.banking.open_items import OpenItem, PaymentTerms

IBAN = "DE89370400440532013000"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> MatchLedger:
    if request.param == "sqlite":
        return MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    return MatchLedger(request.getfixturevalue("postgres_url"))


def _setup(tag: str) -> tuple[list[OpenItem], BankTransaction]:
    items = [
        OpenItem(
            voucher_id=f"v-{tag}",
            voucher_number="RE7001",
            contact_id=f"c-{tag}",
            contact_name="Jung Optik KG",
            open_amount=Decimal("100.00"),
            voucher_date=date(2026, 11, 1),
            terms=PaymentTerms(),
        )
    ]
    tx = BankTransaction(
        transaction_id=f"tx-{tag}",
        booking_date=date(2026, 11, 3),
        amount=Decimal("99.99"),
        counterparty_name="Jung Optik",
        counterparty_iban=IBAN,
        remittance="RE 7001",
    )
    return items, tx


def test_a_transaction_is_claimed_once_even_by_racing_runs(ledger: MatchLedger) -> None:
    tag = uuid.uuid4().hex[:8]
    items, tx = _setup(tag)
    proposal = Matcher(items).match(tx)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        results.append(ledger.claim(proposal, tx, statement="s"))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert ledger.settled([tx.transaction_id]) == {tx.transaction_id: "acting"}


def test_confirmation_teaches_the_iban_fingerprint_never_the_iban(ledger: MatchLedger) -> None:
    tag = uuid.uuid4().hex[:8]
    items, tx = _setup(tag)
    proposal = Matcher(items).match(tx)
    assert proposal.kind == "partial"  # one cent short
    assert ledger.claim(proposal, tx, statement="s")
    ledger.finish(tx.transaction_id, status="needs_decision", action="flagged", note="n")
    ledger.decide(tx.transaction_id, confirmed=True, by="U123")
    known = ledger.known_iban_fingerprints()
    assert known[iban_fingerprint(IBAN)] == f"c-{tag}"
    assert IBAN not in str(known)
    # next month the same payer sends money without any reference: the learned IBAN is evidence
    later = BankTransaction(
        transaction_id=f"tx2-{tag}",
        booking_date=date(2026, 12, 1),
        amount=Decimal("100.00"),
        counterparty_name="Buchhaltung",
        counterparty_iban=IBAN,
        remittance="Danke",
    )
    p = Matcher(items, known_ibans=known).match(later)
    assert p.kind == "partial" and p.voucher_ids == (f"v-{tag}",)
    assert any("IBAN" in r for r in p.reasons)


class _Payments:
    def __init__(self, payment: Any) -> None:
        self.payment = payment
        self.calls = 0

    def get(self, voucher_id: str) -> Any:
        self.calls += 1
        return self.payment


class _Client:
    def __init__(self, **payment: Any) -> None:
        from lexflow.lexware.models import Payment

        self.payments = _Payments(Payment.model_validate(payment))


def test_confirm_payment_reads_payments_only_for_open_ledger_items(ledger: MatchLedger) -> None:
    tag = uuid.uuid4().hex[:8]
    items, tx = _setup(tag)
    unknown = _Client(openAmount=0, voucherStatus="paid", paymentItems=[])
    assert confirm_payment("nobody-knows", unknown, ledger=ledger) == []
    assert unknown.payments.calls == 0  # nothing open in the ledger: no API call
    assert ledger.claim(Matcher(items).match(tx), tx, statement="s")
    ledger.finish(tx.transaction_id, status="needs_decision", action="flagged")
    voided = _Client(openAmount=0, voucherStatus="voided", paymentStatus="balanced", paymentItems=[])
    # docs/lexware.md#payments: voided looks paid but is not
    assert confirm_payment(f"v-{tag}", voided, ledger=ledger) == []
    paid = _Client(
        openAmount=0,
        voucherStatus="paid",
        paymentItems=[{"paymentItemType": "partPaymentFinancialTransaction", "amount": 99.99, "currency": "EUR"}],
    )
    assert confirm_payment(f"v-{tag}", paid, ledger=ledger) == [tx.transaction_id]
    assert ledger.known_iban_fingerprints()[iban_fingerprint(IBAN)] == f"c-{tag}"


def test_an_earlier_part_payment_does_not_close_a_later_match(ledger: MatchLedger) -> None:
    """/v1/payments (docs/lexware.md#payments) lists every payment item ever assigned: one from before the match says nothing about this transfer."""
    tag = uuid.uuid4().hex[:8]
    items, tx = _setup(tag)  # the voucher was 100.00 open when matched
    assert ledger.claim(Matcher(items).match(tx), tx, statement="s")
    ledger.finish(tx.transaction_id, status="needs_decision", action="flagged")
    earlier = {"paymentItemType": "partPaymentFinancialTransaction", "amount": 19, "currency": "EUR"}
    before = _Client(openAmount=100, voucherStatus="open", paymentStatus="openRevenue", paymentItems=[earlier])
    check = check_payment(f"v-{tag}", before, ledger=ledger)
    assert check.outcome == "not_assigned" and check.closed == []
    this_one = {"paymentItemType": "partPaymentFinancialTransaction", "amount": 99.99, "currency": "EUR"}
    after = _Client(openAmount=0.01, voucherStatus="open", paymentItems=[earlier, this_one])
    assert check_payment(f"v-{tag}", after, ledger=ledger).closed == [tx.transaction_id]


class _DraftThenOpen:
    """`/v1/payments` as Lexware answers it for an invoice set back to draft (406), then finalized again."""

    def __init__(self) -> None:
        from lexflow.lexware.models import Payment

        self.answers: list[Any] = [
            _draft_refusal(),
            Payment.model_validate({"openAmount": 100, "voucherStatus": "open", "paymentItems": []}),
        ]
        self.payments = self

    def get(self, voucher_id: str) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _draft_refusal() -> Exception:
    from lexflow.transport.errors import ValidationFailed

    return ValidationFailed("No payment information for a voucher in status draft.", status=406, path="/v1/payments/x")


@pytest.mark.parametrize("decided", [False, True])
def test_a_voucher_open_again_gets_its_match_status_back(ledger: MatchLedger, decided: bool) -> None:
    tag = uuid.uuid4().hex[:8]
    items, tx = _setup(tag)
    assert ledger.claim(Matcher(items).match(tx), tx, statement="s")
    ledger.finish(tx.transaction_id, status="needs_decision", action="flagged", note="Proposed: RE7001.")
    if decided:
        ledger.decide(tx.transaction_id, confirmed=True, by="U123")
    client = _DraftThenOpen()
    draft = check_payment(f"v-{tag}", client, ledger=ledger)
    assert draft.outcome == "draft" and "RE7001 is a draft" in draft.message
    assert ledger.draft_vouchers() >= {f"v-{tag}"}
    (row,) = [r for r in ledger.rows(status="voucher_draft", limit=10_000) if r.transaction_id == tx.transaction_id]
    assert row.note.startswith("Lexware Office: RE7001 is a draft") and row.note.endswith("Proposed: RE7001.")
    assert check_payment(f"v-{tag}", client, ledger=ledger).outcome == "not_assigned"  # finalized again
    (row,) = [r for r in ledger.rows(limit=10_000) if r.transaction_id == tx.transaction_id]
    assert row.status == ("confirmed" if decided else "needs_decision") and row.note == "Proposed: RE7001."
    assert f"v-{tag}" not in ledger.draft_vouchers()
