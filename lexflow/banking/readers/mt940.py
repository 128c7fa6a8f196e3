"""MT940 statements via the `mt-940` library, with the German structured `:86:` details (GVC, SEPA purpose codes)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import mt940

from lexflow.banking.errors import StatementError
from lexflow.banking.transactions import BankTransaction, assign_ids

# Opt in to the library's fixes: ?31 as IBAN, RC as a debit, no silent truncation of long details, BOM stripping.
_OPTIONS = mt940.Options(
    applicant_iban=True,
    reversal_sign=True,
    merge_keeps_values=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
)


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


def _split_iban(name: str) -> tuple[str | None, str | None]:
    """`DE89370400440532013000Mueller GmbH` → (IBAN, name), by the country's IBAN length."""
    length = _IBAN_LENGTH.get(name[:2])
    head = name[:length] if length else ""
    if length and len(head) == length and head[2:4].isdigit() and head[4:].isalnum() and head[4:].upper() == head[4:]:
        return head, name[length:].strip() or None
    return None, name


_TAG_61 = re.compile(r"^:61:(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[CD])[A-Z]?(?P<amount>\d[\d,]*)", re.IGNORECASE)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _check_lines(text: str, source: str) -> None:
    """The library skips what it cannot read; find broken :61: lines first so the error can name the line."""
    lines = text.splitlines()
    if not any(line.startswith(":20:") for line in lines) or not any(
        line.startswith(":61:") or line.startswith(":62") for line in lines
    ):
        raise StatementError(source, "line 1", "no :20: and :62F: tags; this is not an MT940 statement")
    for no, line in enumerate(lines, 1):
        if line.startswith(":61:") and not _TAG_61.match(line):
            raise StatementError(
                source,
                f"line {no}",
                f"malformed :61: statement line {line[:40]!r} "
                "(expected :61:YYMMDD[MMDD]C|D|RC|RD<amount with comma>...)",
            )
        if line.startswith(":61:"):
            try:
                date(2000 + int(line[4:6]), int(line[6:8]), int(line[8:10]))
            except ValueError:
                raise StatementError(source, f"line {no}", f"invalid value date {line[4:10]!r} (YYMMDD)") from None


def from_mt940_transaction(tx: Any, *, account_iban: str | None, currency: str | None, source: str) -> dict[str, Any]:
    """Map one `mt940.models.Transaction` (also what python-fints returns) to BankTransaction fields."""
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


def parse_mt940(data: bytes | str, *, source: str = "mt940") -> list[BankTransaction]:
    text = _decode(data).replace("\r\n", "\n")
    _check_lines(text, source)
    rows: list[dict[str, Any]] = []
    try:
        statements = mt940.parse_statements(text, options=_OPTIONS)
    except Exception as exc:  # the library raises plain RuntimeError/ValueError naming the tag
        raise StatementError(source, _guess_line(text, str(exc)), f"cannot parse MT940: {exc}") from None
    for stmt in statements:
        account = stmt.data.get("account_identification")
        iban = account if account and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", account) else None
        for tx in stmt:
            rows.append(from_mt940_transaction(tx, account_iban=iban, currency=stmt.currency, source="mt940"))
    return assign_ids(rows)


def _guess_line(text: str, message: str) -> str:
    for no, line in enumerate(text.splitlines(), 1):
        snippet = line.strip()
        if snippet and len(snippet) > 6 and snippet in message:
            return f"line {no}"
    return "statement"


def read_mt940(path: str | Path) -> list[BankTransaction]:
    p = Path(path)
    return parse_mt940(p.read_bytes(), source=p.name)
