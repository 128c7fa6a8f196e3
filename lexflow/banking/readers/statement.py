"""`read_statement`: pick the reader by content (CAMT XML, MT940, bank CSV, a ZIP of any of these)."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from lexflow.banking.errors import StatementError
from lexflow.banking.readers.camt import parse_camt
from lexflow.banking.readers.csv import CsvMapping, parse_csv
from lexflow.banking.readers.mt940 import parse_mt940
from lexflow.banking.transactions import BankTransaction

# A ZIP from online banking or EBICS holds one file per statement day; these bound what a hostile archive can cost.
_ZIP_MAX_MEMBERS = 1000
_ZIP_MAX_BYTES = 200 * 1024 * 1024

_NOT_STATEMENTS = {
    b"%PDF": "a PDF document (export CAMT, MT940 or CSV from online banking instead)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document (export CSV instead)",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"\x1f\x8b": "a gzip archive (unpack it first)",
}


def detect_format(data: bytes) -> str:
    """`zip`, `camt`, `mt940` or `csv`, from the first bytes; anything else is refused, saying what it looks like."""
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    for magic, what in _NOT_STATEMENTS.items():
        if data.startswith(magic):
            raise StatementError("statement", "file", f"not a bank statement format lexflow reads: {what}")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t\x01")
    if head[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise StatementError("statement", "file", "not a bank statement format lexflow reads: an HTML page")
    if head.startswith(b"<"):
        return "camt"
    if head.startswith((b":20:", b"{1:", b":940:")) or b"\n:20:" in head or b"\n:61:" in head:
        return "mt940"
    if b"\x00" in head:
        raise StatementError("statement", "file", "not a bank statement format lexflow reads: a binary file")
    return "csv"


def _parse_zip(
    data: bytes, source: str, csv_mapping: CsvMapping | str | Path | None, accept_unbalanced: bool
) -> list[BankTransaction]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise StatementError(source, "file", "damaged ZIP archive (download it again)") from None
    members = [m for m in archive.infolist() if not m.is_dir() and not Path(m.filename).name.startswith(".")]
    if len(members) > _ZIP_MAX_MEMBERS or sum(m.file_size for m in members) > _ZIP_MAX_BYTES:
        raise StatementError(source, "file", f"ZIP too large ({len(members)} files); unpack it and read the files")
    if not members:
        raise StatementError(source, "file", "not a bank statement format lexflow reads: an empty ZIP archive")
    if any(m.filename == "[Content_Types].xml" for m in members):
        raise StatementError(
            source, "file", "not a bank statement format lexflow reads: an Excel/Office document (export CSV instead)"
        )
    out: list[BankTransaction] = []
    budget = _ZIP_MAX_BYTES
    for member in sorted(members, key=lambda m: m.filename):
        name = f"{source}/{member.filename}"
        try:
            with archive.open(member) as handle:  # the sizes in the directory may lie: read at most the budget
                inner = handle.read(budget + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError, zlib.error) as exc:
            raise StatementError(name, "file", f"cannot unpack it ({exc}); download the archive again") from None
        budget -= len(inner)
        if budget < 0:
            raise StatementError(source, "file", "ZIP unpacks to more than 200 MB; unpack it and read the files")
        if inner.startswith(b"PK\x03\x04"):
            raise StatementError(name, "file", "a ZIP inside a ZIP; unpack the outer archive first")
        out.extend(parse_statement(inner, source=name, csv_mapping=csv_mapping, accept_unbalanced=accept_unbalanced))
    return out


def parse_statement(
    data: bytes,
    *,
    source: str = "statement",
    csv_mapping: CsvMapping | str | Path | None = None,
    accept_unbalanced: bool = False,
) -> list[BankTransaction]:
    """Transactions of one statement file; `csv_mapping` (preset name, mapping file or `CsvMapping`) for CSV only.

    `accept_unbalanced` is a person's override: a statement whose balances do not add up is read instead of
    refused, its transactions marked `unverified` (reconciliation then only proposes). Never the entry count."""
    try:
        fmt = detect_format(data)
    except StatementError as exc:
        raise StatementError(source, exc.location, exc.problem) from None
    if fmt == "zip":
        return _parse_zip(data, source, csv_mapping, accept_unbalanced)
    if fmt == "camt":
        return parse_camt(data, source=source, accept_unbalanced=accept_unbalanced)
    if fmt == "mt940":
        return parse_mt940(data, source=source, accept_unbalanced=accept_unbalanced)
    return parse_csv(data, csv_mapping, source=source, accept_unbalanced=accept_unbalanced)


def read_statement(
    path: str | Path, *, csv_mapping: CsvMapping | str | Path | None = None, accept_unbalanced: bool = False
) -> list[BankTransaction]:
    """Read a CAMT (.052/.053/.054), MT940 or bank CSV file, or a ZIP of them (format detected from the content)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise StatementError(p.name, "file", f"cannot read the statement: {exc.strerror}") from None
    return parse_statement(data, source=p.name, csv_mapping=csv_mapping, accept_unbalanced=accept_unbalanced)
