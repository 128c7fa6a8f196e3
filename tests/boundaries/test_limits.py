"""Clear refusals at the action boundary (issue 13, items 4 and 7): each names the field, none is a traceback."""

from __future__ import annotations

import base64

import pytest

from lexflow.actions import InvalidInput, Profile, run
from lexflow.audit import Actor, AuditTrail

ALL = Profile(name="dev", scopes=["*"], approval_for=[])
DEEP: list = []
for _ in range(40):
    DEEP = [DEEP]
RECEIPT = {"filename": "beleg.pdf", "content_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()}


def _expense(**item):
    return {
        "receipt": RECEIPT,
        "voucher_number": "R-1",
        "voucher_date": "2026-11-02",
        "items": [{"amount": "119.00", "tax_rate": 19, "category": "Bürobedarf"} | item],
    }


@pytest.fixture
def act(sandbox_client, tmp_path):
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")

    def _act(name, data):
        return run(name, data, actor=Actor.agent("pytest"), profile=ALL, client=sandbox_client, trail=trail)

    _act.trail = trail
    return _act


@pytest.mark.parametrize(
    ("name", "data", "field", "says"),
    [
        ("contacts_get", {"id": "a\ud800b"}, "id", "unpaired surrogate"),
        ("upsert_customer", {"name": "x" * 300_000}, "name", "longer than the limit"),
        ("upsert_customer", {"name": "A\x00B"}, "name", "NUL"),
        ("lexware_create_expense", _expense(amount="1e999"), "items.0.amount", "too large"),
        ("lexware_create_expense", _expense(amount=10**400), "items.0.amount", "too large"),
        ("lexware_create_expense", _expense(tax_rate=-100), "items.0.tax_rate", "greater than or equal to 0"),
        ("lexware_create_expense", _expense(amount="-100"), "items.0.amount", "greater than 0"),
        ("lexware_create_expense", _expense(amount="NaN"), "items.0.amount", "finite"),
        ("files_upload", {"filename": "a.pdf", "content_base64": "not base64!"}, "content_base64", "base64"),
        ("preview_invoice", {"line_items": DEEP}, "line_items", "nested"),
    ],
)
def test_refusal_names_the_field(act, name, data, field, says):
    with pytest.raises(InvalidInput) as info:
        act(name, data)
    assert field in str(info.value) and says in str(info.value)
    # the refusal is audited too (a lone surrogate once made the audit append itself fail)
    assert act.trail.list(action=name)[-1].outcome == "invalid_input"


def test_a_purchase_credit_note_is_the_explicit_way_to_book_money_back(act):
    out = act("lexware_create_expense", _expense() | {"type": "purchasecreditnote"})
    assert out.total_gross > 0


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "9" * 400, "1e999", "-5.00"])
def test_camt_amounts_that_are_not_money_name_the_element(amount):
    from lexflow.banking import StatementError, parse_statement, write_camt053
    from tests.banking.test_readers import TXS

    data = write_camt053(TXS).replace(b">1234.56<", f">{amount}<".encode())
    with pytest.raises(StatementError) as err:
        parse_statement(data, source="bad.xml")
    assert "Amt" in err.value.location and "line" in err.value.location


@pytest.mark.parametrize("amount", ["9" * 400, "1e999", "NaN"])
def test_csv_amounts_that_are_not_money_name_the_line(amount):
    from lexflow.banking import StatementError, parse_statement, write_csv
    from tests.banking.test_readers import TXS

    with pytest.raises(StatementError, match="line 2"):
        parse_statement(write_csv(TXS).replace("1.234,56", amount).encode())
