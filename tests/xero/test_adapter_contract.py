"""What the Xero adapter adds beyond the neutral contract (tests/core/test_contract.py runs that against it too):
payments recorded once, reruns, updates until paid, bank transactions; on the sandbox's German test organisation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft, PaymentDraft
from lexflow.xero import models as xm
from lexflow.xero.adapter import XeroAdapter
from lexflow.xero.sandbox import ServedXeroSandbox
from tests.core.conftest import World
from tests.xero.conftest import TENANT_B, make_client


@pytest.fixture
def world(xero: ServedXeroSandbox) -> Iterator[World]:
    adapter = XeroAdapter(make_client(xero, tenant=TENANT_B))

    def pay(invoice_id: str, amount: Decimal) -> None:
        adapter.record_payment(PaymentDraft(invoice_id=invoice_id, amount=amount, paid_on=date.today()))

    yield World(provider=adapter, pay=pay)


def _invoice(world: World, reference: str) -> str:
    p = world.provider
    cid = p.create_customer(CustomerDraft(name="Zahler GmbH", email="z@zahler.example")).id
    draft = InvoiceDraft(
        customer_id=cid,
        finalize=True,
        payment_term_days=14,
        reference=reference,
        lines=[InvoiceLineDraft(name="Arbeit", unit_price=Decimal("100"), tax="standard")],
    )
    return p.create_invoice(draft).id


def test_payment_reference_is_recorded_once(world: World, xero: ServedXeroSandbox) -> None:
    p = world.provider
    iid = _invoice(world, "ORDER-X-1")
    draft = PaymentDraft(invoice_id=iid, amount=Decimal("50"), paid_on=date.today(), reference="bank:4711")
    first = p.record_payment(draft)
    again = p.record_payment(draft)
    assert first.id == again.id
    assert p.get_invoice(iid).status == "partially_paid"


def test_rerun_of_create_invoice_returns_the_same_invoice(world: World) -> None:
    assert _invoice(world, "ORDER-X-2") == _invoice(world, "ORDER-X-2")


def test_update_invoice_until_paid(world: World) -> None:
    p = world.provider
    iid = _invoice(world, "ORDER-X-3")
    inv = p.get_invoice(iid)
    changed = p.update_invoice(
        iid,
        InvoiceDraft(
            customer_id=inv.customer_id or "",
            finalize=True,
            payment_term_days=14,
            lines=[InvoiceLineDraft(name="Arbeit", unit_price=Decimal("200"), tax="standard")],
        ),
    )
    assert changed.total_gross is not None and changed.total_gross.amount == Decimal("238")
    world.pay(iid, Decimal("10"))
    from lexflow.core.errors import InvalidRecord

    with pytest.raises(InvalidRecord, match="payment or credit note"):
        p.update_invoice(
            iid,
            InvoiceDraft(
                customer_id=inv.customer_id or "",
                finalize=True,
                lines=[InvoiceLineDraft(name="Arbeit", unit_price=Decimal("1"), tax="standard")],
            ),
        )


def test_bank_transactions_are_xero_records(world: World) -> None:
    p = world.provider
    assert isinstance(p, XeroAdapter)
    p.client.request(
        "PUT",
        "/BankTransactions",
        body={
            "BankTransactions": [
                xm.BankTransaction(
                    type="SPEND",
                    contact=xm.ContactRef(name="Bürobedarf AG"),
                    bank_account=xm.AccountRef(code="090"),
                    line_items=[
                        xm.LineItem(
                            description="Papier", unit_amount=Decimal("11.90"), account_code="4930", tax_type="TAX003"
                        )
                    ],
                    line_amount_types="Inclusive",
                ).to_body()
            ]
        },
    )
    listed = list(p.list_bank_transactions())
    assert [(t.amount.amount, t.counterparty_name) for t in listed] == [(Decimal("-11.9"), "Bürobedarf AG")]
    assert p.get_bank_transaction(listed[0].id) == listed[0]
