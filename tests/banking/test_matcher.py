"""Matcher behaviour on hand-written edge cases, plus determinism and the seeded noisy statement."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from lexflow.banking import BankTransaction
from lexflow.banking.matcher import Matcher, match_transactions, normalise_number
from lexflow.banking.names import normalise_name
from lexflow.banking.open_items import OpenItem, PaymentTerms

D = Decimal


def item(n: int, amount: str, contact: str = "c1", name: str = "Hoffmann Bau GmbH", **kw: object) -> OpenItem:
    return OpenItem(
        voucher_id=f"v{n}",
        voucher_number=kw.pop("number", f"RE{n}"),  # type: ignore[arg-type]
        contact_id=contact,
        contact_name=name,
        open_amount=D(amount),
        voucher_date=date(2026, 11, 1),
        due_date=date(2026, 11, 15),
        **kw,  # type: ignore[arg-type]
    )


def tx(amount: str, text: str = "", name: str | None = "Hoffmann Bau GmbH", **kw: object) -> BankTransaction:
    return BankTransaction(
        transaction_id=kw.pop("tid", f"t-{amount}-{text}"),  # type: ignore[arg-type]
        booking_date=kw.pop("on", date(2026, 11, 5)),  # type: ignore[arg-type]
        amount=D(amount),
        counterparty_name=name,
        remittance=text,
        **kw,  # type: ignore[arg-type]
    )


ITEMS = [
    item(1001, "119.00"),
    item(1002, "238.00"),
    item(1003, "500.00", contact="c2", name="Anna Schulz"),
    item(1004, "500.00", contact="c3", name="Lukas Krause"),
    item(
        1005,
        "1000.00",
        contact="c4",
        name="Weber Druck AG",
        terms=PaymentTerms(term_days=30, discount_percentage=D("2"), discount_days=10),
    ),
    item(1006, "77.77", contact="c5", name="Elektro Kiel Fischer GmbH"),
    OpenItem(
        voucher_id="g1",
        voucher_type="creditnote",
        voucher_number="GS2001",
        contact_id="c2",
        contact_name="Anna Schulz",
        open_amount=D("45.00"),
    ),
]


def one(t: BankTransaction, items: list[OpenItem] = ITEMS, **kw: object):
    return Matcher(items, **kw).match(t)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["RE1001", "Rechnung RE 1001", "re-1001 danke", "RE 10 01", "Rg.Nr.: R E 1001"])
def test_invoice_number_typed_any_way_is_exact(text: str) -> None:
    p = one(tx("119.00", text, name="Someone Else"))
    assert p.kind == "exact", p.reasons
    assert p.voucher_ids == ("v1001",)
    assert any("RE1001" in r for r in p.reasons)


def test_one_cent_short_is_partial_never_exact() -> None:
    p = one(tx("118.99", "RE1001"))
    assert p.kind == "partial"
    assert p.allocations[0].amount == D("118.99")
    assert any("one cent" in r for r in p.reasons)


def test_same_amount_owed_by_two_customers_is_ambiguous() -> None:
    p = one(tx("500.00", "Zahlung", name="Online-Zahlung"))
    assert p.kind == "ambiguous"
    assert set(p.candidates) == {"v1003", "v1004"}
    assert not p.allocations
    own = one(tx("500.00", "Zahlung", name="Anna Schulz"))  # the payer owes one of them: proposed, never exact
    assert own.kind == "partial" and own.voucher_ids == ("v1003",)


def test_same_amount_with_number_is_exact() -> None:
    assert one(tx("500.00", "RE1004", name="Lukas Krause")).voucher_ids == ("v1004",)


@pytest.mark.parametrize(
    "reversal_flag,text", [(True, "Überweisung"), (False, "RUECKUEBERWEISUNG RE1001"), (False, "RE1001")]
)
def test_reversed_transfers_go_to_a_person(reversal_flag: bool, text: str) -> None:
    p = one(tx("-119.00", text, reversal=reversal_flag))
    assert p.kind == "reversal"
    assert not p.allocations
    assert any("docs/lexware.md#no-payment-writes" in r for r in p.reasons)


def test_amount_plus_customer_name_is_exact_and_fuzzy_name_is_partial() -> None:
    assert one(tx("77.77", "Danke", name="ELEKTRO KIEL FISCHER")).kind == "exact"
    fuzzy = one(tx("77.77", "Danke", name="Elektro Kiel Fischr GmbH"))
    assert fuzzy.kind == "partial" and fuzzy.voucher_ids == ("v1006",)
    assert any("resembles" in r for r in fuzzy.reasons)


def test_known_iban_is_partial_evidence() -> None:
    p = one(
        tx("77.77", "", name=None, counterparty_iban="DE02120300000000202051"),
        known_ibans={"DE02 1203 0000 0000 2020 51": "c5"},
    )
    assert p.kind == "partial" and p.voucher_ids == ("v1006",)
    assert any("IBAN" in r for r in p.reasons)


def test_several_invoices_in_one_transfer() -> None:
    p = one(tx("357.00", "RE1001 + RE1002"))
    assert p.kind == "partial"
    assert {a.voucher_id: a.amount for a in p.allocations} == {"v1001": D("119.00"), "v1002": D("238.00")}


def test_cash_discount_within_terms_and_after_them() -> None:
    inside = one(tx("980.00", "RE1005 abzgl. Skonto", name="Weber Druck AG", on=date(2026, 11, 10)))
    assert inside.kind == "partial"
    assert inside.allocations[0].cash_discount == D("20.00")
    late = one(tx("980.00", "RE1005", name="Weber Druck AG", on=date(2026, 11, 20)))
    assert late.kind == "partial" and late.allocations[0].cash_discount == 0
    assert any("part payment" in r for r in late.reasons)
    no_number = one(tx("980.00", "Skonto", name="Weber Druck AG", on=date(2026, 11, 3)))
    assert no_number.voucher_ids == ("v1005",) and no_number.allocations[0].cash_discount == D("20.00")


def test_credit_note_refund_is_exact_and_other_debits_unrelated() -> None:
    assert one(tx("-45.00", "Erstattung GS 2001", name="Anna Schulz")).voucher_ids == ("g1",)
    assert one(tx("-45.00", "Erstattung GS 2001", name=None)).kind == "exact"
    assert one(tx("-1200.00", "Miete November", name="Vermieter")).kind == "unrelated"


def test_unknown_credit_and_foreign_currency_are_unmatched() -> None:
    assert one(tx("12.34", "Zinsen", name="Bank")).kind == "unmatched"
    usd = one(tx("119.00", "RE1001", currency="USD"))
    assert usd.kind == "unmatched" and "EUR" in usd.reasons[0]


def test_double_payment_is_not_exact_twice() -> None:
    first = tx("119.00", "RE1001", tid="a", on=date(2026, 11, 5))
    second = tx("119.00", "RE1001", tid="b", on=date(2026, 11, 6))
    kinds = {p.transaction_id: p.kind for p in match_transactions([second, first], ITEMS)}
    assert kinds == {"a": "exact", "b": "partial"}


def test_longest_number_wins() -> None:
    items = [item(1, "10.00", number="RE20260042"), item(2, "10.00", number="20260042")]
    assert one(tx("10.00", "RE 2026 0042"), items).voucher_ids == ("v1",)
    assert one(tx("10.00", "Nr 20260042"), items).voucher_ids == ("v2",)


def test_deterministic_whatever_the_input_order() -> None:
    txs = [tx("119.00", "RE1001"), tx("500.00", "x"), tx("980.00", "RE1005"), tx("-5.00", "Gebühr")]
    baseline = match_transactions(txs, ITEMS)
    rng = random.Random(3)
    for _ in range(5):
        shuffled_items, shuffled_txs = ITEMS[:], txs[:]
        rng.shuffle(shuffled_items)
        rng.shuffle(shuffled_txs)
        assert match_transactions(shuffled_txs, shuffled_items) == baseline


def test_normalisers() -> None:
    assert normalise_number("re-2026 0042") == "RE20260042"
    assert normalise_name("Müller & Söhne GmbH & Co. KG") == normalise_name("MUELLER SOEHNE")


def test_bare_digits_need_amount_or_payer() -> None:
    items = [item(1, "1656.00", number="RE2025")]
    assert one(tx("780.60", "Erstattung ESt 2025", name="Finanzamt Berlin"), items).kind == "unmatched"
    assert one(tx("1656.00", "Rechnung 2025", name="Hoffmann Bau GmbH"), items).kind == "exact"
    assert one(tx("500.00", "Rechnung 2025", name="Hoffmann Bau GmbH"), items).kind == "partial"


def test_mistyped_number_is_partial_for_the_invoice_amount_and_payer_fit() -> None:
    items = [item(10432, "250.00"), item(10423, "99.00", contact="c9", name="Other Kunde")]
    p = one(tx("250.00", "Rechnung RE10423"), items)  # digits swapped: names the other customer's invoice
    assert p.kind == "partial" and p.voucher_ids == ("v10432",)
    assert any("mistyped" in r for r in p.reasons)
    unknown = one(tx("250.00", "Rechnung RE10999"), items)  # names an invoice that is not open
    assert unknown.kind == "partial" and unknown.voucher_ids == ("v10432",)


def test_two_invoices_named_but_one_paid_is_partial() -> None:
    p = one(tx("119.00", "RE1001 RE1002"))
    assert p.kind == "partial" and p.voucher_ids == ("v1001",)
    assert any("1 of the 2" in r for r in p.reasons)
