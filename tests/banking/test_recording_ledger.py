"""`MatchLedger.start_recording`: an approved match is handed to one run only; a recording left by a killed run is
taken over once (compare and set), on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from lexflow.banking.ledger import MatchLedger, MatchProgress, claimant
from lexflow.banking.matcher import Matcher
from lexflow.banking.open_items import OpenItem
from lexflow.banking.transactions import BankTransaction


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> MatchLedger:
    if request.param == "sqlite":
        return MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    return MatchLedger(request.getfixturevalue("postgres_url"))


def test_an_approved_match_is_recorded_by_one_run_and_taken_over_once_after_a_kill(ledger: MatchLedger) -> None:
    tag = uuid.uuid4().hex[:8]
    item = OpenItem(voucher_id=f"v-{tag}", voucher_number="RE7001", contact_id="c", open_amount=Decimal("100.00"))
    tx = BankTransaction(
        transaction_id=f"tx-{tag}", booking_date=date(2026, 11, 3), amount=Decimal("100.00"), remittance="RE7001"
    )
    assert ledger.start_recording(tx.transaction_id) is None  # not in the ledger
    assert ledger.claim(Matcher([item]).match(tx), tx, statement="s")
    ledger.finish(tx.transaction_id, status="needs_decision", action="flagged")
    assert ledger.start_recording(tx.transaction_id) is None  # not approved
    ledger.decide(tx.transaction_id, confirmed=True, by="anna")
    assert ledger.approved([tx.transaction_id, "other"]) == [tx.transaction_id]
    assert ledger.start_recording(tx.transaction_id) == "confirmed"
    assert ledger.start_recording(tx.transaction_id) is None  # this (live) process records it: nobody else
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with ledger._sessions.begin() as s:  # as if the recording process had been killed
        s.execute(
            update(MatchProgress)
            .where(MatchProgress.transaction_id == tx.transaction_id)
            .values(claimed_by=f"{claimant().rpartition(':')[0]}:{gone.stdout.strip()}")
        )
    assert ledger.start_recording(tx.transaction_id) == "recording"  # taken over: its payment may exist
    assert ledger.start_recording(tx.transaction_id) is None  # once
    ledger.finish(tx.transaction_id, status="payment_recorded", action="recorded")
    assert ledger.approved([tx.transaction_id]) == [] and ledger.start_recording(tx.transaction_id) is None
