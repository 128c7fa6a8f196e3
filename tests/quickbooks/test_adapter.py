"""The QuickBooks adapter's own behaviour beyond the shared contract (tests/core): exactly once, no drafts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lexflow.core import CapabilityMissing, InvalidRecord
from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft, PaymentDraft
from lexflow.quickbooks.adapter import QuickBooksAdapter
from lexflow.quickbooks.client import QuickBooksClient
from lexflow.quickbooks.sandbox import ServedQuickBooks
from tests.quickbooks.conftest import unique


def _draft(customer_id: str, reference: str, **kw: object) -> InvoiceDraft:
    line = InvoiceLineDraft(name="Beratung", quantity=Decimal(2), unit_price=Decimal("50"), tax="standard")
    return InvoiceDraft(customer_id=customer_id, lines=[line], reference=reference, **{"finalize": True, **kw})  # type: ignore[arg-type]


def _invoices(qbo: ServedQuickBooks, customer_id: str) -> int:
    return sum(1 for d in qbo.state.store.iter(qbo.realm, "Invoice") if d["CustomerRef"]["value"] == customer_id)


def test_invoice_and_payment_exactly_once_across_timeouts(client: QuickBooksClient, qbo: ServedQuickBooks) -> None:
    p = QuickBooksAdapter(client)
    cid = p.create_customer(CustomerDraft(name=unique(), email=f"{unique('m').replace(' ', '')}@x.example")).id
    ref = unique("ORDER").replace(" ", "-")
    qbo.control("faults", method="POST", path="/invoice", mode="timeout_after_commit")
    inv = p.create_invoice(_draft(cid, ref))
    assert p.create_invoice(_draft(cid, ref)).id == inv.id and _invoices(qbo, cid) == 1  # a rerun too
    assert p.find_invoice(ref, cid) == inv
    pay = PaymentDraft(invoice_id=inv.id, amount=Decimal("40"), paid_on=date.today(), bank_transaction_id="tx-1")
    qbo.control("faults", method="POST", path="/payment", mode="timeout_after_commit")
    first = p.record_payment(pay)
    assert p.record_payment(pay).id == first.id  # the same bank line again: one payment
    assert p.get_invoice(inv.id).open_amount.amount == Decimal("79.00")  # type: ignore[union-attr]


def test_no_drafts_and_a_taken_name(client: QuickBooksClient) -> None:
    p = QuickBooksAdapter(client)
    cid = p.create_customer(CustomerDraft(name=unique())).id
    with pytest.raises(CapabilityMissing) as exc:
        p.create_invoice(_draft(cid, "REF-DRAFT-1", finalize=False))
    assert exc.value.capability == "drafts" and "approv" in exc.value.instead
    taken = p.get_customer(cid).name
    with pytest.raises(InvalidRecord, match="already used"):
        p.create_customer(CustomerDraft(name=taken, email="other@x.example"))


def test_update_invoice_is_sparse(client: QuickBooksClient) -> None:
    p = QuickBooksAdapter(client)
    cid = p.create_customer(CustomerDraft(name=unique())).id
    inv = p.create_invoice(_draft(cid, unique("REF").replace(" ", "-"), payment_term_days=10))
    client.update_invoice(inv.id, _email_change(), business_key=unique("mail"))
    changed = p.update_invoice(inv.id, _draft(cid, inv.reference or "", payment_term_days=20))
    assert changed.due_date != inv.due_date
    assert client.get_invoice(inv.id).BillEmail is not None  # not part of the draft: kept


def _email_change():  # type: ignore[no-untyped-def]
    from lexflow.quickbooks.models import InvoiceInput

    return InvoiceInput(BillEmail={"Address": "keep@x.example"})  # type: ignore[arg-type]
