"""Damaged and strange input: every reader answers with a `StatementError` naming the place, never a traceback,
and never hangs (a bounded, seeded mutation run over the project's fixtures)."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from lexflow.banking import StatementError, parse_statement

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = sorted(p for p in FIXTURES.iterdir() if p.suffix in {".csv", ".xml", ".sta"})


def _mutations(data: bytes, rng: random.Random) -> list[bytes]:
    out = [data[: rng.randrange(len(data))], data + data, data.replace(b"\n", b"\r", 3)]
    for _ in range(12):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(b))
            b[pos : pos + 1] = rng.choice([b"", b";", b'"', b"\x00", b"<", b":61:", b"\n", b"\xff", b"9", b"-"])
        out.append(bytes(b))
    return out


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_mutated_files_are_read_or_refused_with_a_statement_error(sample: Path) -> None:
    rng = random.Random(sample.name)
    for data in _mutations(sample.read_bytes(), rng):
        try:
            parse_statement(data, source=sample.name)
        except StatementError as exc:
            assert exc.location and "object at 0x" not in str(exc)


def test_strange_containers_and_sizes() -> None:
    for data in (b"", b"PK\x03\x04broken", b"\x00" * 100, b"%PDF", b";" * 200_000, b'"' + b"x" * 200_000):
        with pytest.raises(StatementError):
            parse_statement(data, source="odd")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<" * 10)
    with pytest.raises(StatementError, match=r"odd\.zip/a\.xml"):
        parse_statement(buf.getvalue(), source="odd.zip")


def test_office_and_html_files_are_named() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    with pytest.raises(StatementError, match="an Excel/Office document"):
        parse_statement(buf.getvalue(), source="umsaetze.xlsx")
    with pytest.raises(StatementError, match="an HTML page"):
        parse_statement(b"<!DOCTYPE html><html><body>Login</body></html>", source="konto.xml")
