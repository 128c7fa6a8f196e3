"""Readers and writers: every format round-trips, malformed files name the line or element."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lexflow.banking import BankTransaction, StatementError, parse_statement, write_camt053, write_csv, write_mt940
from lexflow.banking.readers import PRESETS, CsvMapping, detect_format, parse_csv
from lexflow.banking.readers.csv import parse_german_amount

TXS = [
    BankTransaction(
        transaction_id="t1",
        booking_date=date(2026, 11, 24),
        value_date=date(2026, 11, 25),
        amount=Decimal("1234.56"),
        counterparty_name="Müller Handel GmbH",
        counterparty_iban="DE89 3704 0044 0532 0130 00",
        counterparty_bic="COBADEFFXXX",
        remittance="Rechnung RE 1001 und RE-1002, vielen Dank fuer die schnelle Lieferung letzte Woche",
        end_to_end_id="E2E-77",
    ),
    BankTransaction(
        transaction_id="t2",
        booking_date=date(2026, 11, 23),
        amount=Decimal("-50.00"),
        counterparty_name="Telekom",
        remittance="Kd 55",
    ),
    BankTransaction(
        transaction_id="t3",
        booking_date=date(2026, 11, 24),
        amount=Decimal("-99.00"),
        counterparty_name="Kunde AG",
        remittance="RUECKUEBERWEISUNG RE1003",
        reversal=True,
    ),
]


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_camt053_round_trip(version: str) -> None:
    data = write_camt053(TXS, version=version)
    assert f"camt.053.001.{version}".encode() in data
    got = parse_statement(data)
    assert [t.amount for t in got] == [Decimal("1234.56"), Decimal("-50.00"), Decimal("-99.00")]
    first = got[0]
    assert first.counterparty_name == "Müller Handel GmbH"
    assert first.counterparty_iban == "DE89370400440532013000"
    assert first.counterparty_bic == "COBADEFFXXX"
    assert first.end_to_end_id == "E2E-77"
    assert first.value_date == date(2026, 11, 25)
    assert "RE 1001" in first.remittance
    assert [t.reversal for t in got] == [False, False, True]
    assert all(t.source == "camt053" for t in got)


def test_mt940_round_trip_keeps_structured_details() -> None:
    got = parse_statement(write_mt940(TXS).encode())
    assert [t.amount for t in got] == [Decimal("1234.56"), Decimal("-50.00"), Decimal("-99.00")]
    first = got[0]
    assert first.counterparty_iban == "DE89370400440532013000"
    assert first.counterparty_name == "Mueller Handel GmbH"
    assert first.end_to_end_id == "E2E-77"
    assert first.remittance.startswith("Rechnung RE 1001 und RE-1002")
    assert first.booking_date == date(2026, 11, 24) and first.value_date == date(2026, 11, 25)
    assert got[2].reversal and got[2].amount < 0


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_csv_presets_round_trip_in_their_encoding(preset: str) -> None:
    data = write_csv(TXS, preset=preset).encode(PRESETS[preset].encoding or "utf-8")
    got = parse_statement(data)  # layout detected from the header
    assert [t.amount for t in got] == [Decimal("1234.56"), Decimal("-50.00"), Decimal("-99.00")]
    assert got[0].booking_date == date(2026, 11, 24)
    assert "RE 1001" in got[0].remittance
    if PRESETS[preset].counterparty_name or PRESETS[preset].payer_name:
        assert got[0].counterparty_name == "Müller Handel GmbH"
        assert got[1].counterparty_name == "Telekom"


def test_csv_custom_mapping_and_utf8() -> None:
    text = "Datum;Empfänger;Text;Umsatz\n24.11.2026;Kunde Ä;RE1001;1.234,56\n25.11.2026;Bank;Gebühr;-3,50\n"
    mapping = CsvMapping(booking_date="Datum", amount="Umsatz", counterparty_name="Empfänger", remittance=("Text",))
    got = parse_csv(text.encode("utf-8"), mapping)
    assert [(t.amount, t.counterparty_name) for t in got] == [
        (Decimal("1234.56"), "Kunde Ä"),
        (Decimal("-3.50"), "Bank"),
    ]


def test_stable_ids_survive_reimport_and_separate_duplicates() -> None:
    twin = [TXS[1], TXS[1]]
    a = parse_statement(write_camt053(twin))
    b = parse_statement(write_camt053(twin))
    assert [t.transaction_id for t in a] == [t.transaction_id for t in b]
    assert a[0].transaction_id != a[1].transaction_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.234,56", "1234.56"), ("-1.234,56", "-1234.56"), ("12,00-", "-12.00"), ("+7,5 €", "7.5"), ("0,01", "0.01")],
)
def test_german_amounts(raw: str, expected: str) -> None:
    assert parse_german_amount(raw) == Decimal(expected)


def test_format_detection() -> None:
    assert detect_format(write_camt053(TXS)) == "camt"
    assert detect_format(write_mt940(TXS).encode()) == "mt940"
    assert detect_format(write_csv(TXS).encode()) == "csv"


def test_camt_error_names_element_and_line() -> None:
    data = write_camt053(TXS).replace(b">1234.56<", b">12,34<")
    with pytest.raises(StatementError) as err:
        parse_statement(data, source="bad.xml")
    assert "Ntry" in err.value.location and "Amt" in err.value.location and "line" in err.value.location
    assert "12,34" in str(err.value)


def test_camt_broken_xml_names_line() -> None:
    with pytest.raises(StatementError, match=r"line \d+"):
        parse_statement(write_camt053(TXS)[:-40])


def test_mt940_error_names_line() -> None:
    lines = write_mt940(TXS).split("\r\n")
    bad_no = next(i for i, line in enumerate(lines, 1) if line.startswith(":61:"))
    lines[bad_no - 1] = ":61:26XX24C12,00NTRF"
    with pytest.raises(StatementError) as err:
        parse_statement("\r\n".join(lines).encode())
    assert err.value.location == f"line {bad_no}"


def test_csv_error_names_line() -> None:
    text = write_csv(TXS, preset="sparkasse").splitlines()
    text[2] = text[2].replace("-50,00", "fünfzig")
    with pytest.raises(StatementError) as err:
        parse_statement("\n".join(text).encode("latin-1"))
    assert err.value.location == "line 3" and "fünfzig" in str(err.value)


def test_fints_without_extra_says_how_to_install() -> None:
    pytest.importorskip("pydantic")
    from lexflow.banking import MissingExtra
    from lexflow.banking.readers.fints import FinTSConfig, fetch_fints

    try:
        import fints  # noqa: F401

        pytest.skip("fints installed: the live source needs a bank and is not testable offline")
    except ImportError:
        pass
    cfg = FinTSConfig(blz="12030000", login="u", pin="secret", endpoint="https://bank.invalid/fints", iban="DE02")
    with pytest.raises(MissingExtra, match=r"lexflow\[fints\]"):
        fetch_fints(cfg, date(2026, 11, 1))


def test_banking_never_imports_prefect() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lexflow.banking, lexflow.banking.matcher, lexflow.banking.reconcile, lexflow.banking.ledger, "
        "lexflow.banking.review, lexflow.banking.simulate, lexflow.banking.cli; print('prefect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


CAMT_02_BATCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <c:BkToCstmrStmt><c:GrpHdr><c:MsgId>M1</c:MsgId></c:GrpHdr>
  <c:Stmt><c:Id>S1</c:Id><c:Acct><c:Id><c:IBAN>DE02120300000000202051</c:IBAN></c:Id></c:Acct>
   <c:Ntry><c:Amt Ccy="EUR">300.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts>BOOK</c:Sts>
    <c:BookgDt><c:Dt>2026-11-20</c:Dt></c:BookgDt><c:ValDt><c:DtTm>2026-11-21T10:00:00</c:DtTm></c:ValDt>
    <c:NtryDtls>
     <c:TxDtls><c:Refs><c:EndToEndId>NOTPROVIDED</c:EndToEndId></c:Refs>
      <c:AmtDtls><c:TxAmt><c:Amt Ccy="EUR">100.00</c:Amt></c:TxAmt></c:AmtDtls>
      <c:RltdPties><c:Dbtr><c:Nm>Erika Muster</c:Nm></c:Dbtr></c:RltdPties>
      <c:RmtInf><c:Ustrd>RE1001</c:Ustrd></c:RmtInf></c:TxDtls>
     <c:TxDtls><c:AmtDtls><c:TxAmt><c:Amt Ccy="EUR">200.00</c:Amt></c:TxAmt></c:AmtDtls>
      <c:RltdPties><c:Dbtr><c:Nm>Max Muster</c:Nm></c:Dbtr></c:RltdPties>
      <c:RmtInf><c:Strd><c:CdtrRefInf><c:Ref>RF18RE1002</c:Ref></c:CdtrRefInf></c:Strd></c:RmtInf></c:TxDtls>
    </c:NtryDtls></c:Ntry>
   <c:Ntry><c:Amt Ccy="EUR">5.00</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd><c:Sts>PDNG</c:Sts>
    <c:BookgDt><c:Dt>2026-11-22</c:Dt></c:BookgDt></c:Ntry>
  </c:Stmt></c:BkToCstmrStmt></c:Document>"""


def test_camt_batch_entry_prefixed_namespace_and_pending_entries() -> None:
    got = parse_statement(CAMT_02_BATCH)
    assert [(t.amount, t.counterparty_name, t.remittance) for t in got] == [
        (Decimal("100.00"), "Erika Muster", "RE1001"),
        (Decimal("200.00"), "Max Muster", "RF18RE1002"),
    ]  # the pending debit is not booked money
    assert got[0].end_to_end_id is None and got[0].value_date == date(2026, 11, 21)
    assert got[0].account_iban == "DE02120300000000202051"


def test_csv_footer_lines_are_skipped() -> None:
    text = write_csv(TXS, preset="deutsche_bank") + "Kontostand;24.11.2026;;;1.085,56;EUR\n"
    got = parse_statement(text.encode("latin-1"))
    assert len(got) == 3 and got[1].amount == Decimal("-50.00")


def test_not_a_camt_document_is_refused() -> None:
    with pytest.raises(StatementError, match=r"not a bank statement format lexflow reads: XML namespace"):
        parse_statement(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><x/></Document>')


def test_fints_mapping_with_a_stand_in_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bank dialog itself is not testable offline; what lexflow does with python-fints' answers is."""
    from types import SimpleNamespace

    import mt940

    from lexflow.banking import BankingError
    from lexflow.banking.readers import fints as fints_reader

    booked = list(mt940.parse(write_mt940(TXS)))  # python-fints parses with the library defaults
    seen: dict[str, object] = {}

    class StandIn:
        init_tan_response = None

        def __init__(self, blz: str, login: str, pin: str, endpoint: str, product_id: str | None = None) -> None:
            seen["pin"] = pin

        def __enter__(self) -> StandIn:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def get_sepa_accounts(self) -> list[SimpleNamespace]:
            return [SimpleNamespace(iban="DE02120300000000202051")]

        def get_transactions(self, account: object, start: date, end: date | None) -> object:
            return booked if start >= date(2026, 9, 1) else SimpleNamespace(challenge="TAN please")

    monkeypatch.setattr(fints_reader, "_import_fints", lambda: StandIn)
    cfg = fints_reader.FinTSConfig(
        blz="12030000", login="u", pin="9876", endpoint="https://bank.invalid", iban="DE02 1203 0000 0000 2020 51"
    )
    got = fints_reader.fetch_fints(cfg, date(2026, 11, 1))
    assert [t.amount for t in got] == [Decimal("1234.56"), Decimal("-50.00"), Decimal("-99.00")]
    assert got[0].source == "fints" and got[0].counterparty_iban == "DE89370400440532013000" and got[2].reversal
    assert got[0].counterparty_name == "Mueller Handel GmbH"
    assert seen["pin"] == "9876" and "9876" not in repr(cfg)
    with pytest.raises(BankingError, match="TAN"):
        fints_reader.fetch_fints(cfg, date(2026, 1, 1))
    wrong = cfg.model_copy(update={"iban": "DE89370400440532013000"})
    with pytest.raises(BankingError, match="3000; check"):
        fints_reader.fetch_fints(wrong, date(2026, 11, 1))
