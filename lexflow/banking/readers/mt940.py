"""SWIFT MT940 customer statements, read line by line so every problem can name its line.

The grammar (SWIFT MT940, the German DFÜ-Abkommen annex and the Dutch bank variants) is small: tags `:20:` (a new
statement), `:25:` account, `:60F:/:60M:` opening balance, `:61:` one entry, `:86:` its details, `:62F:/:62M:`
closing balance; `:64:`/`:65:` (available balances) are informative and not used. Banks bend it in known ways,
which this reader accepts: a value date of 30 February (quarterly closing entries are valued on a 360-day
calendar), a blank or missing entry date, point instead of comma decimals, references longer than 16 characters,
a broken unused `:65F:`. See docs/reconciliation.md for the dialects and how each was verified.

`:86:` comes structured in two families: German `GVC?00…?20…?31IBAN?32Name` (with SEPA tags `EREF+`, `SVWZ+` in the
purpose) and Dutch `/TRTP/…/IBAN/…/NAME/…/REMI/…`; unstructured Dutch texts that start with an IBAN and a name are
read too. Each statement is checked: the number of `:61:` lines equals the entries read, and opening + entries =
closing balance.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lexflow.banking.errors import StatementError
from lexflow.banking.readers.checks import check_balance, check_count
from lexflow.banking.readers.sepa import split_purpose
from lexflow.banking.transactions import BankTransaction, Unverified, assign_ids, is_valid_iban

_IBAN_LENGTH = {
    "DE": 22,
    "AT": 20,
    "CH": 21,
    "NL": 18,
    "BE": 16,
    "LU": 20,
    "FR": 27,
    "IT": 27,
    "ES": 24,
    "PL": 28,
    "DK": 18,
    "GB": 22,
    "LI": 21,
}

_TAG = re.compile(r"^:(\d{2}[A-Z]?|NS):")
_ENTRY = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4}|\s{4})?\s?(?P<mark>R?[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,.]*)(?P<rest>.*)$",
    re.IGNORECASE,
)
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<ccy>[A-Z]{3})?(?P<amount>\d[\d,.]*)\s*$")
_MAX_DIGITS = 15  # SWIFT field format 15d: up to 15 characters including the decimal comma
_WRAPPED = 60  # SWIFT x-lines hold 65 characters; a line this long was wrapped mid-word (banks stop at 62 to 65)


@dataclass
class _Tag:
    name: str
    line: int
    lines: list[str]

    @property
    def value(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Statement:
    line: int
    tags: list[_Tag] = field(default_factory=list)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split_iban(name: str) -> tuple[str | None, str | None]:
    """`DE89370400440532013000Mueller GmbH` → (IBAN, name), by the country's IBAN length."""
    length = _IBAN_LENGTH.get(name[:2])
    head = name[:length] if length else ""
    if length and len(head) == length and head[2:4].isdigit() and head[4:].isalnum() and head[4:].upper() == head[4:]:
        return head, name[length:].strip() or None
    return None, name


def _amount(raw: str, source: str, line: int, what: str) -> Decimal:
    """MT940 amounts use a decimal comma (`1234,56`, `75,`); some banks write a point instead."""
    text = raw.strip()
    if sum(c.isdigit() for c in text) > _MAX_DIGITS:
        raise StatementError(
            source,
            f"line {line}",
            f"{what} {raw[:20]!r}…: more than {_MAX_DIGITS} digits (the MT940 amount field holds 15)",
        )
    if text.count(",") + text.count(".") > 1:
        raise StatementError(
            source, f"line {line}", f"{what} {raw!r}: expected one decimal comma, e.g. 1234,56 (no thousands marks)"
        )
    try:
        value = Decimal(text.replace(",", ".").rstrip(".") or "0")
    except InvalidOperation:
        raise StatementError(
            source, f"line {line}", f"{what} {raw!r} is not an amount (expected e.g. 1234,56)"
        ) from None
    return value


def _date(yymmdd: str, source: str, line: int, what: str) -> date:
    """YYMMDD; a day past the month's end up to 30/31 (e.g. 30 February, 360-day interest calendars) is its last day."""
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if year > date.today().year + 20:
        year -= 100
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise StatementError(source, f"line {line}", f"{what} {yymmdd!r} is not a date (expected YYMMDD)")
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _entry_date(mmdd: str, value: date) -> date:
    """The entry date has no year: the one closest to the value date (entries booked over the new year)."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (value.year - 1, value.year, value.year + 1):
        candidates.append(date(year, month, min(day, calendar.monthrange(year, month)[1])))
    return min(candidates, key=lambda d: abs((d - value).days))


_BLOCK = re.compile(r"^\{\d+:(?:\{[^{}]*\}|[^{}])*\}?")


def _strip_envelope(line: str) -> str | None:
    """The SWIFT envelope (`{1:…}{2:…}{4:`, `-}`, `{5:…}`, SOH/ETX bytes, a `:940:` line) around the statement
    text; None for a line that was envelope only."""
    text = line.strip().strip("\x01\x03")
    if not (text.startswith(("{", "-")) or text == ":940:"):
        return line
    while True:
        if text.startswith("-}") or text == "-":
            text = text[2:].lstrip("\x01\x03")
        elif (m := _BLOCK.match(text)) and m.end() > 0:
            text = text[m.end() :].lstrip("\x01\x03")
        else:
            break
    return None if not text or text == ":940:" else text


def _tokenise(text: str, source: str) -> list[_Statement]:
    statements: list[_Statement] = []
    current: _Tag | None = None
    for no, raw in enumerate(text.split("\n"), 1):
        line = _strip_envelope(raw.rstrip("\r"))
        if line is None:
            current = None
            continue
        match = _TAG.match(line)
        if match:
            name = match.group(1)
            current = _Tag(name, no, [line[match.end() :]])
            if name == "20" or not statements:
                statements.append(_Statement(no))
            statements[-1].tags.append(current)
        elif current is not None:
            current.lines.append(line)
    if not any(t.name == "61" or t.name.startswith("62") for s in statements for t in s.tags):
        raise StatementError(source, "line 1", "no :20:, :61: or :62F: tags; this is not an MT940 statement")
    return statements


def _join(lines: list[str]) -> str:
    """Continuation lines: glued where the bank wrapped a full line, else separated by a space."""
    out = ""
    full = False
    for i, line in enumerate(lines):
        piece = line.rstrip()
        if out:
            out += piece if full else " " + piece.strip()
        else:
            out = piece.strip()
        full = len(piece) + (4 if i == 0 else 0) >= _WRAPPED  # the first line carries the tag (`:86:`)
    return out.strip()


def _german(details: str) -> dict[str, Any]:
    """`166?00GUTSCHRIFT?20EREF+…?21SVWZ+…?30BIC?31IBAN?32Name`: GVC, subfields, SEPA purpose tags."""
    sep = details[3]
    fields: dict[str, str] = {}
    parts = re.split(r"\?(\d{2})" if sep == "?" else re.escape(sep) + r"(\d{2})", details[3:])
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        fields[key] = fields.get(key, "") + value.strip("\n")
    purpose = "".join(fields.get(f"{n}", "") for n in [*map(str, range(20, 30)), *map(str, range(60, 64))])
    sepa, remittance = split_purpose(purpose)
    name = (fields.get("32", "") + fields.get("33", "")).strip() or None
    iban = fields.get("31", "").strip() or sepa.get("IBAN")
    return {
        "name": name,
        "iban": iban if iban and iban[:2].isalpha() else None,
        "bic": fields.get("30", "").strip() or sepa.get("BIC") or None,
        "remittance": remittance,
        "end_to_end_id": sepa.get("EREF"),
        "booking_text": fields.get("00", "").strip(),
    }


_NL_KEYS = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|ORDP|BENM|CNTP|ADDR|ISDT|CSID|MARF|RTRN|PREF|SVCL|PURP|ULTC|ULTD|ULTB|CHGS|EXCH|"
    "OCMT|ID|BUSP|CITY|CDTRREF|CDTRREFTP|CD"
)
_NL_FIELD = re.compile(rf"/({_NL_KEYS})/")


def _dutch(details: str) -> dict[str, Any]:
    """`/TRTP/…/IBAN/…/BIC/…/NAME/…/REMI/…/EREF/…` (Rabobank, ABN AMRO, bunq) and ING's `/CNTP/iban/bic/name/city/`."""
    fields: dict[str, str] = {}
    matches = list(_NL_FIELD.finditer(details))
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(details)
        fields.setdefault(m.group(1), details[m.end() : stop].strip())
    name, iban, bic = fields.get("NAME"), fields.get("IBAN"), fields.get("BIC")
    if "CNTP" in fields:  # ING: /CNTP/IBAN/BIC/name/city/
        parts = [*fields["CNTP"].split("/"), "", "", ""]
        iban, bic, name = iban or parts[0], bic or parts[1], name or parts[2]
    remittance = fields.get("REMI", "")
    remittance = re.sub(r"^(USTD|STRD)//", "", remittance)
    remittance = re.sub(r"^CUR/\w*/ISSR/\w*/", "", remittance).strip("/ ").strip()
    e2e = fields.get("EREF")
    return {
        "name": (name or "").strip("/ ") or None,
        "iban": (iban or "").strip("/ ") or None,
        "bic": (bic or "").strip("/ ") or None,
        "remittance": remittance,
        "end_to_end_id": e2e.strip("/ ") if e2e else None,
        "booking_text": fields.get("TRTP", ""),
    }


_LEADING_IBAN = re.compile(r"^([A-Z]{2}\d{2}[A-Z0-9]{10,30})\s+(.+)$")


def parse_details(lines: list[str]) -> dict[str, Any]:
    """Counterparty and purpose from the `:86:` lines of one entry (German `?NN`, Dutch `/KEY/`, or free text).

    Dutch banks (ASN, SNS, Triodos) may start the text with the counterparty's IBAN and name on one line."""
    german = "".join(line.rstrip("\r") for line in lines).strip()
    if re.match(r"^\d{3}[?>@#|]\d{2}", german):
        return _german(german)
    head_iban = head_name = None
    body = [line for line in lines if line.strip()]
    if body:
        m = _LEADING_IBAN.match(body[0].strip())
        if m and is_valid_iban(m.group(1)):
            head_iban, head_name = m.group(1), m.group(2).strip()
            body = body[1:]
    text = _join(body)
    if text.startswith("/") and _NL_FIELD.search(text):
        info = _dutch(text)
    else:
        info = {"name": None, "iban": None, "bic": None, "remittance": text, "end_to_end_id": None, "booking_text": ""}
    info["name"] = info["name"] or head_name
    info["iban"] = info["iban"] or head_iban
    return info


def _find_iban(text: str) -> str | None:
    """The first valid IBAN in a text, also when a name follows without a space (`NL91ABNA0417164300Gamma`)."""
    for m in re.finditer(r"[A-Z]{2}\d{2}", text):
        lengths = [_IBAN_LENGTH[m.group()[:2]]] if m.group()[:2] in _IBAN_LENGTH else range(34, 14, -1)
        for length in lengths:
            candidate = text[m.start() : m.start() + length]
            if len(candidate) == length and is_valid_iban(candidate):
                return candidate
    return None


_RABO_61 = re.compile(r"^[A-Z][A-Z0-9]{3}(?P<ref>\S{1,16}?)(?:\s+|(?<=\d)(?=[A-Za-z]))(?P<name>[^/\s].*?)\s*$")


def _name_on_61(rest: str, iban: str | None) -> str | None:
    """Older Rabobank exports put the counterparty's account (number or IBAN) in the 16-character reference and its
    name right after it on the `:61:` line itself; anything after a `//` bank reference is not a name."""
    if "//" in rest:
        return None
    if iban and iban in rest:
        tail = rest.split(iban, 1)[1].strip()
        return tail or None
    m = _RABO_61.match(rest)
    if m and m.group("ref").isdigit():
        return m.group("name")
    return None


def _balance(tag: _Tag, source: str) -> tuple[Decimal, str]:
    m = _BALANCE.match(tag.value.strip())
    if not m:
        raise StatementError(
            source,
            f"line {tag.line}",
            f":{tag.name}: balance {tag.value.strip()!r}: expected C|D, date YYMMDD, currency, amount "
            "(e.g. C261124EUR1234,56)",
        )
    value = _amount(m.group("amount"), source, tag.line, f":{tag.name}: amount")
    _date(m.group("date"), source, tag.line, f":{tag.name}: date")
    return (-value if m.group("mark") == "D" else value), m.group("ccy") or ""


def _entry(
    tag: _Tag, details: list[str] | None, account: str | None, currency: str | None, source: str
) -> dict[str, Any]:
    first = tag.lines[0]
    m = _ENTRY.match(first)
    if not m:
        raise StatementError(
            source,
            f"line {tag.line}",
            f"malformed :61: statement line {first[:40]!r} (expected YYMMDD[MMDD] C|D|RC|RD amount, "
            "e.g. :61:2611241124C1234,56NTRFNONREF)",
        )
    value_date = _date(m.group("value"), source, tag.line, ":61: value date")
    entry_raw = (m.group("entry") or "").strip()
    if entry_raw and not (1 <= int(entry_raw[:2]) <= 12 and 1 <= int(entry_raw[2:]) <= 31):
        raise StatementError(source, f"line {tag.line}", f":61: entry date {entry_raw!r} is not a date (MMDD)")
    booking = _entry_date(entry_raw, value_date) if entry_raw else value_date
    mark = m.group("mark").upper()
    amount = _amount(m.group("amount"), source, tag.line, ":61: amount")
    signed = -amount if mark in ("D", "RC") else amount
    rest = m.group("rest")
    bank_ref = rest.split("//", 1)[1].strip() if "//" in rest else None
    info = parse_details(details or [])
    supplementary = " ".join(line.strip() for line in tag.lines[1:] if line.strip() and not line.startswith("/"))
    iban, name = info["iban"], info["name"]
    if not iban:  # Rabobank, ASN: the counterparty's IBAN in the reference or supplementary details
        iban = _find_iban(f"{rest} {supplementary}")
    if not name:
        name = _name_on_61(rest, iban)
    remittance = info["remittance"]
    if not details and supplementary:
        remittance = supplementary
    return {
        "booking_date": booking,
        "value_date": value_date,
        "amount": signed,
        "currency": currency or "EUR",
        "counterparty_name": name,
        "counterparty_iban": iban,
        "counterparty_bic": info["bic"],
        "remittance": remittance,
        "end_to_end_id": info["end_to_end_id"],
        "bank_reference": None if bank_ref in (None, "", "NONREF") else bank_ref,
        "reversal": mark.startswith("R"),
        "account_iban": account,
        "source": "mt940",
    }


def parse_mt940(data: bytes | str, *, source: str = "mt940", accept_unbalanced: bool = False) -> list[BankTransaction]:
    """Entries of every statement in the file, after the count and balance checks of each statement
    (`accept_unbalanced`: a statement failing the balance check is read, its entries marked `unverified`)."""
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    rows: list[dict[str, Any]] = []
    for stmt in _tokenise(text, source):
        account_raw = next((t.value.strip() for t in stmt.tags if t.name == "25"), "")
        account_id = re.sub(r"\s+[A-Z]{3}$|(?<=\d)[A-Z]{3}$", "", account_raw).replace(" ", "")
        account = account_id if is_valid_iban(account_id) else None
        opening = closing = None
        currency = None
        entries: list[dict[str, Any]] = []
        tags = stmt.tags
        for i, tag in enumerate(tags):
            if tag.name in ("60F", "60M"):
                opening, currency = _balance(tag, source)
            elif tag.name in ("62F", "62M"):
                closing, ccy = _balance(tag, source)
                currency = currency or ccy
            elif tag.name == "61":
                details: list[str] = []
                for follow in tags[i + 1 :]:  # Rabobank's old format repeats :86: for each line of text
                    if follow.name != "86":
                        break
                    details.extend(follow.lines)
                entries.append(_entry(tag, details, account, currency, source))
        where = f"line {stmt.line} (statement {next((t.value.strip() for t in tags if t.name == '20'), '?')})"
        check_count(source, where, sum(1 for t in tags if t.name == "61"), len(entries), ":61: lines")
        total = sum((e["amount"] for e in entries), Decimal(0))
        issue = check_balance(source, where, opening, total, closing, accept=accept_unbalanced)
        if entries and closing is None:  # :62F: is mandatory: without it a cut-off last amount cannot be told
            issue = Unverified(check="closing balance", file=source, location=where)
        rows.extend({**e, "unverified": issue} if issue else e for e in entries)
    # Across the file as well: every line that starts an entry must have become one (none merged into a text).
    check_count(source, "file", len(re.findall(r"(?m)^:61:", text)), len(rows), ":61: lines")
    return assign_ids(rows)


def from_mt940_transaction(tx: Any, *, account_iban: str | None, currency: str | None, source: str) -> dict[str, Any]:
    """Map one `mt940.models.Transaction` (what python-fints returns) to BankTransaction fields."""
    d = tx.data
    amount = d["amount"]
    status = str(d.get("status") or "").upper()
    # Sign from the mark, not the parser: python-fints parses with mt-940's 5.0.0 defaults, where RC stays positive.
    value: Decimal = abs(Decimal(str(amount.amount))) * (-1 if status in ("D", "RC") else 1)
    purpose = d.get("purpose") or d.get("transaction_details") or ""
    extra = d.get("additional_purpose")
    remittance = " ".join(str(p).strip() for p in (purpose, extra) if p)
    bank_ref = d.get("bank_reference")
    name = (d.get("applicant_name") or "").strip() or None
    iban = d.get("applicant_iban") or d.get("gvc_applicant_iban")
    if iban is None and name:  # 5.0.0 defaults (python-fints) glue ?31, the IBAN, in front of the name
        iban, name = _split_iban(name)
    return {
        "booking_date": d.get("entry_date") or d["date"],
        "value_date": d.get("date"),
        "amount": value,
        "currency": getattr(amount, "currency", None) or currency or "EUR",
        "counterparty_name": name,
        "counterparty_iban": iban,
        "counterparty_bic": d.get("applicant_bin") or d.get("gvc_applicant_bin"),
        "remittance": remittance,
        "end_to_end_id": d.get("end_to_end_reference"),
        "bank_reference": None if bank_ref in (None, "NONREF") else bank_ref,
        "reversal": status.startswith("R"),
        "account_iban": account_iban,
        "source": source,
    }


def read_mt940(path: str | Path) -> list[BankTransaction]:
    p = Path(path)
    return parse_mt940(p.read_bytes(), source=p.name)
