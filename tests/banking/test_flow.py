"""The `reconcile_payments` flow on the Prefect test harness against the served sandbox, and the Slack question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lexflow.banking.ledger import MatchLedger


@pytest.mark.prefect
def test_flow_reconciles_a_folder_once(prefect_harness: None, served_sandbox: Any, tmp_path: Path) -> None:
    from flows.reconcile_payments import reconcile_payments
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=80, seed=9)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    export = served_sandbox.control.bank_statement(format="camt053", noise=True, seed=4)
    (inbox / "konto.xml").write_text(export["statement"])
    url = f"sqlite:///{tmp_path / 'lexflow.db'}"
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        dry = reconcile_payments(str(inbox), dry_run=True, database_url=url, ask="never")
        assert dry["transactions"] == len(export["groundTruth"]) and MatchLedger(url).rows() == []
        first = reconcile_payments(str(inbox), database_url=url, ask="never")
        second = reconcile_payments(str(inbox), database_url=url, ask="never")
    acted = first["review_items"] + first["flagged"] + first["hints_sent"]
    assert first["by_kind"].get("exact", 0) > 0 and acted > 0
    assert second["skipped_already_done"] == acted
    assert second["review_items"] == second["flagged"] == 0
    statuses = {r.status for r in MatchLedger(url).rows(limit=1000)}
    assert "awaiting_assignment" in statuses and "acting" not in statuses


@pytest.mark.prefect
def test_payment_notices_reach_the_result_the_log_and_an_artifact(
    prefect_harness: None, served_sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A matched invoice that is a draft again and one whose /payments call fails are shown to the Prefect user
    once each, though every statement of the folder sweeps again."""
    from prefect.artifacts import Artifact

    from flows.reconcile_payments import reconcile_payments
    from lexflow.lexware.client import LexwareClient
    from lexflow.transport.retry import RetryPolicy
    from tasks.common import use_client
    from tests.banking.helpers import make_invoice, match_invoice

    served_sandbox.reset()
    url = f"sqlite:///{tmp_path / 'lexflow.db'}"
    inbox = tmp_path / "statements"
    inbox.mkdir()
    noise = served_sandbox.control.bank_statement(format="camt053", seed=1)["statement"]  # nothing to match
    for name in ("oktober.xml", "november.xml"):
        (inbox / name).write_text(noise)
    with LexwareClient(
        api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0, retry=RetryPolicy(max_attempts=1)
    ) as client:
        ledger = MatchLedger(url)
        paid = make_invoice(client, finalize=True)
        match_invoice(client, ledger, paid, paid.voucher_number, "tx-paid")
        draft = make_invoice(client, finalize=False)  # matched last: no sweep has asked for its payment yet
        match_invoice(client, ledger, draft, "RE0042", "tx-draft")
        served_sandbox.control.assign_payment(paid.id, kind="bank")  # leaves the open list: its payment is asked
        served_sandbox.control.faults(f"GET /v1/payments/{paid.id}", "500", count=2)  # once per statement
        with use_client(client), caplog.at_level("WARNING"):
            totals = reconcile_payments(str(inbox), database_url=url, ask="never")
    notices = totals["payment_notices"]
    assert len(notices) == 2  # the failed call of the second statement's sweep is not repeated
    assert any(n.startswith("RE0042 is a draft in Lexware Office: finalize it there") for n in notices)
    assert any(f"could not ask /v1/payments for voucher {paid.id}" in n for n in notices)
    assert totals["statements"] == 2 and totals["closed_by_payment"] == 0
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("payment check: ")]
    assert logged == [f"payment check: {n}" for n in notices]
    artifact = Artifact.get("reconcile-payments-payment-notices")
    assert artifact is not None and str(artifact.data) == "\n".join(f"- {n}" for n in notices)


def test_flagged_item_becomes_a_confirm_dismiss_request() -> None:
    from datetime import date
    from decimal import Decimal

    from lexflow.approvals import CONFIRM, DISMISS
    from lexflow.banking.reconcile import ReviewItem
    from lexflow.banking.review import decision_request

    item = ReviewItem(
        transaction_id="tx-ABC123",
        booking_date=date(2026, 11, 5),
        amount=Decimal("118.99"),
        counterparty="Hoffmann Bau GmbH",
        counterparty_iban="DE89 **** 3000",
        remittance="RE1001",
        kind="partial",
        confidence=0.8,
        vouchers=["RE1001"],
        allocations=[{"voucher": "RE1001", "amount": "118.99", "cash_discount": "0.00"}],
        reasons=["one cent short"],
        links=["https://app.lexware.de/permalink/invoices/view/v1"],
        note="Credit of 118.99 EUR ...",
    )
    req = decision_request(item)
    assert req.choices == [CONFIRM, DISMISS]
    assert req.key == "bank-tx-abc123" and req.kind == "reconciliation"
    assert req.links[0].url.endswith("/invoices/view/v1")
    assert "118.99" in req.subject and any(
        f.value == "DE89 **** 3000" or "DE89 **** 3000" in f.value for f in req.summary.fields
    )


@pytest.mark.prefect
def test_flagged_match_is_confirmed_in_slack(
    prefect_harness: None, served_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flagged proposal goes to (fake) Slack with Confirm/Dismiss; a signed click resumes the flow and the
    ledger records who confirmed it."""
    import concurrent.futures
    import time

    from flows.reconcile_payments import reconcile_payments
    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer
    from lexflow.approvals.settings import SlackApprovalSettings
    from lexflow.banking import read_statement
    from lexflow.lexware.client import LexwareClient
    from lexflow.testing.fake_slack import FakeSlack
    from lexflow.testing.slack_clicks import click
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=80, seed=9)
    statement = tmp_path / "konto.sta"
    statement.write_text(served_sandbox.control.bank_statement(format="mt940", noise=True, seed=4)["statement"])
    url = f"sqlite:///{tmp_path / 'lexflow.db'}"
    secret = "banking-signing-secret-0123456789"
    with FakeSlack(token="xoxb-banking-test") as fake:
        env = {
            "BOT_TOKEN": fake.token,
            "SIGNING_SECRET": secret,
            "CHANNEL": "C0BANK",
            "APPROVERS": "U0ANNA",
            "BASE_URL": fake.api_url,
            "DATABASE_URL": url,
            "POLL_INTERVAL": "0.2",
        }
        for key, value in env.items():
            monkeypatch.setenv(f"LEXFLOW_SLACK_{key}", value)
        with ThreadedServer(create_receiver_app(SlackApprovalSettings(), sweep_interval=0.5)) as receiver:
            client = LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0)
            with client, use_client(client), concurrent.futures.ThreadPoolExecutor(1) as pool:
                future = pool.submit(reconcile_payments, str(statement), database_url=url, max_questions=1)
                deadline = time.monotonic() + 60
                while not fake.posted_requests() and time.monotonic() < deadline:
                    time.sleep(0.1)
                posted = fake.posted_requests()[0]
                assert posted.choices == ("confirm", "dismiss")
                assert click(receiver.url, secret, posted, choice="confirm", user="U0ANNA").status_code == 200
                totals = future.result(timeout=60)
    assert totals["flagged"] > 0
    [decision] = totals["decisions"]
    assert decision["decision"] == "confirmed"
    row = next(r for r in MatchLedger(url).rows(limit=1000) if r.transaction_id == decision["transaction"])
    assert row.status == "confirmed" and row.decided_by == "U0ANNA"
    message = str(fake.calls_to("chat.postMessage")[0].args)
    ibans = {t.counterparty_iban for t in read_statement(statement) if t.counterparty_iban}
    assert "**** " in message and not any(iban in message for iban in ibans)  # IBANs masked in Slack
