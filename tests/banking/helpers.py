"""Helpers for banking tests against the sandbox: an invoice (draft or final) and a ledger match for it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lexflow.banking import BankTransaction, MatchLedger, OpenItem, PaymentTerms
from lexflow.banking.reconcile import reconcile
from tests.sandbox.helpers import invoice_body

APP = "https://app.lexware.de"


def make_invoice(client: Any, *, finalize: bool) -> Any:
    """A one-line invoice for a new customer, read back (draft unless `finalize`)."""
    contact = client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Entwurf GmbH"}})
    created = client.invoices.create(invoice_body(contact.id), finalize=finalize)  # 100 net + 19 % = 119.00
    return client.invoices.get(created.id)


def match_invoice(client: Any, ledger: MatchLedger, invoice: Any, number: str, tx_id: str) -> BankTransaction:
    """Reconcile one transfer against the invoice as it was when it was open (it may be a draft again since)."""
    item = OpenItem(
        voucher_id=invoice.id,
        voucher_number=number,
        contact_id=invoice.address.contact_id,
        contact_name="Entwurf GmbH",
        open_amount=Decimal("119.00"),
        voucher_date=date(2026, 11, 2),
        terms=PaymentTerms(),
    )
    tx = BankTransaction(
        transaction_id=tx_id,
        booking_date=date(2026, 11, 5),
        amount=Decimal("119.00"),
        counterparty_name="Entwurf GmbH",
        remittance=f"Rechnung {number}",
    )
    report = reconcile([tx], client, ledger=ledger, statement="s.xml", open_items=[item], app_url=APP)
    assert report.items[0].status == "awaiting_assignment"
    return tx
