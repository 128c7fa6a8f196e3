"""`reconcile_payments` and `log_expense` end to end on every built provider, each against its own served sandbox.

What happens follows the provider's capabilities, never its name: where it records payments, an approved match is
recorded once (exact and part payments), reruns record nothing more; where it cannot (Lexware Office), the match
waits for a person and recording it is the typed `CapabilityMissing`. Bank lines come from the API where it reads
the bank's own lines (sevDesk), from a statement file elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.banking.ledger import MatchLedger
from lexflow.core import CapabilityMissing
from lexflow.core.models import CustomerDraft, Invoice, InvoiceDraft, InvoiceLineDraft
from lexflow.core.provider import Provider
from lexflow.providers import built

pytestmark = pytest.mark.prefect


@dataclass
class Books:
    """One provider's books for a flow: the neutral view (for assertions) and what the flows run on."""

    provider: Provider
    connection: Any
    """What `get_client()` returns for this provider (Lexware: its client; the others: their adapter)."""
    bank_line: Callable[[Decimal, str, str], str] | None = None


def _lexware(request: pytest.FixtureRequest) -> Iterator[Books]:
    from lexflow.client import LexwareClient
    from lexflow.lexware.adapter import LexwareAdapter

    served = request.getfixturevalue("served_sandbox")
    served.reset()
    with LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0) as client:
        yield Books(LexwareAdapter(client), client)


def _sevdesk(request: pytest.FixtureRequest) -> Iterator[Books]:
    from lexflow.sevdesk.adapter import SevdeskAdapter
    from tests.core.conftest import sevdesk_bank_line

    served = request.getfixturevalue("sevdesk_served")
    adapter = SevdeskAdapter(request.getfixturevalue("sevdesk_client"))
    yield Books(adapter, adapter, lambda amount, purpose, payer: sevdesk_bank_line(served, amount, purpose, payer))


def _xero(request: pytest.FixtureRequest) -> Iterator[Books]:
    from tests.xero.support import sandbox_adapter

    adapter = sandbox_adapter()
    yield Books(adapter, adapter)


def _quickbooks(request: pytest.FixtureRequest) -> Iterator[Books]:
    from lexflow.quickbooks.adapter import QuickBooksAdapter

    adapter = QuickBooksAdapter(request.getfixturevalue("quickbooks_client"))
    yield Books(adapter, adapter)


BOOKS = {"lexware": _lexware, "sevdesk": _sevdesk, "xero": _xero, "quickbooks": _quickbooks}


@pytest.fixture(params=built())
def books(request: pytest.FixtureRequest, prefect_flows: Path) -> Iterator[Books]:
    from tasks.common import use_client

    for b in BOOKS[request.param](request):
        with use_client(b.connection):
            yield b


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


def _bank(books: Books, tmp_path: Path, lines: list[tuple[Decimal, str]]) -> str | None:
    """The lines on the bank: in the system where its API reads them (statement_path None), else in a file."""
    bank = books.provider.capabilities.read_bank_transactions
    if bank.available and bank.statement_lines:
        assert books.bank_line is not None
        for amount, purpose in lines:
            books.bank_line(amount, purpose, PAYER)
        return None
    return str(_statement(tmp_path, lines))


def _open(p: Provider, invoice_id: str) -> Decimal:
    inv = p.get_invoice(invoice_id)
    assert inv.open_amount is not None
    return inv.open_amount.amount


def test_reconcile_records_an_approved_match_once(books: Books, tmp_path: Path) -> None:
    from flows.reconcile_payments import reconcile_payments

    p = books.provider
    customer = p.create_customer(CustomerDraft(name=PAYER, email="buchhaltung@hoffmann-bau.example")).id
    full = _invoice(p, customer, "1000.00", "ORDER-F2A-1")  # 1190.00 gross
    part = _invoice(p, customer, "500.00", "ORDER-F2A-2")  # 595.00 gross, 200.00 paid now
    assert full.total_gross is not None and full.number and part.number
    statement = _bank(books, tmp_path, [(full.total_gross.amount, full.number), (Decimal("200.00"), part.number)])
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
