"""CSV exports of German banks: presets for common layouts plus a configurable `CsvMapping`.

German exports use `;`, numbers like `1.234,56`, dates like `24.11.2026` (Sparkasse: `24.11.26`) and are often
latin-1. The header row is found by the booking-date column, so the lines banks write above it do not matter.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lexflow.banking.errors import StatementError
from lexflow.banking.transactions import BankTransaction, assign_ids


class CsvMapping(BaseModel):
    """Which column holds what. Give `amount` (signed) or `debit` + `credit` (Soll/Haben)."""

    model_config = ConfigDict(frozen=True)

    name: str = "custom"
    delimiter: str = ";"
    encoding: str | None = Field(default=None, description="None: UTF-8 (BOM allowed), falling back to latin-1.")
    booking_date: str
    value_date: str | None = None
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    currency: str | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None
    remittance: tuple[str, ...] = ()
    end_to_end_id: str | None = None
    date_formats: tuple[str, ...] = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d")
    decimal_comma: bool = True
    columns: tuple[str, ...] = Field(default=(), description="The bank's full header, in order (used by the writer).")
    preamble: tuple[str, ...] = Field(default=(), description="Lines the bank writes above the header (writer).")

    @property
    def write_header(self) -> tuple[str, ...]:
        if self.columns:
            return self.columns
        cols = [
            self.booking_date,
            self.value_date,
            self.counterparty_name,
            self.counterparty_iban,
            self.counterparty_bic,
            *self.remittance,
            self.end_to_end_id,
            self.amount,
            self.debit,
            self.credit,
            self.currency,
        ]
        return tuple(dict.fromkeys(c for c in cols if c))

    def render(self, t: BankTransaction, *, account_iban: str = "") -> dict[str, str]:
        """One transaction as the bank would print it (the inverse of the reader)."""

        def num(v: Decimal) -> str:
            s = f"{v:,.2f}"
            return s.replace(",", "_").replace(".", ",").replace("_", ".") if self.decimal_comma else s

        fmt = self.date_formats[0]
        out: dict[str, str] = {self.booking_date: t.booking_date.strftime(fmt)}
        if self.value_date:
            out[self.value_date] = (t.value_date or t.booking_date).strftime(fmt)
        if self.amount:
            out[self.amount] = num(t.amount)
        if self.debit and t.amount < 0:
            out[self.debit] = num(t.amount)
        if self.credit and t.amount > 0:
            out[self.credit] = num(t.amount)
        for col, value in (
            (self.currency, t.currency),
            (self.counterparty_name, t.counterparty_name),
            (self.counterparty_iban, t.counterparty_iban),
            (self.counterparty_bic, t.counterparty_bic),
            (self.end_to_end_id, t.end_to_end_id),
        ):
            if col and value:
                out[col] = value
        if self.remittance:
            text = t.remittance
            if not self.counterparty_name and t.counterparty_name:  # Commerzbank: name and purpose in one text
                text = f"{t.counterparty_name} {text}".strip()
            out[self.remittance[0]] = text
        if "Auftragskonto" in self.columns:
            out["Auftragskonto"] = account_iban
        if "Buchungstext" in self.columns and "Buchungstext" not in self.remittance:
            out["Buchungstext"] = "GUTSCHR. UEBERWEISUNG" if t.amount > 0 else "UEBERWEISUNG"
        return out


PRESETS: dict[str, CsvMapping] = {
    "sparkasse": CsvMapping(
        name="sparkasse",
        encoding="latin-1",
        booking_date="Buchungstag",
        value_date="Valutadatum",
        amount="Betrag",
        currency="Waehrung",
        counterparty_name="Beguenstigter/Zahlungspflichtiger",
        counterparty_iban="Kontonummer/IBAN",
        counterparty_bic="BIC (SWIFT-Code)",
        remittance=("Verwendungszweck",),
        end_to_end_id="Kundenreferenz (End-to-End)",
        date_formats=("%d.%m.%y", "%d.%m.%Y"),
        columns=(
            "Auftragskonto",
            "Buchungstag",
            "Valutadatum",
            "Buchungstext",
            "Verwendungszweck",
            "Glaeubiger ID",
            "Mandatsreferenz",
            "Kundenreferenz (End-to-End)",
            "Sammlerreferenz",
            "Lastschrift Ursprungsbetrag",
            "Auslagenersatz Ruecklastschrift",
            "Beguenstigter/Zahlungspflichtiger",
            "Kontonummer/IBAN",
            "BIC (SWIFT-Code)",
            "Betrag",
            "Waehrung",
            "Info",
        ),
    ),
    "deutsche_bank": CsvMapping(
        name="deutsche_bank",
        encoding="latin-1",
        booking_date="Buchungstag",
        value_date="Wert",
        debit="Soll",
        credit="Haben",
        currency="Währung",
        counterparty_name="Begünstigter / Auftraggeber",
        counterparty_iban="IBAN",
        counterparty_bic="BIC",
        remittance=("Verwendungszweck",),
        end_to_end_id="Kundenreferenz",
        columns=(
            "Buchungstag",
            "Wert",
            "Umsatzart",
            "Begünstigter / Auftraggeber",
            "Verwendungszweck",
            "IBAN",
            "BIC",
            "Kundenreferenz",
            "Mandatsreferenz ",
            "Gläubiger ID",
            "Fremde Gebühren",
            "Betrag",
            "Abweichender Empfänger",
            "Anzahl der Aufträge",
            "Anzahl der Schecks",
            "Soll",
            "Haben",
            "Währung",
        ),
        preamble=("Umsätze Girokonto;Zeitraum: 30 Tage;", "Neuer Kontostand;;;;", ""),
    ),
    "ing": CsvMapping(
        name="ing",
        encoding="latin-1",
        booking_date="Buchung",
        value_date="Wertstellungsdatum",
        amount="Betrag",
        currency="Währung",
        counterparty_name="Auftraggeber/Empfänger",
        remittance=("Verwendungszweck",),
        columns=(
            "Buchung",
            "Wertstellungsdatum",
            "Auftraggeber/Empfänger",
            "Buchungstext",
            "Verwendungszweck",
            "Saldo",
            "Währung",
            "Betrag",
            "Währung",
        ),
        preamble=(
            "Umsatzanzeige;Datei erstellt am: 24.11.2026 09:00",
            "",
            "IBAN;DE02 1203 0000 0000 2020 51",
            "Kontoname;Girokonto",
            "Bank;ING",
            "",
            "Sortierung;Datum absteigend",
            "",
        ),
    ),
    "commerzbank": CsvMapping(
        name="commerzbank",
        encoding="utf-8",
        booking_date="Buchungstag",
        value_date="Wertstellung",
        amount="Betrag",
        currency="Währung",
        remittance=("Buchungstext",),
        columns=(
            "Buchungstag",
            "Wertstellung",
            "Umsatzart",
            "Buchungstext",
            "Betrag",
            "Währung",
            "Auftraggeberkonto",
            "Bankleitzahl Auftraggeberkonto",
            "IBAN Auftraggeberkonto",
            "Kategorie",
        ),
    ),
}


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
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not an amount")
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
        return data.decode(fallback if fallback and fallback.lower() not in {"utf-8", "utf8"} else "latin-1")


def detect_preset(text: str) -> CsvMapping | None:
    """The preset whose distinctive header columns appear in the first lines of the file."""
    head = text[:4000]
    for key in ("sparkasse", "deutsche_bank", "ing", "commerzbank"):
        mapping = PRESETS[key]
        distinctive = [c for c in (mapping.counterparty_name, mapping.value_date, mapping.debit) if c]
        if all(f'{c}"' in head or f"{c};" in head or f";{c}" in head for c in [mapping.booking_date, *distinctive]):
            return mapping
    return None


def parse_csv(data: bytes, mapping: CsvMapping | str | None = None, *, source: str = "csv") -> list[BankTransaction]:
    """Transactions of a bank CSV export. `mapping`: a preset name, a `CsvMapping`, or None to detect the preset."""
    if isinstance(mapping, str):
        if mapping not in PRESETS:
            raise StatementError(
                source, "mapping", f"unknown CSV preset {mapping!r}; choose one of {', '.join(PRESETS)}"
            )
        mapping = PRESETS[mapping]
    text = _decode(data, mapping.encoding if mapping else None)
    if mapping is None:
        mapping = detect_preset(text)
        if mapping is None:
            raise StatementError(
                source,
                "header",
                "no known bank layout recognised; pass a preset "
                f"({', '.join(PRESETS)}) or a CsvMapping with your column names",
            )
    reader = csv.reader(io.StringIO(text), delimiter=mapping.delimiter)
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    for line_no, row in enumerate(reader, 1):
        if header is None:
            if mapping.booking_date in [c.strip() for c in row]:
                header = [c.strip() for c in row]
                index: dict[str, int] = {}
                for i, name in enumerate(header):
                    index.setdefault(name, i)
                needed = [c for c in (mapping.booking_date, mapping.amount, mapping.debit, mapping.credit) if c]
                missing = [c for c in needed if c not in index]
                if missing:
                    raise StatementError(source, f"line {line_no}", f"header lacks column(s) {', '.join(missing)}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            if row[0].strip()[:1].isalpha():
                continue  # balance/footer lines some banks append ("Kontostand;...")
            raise StatementError(source, f"line {line_no}", f"has {len(row)} columns, the header has {len(header)}")
        rows.append(_row(mapping, index, row, line_no, source))
    if header is None:
        raise StatementError(
            source,
            "header",
            f"no header row with column {mapping.booking_date!r} "
            f"(preset {mapping.name}); check the preset or pass a CsvMapping",
        )
    return assign_ids(rows)


def _row(m: CsvMapping, index: dict[str, int], row: list[str], line_no: int, source: str) -> dict[str, Any]:
    def cell(col: str | None) -> str | None:
        if not col or col not in index:
            return None
        value = row[index[col]].strip()
        return value or None

    try:
        booking = parse_german_date(cell(m.booking_date) or "", m.date_formats)
        value_raw = cell(m.value_date)
        value = parse_german_date(value_raw, m.date_formats) if value_raw else None
        if m.amount:
            amount = parse_german_amount(cell(m.amount) or "", decimal_comma=m.decimal_comma)
        else:
            debit, credit = cell(m.debit), cell(m.credit)
            if not debit and not credit:
                raise ValueError(f"neither {m.debit!r} nor {m.credit!r} holds an amount")
            amount = (
                parse_german_amount(credit, decimal_comma=m.decimal_comma)
                if credit
                else -abs(parse_german_amount(debit or "", decimal_comma=m.decimal_comma))
            )
    except ValueError as exc:
        raise StatementError(source, f"line {line_no}", str(exc)) from None
    remittance = " ".join(v for v in (cell(c) for c in m.remittance) if v)
    return {
        "booking_date": booking,
        "value_date": value,
        "amount": amount,
        "currency": cell(m.currency) or "EUR",
        "counterparty_name": cell(m.counterparty_name),
        "counterparty_iban": cell(m.counterparty_iban),
        "counterparty_bic": cell(m.counterparty_bic),
        "remittance": remittance,
        "end_to_end_id": cell(m.end_to_end_id),
        "source": "csv",
    }


def read_csv(path: str | Path, mapping: CsvMapping | str | None = None) -> list[BankTransaction]:
    p = Path(path)
    return parse_csv(p.read_bytes(), mapping, source=p.name)
