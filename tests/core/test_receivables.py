"""The neutral open_items on every provider: open amounts, days overdue and totals match the invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from lexflow.actions.neutral.receivables import OpenItemsInput, PaymentStatusInput, open_items, payment_status
from tests.core.test_contract import _customer, _draft


def test_open_items_totals_match_the_invoices(world):
    p = world.provider
    customer = _customer(p, email=f"ar-{p.name}@muster-test.de")
    first = p.create_invoice(_draft(customer))  # 246.90, due in 14 days
    second = p.create_invoice(_draft(customer, payment_term_days=30))
    world.pay(second.id, Decimal("46.90"))  # partially paid: 200.00 open
    as_of = date.today() + timedelta(days=40)  # first 26 days overdue, second 10

    out = open_items(p, OpenItemsInput(customer_id=customer, as_of=as_of))

    by_id = {i.id: i for i in out.items}
    assert set(by_id) == {first.id, second.id}
    assert by_id[first.id].open_amount == Decimal("246.90") and by_id[first.id].days_overdue == 26
    assert by_id[second.id].open_amount == Decimal("200.00") and by_id[second.id].days_overdue == 10
    assert by_id[second.id].status == "partially_paid"
    assert [i.id for i in out.items] == [first.id, second.id]  # most overdue first
    assert out.currency == "EUR" and out.total_open == Decimal("446.90")
    assert out.buckets["1-30"] == Decimal("446.90") and sum(out.buckets.values()) == out.total_open
    [row] = out.customers
    assert row.customer_id == customer and row.open_amount == out.total_open and row.invoices == 2
    assert row.most_days_overdue == 26

    not_due = open_items(p, OpenItemsInput(customer_id=customer, as_of=date.today()))
    assert not_due.buckets["not due"] == Decimal("446.90")
    assert {i.days_overdue for i in not_due.items} == {0}

    p.cancel_invoice(first.id, "Doppelt berechnet")  # a cancelled invoice owes nothing
    after = open_items(p, OpenItemsInput(customer_id=customer, as_of=as_of, limit=1))
    assert [i.id for i in after.items] == [second.id] and after.total_open == Decimal("200.00")
    assert not after.truncated


def test_payment_status_follows_payments_and_cancellation(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    status = payment_status(p, PaymentStatusInput(invoice_id=inv.id))
    assert (status.status, status.open_amount, status.paid_amount, status.settled) == (
        "open",
        Decimal("246.90"),
        Decimal("0.00"),
        False,
    )
    world.pay(inv.id, Decimal("46.90"))
    status = payment_status(p, PaymentStatusInput(invoice_id=inv.id))
    assert status.status == "partially_paid" and status.paid_amount == Decimal("46.90")
    world.pay(inv.id, Decimal("200.00"))
    status = payment_status(p, PaymentStatusInput(invoice_id=inv.id))
    assert status.settled and status.open_amount == 0 and status.paid_amount == Decimal("246.90")

    other = p.create_invoice(_draft(_customer(p)))
    p.cancel_invoice(other.id, "Versehen")
    cancelled = payment_status(p, PaymentStatusInput(invoice_id=other.id))
    assert cancelled.cancelled and not cancelled.settled and cancelled.paid_amount is None
    assert cancelled.open_amount == 0 and "nothing was paid" in cancelled.note
    assert not status.cancelled
