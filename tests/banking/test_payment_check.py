"""`check_payment` / `confirm_payment` against the sandbox over real HTTP: what /v1/payments answers for a matched
voucher that is a draft (406), deleted (404) or unreachable (500) is recorded on the ledger, never raised raw."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking import BankTransaction
from lexflow.banking.ledger import KnownIban, MatchLedger, check_payment, confirm_payment
from lexflow.banking.reconcile import reconcile
from lexflow.banking.transactions import iban_fingerprint
from tests.banking.helpers import APP, make_invoice, match_invoice

pytest.importorskip("lexflow.testing.served")


@pytest.fixture
def sandbox(served_sandbox: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """The served sandbox, reset; a client on it; the paths the client called (`METHOD /path`)."""
    from lexflow.lexware.client import LexwareClient

    served_sandbox.reset()
    calls: list[str] = []
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client:
        client.add_call_listener(lambda rec: calls.append(f"{rec.method} {rec.path.split('?')[0]}"))
        yield served_sandbox, client, calls


def test_a_draft_voucher_is_recorded_with_what_to_do_not_raised(sandbox: Any, tmp_path: Path) -> None:
    served, client, calls = sandbox
    draft = make_invoice(client, finalize=False)
    assert draft.voucher_status == "draft"
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    tx = match_invoice(client, ledger, draft, "RE0042", "tx-draft")

    calls.clear()
    assert confirm_payment(draft.id, client, ledger=ledger) == []  # the sandbox answered 406; nothing escaped
    assert calls == [f"GET /v1/payments/{draft.id}"]
    (row,) = ledger.rows()
    assert row.status == "voucher_draft"
    notice, original = row.note.split("\n\n", 1)
    assert notice.startswith("Lexware Office: RE0042 is a draft") and "finalize" in notice
    assert "app.lexware.de" not in notice and "sandbox has no web app" in notice  # a sandbox id opens nothing there
    assert "assign this bank transaction" in original  # the reconcile note is kept below

    check = check_payment(draft.id, client, ledger=ledger)  # again (a second payment.changed): same record
    assert check.outcome == "draft" and check.transactions == [tx.transaction_id] and check.closed == []
    assert "RE0042 is a draft" in check.message and "finalize" in check.message
    assert ledger.rows()[0].note == row.note

    # the daily run: the draft is not in the open list, so its payment is not asked for again
    calls.clear()
    report = reconcile([], client, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    assert not [c for c in calls if c.startswith("GET /v1/payments/")] and report.payment_notices == []

    # deleted in the web app (drafts can only be deleted there, docs/lexware.md#sales-documents-are-final): 404 → voucher_gone, no longer open
    served.control.delete_draft("invoices", draft.id)
    gone = check_payment(draft.id, client, ledger=ledger)
    assert gone.outcome == "gone" and gone.transactions == [tx.transaction_id]
    _assert_gone(ledger, tx)
    calls.clear()
    assert check_payment(draft.id, client, ledger=ledger).outcome == "no_open_match" and calls == []


def _assert_gone(ledger: MatchLedger, tx: BankTransaction) -> None:
    (row,) = ledger.rows()
    assert row.status == "voucher_gone" and row.note.startswith("Lexware Office: RE0042 no longer exists")
    assert row.note.count("Lexware Office: ") == 1  # the draft notice was replaced, not stacked
    assert row.transaction_id == tx.transaction_id


def test_the_daily_run_notices_a_matched_draft_deleted_later(sandbox: Any, tmp_path: Path) -> None:
    """No webhook, no `bank confirm`: the sweep sees the draft missing from the voucherlist's drafts (one request)
    and asks /payments once, which records it as gone."""
    served, client, calls = sandbox
    draft = make_invoice(client, finalize=False)
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    tx = match_invoice(client, ledger, draft, "RE0042", "tx-draft")
    assert check_payment(draft.id, client, ledger=ledger).outcome == "draft"

    calls.clear()
    report = reconcile([], client, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    assert calls == ["GET /v1/voucherlist"] and report.payment_notices == []  # still a draft: nothing asked
    assert ledger.rows()[0].status == "voucher_draft"

    served.control.delete_draft("invoices", draft.id)
    calls.clear()
    report = reconcile([], client, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    assert calls == ["GET /v1/voucherlist", f"GET /v1/payments/{draft.id}"]
    (notice,) = report.payment_notices
    assert "RE0042 no longer exists in Lexware Office" in notice
    _assert_gone(ledger, tx)

    calls.clear()  # settled: later runs cost nothing for it
    reconcile([], client, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    assert calls == []


def test_sweep_records_a_failed_payments_call_and_the_run_goes_on(sandbox: Any, tmp_path: Path) -> None:
    from lexflow.lexware.client import LexwareClient
    from lexflow.transport.retry import RetryPolicy

    served, client, _ = sandbox
    invoice = make_invoice(client, finalize=True)
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    match_invoice(client, ledger, invoice, invoice.voucher_number, "tx-1")

    served.control.faults(f"GET /v1/payments/{invoice.id}", "500", count=1)
    later = BankTransaction(
        transaction_id="tx-2", booking_date=date(2026, 11, 6), amount=Decimal("5.00"), remittance="Zinsen"
    )
    with LexwareClient(
        api_key=served.api_key, base_url=served.url, rate_limit=0, retry=RetryPolicy(max_attempts=1)
    ) as no_retry:
        # the invoice left the open list (open_items=[]): the sweep asks /payments, which fails this once
        report = reconcile([later], no_retry, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    (notice,) = report.payment_notices
    assert f"could not ask /v1/payments for voucher {invoice.id}" in notice and "next run" in notice
    assert report.items[0].transaction_id == "tx-2"  # the statement was still processed
    assert [i.transaction_id for i in report.items[1:]] == ["tx-1"]  # never shown to a person: listed again
    assert {r.transaction_id: r.status for r in ledger.rows()}["tx-1"] == "awaiting_assignment"

    served.control.assign_payment(invoice.id, kind="bank")
    again = reconcile([later], client, ledger=ledger, statement="next.xml", open_items=[], app_url=APP)
    assert again.closed_by_payment == ["tx-1"] and again.payment_notices == []


def test_a_failing_payment_terms_get_is_a_notice_and_the_rest_is_matched(sandbox: Any, tmp_path: Path) -> None:
    """One `GET /v1/invoices/{id}` fails (fault injection): the run records it and acts on what needs no terms;
    what might need them (a part payment could be a cash discount) is decided on the next run."""
    from lexflow.lexware.client import LexwareClient
    from lexflow.transport.retry import RetryPolicy

    served, client, _ = sandbox
    broken, fine = make_invoice(client, finalize=True), make_invoice(client, finalize=True)
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    # Both invoices are open at 119.00 with numbers one typo apart: the number is exact only with the payer known.
    with ledger._sessions.begin() as s:  # the payer learned from an earlier confirmed match
        s.add(KnownIban(fingerprint=iban_fingerprint("DE02120300000000202051"), contact_id=fine.address.contact_id))
    pays_fine = BankTransaction(
        transaction_id="tx-fine",
        booking_date=date(2026, 11, 5),
        amount=Decimal("119.00"),
        counterparty_iban="DE02120300000000202051",
        remittance=f"Rechnung {fine.voucher_number}",
    )
    part_of_broken = BankTransaction(
        transaction_id="tx-part",
        booking_date=date(2026, 11, 5),
        amount=Decimal("50.00"),
        remittance=f"Rechnung {broken.voucher_number} Teilzahlung",
    )
    statement = [pays_fine, part_of_broken]
    served.control.faults(f"GET /v1/invoices/{broken.id}", "500", count=1)
    with LexwareClient(
        api_key=served.api_key, base_url=served.url, rate_limit=0, retry=RetryPolicy(max_attempts=1)
    ) as no_retry:
        report = reconcile(statement, no_retry, ledger=ledger, statement="s.xml", app_url=APP)
    (notice,) = report.payment_notices
    assert f"could not read the payment terms of {broken.voucher_number}" in notice and "next run" in notice
    items = {i.transaction_id: i for i in report.items}
    assert items["tx-fine"].kind == "exact" and items["tx-fine"].status == "awaiting_assignment"
    assert items["tx-part"].status == "deferred" and items["tx-part"].action == "none"
    assert {r.transaction_id: r.status for r in ledger.rows()} == {
        "tx-fine": "awaiting_assignment",
        "tx-part": "no_action",
    }
    assert set(ledger.terms_cache()) == {fine.id}  # the failed one is not cached as "no terms"

    again = reconcile(statement, client, ledger=ledger, statement="s.xml", app_url=APP)
    assert again.payment_notices == [] and set(ledger.terms_cache()) == {broken.id, fine.id}
    assert {r.transaction_id: r.status for r in ledger.rows()} == {
        "tx-fine": "awaiting_assignment",
        "tx-part": "needs_decision",
    }


def test_a_failing_voucherlist_ends_the_run_before_any_action_and_says_why(sandbox: Any, tmp_path: Path) -> None:
    from lexflow.lexware.client import LexwareClient
    from lexflow.transport.errors import LexwareError
    from lexflow.transport.retry import RetryPolicy

    served, client, _ = sandbox
    invoice = make_invoice(client, finalize=True)
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")
    tx = BankTransaction(
        transaction_id="tx-1",
        booking_date=date(2026, 11, 5),
        amount=Decimal("119.00"),
        remittance=f"Rechnung {invoice.voucher_number}",
    )
    served.control.faults("GET /v1/voucherlist", "503", count=1)
    with LexwareClient(
        api_key=served.api_key, base_url=served.url, rate_limit=0, retry=RetryPolicy(max_attempts=1)
    ) as no_retry:
        with pytest.raises(LexwareError) as raised:
            reconcile([tx], no_retry, ledger=ledger, statement="s.xml", app_url=APP)
    assert "open invoices could not be read from the voucherlist" in str(raised.value)
    assert "nothing can be matched" in str(raised.value)
    assert ledger.rows() == []
