"""Statement readers: every one returns `list[BankTransaction]`; `read_statement` picks the reader by content."""

from __future__ import annotations

from pathlib import Path

from lexflow.banking.errors import StatementError
from lexflow.banking.readers.camt import parse_camt053, read_camt053
from lexflow.banking.readers.csv import PRESETS, CsvMapping, parse_csv, read_csv
from lexflow.banking.readers.mt940 import parse_mt940, read_mt940
from lexflow.banking.transactions import BankTransaction

__all__ = [
    "PRESETS",
    "CsvMapping",
    "detect_format",
    "parse_camt053",
    "parse_csv",
    "parse_mt940",
    "parse_statement",
    "read_camt053",
    "read_csv",
    "read_mt940",
    "read_statement",
]


def detect_format(data: bytes) -> str:
    """`camt053`, `mt940` or `csv`, from the first bytes of the file."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<") or b"camt.053" in head:
        return "camt053"
    if head.startswith((b":20:", b"{1:", b":940:")) or b"\n:20:" in head or b"\n:61:" in head:
        return "mt940"
    return "csv"


def parse_statement(
    data: bytes, *, source: str = "statement", csv_mapping: CsvMapping | str | None = None
) -> list[BankTransaction]:
    fmt = detect_format(data)
    if fmt == "camt053":
        return parse_camt053(data, source=source)
    if fmt == "mt940":
        return parse_mt940(data, source=source)
    return parse_csv(data, csv_mapping, source=source)


def read_statement(path: str | Path, *, csv_mapping: CsvMapping | str | None = None) -> list[BankTransaction]:
    """Read a CAMT.053, MT940 or bank CSV file (format detected from its content)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise StatementError(p.name, "file", f"cannot read the statement: {exc.strerror}") from None
    return parse_statement(data, source=p.name, csv_mapping=csv_mapping)
