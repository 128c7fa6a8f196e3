"""Cancelling a final invoice, on every provider: a void or a linked credit note, once per invoice; a state the API
refuses is the typed `NotCancellable` naming the fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lexflow.actions.neutral.invoices import CancelInvoiceInput, cancel_invoice
from lexflow.core.errors import CapabilityMissing, NotCancellable
from tests.core.test_contract import _customer, _draft


def test_cancel_an_open_invoice_once(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    assert p.find_cancellation(inv.id) is None

    first = cancel_invoice(p, CancelInvoiceInput(invoice_id=inv.id, reason="Doppelt berechnet"))
    assert not first.already_existed
    c = first.cancellation
    assert c.invoice_id == inv.id and c.provider == p.name
    if c.method == "void":
        assert c.invoice_status == "void" and c.credit_note_id is None
    else:  # settled by the credit note: nothing open any more
        assert c.credit_note_id and c.invoice_status in ("paid", "void")
        assert p.get_invoice(inv.id).open_amount.amount == 0  # type: ignore[union-attr]
    assert inv.id not in [i.id for i in p.list_invoices(["open", "partially_paid"])]

    again = cancel_invoice(p, CancelInvoiceInput(invoice_id=inv.id, reason="Doppelt berechnet"))
    assert again.already_existed and again.cancellation == c
    # the adapter itself, asked directly, also returns the one cancellation instead of making a second
    assert p.cancel_invoice(inv.id, "noch einmal") == c


def test_a_paid_invoice_is_cancelled_or_refused_naming_the_fix(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    world.pay(inv.id, Decimal("246.90"))
    assert p.get_invoice(inv.id).status == "paid"
    if p.name == "xero":  # Xero voids only invoices without payments
        with pytest.raises(NotCancellable) as exc:
            p.cancel_invoice(inv.id, "Kulanz")
        assert exc.value.provider == "Xero" and "remove the payments" in exc.value.fix
        assert p.get_invoice(inv.id).status == "paid"
        return
    c = p.cancel_invoice(inv.id, "Kulanz")
    assert p.find_cancellation(inv.id) == c


def test_a_draft_is_not_cancellable(world):
    p = world.provider
    if not p.capabilities.supports("drafts"):  # there is no draft to cancel: asking for one is the typed refusal
        with pytest.raises(CapabilityMissing):
            p.create_invoice(_draft(_customer(p), finalize=False))
        return
    inv = p.create_invoice(_draft(_customer(p), finalize=False))
    with pytest.raises(NotCancellable) as exc:
        p.cancel_invoice(inv.id, "Versehen")
    assert "delete" in exc.value.fix
