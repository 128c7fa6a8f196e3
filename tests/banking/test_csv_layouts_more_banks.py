"""Consorsbank, Revolut Business and Postbank (since 2023) CSV layouts, from the project's own fixtures written after
the published headers (sources in docs/reconciliation.md): detection, sign, dates, counterparty, remittance, skipped rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lexflow.banking import read_statement
from lexflow.banking.readers.csv import detect_preset

FIXTURES = Path(__file__).parent / "fixtures"
NEW = {"consorsbank", "consorsbank_legacy", "revolut_business", "revolut_business_legacy", "postbank_2023"}


def read(name: str) -> list:  # type: ignore[type-arg]
    return read_statement(FIXTURES / name)


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("consorsbank.csv", "consorsbank"),
        ("consorsbank_legacy.csv", "consorsbank_legacy"),
        ("revolut_business.csv", "revolut_business"),
        ("revolut_business_legacy.csv", "revolut_business_legacy"),
    ],
)
def test_each_layout_is_recognised_from_its_header(name: str, layout: str) -> None:
    found = detect_preset((FIXTURES / name).read_text(encoding="utf-8"))
    assert found is not None and found[0].name == layout


def test_no_other_fixture_is_taken_for_one_of_these_layouts() -> None:
    for path in sorted(FIXTURES.glob("*.csv")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        found = detect_preset(text)
        if found is not None and found[0].name in NEW:
            assert path.stem == found[0].name, f"{path.name} taken for {found[0].name}"


def test_consorsbank_amounts_dates_counterparty_and_national_account_numbers() -> None:
    mueller, stadtwerke, altkunde, fee = read("consorsbank.csv")
    assert [t.amount for t in (mueller, stadtwerke, altkunde, fee)] == [
        Decimal("1190.00"),
        Decimal("-80.00"),
        Decimal("12380.50"),  # thousands separator
        Decimal("-4.95"),
    ]
    assert (mueller.counterparty_name, mueller.counterparty_iban, mueller.counterparty_bic) == (
        "Müller & Söhne GmbH",
        "DE02120300000000202051",
        "BYLADEM1001",
    )
    assert mueller.remittance == "RE-2026-1101 vielen Dank" and mueller.currency == "EUR"
    assert (altkunde.booking_date, altkunde.value_date) == (date(2026, 11, 7), date(2026, 11, 8))
    # `IBAN / Konto-Nr.` and `BIC / BLZ` with an old account number and bank code: neither is an IBAN or BIC
    assert (altkunde.counterparty_iban, altkunde.counterparty_bic) == (None, None)
    assert fee.counterparty_name == "Consorsbank" and fee.remittance == "Kontoführung 11/2026"


def test_consorsbank_older_export_below_its_title_line() -> None:
    weiss, stadtwerke = read("consorsbank_legacy.csv")
    assert (weiss.amount, weiss.counterparty_name, weiss.remittance) == (
        Decimal("1428.00"),
        "Jürgen Weiß",
        "RE-2026-1201",
    )
    assert stadtwerke.amount == Decimal("-80.00") and stadtwerke.counterparty_iban == "DE44500105175407324931"


def test_revolut_business_fee_payer_beneficiary_and_rows_that_are_no_money() -> None:
    txs = read("revolut_business.csv")
    assert [t.amount for t in txs] == [Decimal("2380.00"), Decimal("-80.30"), Decimal("-25.00"), Decimal("-1390.12")]
    alpha, stadtwerke, plan_fee, hosting = txs  # PENDING and DECLINED card payments are skipped
    assert (alpha.counterparty_name, alpha.remittance) == (
        "Kunde Ölmühle GmbH",
        "RE-2026-1301 Payment from Kunde Ölmühle GmbH",
    )
    assert alpha.counterparty_iban is None  # a credit's beneficiary is the holder: never learnt as the payer's
    assert alpha.booking_date == date(2026, 11, 2) and alpha.bank_reference == "a1b2c3d4-0001"
    assert (stadtwerke.counterparty_iban, stadtwerke.counterparty_bic) == ("DE44500105175407324931", "INGDDEFFXXX")
    assert stadtwerke.remittance.startswith("Strom 11/2026")
    assert plan_fee.remittance == "Grow plan fee"
    assert hosting.counterparty_name == "Cloud Hosting Ltd" and hosting.currency == "EUR"


def test_revolut_business_older_statement_skips_rows_not_completed() -> None:
    alpha, stadtwerke = read("revolut_business_legacy.csv")  # the card payment without a completion date is pending
    assert (alpha.amount, alpha.counterparty_name, alpha.booking_date) == (
        Decimal("595.00"),
        "Kunde Alpha GmbH",
        date(2026, 11, 2),
    )
    assert stadtwerke.amount == Decimal("-80.30") and stadtwerke.counterparty_iban == "DE44500105175407324931"


def test_postbank_export_since_2023_below_its_account_block() -> None:
    found = detect_preset((FIXTURES / "postbank_2023.csv").read_text(encoding="utf-8"))
    assert found is not None and found[0].name == "postbank_2023"  # not Deutsche Bank's look-alike
    card, stadtwerke, mueller = read("postbank_2023.csv")  # the closing `Kontostand` line is no transaction
    assert [t.amount for t in (card, stadtwerke, mueller)] == [
        Decimal("-12.50"),
        Decimal("-80.00"),
        Decimal("11904.00"),
    ]
    assert (mueller.booking_date, mueller.value_date) == (date(2026, 11, 5), date(2026, 11, 6))  # no leading zeros
    assert (mueller.counterparty_name, mueller.counterparty_iban, mueller.counterparty_bic) == (
        "Müller & Söhne GmbH",
        "DE02120300000000202051",
        "BYLADEM1001",
    )
    assert mueller.end_to_end_id == "E2E-1501" and mueller.remittance == "RE-2026-1501 und RE-2026-1502"
    assert stadtwerke.end_to_end_id is None  # NOTPROVIDED is SEPA's filler, not a reference
    assert card.counterparty_name == "Bäckerei Groß" and card.counterparty_iban is None
