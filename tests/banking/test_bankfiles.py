"""Every real statement in the shared bank-file collection: read correctly, or refused with a specific reason.

The files are public test data of other parser projects (several GPL/AGPL), so they are never copied into this
repository; the test reads them from `LEXFLOW_BANKFILES` (default: the shared folder on the project's CI machine)
and is skipped where that folder is absent. For MT940 and CAMT the expected figures are computed here from the raw
text, independently of the readers: the entry count, the sum of the booked amounts, and by how much each statement's
own balances fail to add up. A file whose stated balances do not add up must be refused by the balance check,
naming the override; read with `accept_unbalanced` it must give the same count and sum, each failing statement
marked unverified with the gap computed here. Any other refusal must be listed in `REFUSED` with the reason. CSV
files are checked against figures read off each file by hand. Run `pytest tests/banking/test_bankfiles.py -q -rA`
for the per-file verdicts.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from lexflow.banking import StatementError, parse_statement

ROOT = Path(os.environ.get("LEXFLOW_BANKFILES", "/work/shared/bankfiles"))
FILES = sorted(p for p in ROOT.rglob("*") if p.is_file() and p.name != "SOURCES.md") if ROOT.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"no bank-file collection at {ROOT} (set LEXFLOW_BANKFILES)")

# Refusals that are right, with the reason the message must give.
REFUSED = {
    # a data row lost its Buchungstext cell: 6 columns where the header has 7
    "rechnungspilot-ing.csv": "line 22: damaged row: 6 columns",
}

# Exports without a header row cannot be recognised (refused: "no known bank CSV layout"); a mapping file reads them.
MAPPED = {
    "rechnungspilot-targobank-duesseldorf.csv": ("no known bank CSV layout", "targobank.toml"),
    # the anonymiser overwrote a header cell with a sample value ("Max Mustermann" for "Name Zahlungsbeteiligter"):
    # refused naming the column, read with a mapping that names the columns as the file does
    "rechnungspilot-sparda-bank-west.csv": ("lacks column(s) 'Name Zahlungsbeteiligter'", "sparda_anonymised.toml"),
}
MAPPINGS = Path(__file__).parent / "fixtures"

# CSV: (transactions, sum) as read off each file: pending rows (Sparkasse "Umsatz vorgemerkt", DKB "Vorgemerkt",
# PayPal holds "Ausstehend" and their releases) are not money.
CSV_FIGURES = {
    "rechnungspilot-sparda-bank-west.csv": (20, "-15316.35"),
    "bank2ynab-n26-2017.csv": (1, "-59.99"),
    "bank2ynab-ostseesparkasse-creditcard.csv": (1, "-5.00"),
    "bank2ynab-ostseesparkasse-csv-mt940.csv": (1, "-36.99"),
    "lkleen-comdirect-2013.csv": (6, "-66.28"),
    "ofxstatement-de-ing-test_with_saldo_1.csv": (9, "-178.60"),
    "ofxstatement-de-ing-test_with_saldo_2.csv": (9, "-178.60"),
    "ofxstatement-de-ing-test_without_saldo_1.csv": (6, "-180.93"),
    "ofxstatement-sparkasse-freiburg-simple1.csv": (1, "123.00"),
    "rechnungspilot-commerzbank.csv": (7, "-73.74"),
    "rechnungspilot-dkb.csv": (8, "50.43"),
    "rechnungspilot-gls-bank.csv": (18, "-590.22"),
    "rechnungspilot-paypal.csv": (7, "-24.77"),
    "rechnungspilot-sparkasse-lzo-camt-v2.csv": (7, "332.51"),
    "rechnungspilot-sparkasse-lzo-camt-v8.csv": (7, "332.51"),
    "rechnungspilot-sparkasse-lzo-mt940.csv": (7, "332.51"),
    "rechnungspilot-vr-teilhaberbank.csv": (5, "-341.91"),
    "rechnungspilot-targobank-duesseldorf.csv": (11, "-618.18"),
}


def _mt940_amount(raw: str) -> Decimal:
    return Decimal(raw.replace(",", ".").rstrip(".") or "0")


# (entries, sum, gaps): a gap is (closing - opening - entries, number of entries) of a statement that does not add up
Expected = tuple[int, Decimal, list[tuple[Decimal, int]]]


def _mt940_expected(text: str) -> Expected:
    """(entries, sum, gaps) from the raw lines: statements split at :20:, entries at :61:."""
    count, total, gaps = 0, Decimal(0), []
    for stmt in re.split(r"(?m)^:20:", text)[1:]:
        amounts = []
        for m in re.finditer(r"(?m)^:61:\d{6}(?:\d{4}|\s{4})?\s?(R?[CD])[A-Z]?(\d[\d,.]*)", stmt):
            value = _mt940_amount(m.group(2))
            amounts.append(-value if m.group(1) in ("D", "RC") else value)
        count += len(amounts)
        total += sum(amounts, Decimal(0))
        balances = {}
        for tag, mark, amount in re.findall(r"(?m)^:(6[02])[FM]:([CD])\d{6}(?:[A-Z]{3})?(\d[\d,.]*)", stmt):
            balances[tag] = -_mt940_amount(amount) if mark == "D" else _mt940_amount(amount)
        if "60" in balances and "62" in balances and balances["60"] + sum(amounts, Decimal(0)) != balances["62"]:
            gaps.append((balances["62"] - balances["60"] - sum(amounts, Decimal(0)), len(amounts)))
    return count, total, gaps


def _local(el: etree._Element, name: str) -> list[etree._Element]:
    return list(el.xpath(f"*[local-name()='{name}']"))


def _camt_expected(data: bytes) -> Expected:
    """(transactions, sum, gaps): booked Ntry, batches counted by their TxDtls when each has an amount."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    count, total, gaps = 0, Decimal(0), []
    for record in root.xpath("//*[local-name()='Stmt' or local-name()='Rpt' or local-name()='Ntfctn']"):
        booked, before = Decimal(0), count
        for entry in _local(record, "Ntry"):
            if "".join(s.xpath("string(.)") for s in _local(entry, "Sts")).strip() in {"PDNG", "INFO"}:
                continue
            value = Decimal(_local(entry, "Amt")[0].text or "0")
            sign = -1 if _local(entry, "CdtDbtInd")[0].text == "DBIT" else 1
            booked += sign * value
            details = entry.xpath("*[local-name()='NtryDtls']/*[local-name()='TxDtls']")
            with_amounts = [d for d in details if d.xpath(".//*[local-name()='Amt']")]
            count += len(details) if len(details) > 1 and len(with_amounts) == len(details) else 1
        total += booked
        balances: dict[str, Decimal] = {}
        for bal in _local(record, "Bal"):
            code = bal.xpath("string(*[local-name()='Tp']//*[local-name()='Cd'])")
            value = Decimal(_local(bal, "Amt")[0].text or "0")
            balances.setdefault(code, -value if bal.xpath("string(*[local-name()='CdtDbtInd'])") == "DBIT" else value)
        opening = balances.get("OPBD", balances.get("PRCD"))
        if opening is not None and "CLBD" in balances and opening + booked != balances["CLBD"]:
            gaps.append((balances["CLBD"] - opening - booked, count - before))
    return count, total, gaps


def _expected(path: Path, data: bytes) -> Expected | None:
    if path.suffix == ".zip":
        figures = [
            _expected(Path(n), zipfile.ZipFile(io.BytesIO(data)).read(n))
            for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
        ]
        return (
            sum(f[0] for f in figures if f),
            sum((f[1] for f in figures if f), Decimal(0)),
            [gap for f in figures if f for gap in f[2]],
        )
    if data.lstrip(b"\xef\xbb\xbf \r\n").startswith(b"<"):
        return _camt_expected(data)
    if path.suffix == ".csv":
        return None
    return _mt940_expected(data.decode("latin-1"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_statement_is_read_correctly_or_refused_with_a_reason(path: Path) -> None:
    data = path.read_bytes()
    expected = _expected(path, data)
    if path.name in REFUSED:
        with pytest.raises(StatementError) as err:
            parse_statement(data, source=path.name)
        assert REFUSED[path.name] in str(err.value)
        return
    if expected is None:
        count, total = CSV_FIGURES[path.name]
        mapping = None
        if path.name in MAPPED:
            refusal, mapping_file = MAPPED[path.name]
            with pytest.raises(StatementError) as err:
                parse_statement(data, source=path.name)
            assert refusal in str(err.value)
            mapping = MAPPINGS / mapping_file
        txs = parse_statement(data, source=path.name, csv_mapping=mapping)
        assert (len(txs), sum((t.amount for t in txs), Decimal(0))) == (count, Decimal(total))
        return
    count, total, gaps = expected
    if gaps:  # the file's own balances do not add up (edited test data): the check must say so, and how to read it
        with pytest.raises(StatementError, match="integrity check 'balance' failed") as err:
            parse_statement(data, source=path.name)
        assert "read it anyway with --accept-unbalanced" in str(err.value)
        txs = parse_statement(data, source=path.name, accept_unbalanced=True)  # a person accepts it
        marks = {t.unverified for t in txs if t.unverified is not None}  # one per failing statement
        assert sorted(m.difference for m in marks) == sorted(gap for gap, entries in gaps if entries)
        assert {m.check for m in marks} == {"balance"}
    else:
        txs = parse_statement(data, source=path.name)
        marks = {t.unverified for t in txs if t.unverified is not None}
        # read, but never trusted: an MT940 statement without its mandatory closing balance (cut-off files)
        assert {m.check for m in marks} <= {"closing balance"}
        assert bool(marks) == _mt940_statement_without_closing(data)
    assert len(txs) == count
    assert sum((t.amount for t in txs), Decimal(0)) == total.quantize(Decimal("0.01"))


def _mt940_statement_without_closing(data: bytes) -> bool:
    """Counted on the raw text: a statement (from one `:20:` to the next) with entries but no `:62F:`/`:62M:`."""
    text = data.decode("latin-1").replace("\r\n", "\n")
    chunks = re.split(r"(?m)^:20:", text)[1:]
    return any(re.search(r"(?m)^:61:", c) and not re.search(r"(?m)^:62[FM]:", c) for c in chunks)
