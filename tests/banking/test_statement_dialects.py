"""Each bank dialect the readers support, from the project's own fixtures (tests/banking/fixtures), written from
the formats' published rules: what must be read, what must be skipped, and what must be refused."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lexflow.banking import StatementError, Unverified, parse_statement, read_statement
from lexflow.banking.readers import PRESETS, load_mapping
from lexflow.banking.readers.csv import detect_preset

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str, **kwargs: object) -> list:  # type: ignore[type-arg]
    return read_statement(FIXTURES / name, **kwargs)  # type: ignore[arg-type]


def amounts(txs: list) -> list[Decimal]:  # type: ignore[type-arg]
    return [t.amount for t in txs]


# ---------------------------------------------------------------------------------------------- found wrong


def test_pending_rows_are_not_money_and_csv_agrees_with_camt() -> None:
    csv_txs = read("sparkasse_camt_pending.csv")
    camt_txs = read("camt053_pending_holder_addtl.xml")
    assert amounts(csv_txs) == [Decimal("1238.00"), Decimal("-5.95")]  # "Umsatz vorgemerkt" 119.00 skipped
    assert Decimal("119.00") not in amounts(camt_txs)  # Sts PDNG skipped
    assert "E2E-1001" not in {t.end_to_end_id for t in csv_txs} | {t.end_to_end_id for t in camt_txs}
    assert [t.amount for t in csv_txs if t.end_to_end_id] == [t.amount for t in camt_txs if t.end_to_end_id]


@pytest.mark.parametrize("name", ["dkb.csv", "comdirect.csv", "paypal.csv", "sparkasse_csv_mt940.csv"])
def test_pending_rows_of_other_banks_are_skipped(name: str) -> None:
    txs = read(name)
    pending = {"dkb.csv": "RE-2026-5001", "comdirect.csv": "Strom", "paypal.csv": "", "sparkasse_csv_mt940.csv": "4002"}
    assert not [t for t in txs if pending[name] and pending[name] in t.remittance]
    assert Decimal("119.00") not in amounts(txs) and Decimal("20.00") not in amounts(txs)  # PayPal: hold + release


def test_older_sparkasse_csv_mt940_layout_reads_iban_bic_and_end_to_end_id() -> None:
    text = (FIXTURES / "sparkasse_csv_mt940.csv").read_text("latin-1")
    found = detect_preset(text)
    assert found is not None and found[0].name == "sparkasse_mt940"  # not taken for CSV-CAMT
    first, second, pre_sepa = read("sparkasse_csv_mt940.csv")
    assert first.counterparty_iban == "DE02120300000000202051" and first.counterparty_bic == "BYLADEM1001"
    assert first.end_to_end_id == "E2E-4001"
    assert first.remittance == "RE-2026-4001 Danke"  # no EREF+/SVWZ+ tags left
    assert second.end_to_end_id == "INV-77" and second.remittance == "Strom 11/2026"
    assert pre_sepa.counterparty_iban is None and pre_sepa.counterparty_bic is None  # Kontonummer/BLZ, not IBAN


def test_a_missing_mapped_column_fails_loudly() -> None:
    data = (FIXTURES / "sparkasse_camt_pending.csv").read_bytes().replace(b'"Kontonummer/IBAN"', b'"Konto"')
    with pytest.raises(StatementError, match=r"lacks column\(s\) 'Kontonummer/IBAN'") as err:
        parse_statement(data, source="s.csv", csv_mapping="sparkasse")
    assert err.value.location == "line 1"
    with pytest.raises(StatementError, match=r"looks like layout 'sparkasse'.*lacks column\(s\) 'Kontonummer/IBAN'"):
        parse_statement(data, source="s.csv")  # detected layouts never read a missing column as empty


def test_camt_never_reports_the_account_holder_as_payer() -> None:
    deposit = next(t for t in read("camt053_pending_holder_addtl.xml") if t.remittance == "Bareinzahlung")
    assert deposit.amount == Decimal("50.00")
    assert deposit.counterparty_iban is None and deposit.counterparty_name is None  # only Cdtr (the holder) named


def test_camt_entry_without_details_takes_its_text_from_addtl_ntry_inf() -> None:
    fee = next(t for t in read("camt053_pending_holder_addtl.xml") if t.amount == Decimal("-5.95"))
    assert fee.remittance == "Kontoführung 10/2026"


def test_mt940_point_decimals_and_unusual_61_lines() -> None:
    gamma, delta = read("mt940_dutch.sta")
    assert (gamma.amount, delta.amount) == (Decimal("119.00"), Decimal("-45.50"))
    assert gamma.counterparty_name == "Gamma B.V." and gamma.counterparty_iban == "NL91ABNA0417164300"
    assert gamma.end_to_end_id == "E2E-3001"
    assert gamma.remittance == "Factuur RE-2026-3001 levering oktober 2026 en RE-2026-3002"  # wrapped mid-word
    assert (delta.counterparty_name, delta.counterparty_iban) == ("Delta Energie", "NL20INGB0001234567")
    assert delta.remittance == "Termijn november"


MT940_OK = (
    ":20:X\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261124EUR100,00\n"
    ":61:2611241124C12,00NTRFNONREF\n:86:166?00GUTSCHRIFT?20RE 1\n"
    ":61:2611241124D2,00NCHGNONREF\n:86:805?00ENTGELT\n:62F:C261124EUR110,00\n-\n"
)


def test_mt940_balance_check_refuses_a_statement_that_does_not_add_up() -> None:
    assert len(parse_statement(MT940_OK.encode())) == 2
    with pytest.raises(StatementError, match="integrity check 'balance' failed") as err:
        parse_statement(MT940_OK.replace("EUR110,00", "EUR120,00").encode(), source="k.sta")
    assert err.value.location.startswith("line 1")


def test_camt_count_and_balance_checks() -> None:
    data = (FIXTURES / "camt053_pending_holder_addtl.xml").read_bytes()
    with pytest.raises(StatementError, match="integrity check 'entry count' failed: the file holds 5"):
        parse_statement(data.replace(b"<NbOfNtries>4<", b"<NbOfNtries>5<"))
    with pytest.raises(StatementError, match="integrity check 'balance' failed"):
        parse_statement(data.replace(b">2282.05<", b">2282.50<"))
    batch = (FIXTURES / "camt054_notification.xml").read_bytes().replace(b">238.00<", b">283.00<")
    with pytest.raises(StatementError, match="integrity check 'batch sum' failed"):
        parse_statement(batch)


def test_csv_running_and_balance_row_checks() -> None:
    atruvia = (FIXTURES / "atruvia.csv").read_bytes().replace(b";1.239,00;", b";1.293,00;")
    with pytest.raises(StatementError, match="integrity check 'running balance' failed") as err:
        parse_statement(atruvia, source="a.csv")
    assert err.value.location == "line 3"
    legacy = (FIXTURES / "volksbank_legacy.csv").read_bytes().replace(b'"1.420,00"', b'"1.402,00"')
    with pytest.raises(StatementError, match="integrity check 'balance' failed"):
        parse_statement(legacy)


# ------------------------------------------------------------------ a person's override: accept_unbalanced


def test_a_statement_that_does_not_add_up_is_refused_naming_the_check_and_the_override() -> None:
    with pytest.raises(StatementError, match="integrity check 'balance' failed") as err:
        read("mt940_unbalanced.sta")
    assert err.value.location == "line 9 (statement STARTUMSE)"
    assert "read it anyway with --accept-unbalanced" in err.value.problem
    assert "proposals for a person only" in err.value.problem


def test_accept_unbalanced_reads_it_and_marks_the_failing_statement_unverified(tmp_path: Path) -> None:
    balanced, *edited = read("mt940_unbalanced.sta", accept_unbalanced=True)
    assert balanced.amount == Decimal("119.00") and balanced.unverified is None  # its own statement adds up
    assert amounts(edited) == [Decimal("238.00"), Decimal("-45.50")]
    expected = Unverified(
        check="balance",
        file="mt940_unbalanced.sta",
        location="line 9 (statement STARTUMSE)",
        difference=Decimal("20.00"),
    )
    assert [t.unverified for t in edited] == [expected, expected]
    assert expected.reason == "statement balance does not add up (difference 20.00)"
    # the same ids as the corrected statement: once a corrected file arrives, nothing is acted on twice
    fixed = tmp_path / "fixed.sta"
    fixed.write_bytes((FIXTURES / "mt940_unbalanced.sta").read_bytes().replace(b"EUR1331,50", b"EUR1311,50"))
    corrected = read_statement(fixed)
    assert [t.transaction_id for t in corrected] == [t.transaction_id for t in [balanced, *edited]]
    assert all(t.unverified is None for t in corrected)


def test_accept_unbalanced_in_camt_and_csv_but_never_for_the_entry_count() -> None:
    camt = (FIXTURES / "camt053_pending_holder_addtl.xml").read_bytes().replace(b">2282.05<", b">2282.50<")
    txs = parse_statement(camt, accept_unbalanced=True)
    assert len(txs) == 3 and {(t.unverified.check, t.unverified.difference) for t in txs if t.unverified} == {
        ("balance", Decimal("0.45"))
    }
    assert all(t.unverified for t in txs)
    with pytest.raises(StatementError, match="integrity check 'entry count' failed") as err:
        parse_statement(camt.replace(b"<NbOfNtries>4<", b"<NbOfNtries>5<"), accept_unbalanced=True)
    assert "accept-unbalanced" not in str(err.value)  # a lost entry is never overridable
    batch = (FIXTURES / "camt054_notification.xml").read_bytes().replace(b">238.00<", b">283.00<")
    with pytest.raises(StatementError, match="integrity check 'batch sum' failed"):
        parse_statement(batch, accept_unbalanced=True)
    atruvia = (FIXTURES / "atruvia.csv").read_bytes().replace(b";1.239,00;", b";1.293,00;")
    marks = {t.unverified for t in parse_statement(atruvia, source="a.csv", accept_unbalanced=True)}
    assert marks == {Unverified(check="running balance", file="a.csv", location="line 3", difference=Decimal("54.00"))}
    legacy = (FIXTURES / "volksbank_legacy.csv").read_bytes().replace(b'"1.420,00"', b'"1.402,00"')
    marks = {t.unverified for t in parse_statement(legacy, source="v.csv", accept_unbalanced=True)}
    assert marks == {Unverified(check="balance", file="v.csv", location="balance rows", difference=Decimal("-18.00"))}
    damaged = (FIXTURES / "dkb.csv").read_bytes().replace(b'"Strom";"Ausgang";', b'"Strom";')
    with pytest.raises(StatementError, match="damaged row"):
        parse_statement(damaged, source="dkb.csv", accept_unbalanced=True)


def test_a_damaged_csv_row_is_refused_naming_its_line() -> None:
    data = (FIXTURES / "dkb.csv").read_bytes().replace(b'"Strom";"Ausgang";', b'"Strom";')
    with pytest.raises(StatementError, match="damaged row: 11 columns where the header has 12") as err:
        parse_statement(data, source="dkb.csv")
    assert err.value.location == "line 8"


# ------------------------------------------------------------------------------ refused today, read by others


def test_mt940_thirty_february_blank_entry_date_and_broken_unused_65f() -> None:
    beta, closing, rent = read("mt940_german.sta")
    assert closing.value_date == date(2026, 2, 28) and closing.booking_date == date(2026, 2, 28)
    assert closing.amount == Decimal("-12.50")
    assert beta.counterparty_name == "Beta KG Mueller" and beta.counterparty_iban == "DE12500105170648489890"
    assert beta.remittance == "RE-2026-2001 Danke" and beta.end_to_end_id == "E2E-2001"
    assert rent.end_to_end_id == "ABC-77" and rent.remittance == "Miete Maerz"
    blank = MT940_OK.replace(":61:2611241124C12,00", ":61:261124    C12,00")
    assert parse_statement(blank.encode())[0].booking_date == date(2026, 11, 24)


def test_mt940_errors_name_the_line_and_what_was_expected(capsys: pytest.CaptureFixture[str]) -> None:
    bad = MT940_OK.replace(":61:2611241124D2,00", ":61:26XX24D2,00")
    with pytest.raises(StatementError) as err:
        parse_statement(bad.encode(), source="k.sta")
    assert err.value.location == "line 7"
    assert "expected YYMMDD[MMDD] C|D|RC|RD amount" in err.value.problem
    assert "object at 0x" not in str(err.value)
    broken_balance = MT940_OK.replace(":62F:C261124EUR110,00", ":62F:C26XX24EUR110,00")
    with pytest.raises(StatementError, match=r":62F: balance .*expected C\|D, date YYMMDD") as err2:
        parse_statement(broken_balance.encode(), source="k.sta")
    assert err2.value.location == "line 9"
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # no parser dumps on the terminal


def test_zip_of_camt_files_is_read_and_anything_unknown_is_named() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("2026-11-03.xml", (FIXTURES / "camt053_pending_holder_addtl.xml").read_bytes())
        archive.writestr("2026-11-06.xml", (FIXTURES / "camt054_notification.xml").read_bytes())
    txs = parse_statement(buf.getvalue(), source="c53.zip")
    assert len(txs) == 5 and sum(amounts(txs)) == Decimal("1639.05")
    with pytest.raises(StatementError, match="not a bank statement format lexflow reads: a PDF"):
        parse_statement(b"%PDF-1.7\n...", source="auszug.pdf")
    with pytest.raises(StatementError, match="not a bank statement format lexflow reads: no known bank CSV"):
        parse_statement(b"Hallo Welt;nur Text;nichts weiter\n1;2;3\n", source="x.csv")
    inner_pdf = io.BytesIO()
    with zipfile.ZipFile(inner_pdf, "w") as archive:
        archive.writestr("auszug.pdf", b"%PDF-1.7")
    with pytest.raises(StatementError, match="not a bank statement format lexflow reads: a PDF") as err:
        parse_statement(inner_pdf.getvalue(), source="c53.zip")
    assert err.value.source == "c53.zip/auszug.pdf"


# ---------------------------------------------------------------------------------------------- new formats


def test_camt052_report_and_camt054_notification() -> None:
    (report,) = read("camt052_report.xml")  # the pending entry is skipped
    assert report.amount == Decimal("476.00") and report.counterparty_bic == "ABNANL2A"
    alpha, beta = read("camt054_notification.xml")  # a batch split by its details
    assert (alpha.amount, alpha.counterparty_name, alpha.end_to_end_id) == (
        Decimal("119.00"),
        "Kunde Alpha GmbH",
        "LS-1",
    )
    assert (beta.amount, beta.remittance) == (Decimal("238.00"), "RE-2026-1005")


@pytest.mark.parametrize(
    ("name", "layout", "expected"),
    [
        ("dkb.csv", "dkb", [("1190.50", "Kunde Alpha GmbH"), ("-80.00", "Stadtwerke Muster")]),
        ("atruvia.csv", "atruvia", [("-80.00", "Stadtwerke Muster"), ("238.00", "Kunde Alpha GmbH"), ("-1.00", None)]),
        (
            "volksbank_legacy.csv",
            "volksbank_legacy",
            [("1000.00", "Kunde Alpha GmbH"), ("-80.00", "Stadtwerke Muster")],
        ),
        ("paypal.csv", "paypal", [("116.39", "Kunde Alpha GmbH"), ("-20.00", "Lieferant GmbH")]),
        ("n26.csv", "n26", [("1190.00", "Kunde Alpha GmbH"), ("-12.99", "Cloud Hosting Ltd")]),
        ("comdirect.csv", "comdirect", [("238.00", "Kunde Alpha GmbH")]),
        ("postbank.csv", "postbank", [("357.00", "Kunde Alpha GmbH"), ("-80.00", "Stadtwerke Muster")]),
        ("sparkasse_creditcard.csv", "sparkasse_creditcard", [("-12.99", None), ("12.99", None)]),
        ("sparkasse_camt_pending.csv", "sparkasse", [("1238.00", "Beta KG Müller"), ("-5.95", "Sparkasse")]),
        ("revolut.csv", "revolut", [("595.00", None), ("-13.19", None)]),
        ("wise.csv", "wise", [("1190.00", "Kunde Alpha GmbH"), ("-80.00", "Stadtwerke Muster")]),
    ],
)
def test_csv_layouts_are_recognised_from_the_header(name: str, layout: str, expected: list[tuple[str, str]]) -> None:
    raw = (FIXTURES / name).read_bytes()
    text = (
        raw.decode("utf-8-sig")
        if layout in {"dkb", "atruvia", "paypal", "n26", "revolut", "wise"}
        else raw.decode("cp1252")
    )
    found = detect_preset(text)
    assert found is not None and found[0].name == layout
    txs = read(name)
    assert [(str(t.amount), t.counterparty_name) for t in txs] == expected


def test_layout_details_iban_end_to_end_and_multiline_purpose() -> None:
    stadtwerke = read("atruvia.csv")[0]
    assert stadtwerke.end_to_end_id == "INV-77" and stadtwerke.remittance == "Strom 11/2026"  # "EREF: …" split off
    alpha = read("volksbank_legacy.csv")[0]
    assert alpha.end_to_end_id == "E2E-7001" and alpha.counterparty_iban == "DE02120300000000202051"
    assert read("dkb.csv")[0].end_to_end_id == "E2E-5002"
    card = read("sparkasse_creditcard.csv")[0]
    assert card.value_date == date(2026, 11, 1) and card.booking_date == date(2026, 11, 3)


def test_every_layout_names_columns_it_reads_in_its_full_header() -> None:
    for mapping in PRESETS.values():
        header = {c.strip() or f"#{i + 1}" for i, c in enumerate(mapping.columns)}
        assert set(mapping.mapped) <= header, mapping.name


@pytest.mark.parametrize("mapping_file", ["custom_bank.toml", "custom_bank.yaml"])
def test_a_mapping_file_reads_a_layout_lexflow_does_not_know(mapping_file: str) -> None:
    with pytest.raises(StatementError, match="give a mapping file"):
        read("custom_bank.csv")
    txs = read("custom_bank.csv", csv_mapping=FIXTURES / mapping_file)
    assert [(t.amount, t.counterparty_name, t.booking_date) for t in txs] == [
        (Decimal("1190.00"), "Kunde Alpha GmbH", date(2026, 11, 6)),
        (Decimal("-80.00"), "Stadtwerke Muster", date(2026, 11, 7)),
    ]
    assert load_mapping(FIXTURES / mapping_file).name == "custom_bank"


def test_a_bad_mapping_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bank.toml"
    bad.write_text('booking_date = "Datum"\nammount = "Betrag"\n')
    with pytest.raises(StatementError, match="ammount: Extra inputs are not permitted") as err:
        load_mapping(bad)
    assert err.value.location == "mapping file"
    bad.write_text('booking_date = "Datum"\n')
    with pytest.raises(StatementError, match="give `amount`"):
        load_mapping(bad)


def test_cli_reads_with_a_mapping_file_and_refuses_unknown_files_without_a_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lexflow.cli import app

    runner = CliRunner()
    ok = runner.invoke(
        app,
        ["bank", "read", str(FIXTURES / "custom_bank.csv"), "--csv-mapping", str(FIXTURES / "custom_bank.toml")],
        env={"COLUMNS": "200"},
    )
    assert ok.exit_code == 0, ok.output
    assert "custom_bank.csv: 2 transactions" in ok.output and "Kunde Alpha GmbH" in ok.output
    pdf = tmp_path / "auszug.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    refused = runner.invoke(app, ["bank", "read", str(pdf)])
    assert refused.exit_code == 2
    assert "not a bank statement format lexflow reads: a PDF" in refused.output
    assert "Traceback" not in refused.output


def test_older_rabobank_mt940_is_not_merged_into_one_entry() -> None:
    delta, gamma = read("mt940_rabobank_old.sta")  # point decimals, name on the :61: line, one :86: per text line
    assert (delta.amount, delta.counterparty_name, delta.remittance) == (
        Decimal("-45.50"),
        "Delta Energie",
        "Termijn november klantnr 12345",
    )
    assert (gamma.amount, gamma.counterparty_name, gamma.counterparty_iban) == (
        Decimal("119.00"),
        "Gamma B.V.",
        "NL91ABNA0417164300",
    )


def test_revolut_fee_pending_and_reverted_rows() -> None:
    hosting = read("revolut.csv")[1]
    assert hosting.amount == Decimal("-13.19")  # -12.99 and a 0.20 fee
    assert hosting.booking_date == date(2026, 11, 4) and hosting.value_date == date(2026, 11, 3)
    assert len(read("revolut.csv")) == 2  # PENDING and REVERTED rows are no money


def test_comdirect_names_the_counterparty_from_the_labelled_text() -> None:
    (alpha,) = read("comdirect.csv")
    assert (alpha.counterparty_name, alpha.remittance) == ("Kunde Alpha GmbH", "RE-2026-9101 Ref. X1")


def test_a_headerless_export_is_read_through_a_mapping_by_position() -> None:
    with pytest.raises(StatementError, match="no known bank CSV layout"):
        read("targobank.csv")
    alpha, stadtwerke = read("targobank.csv", csv_mapping=FIXTURES / "targobank.toml")
    assert (alpha.amount, alpha.booking_date) == (Decimal("238.00"), date(2026, 11, 5))
    assert stadtwerke.amount == Decimal("-80.00") and "Strom 11/2026" in stadtwerke.remittance


def test_mt940_cut_off_before_its_closing_balance_is_read_but_never_trusted() -> None:
    """A file cut off mid-amount (`C25,` of `C25,50`) ends without the mandatory :62F:; nothing tells the last
    amount is short, so every entry of that statement is marked and reconciliation only proposes."""
    cut = MT940_OK[: MT940_OK.index(":62F:")]
    txs = parse_statement(cut.encode(), source="cut.sta")
    assert txs and all(t.unverified is not None for t in txs)
    mark = txs[0].unverified
    assert mark is not None and mark.check == "closing balance" and mark.difference is None
    assert "no closing balance" in mark.reason
    assert all(t.unverified is None for t in parse_statement(MT940_OK.encode(), source="ok.sta"))


def test_mt940_amount_longer_than_the_field_is_refused_naming_the_line() -> None:
    huge = MT940_OK.replace(":61:2611241124C12,00", ":61:2611241124C" + "9" * 400 + ",00")
    with pytest.raises(StatementError, match=r":61: amount .*more than 15 digits") as err:
        parse_statement(huge.encode(), source="h.sta")
    assert err.value.location.startswith("line ")
