"""CSV exports of German banks: layouts recognised from the header, or a user's `CsvMapping` (TOML/YAML file).

German exports use `;`, numbers like `1.234,56`, dates like `24.11.2026` (Sparkasse: `24.11.26`) and are often
latin-1. The header row is found by the mapped columns, so the lines banks write above it do not matter. Every data
row must become a transaction or be a row the layout names (pending, memo, balance); anything else is refused with
its line number, as is a running balance that does not add up.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lexflow.banking.errors import StatementError
from lexflow.banking.readers.checks import check_balance, unbalanced
from lexflow.banking.readers.csv_layouts import PRESETS
from lexflow.banking.readers.csv_mapping import CsvMapping, load_mapping
from lexflow.banking.readers.sepa import split_purpose
from lexflow.banking.transactions import MAX_AMOUNT, BankTransaction, Unverified, assign_ids

__all__ = ["PRESETS", "CsvMapping", "load_mapping", "parse_csv", "parse_german_amount", "read_csv"]

_IBAN_LIKE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_BIC_LIKE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_DELIMITERS = (";", ",", "\t")


def parse_german_amount(raw: str, *, decimal_comma: bool = True) -> Decimal:
    """`1.234,56`, `-1.234,56`, `1234,56-`, `+12,00 €` → Decimal. Raises ValueError naming the value."""
    text = raw.replace("\xa0", "").replace(" ", "").replace("€", "").replace("EUR", "").strip()
    negative = False
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith(("-", "+")):
        negative, text = text[0] == "-", text[1:]
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount (expected German format like 1.234,56)") from None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise ValueError(f"{raw[:24]!r} is not an amount (finite, below {MAX_AMOUNT:,.0f})")
    return -value if negative else value


def parse_german_date(raw: str, formats: tuple[str, ...]) -> date:
    for fmt in formats:
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{raw!r} is not a date in any of the formats {', '.join(formats)} (e.g. 24.11.2026)")


def _decode(data: bytes, fallback: str | None) -> str:
    """UTF-8 (newer exports, BOM allowed) first; the bank's legacy encoding (latin-1) when that fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Windows exports: cp1252 (latin-1 plus € and typographic quotes), else plain latin-1 which decodes anything.
    for encoding in (fallback, "cp1252", "latin-1"):
        if encoding and encoding.lower() not in {"utf-8", "utf8"}:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    return data.decode("latin-1")


def _header_names(row: list[str]) -> list[str]:
    """Header cells, stripped; a blank one is addressed by its position (`#13`), as Volksbank's S/H column."""
    return [c.strip() or f"#{i + 1}" for i, c in enumerate(row)]


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) per record; a quoted field may span lines, so the number is where the record starts."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = []
    start = 1
    for row in reader:
        out.append((start, row))
        start = reader.line_num + 1
    return out


def detect_preset(text: str) -> tuple[CsvMapping, str] | None:
    """The layout (and delimiter) whose read columns all appear in one of the first 40 lines' header cells,
    preferring the layout explaining most of that header."""
    head = "\n".join(text.splitlines()[:40])
    best: tuple[tuple[int, int], CsvMapping, str] | None = None
    for delimiter in _DELIMITERS:
        for _line, row in _rows(head, delimiter):
            cells = set(_header_names(row))
            if len(cells) < 3:
                continue
            for mapping in PRESETS.values():
                if mapping.delimiter != delimiter or not set(mapping.mapped) <= cells:
                    continue
                score = (len(mapping.mapped), len(cells & set(_header_names(list(mapping.columns)))))
                if best is None or score > best[0]:
                    best = (score, mapping, delimiter)
    return (best[1], best[2]) if best else None


def _nearest_layout(text: str) -> tuple[CsvMapping, list[str]] | None:
    """The layout most of whose columns a header row has (at least 3 in 4), with the ones it lacks."""
    head = "\n".join(text.splitlines()[:40])
    best: tuple[float, CsvMapping, list[str]] | None = None
    for mapping in PRESETS.values():
        for _line, row in _rows(head, mapping.delimiter):
            cells = set(_header_names(row))
            found = [c for c in mapping.mapped if c in cells]
            share = len(found) / len(mapping.mapped)
            if share >= 0.75 and (best is None or share > best[0]):
                best = (share, mapping, [c for c in mapping.mapped if c not in cells])
    return (best[1], best[2]) if best else None


def _resolve(mapping: CsvMapping | str | Path | None, source: str) -> CsvMapping | None:
    if isinstance(mapping, Path) or (isinstance(mapping, str) and mapping.lower().endswith((".toml", ".yaml", ".yml"))):
        return load_mapping(mapping)
    if isinstance(mapping, str):
        if mapping not in PRESETS:
            raise StatementError(
                source,
                "mapping",
                f"unknown CSV layout {mapping!r}; choose one of {', '.join(PRESETS)} or give a mapping file (.toml/.yaml)",
            )
        return PRESETS[mapping]
    return mapping


def parse_csv(
    data: bytes,
    mapping: CsvMapping | str | Path | None = None,
    *,
    source: str = "csv",
    accept_unbalanced: bool = False,
) -> list[BankTransaction]:
    """Booked transactions of a bank CSV export. `mapping`: a layout name, a mapping file, a `CsvMapping`, or None
    to recognise the layout from the header. `accept_unbalanced`: balances that do not add up mark the
    transactions `unverified` instead of refusing the file."""
    try:
        return _parse_csv(data, mapping, source, accept_unbalanced)
    except csv.Error as exc:  # e.g. a NUL byte or a field over the csv module's size limit
        raise StatementError(source, "file", f"not a readable CSV file: {exc}") from None


def _parse_csv(
    data: bytes, mapping: CsvMapping | str | Path | None, source: str, accept_unbalanced: bool = False
) -> list[BankTransaction]:
    chosen = _resolve(mapping, source)
    text = _decode(data, chosen.encoding if chosen else None)
    if chosen is None:
        found = detect_preset(text)
        if found is None:
            near = _nearest_layout(text)
            if near is not None:
                layout, missing = near
                raise StatementError(
                    source,
                    "header",
                    f"the header looks like layout {layout.name!r} ({layout.bank}) but lacks column(s) "
                    f"{', '.join(repr(c) for c in missing)}; refusing rather than guessing. Export again with the "
                    "full header, or give a mapping file (see docs/reconciliation.md)",
                )
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")[:80]
            raise StatementError(
                source,
                "header",
                "not a bank statement format lexflow reads: no known bank CSV layout in the first lines "
                f"(first line: {first!r}); give a mapping file (--csv-mapping FILE.toml, or the flow parameter "
                f"csv_mapping; see docs/reconciliation.md) or a layout name ({', '.join(PRESETS)})",
            )
        chosen = found[0]
    if chosen.encoding and chosen.encoding.lower() not in {"utf-8", "utf8"}:
        text = _decode(data, chosen.encoding)
    return _read(text, chosen, source, accept_unbalanced)


def _read(text: str, m: CsvMapping, source: str, accept_unbalanced: bool = False) -> list[BankTransaction]:
    records = _rows(text, m.delimiter)
    if not m.has_header:  # columns named by position; a synthetic header row in front of the data
        width = max((len(r) for _n, r in records), default=0)
        records = [(0, [f"#{i + 1}" for i in range(width)]), *records]
    index: dict[str, int] | None = None
    header_line = 0
    for pos, (line_no, row) in enumerate(records):
        names = _header_names(row)
        if m.booking_date in names and (m.amount or m.debit) in names:
            index = {}
            for i, name in enumerate(names):
                index.setdefault(name, i)
            missing = [c for c in m.mapped if c not in index]
            if missing:
                raise StatementError(
                    source,
                    f"line {line_no}",
                    f"the header lacks column(s) {', '.join(repr(c) for c in missing)} of layout {m.name!r}; "
                    "refusing rather than reading them as empty (fix the mapping or the export settings)",
                )
            header_line = pos
            break
    if index is None:
        raise StatementError(
            source,
            "header",
            f"no header row with columns {m.booking_date!r} and {(m.amount or m.debit)!r} (layout {m.name}); "
            "check the layout or the mapping file",
        )
    width = len(records[header_line][1])
    kept: list[tuple[int, dict[str, Any]]] = []
    skipped_refs: set[str] = set()
    balances: dict[str, Decimal] = {}
    running: list[tuple[int, Decimal, Decimal, str]] = []
    for line_no, row in records[header_line + 1 :]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width and not any(c.strip() for c in row[width:]):
            row = row[:width]
        marker = next((m.balance_rows[c.strip()] for c in row if c.strip() in m.balance_rows), None)
        if marker is not None:
            balances[marker] = _signed(m, index, row, line_no, source)
            continue
        if len(row) != width:
            filled = [c for c in row if c.strip()]
            if len(row) < width and len(filled) <= 4 and not _looks_like_date(row[0], m) and row[0].strip():
                continue  # a balance/footer line some banks append ("Alter Kontostand";"996,56 EUR")
            raise StatementError(
                source,
                f"line {line_no}",
                f"damaged row: {len(row)} columns where the header has {width} "
                "(a missing or extra separator); fix or remove this row and read the file again",
            )
        if any(row[index[col]].strip() in values for col, values in m.ignore.items()):
            continue
        ref = row[index[m.bank_reference]].strip() if m.bank_reference else ""
        status = row[index[m.status]].strip().casefold() if m.status else ""
        amount = _signed(m, index, row, line_no, source)
        if m.balance_after:
            after = row[index[m.balance_after]].strip()
            if after:
                currency = row[index[m.currency]].strip() if m.currency else ""
                running.append((line_no, amount, _amount(after, m, line_no, source), currency))
        if status and status in {p.casefold() for p in m.pending}:
            if ref:
                skipped_refs.add(ref)
            continue  # not booked yet: not money, and its id would change once booked
        kept.append((line_no, _row(m, index, row, amount, line_no, source)))
    booked = []
    for _line, r in kept:
        related = r.pop("_related")
        if related and related in skipped_refs:
            continue  # settles a pending row (PayPal: the release of a hold): no money of its own
        booked.append(r)
    issue = _check_running(source, running, accept_unbalanced)
    if "opening" in balances and "closing" in balances:
        total = sum((r["amount"] for r in booked), Decimal(0))
        opening, closing = balances["opening"], balances["closing"]
        issue = issue or check_balance(source, "balance rows", opening, total, closing, accept=accept_unbalanced)
    return assign_ids([{**r, "unverified": issue} for r in booked] if issue else booked)


def _check_running(source: str, running: list[tuple[int, Decimal, Decimal, str]], accept: bool) -> Unverified | None:
    """Each row's balance must follow from its neighbour's and its amount, in the file's order (either direction).

    The file's direction is the one with fewer breaks (then the smaller overall gap); the first row that does not
    follow is named, with its gap as the difference (`accept` returns that instead of refusing)."""
    by_currency: dict[str, list[tuple[int, Decimal, Decimal]]] = {}
    for line_no, amount, after, ccy in running:
        by_currency.setdefault(ccy, []).append((line_no, amount, after))
    for rows in by_currency.values():
        pairs = list(itertools.pairwise(rows))
        oldest_first = [(b[0], b[2] - a[2] - b[1]) for a, b in pairs]  # balance = previous balance + own amount
        newest_first = [(b[0], b[2] - a[2] + a[1]) for a, b in pairs]  # previous balance = balance + its amount
        if all(not gap for _l, gap in oldest_first) or all(not gap for _l, gap in newest_first):
            continue
        gaps = min(oldest_first, newest_first, key=lambda g: (sum(1 for _l, d in g if d), abs(sum(d for _l, d in g))))
        line_no, gap = next((line, d) for line, d in gaps if d)
        return unbalanced(
            source,
            f"line {line_no}",
            "running balance",
            gap,
            "the balance column does not follow from the previous row and this amount; a row is missing or misread",
            accept=accept,
        )
    return None


def _looks_like_date(cell: str, m: CsvMapping) -> bool:
    try:
        parse_german_date(cell, m.date_formats)
    except ValueError:
        return False
    return True


def _amount(raw: str, m: CsvMapping, line_no: int, source: str) -> Decimal:
    try:
        return parse_german_amount(raw, decimal_comma=m.decimal_comma)
    except ValueError as exc:
        raise StatementError(source, f"line {line_no}", str(exc)) from None


def _signed(m: CsvMapping, index: dict[str, int], row: list[str], line_no: int, source: str) -> Decimal:
    """The row's amount, credit > 0, from a signed column, an unsigned one with S/H, or Soll/Haben columns."""

    def cell(col: str | None) -> str:
        return row[index[col]].strip() if col and col in index and index[col] < len(row) else ""

    if m.amount:
        value = _amount(cell(m.amount), m, line_no, source)
        if m.indicator:
            marker = cell(m.indicator)
            if not marker:
                raise StatementError(source, f"line {line_no}", f"column {m.indicator!r} (debit/credit) is empty")
            value = -abs(value) if marker.casefold() in {d.casefold() for d in m.debit_markers} else abs(value)
    else:
        debit, credit = cell(m.debit), cell(m.credit)
        if not debit and not credit:
            raise StatementError(source, f"line {line_no}", f"neither {m.debit!r} nor {m.credit!r} holds an amount")
        value = _amount(credit, m, line_no, source) if credit else -abs(_amount(debit, m, line_no, source))
    if m.fee and cell(m.fee):  # a charge whichever sign the bank prints it with
        value -= abs(_amount(cell(m.fee), m, line_no, source))
    return -value if m.sign == "inverted" else value


def _row(
    m: CsvMapping, index: dict[str, int], row: list[str], amount: Decimal, line_no: int, source: str
) -> dict[str, Any]:
    def cell(col: str | None) -> str | None:
        if not col:
            return None
        value = row[index[col]].strip()
        return value or None

    try:
        booking = parse_german_date(cell(m.booking_date) or "", m.date_formats)
        value_raw = cell(m.value_date)
        value = parse_german_date(value_raw, m.date_formats) if value_raw else None
    except ValueError as exc:
        raise StatementError(source, f"line {line_no}", str(exc)) from None
    remittance = " ".join(" ".join(v.split()) for v in (cell(c) for c in m.remittance) if v)
    end_to_end = cell(m.end_to_end_id)
    iban, bic = cell(m.counterparty_iban), cell(m.counterparty_bic)
    if amount < 0:
        iban, bic = iban or cell(m.payee_iban), bic or cell(m.payee_bic)
    name = cell(m.counterparty_name) or cell(m.payer_name if amount > 0 else m.payee_name)
    if m.text_labels:
        labelled = _labelled(remittance, m.text_labels)
        name = name or labelled.get("counterparty_name")
        iban = iban or labelled.get("counterparty_iban")
        bic = bic or labelled.get("counterparty_bic")
        remittance = labelled.get("remittance", remittance)
    if m.sepa_tags:
        tags, remittance = split_purpose(remittance, labels=True)
        end_to_end = end_to_end or tags.get("EREF")
        iban = iban or tags.get("IBAN")
        bic = bic or tags.get("BIC")
    iban = iban.replace(" ", "").upper() if iban else None
    return {
        "booking_date": booking,
        "value_date": value,
        "amount": amount,
        "currency": cell(m.currency) or "EUR",
        "counterparty_name": name,
        # Older layouts put a national account number / bank code in these columns: not an IBAN/BIC.
        "counterparty_iban": iban if iban and _IBAN_LIKE.match(iban) else None,
        "counterparty_bic": bic if bic and _BIC_LIKE.match(bic.upper()) else None,
        "remittance": remittance,
        "end_to_end_id": end_to_end,
        "bank_reference": cell(m.bank_reference),
        "_related": cell(m.related_reference) or "",
        "source": "csv",
    }


def _labelled(text: str, labels: Mapping[str, str]) -> dict[str, str]:
    """`Auftraggeber: Kunde GmbH Buchungstext: RE 1` → {counterparty_name: "Kunde GmbH", remittance: "RE 1"}."""
    found = sorted((m.start(), m.end(), labels[label]) for label in labels for m in re.finditer(re.escape(label), text))
    out: dict[str, str] = {}
    for i, (_start, end, field) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        value = text[end:stop].strip()
        if value:
            out.setdefault(field, value)
    return out


def read_csv(path: str | Path, mapping: CsvMapping | str | Path | None = None) -> list[BankTransaction]:
    p = Path(path)
    return parse_csv(p.read_bytes(), mapping, source=p.name)
