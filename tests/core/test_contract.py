"""The `Provider` contract, run against every provider that has an adapter (Lexware now; each other provider as its
issue lands). A capability a provider lacks is asserted as the typed error, never skipped."""

from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal

import pytest

from lexflow.core import CapabilityMissing, RecordNotFound, UnknownTaxCode
from lexflow.core.models import (
    CustomerDraft,
    ExpenseDraft,
    ExpenseItemDraft,
    InvoiceDraft,
    InvoiceLineDraft,
    PaymentDraft,
    Receipt,
)
from lexflow.core.provider import OPTIONAL, Provider
from lexflow.providers import PROVIDERS, get_provider

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _customer(provider: Provider, email: str = "Buchhaltung@Muster-Test.de") -> str:
    return provider.create_customer(CustomerDraft(name="Muster Test GmbH", email=email)).id


def _draft(customer_id: str, **kw) -> InvoiceDraft:
    lines = [
        InvoiceLineDraft(
            name="Beratung", quantity=Decimal(2), unit="Stunde", unit_price=Decimal("100.00"), tax="standard"
        ),
        InvoiceLineDraft(name="Fachbuch", unit_price=Decimal("8.32"), tax="reduced"),
    ]
    return InvoiceDraft(customer_id=customer_id, lines=lines, **{"finalize": True, "payment_term_days": 14, **kw})


def _missing(exc: pytest.ExceptionInfo[CapabilityMissing], provider: Provider, capability: str) -> None:
    assert exc.value.capability == capability
    assert exc.value.provider == provider.capabilities.display_name
    assert exc.value.instead and exc.value.instead in str(exc.value)


def test_customer_round_trip_and_search(world):
    p = world.provider
    cid = _customer(p)
    got = p.get_customer(cid)
    assert got.name == "Muster Test GmbH" and got.provider == p.name
    assert [c.id for c in p.search_customers(email="buchhaltung@MUSTER-test.de")] == [cid]
    assert cid in [c.id for c in p.search_customers(name="Muster Test")]
    assert p.search_customers(email="nobody@muster-test.de") == []


def test_unknown_ids_are_record_not_found(world):
    p = world.provider
    for call in (p.get_customer, p.get_invoice):
        with pytest.raises(RecordNotFound):
            call("00000000-0000-4000-8000-000000000000")
        with pytest.raises(RecordNotFound):
            call("../profile")


def test_finalized_invoice_normalised(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p), reference="ORDER-C-1"))
    assert inv.status == "open" and not inv.overdue and inv.provider_status
    assert inv.total_gross is not None and inv.total_gross.amount == Decimal("246.90")
    assert inv.total_gross.currency == "EUR" and inv.open_amount == inv.total_gross
    assert [line.tax.code for line in inv.lines] == [p.tax.resolve("standard").code, p.tax.resolve("reduced").code]
    assert inv.due_date == date.today() + timedelta(days=14)
    assert p.find_invoice("ORDER-C-1", inv.customer_id) == inv
    assert p.find_invoice("ORDER-C-2", inv.customer_id) is None
    assert inv.id in [i.id for i in p.list_invoices(["open"])]
    assert inv.id not in [i.id for i in p.list_invoices(["paid", "draft", "void"])]


def test_draft_or_typed_error(world):
    p = world.provider
    cid = _customer(p)
    if p.capabilities.supports("drafts"):
        inv = p.create_invoice(_draft(cid, finalize=False))
        assert inv.status == "draft" and inv.open_amount is None and not inv.overdue
        assert inv.id in [i.id for i in p.list_invoices(["draft"])]
    else:
        with pytest.raises(CapabilityMissing) as exc:
            p.create_invoice(_draft(cid, finalize=False))
        _missing(exc, p, "drafts")


def test_payments_move_the_status(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    world.pay(inv.id, Decimal("100.00"))
    part = p.get_invoice(inv.id)
    assert part.status == "partially_paid" and part.open_amount is not None
    assert part.open_amount.amount == Decimal("146.90")
    assert inv.id in [i.id for i in p.list_invoices(["partially_paid"])]
    assert inv.id not in [i.id for i in p.list_invoices(["open"])]
    world.pay(inv.id, Decimal("146.90"))
    paid = p.get_invoice(inv.id)
    assert paid.status == "paid" and paid.open_amount is not None and paid.open_amount.amount == 0
    assert inv.id in [i.id for i in p.list_invoices(["paid"])]


def test_overdue_is_derived_not_a_status(world):
    p = world.provider
    cid = _customer(p)
    late = p.create_invoice(_draft(cid, issue_date=date.today() - timedelta(days=20), payment_term_days=10))
    current = p.create_invoice(_draft(cid))
    assert late.status == "open" and late.overdue and not current.overdue
    overdue_ids = [i.id for i in p.list_invoices(["overdue"])]
    assert late.id in overdue_ids and current.id not in overdue_ids
    assert all(i.overdue and i.status in ("open", "partially_paid") for i in p.list_invoices(["overdue"]))


def test_tax_is_a_provider_reference(world):
    p = world.provider
    with pytest.raises(UnknownTaxCode) as exc:
        p.tax.resolve("13.5")
    assert "standard" in str(exc.value)
    assert p.tax.resolve("standard") == p.tax.resolve(" STANDARD ")


def test_currency_outside_the_api_is_the_typed_error(world):
    p = world.provider
    if p.capabilities.currencies.codes is None:  # any ISO code: nothing to refuse up front
        p.capabilities.require_currency("USD")
        return
    with pytest.raises(CapabilityMissing) as exc:
        p.create_invoice(_draft(_customer(p), currency="USD"))
    _missing(exc, p, "currencies")


def test_expense_with_receipt_is_booked_once(world):
    p = world.provider
    draft = ExpenseDraft(
        supplier_name="Bürobedarf AG",
        number="R-2026-C17",
        issue_date=date.today() - timedelta(days=3),
        items=[ExpenseItemDraft(amount=Decimal("119.00"), tax="standard", category="Bürobedarf")],
        receipt=Receipt(filename="beleg.pdf", content=PDF),
    )
    first = p.create_expense(draft)
    assert first.status == "open" and first.total_gross is not None and first.total_gross.amount == Decimal("119.00")
    assert first.total_tax is not None and first.total_tax.amount == Decimal("19.00") and first.receipt_ids
    again = p.create_expense(draft)
    assert again.id == first.id
    listed = [e for e in p.list_expenses(issued_from=date.today() - timedelta(days=5)) if e.number == "R-2026-C17"]
    assert [e.id for e in listed] == [first.id]


def test_optional_operations_work_or_raise_the_typed_error(world):
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    calls = {
        "update_invoice": lambda: p.update_invoice(inv.id, _draft(inv.customer_id or "")),
        "record_payment": lambda: p.record_payment(
            PaymentDraft(invoice_id=inv.id, amount=Decimal("10"), paid_on=date.today())
        ),
        "get_bank_transaction": lambda: p.get_bank_transaction("4711"),
        "list_bank_transactions": lambda: list(p.list_bank_transactions()),
        "find_payment": lambda: p.find_payment("bank-line-4711", inv.id),
        "find_cancellation": lambda: p.find_cancellation(inv.id),
        "cancel_invoice": lambda: p.cancel_invoice(inv.id, "Doppelt berechnet"),
    }
    assert set(calls) == set(OPTIONAL)
    for method, capability in OPTIONAL.items():
        if p.capabilities.supports(capability):  # type: ignore[arg-type]
            continue  # exercised by the provider's own tests as its adapter gains them
        with pytest.raises(CapabilityMissing) as exc:
            calls[method]()
        _missing(exc, p, capability)


@pytest.mark.parametrize("name", [n for n, e in PROVIDERS.items() if e.adapter is not None])
def test_declared_capabilities_are_implemented(name):
    """An adapter that says it can must override the method that otherwise raises `CapabilityMissing`."""
    cls = type(get_provider(client=object(), name=name))
    for method, capability in OPTIONAL.items():
        overridden = inspect.getattr_static(cls, method) is not inspect.getattr_static(Provider, method)
        assert overridden == cls.capabilities.supports(capability), (name, method)  # type: ignore[arg-type]


def test_a_payment_is_recorded_once_per_business_key(world):
    """Reconciliation's business key (the bank line) finds the payment it recorded: recording again returns it."""
    p = world.provider
    inv = p.create_invoice(_draft(_customer(p)))
    if not p.capabilities.supports("record_payment"):
        with pytest.raises(CapabilityMissing) as exc:
            p.find_payment("bank-line-4711", inv.id)
        _missing(exc, p, "record_payment")
        return
    line = world.bank_line(Decimal("100.00"), "Zahlung", "Muster Test GmbH") if world.bank_line else None
    reference = line or "bank-line-4711"
    assert p.find_payment(reference, inv.id) is None
    draft = PaymentDraft(invoice_id=inv.id, amount=Decimal("100.00"), paid_on=date.today(), reference=reference)
    if line:  # the provider's own bank line: the payment is booked from it
        draft = draft.model_copy(update={"bank_transaction_id": reference})
    first = p.record_payment(draft)
    found = p.find_payment(reference, inv.id)
    assert found is not None and found.amount.amount == Decimal("100.00")
    again = p.record_payment(draft)
    assert again.amount == first.amount
    after = p.get_invoice(inv.id)
    assert after.status == "partially_paid" and after.open_amount is not None
    assert after.open_amount.amount == Decimal("146.90")  # once, not twice
