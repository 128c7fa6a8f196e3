"""Lexware's statuses as neutral ones: partially paid and overdue are derived, unknown values are never "paid"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lexflow.lexware.adapter import normalise_status

D = Decimal


@pytest.mark.parametrize(
    ("raw", "total", "open_amount", "expected"),
    [
        ("draft", D(100), None, "draft"),
        ("open", D(100), D(100), "open"),
        ("open", D(100), D("0.01"), "partially_paid"),
        ("overdue", D(100), D(100), "open"),  # overdue is derived from the due date, not a status
        ("overdue", D(100), D(40), "partially_paid"),
        ("paid", D(100), D(0), "paid"),
        ("paidoff", D(100), D(0), "paid"),
        ("transferred", D(100), D(100), "paid"),
        ("sepadebit", D(100), D(100), "paid"),
        ("voided", D(100), D(0), "void"),
        ("unchecked", None, None, "draft"),
        ("blank", None, None, "draft"),
        ("OPEN", D(100), D(100), "open"),
        ("somethingnew", D(100), D(100), "open"),  # tolerant of new values, and never takes them for paid
        (None, None, None, "open"),
        ("open", D(100), None, "open"),  # open amount unknown: not guessed
    ],
)
def test_normalise_status(raw, total, open_amount, expected):
    assert normalise_status(raw, total, open_amount) == expected
