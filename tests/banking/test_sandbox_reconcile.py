"""Against the sandbox over real HTTP: its exported statements (CAMT.053, MT940, and CSV written from the same
transactions) with ground truth, then the whole reconcile path with the ledger, hints and payment confirmation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking import BankTransaction, parse_statement, write_csv
from lexflow.banking.ledger import MatchLedger, confirm_payment
from lexflow.banking.matcher import Matcher
from lexflow.banking.open_items import load_open_items
from lexflow.banking.reconcile import reconcile
from lexflow.lexware.client.deeplinks import SANDBOX_NO_LINK

pytest.importorskip("lexflow.testing.served")


@pytest.fixture
def company(served_sandbox: Any) -> Any:
    from lexflow.lexware.client import LexwareClient

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=120, seed=7)
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client:
        yield served_sandbox, client


def _key(t: BankTransaction) -> tuple[str, Decimal, str]:
    return (t.booking_date.isoformat(), t.amount, " ".join(t.remittance.split()))


def _truth(export: dict[str, Any]) -> dict[tuple[str, Decimal, str], dict[str, Any]]:
    """Ground truth keyed by (date, amount, text): the only fields every format (CSV included) keeps."""
    txs = parse_statement(export["statement"].encode())
    by_ref = {row["bankReference"]: row for row in export["groundTruth"]}
    return {_key(t): by_ref[t.bank_reference or ""] for t in txs}


@pytest.mark.parametrize("fmt", ["camt053", "mt940", "csv"])
def test_sandbox_statement_matches_ground_truth(company: Any, fmt: str) -> None:
    served, client = company
    export = served.control.bank_statement(format="mt940" if fmt == "mt940" else "camt053", noise=True, seed=11)
    truth = _truth(export)
    data = export["statement"].encode()
    if fmt == "csv":
        data = write_csv(parse_statement(data), preset="sparkasse").encode("latin-1", errors="replace")
    transactions = parse_statement(data)
    assert len(transactions) == len(export["groundTruth"])
    items = load_open_items(client)
    proposals = Matcher(items).match_all(transactions)
    by_tx = {t.transaction_id: t for t in transactions}
    exact_truth = exact_found = 0
    for p in proposals:
        t = truth[_key(by_tx[p.transaction_id])]
        single_exact = t["class"] == "exact" and len(t["invoiceIds"]) == 1
        exact_truth += single_exact
        if p.kind == "exact":
            assert single_exact and list(p.voucher_ids) == t["invoiceIds"], (p, t)  # precision 1.00
            exact_found += 1
        if t["class"] == "exact" and len(t["invoiceIds"]) > 1:  # several invoices in one transfer
            assert p.kind == "partial" and set(p.voucher_ids) == set(t["invoiceIds"]), (p, t)
        if t["class"] == "partial":
            assert p.kind == "partial" and list(p.voucher_ids) == t["invoiceIds"], (p, t)
            assert [a.amount for a in p.allocations] == [Decimal(str(x)) for x in t["amounts"]]
        if t["class"] == "none":
            assert p.kind in ("unrelated", "unmatched"), (p, t)
    assert exact_truth >= 5
    assert exact_found / exact_truth >= 0.9


def test_reconcile_acts_once_and_closes_on_payment(company: Any, tmp_path: Path) -> None:
    served, client = company
    export = served.control.bank_statement(format="camt053", noise=False, seed=3)
    transactions = parse_statement(export["statement"].encode())
    ledger = MatchLedger(f"sqlite:///{tmp_path / 'ledger.db'}")

    dry = reconcile(transactions, client, ledger=ledger, statement="s.xml", dry_run=True)
    assert dry.by_kind.get("exact") == len(transactions) and ledger.rows() == []

    report = reconcile(transactions, client, ledger=ledger, statement="s.xml")
    assert report.review_items == len(transactions) and report.hints_sent == 0  # plain API key: no partner hint
    item = report.items[0]
    assert item.action == "review" and item.status == "awaiting_assignment"
    assert item.links == [] and SANDBOX_NO_LINK in item.note  # sandbox ids open nothing in the real web app
    assert "assign this bank transaction" in item.note
    iban = transactions[0].counterparty_iban or ""
    assert iban and iban not in item.note and iban[-4:] in item.counterparty_iban

    again = reconcile(transactions, client, ledger=ledger, statement="s.xml")
    assert again.skipped_already_done == len(transactions) and again.review_items == 0

    truth = {row["transactionId"]: row for row in export["groundTruth"]}  # the reader's stable ids
    voucher_id = truth[transactions[0].transaction_id]["invoiceIds"][0]
    assert confirm_payment(voucher_id, client, ledger=ledger) == []  # nobody assigned it yet
    served.control.assign_payment(voucher_id, kind="bank")
    assert confirm_payment(voucher_id, client, ledger=ledger) == [transactions[0].transaction_id]
    assert ledger.rows(status="closed")[0].transaction_id == transactions[0].transaction_id
    assert confirm_payment(voucher_id, client, ledger=ledger) == []  # already closed

    # without the webhook: the next run notices the voucher left the open list and asks /v1/payments
    second = truth[transactions[1].transaction_id]["invoiceIds"][0]
    served.control.assign_payment(second, kind="bank")
    swept = reconcile(transactions, client, ledger=ledger, statement="s.xml")
    assert swept.closed_by_payment == [transactions[1].transaction_id]


def _partner_token(http: Any) -> str:
    """An OAuth access token with the partner scope, through the sandbox's authorization-code flow (docs/lexware.md#partner-oauth)."""
    from lexflow.lexware.sandbox.config import ALL_SCOPES

    scopes = " ".join(sorted({*ALL_SCOPES, "transaction-assignment-hint.write"}))
    r = http.get(
        "/oauth2/authorize",
        params={
            "client_id": "lexflow-sandbox-client",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1/cb",
            "scope": scopes,
            "state": "x",
        },
    )
    code = r.headers["location"].split("code=")[1].split("&")[0]
    token = http.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1/cb"},
        auth=("lexflow-sandbox-client", "lexflow-sandbox-secret"),
    )
    return str(token.json()["access_token"])


def test_partner_hint_is_sent_once(tmp_path: Path) -> None:
    import httpx

    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
    from lexflow.testing.sandbox_control import SandboxControl
    from lexflow.transport.bridge import SyncASGITransport

    app = create_app(SandboxConfig(rate_limit=0))
    http = httpx.Client(transport=SyncASGITransport(app), base_url="http://sandbox.test")
    control = SandboxControl(http, DEFAULT_API_KEY)
    control.seed(vouchers=40, seed=5)
    token = _partner_token(http)
    transport = SyncASGITransport(app)
    with LexwareClient(
        api_key=token, base_url="http://sandbox.test", rate_limit=0, transport=transport, allow_partner_endpoints=True
    ) as client:
        export = control.bank_statement(format="mt940", noise=False, seed=2)
        transactions = parse_statement(export["statement"].encode())
        ledger = MatchLedger(f"sqlite:///{tmp_path / 'hints.db'}")

        def audit_down(*_: Any) -> None:
            raise RuntimeError("audit database down")

        with pytest.raises(RuntimeError, match="audit database down"):  # the run stops at the first audit write...
            reconcile(transactions, client, ledger=ledger, statement="s.sta", audit=audit_down)
        (first,) = ledger.rows()
        assert first.status == "hint_sent"  # ...but the ledger says the hint went out (not `acting`)

        calls: list[tuple[str, str]] = []
        report = reconcile(
            transactions,
            client,
            ledger=ledger,
            statement="s.sta",
            audit=lambda action, payload, ids, outcome, error: calls.append((action, outcome)),
        )
        assert report.hints_sent == len(transactions) - 1 > 0 and report.skipped_already_done == 1
        assert all(i.status == "hint_sent" for i in report.items)
        assert calls == [("bank.transaction_assignment_hint", "ok")] * (len(transactions) - 1)
        again = reconcile(transactions, client, ledger=ledger, statement="s.sta")
        assert again.hints_sent == 0 and again.skipped_already_done == len(transactions)
    transport.close()
    http.close()


def test_open_items_fetch_payment_terms_once(company: Any, tmp_path: Path) -> None:
    _, client = company
    calls: list[str] = []
    client.add_call_listener(lambda rec: calls.append(f"{rec.method} {rec.path.split('?')[0]}"))
    cache = MatchLedger(f"sqlite:///{tmp_path / 'terms.db'}").terms_cache()
    items = load_open_items(client, terms_cache=cache)
    invoice_gets = [c for c in calls if c.startswith("GET /v1/invoices/")]
    assert items and len(invoice_gets) == len({i.voucher_id for i in items if i.voucher_type == "invoice"})
    assert len({i.voucher_id for i in items}) == len(items)  # open and overdue rows de-duplicated
    assert all(i.open_amount > 0 for i in items)
    assert {i.voucher_status for i in items} <= {"open", "overdue"}
    calls.clear()
    again = load_open_items(client, terms_cache=MatchLedger(f"sqlite:///{tmp_path / 'terms.db'}").terms_cache())
    assert again == items
    assert [c for c in calls if c.startswith("GET /v1/invoices/")] == []  # terms come from the ledger now


def test_an_unverified_statement_sends_no_hint_and_puts_exact_matches_to_a_person(tmp_path: Path) -> None:
    """With partner credentials an exact match becomes a transaction-assignment-hint; from a statement read with
    accept_unbalanced whose balances do not add up, it must only be proposed to a person."""
    import re

    import httpx

    from lexflow.banking import StatementError
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
    from lexflow.testing.sandbox_control import SandboxControl
    from lexflow.transport.bridge import SyncASGITransport

    app = create_app(SandboxConfig(rate_limit=0))
    http = httpx.Client(transport=SyncASGITransport(app), base_url="http://sandbox.test")
    control = SandboxControl(http, DEFAULT_API_KEY)
    control.seed(vouchers=40, seed=5)
    token = _partner_token(http)
    export = control.bank_statement(format="mt940", noise=False, seed=2)
    # a placeholder closing balance, as in edited test data: opening 0.00 + entries != closing 0.00
    text = re.sub(r"(?m)^(:62F:C\d{6}EUR)[\d,]+", r"\g<1>0,00", export["statement"]).encode()
    with pytest.raises(StatementError, match=r"integrity check 'balance' failed.*--accept-unbalanced"):
        parse_statement(text)
    transactions = parse_statement(text, accept_unbalanced=True)
    difference = -sum((t.amount for t in transactions), Decimal(0))
    transport = SyncASGITransport(app)
    with LexwareClient(
        api_key=token, base_url="http://sandbox.test", rate_limit=0, transport=transport, allow_partner_endpoints=True
    ) as client:
        ledger = MatchLedger(f"sqlite:///{tmp_path / 'unverified.db'}")
        calls: list[str] = []
        report = reconcile(
            transactions, client, ledger=ledger, statement="s.sta", audit=lambda action, *_: calls.append(action)
        )
    transport.close()
    http.close()
    assert report.by_kind == {"exact": len(transactions)}  # the matcher still finds them...
    assert report.hints_sent == report.review_items == 0 and calls == []  # ...but nothing is sent
    assert report.flagged == len(transactions)
    reason = f"statement balance does not add up (difference {difference})"
    for item in report.items:
        assert (item.action, item.status, item.reasons[-1]) == ("flagged", "needs_decision", reason)
        assert reason in item.note
    rows = ledger.rows()
    assert {r.status for r in rows} == {"needs_decision"} and all(reason in r.reasons for r in rows)
