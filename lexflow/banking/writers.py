"""Statement writers: CAMT.053 (02/04/08), MT940 and bank CSV, from `BankTransaction`s. Pure functions (no I/O).

The sandbox exports its open invoices as statements through these, and tests round-trip them through the readers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from lxml import etree

from lexflow.banking.transactions import BankTransaction

CamtVersion = Literal["02", "04", "08"]
_DEFAULT_IBAN = "DE02120300000000202051"


def _fmt(amount: Decimal) -> str:
    return f"{abs(amount).quantize(Decimal('0.01'))}"


def write_camt053(
    transactions: Sequence[BankTransaction],
    *,
    account_iban: str = _DEFAULT_IBAN,
    currency: str = "EUR",
    statement_id: str = "LEXFLOW-STMT-1",
    opening_balance: Decimal = Decimal("0"),
    created_at: datetime | None = None,
    version: CamtVersion = "08",
) -> bytes:
    """A CAMT.053.001.`version` document with one statement holding every transaction as a booked entry."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    created = created_at or datetime(2026, 1, 1, tzinfo=UTC)

    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
        if text is not None:
            el.text = text
        return el

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    body = sub(root, "BkToCstmrStmt")
    hdr = sub(body, "GrpHdr")
    sub(hdr, "MsgId", statement_id)
    sub(hdr, "CreDtTm", created.isoformat(timespec="seconds"))
    stmt = sub(body, "Stmt")
    sub(stmt, "Id", statement_id)
    sub(stmt, "CreDtTm", created.isoformat(timespec="seconds"))
    acct = sub(stmt, "Acct")
    sub(sub(acct, "Id"), "IBAN", account_iban)
    sub(acct, "Ccy", currency)
    dates = [t.booking_date for t in transactions] or [created.date()]
    closing = opening_balance + sum((t.amount for t in transactions), Decimal("0"))
    for code, amount, on in (("OPBD", opening_balance, min(dates)), ("CLBD", closing, max(dates))):
        bal = sub(stmt, "Bal")
        sub(sub(sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
        sub(bal, "Amt", _fmt(amount), Ccy=currency)
        sub(bal, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
        sub(sub(bal, "Dt"), "Dt", on.isoformat())
    for n, t in enumerate(transactions, 1):
        credit = t.amount > 0
        ntry = sub(stmt, "Ntry")
        sub(ntry, "NtryRef", str(n))
        sub(ntry, "Amt", _fmt(t.amount), Ccy=t.currency)
        sub(ntry, "CdtDbtInd", "CRDT" if credit else "DBIT")
        if t.reversal:
            sub(ntry, "RvslInd", "true")
        if version == "02":
            sub(ntry, "Sts", "BOOK")
        else:
            sub(sub(ntry, "Sts"), "Cd", "BOOK")
        sub(sub(ntry, "BookgDt"), "Dt", t.booking_date.isoformat())
        sub(sub(ntry, "ValDt"), "Dt", (t.value_date or t.booking_date).isoformat())
        if t.bank_reference:
            sub(ntry, "AcctSvcrRef", t.bank_reference)
        sub(sub(sub(ntry, "BkTxCd"), "Prtry"), "Cd", "NTRF+166" if credit else "NTRF+116")
        tx = sub(sub(ntry, "NtryDtls"), "TxDtls")
        refs = sub(tx, "Refs")
        if t.bank_reference:
            sub(refs, "AcctSvcrRef", t.bank_reference)
        sub(refs, "EndToEndId", t.end_to_end_id or "NOTPROVIDED")
        sub(sub(sub(tx, "AmtDtls"), "TxAmt"), "Amt", _fmt(t.amount), Ccy=t.currency)
        role = "Dbtr" if credit else "Cdtr"
        if t.counterparty_name or t.counterparty_iban:
            parties = sub(tx, "RltdPties")
            if t.counterparty_name:
                party = sub(parties, role)
                sub(sub(party, "Pty") if version == "08" else party, "Nm", t.counterparty_name)
            if t.counterparty_iban:
                sub(sub(sub(parties, f"{role}Acct"), "Id"), "IBAN", t.counterparty_iban)
        if t.counterparty_bic:
            fin = sub(sub(sub(tx, "RltdAgts"), f"{role}Agt"), "FinInstnId")
            sub(fin, "BIC" if version == "02" else "BICFI", t.counterparty_bic)
        if t.remittance:
            rmt = sub(tx, "RmtInf")
            text = t.remittance
            while text:  # Ustrd is at most 140 characters
                sub(rmt, "Ustrd", text[:140])
                text = text[140:]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---------------------------------------------------------------------------------------------------------- MT940


def _mt_amount(amount: Decimal) -> str:
    return _fmt(amount).replace(".", ",")


def _mt_clean(text: str) -> str:
    # SWIFT X character set; '?' is the :86: sub-field separator and must not appear in values.
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
    replaced = text.replace("?", ".").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    replaced = replaced.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    return "".join(c if c in allowed else "." for c in replaced)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def write_mt940(
    transactions: Sequence[BankTransaction],
    *,
    account_iban: str = _DEFAULT_IBAN,
    currency: str = "EUR",
    statement_id: str = "LEXFLOW",
    opening_balance: Decimal = Decimal("0"),
) -> str:
    """An MT940 statement with German structured `:86:` details (GVC, `?20..?29` SEPA purpose, `?30..?33` party)."""
    dates = [t.booking_date for t in transactions] or [date(2026, 1, 1)]
    closing = opening_balance + sum((t.amount for t in transactions), Decimal("0"))

    def balance(tag: str, amount: Decimal, on: date) -> str:
        return f":{tag}:{'C' if amount >= 0 else 'D'}{on:%y%m%d}{currency}{_mt_amount(amount)}"

    lines = [
        f":20:{statement_id[:16]}",
        f":25:{account_iban}",
        ":28C:00001/001",
        balance("60F", opening_balance, min(dates)),
    ]
    for t in transactions:
        credit = t.amount > 0
        mark = ("RD" if credit else "RC") if t.reversal else ("C" if credit else "D")
        entry = t.booking_date
        value = t.value_date or t.booking_date
        ref = _mt_clean(t.bank_reference or "NONREF")[:16]
        lines.append(f":61:{value:%y%m%d}{entry:%m%d}{mark}{_mt_amount(t.amount)}NTRFNONREF//{ref}")
        purpose = ""
        if t.end_to_end_id:
            purpose += f"EREF+{_mt_clean(t.end_to_end_id)}"
        purpose += f"SVWZ+{_mt_clean(t.remittance)}" if t.remittance else ""
        fields = ["166" if credit else "116", "?00" + ("GUTSCHRIFT" if credit else "UEBERWEISUNG")]
        for i, chunk in enumerate(_chunks(purpose, 27)[:10]):
            fields.append(f"?2{i}{chunk}")
        if t.counterparty_bic:
            fields.append(f"?30{_mt_clean(t.counterparty_bic)}")
        if t.counterparty_iban:
            fields.append(f"?31{t.counterparty_iban}")
        if t.counterparty_name:
            name = _chunks(_mt_clean(t.counterparty_name), 27)
            fields.append(f"?32{name[0]}")
            if len(name) > 1:
                fields.append(f"?33{name[1]}")
        details = "".join(fields)
        lines.append(":86:" + "\n".join(_chunks(details, 65)))
    lines.append(balance("62F", closing, max(dates)))
    lines.append("-")
    return "\r\n".join(lines) + "\r\n"


# ------------------------------------------------------------------------------------------------------------ CSV


def write_csv(
    transactions: Sequence[BankTransaction], *, preset: str = "sparkasse", account_iban: str = _DEFAULT_IBAN
) -> str:
    """A CSV export in the column layout of a bank preset (see `lexflow.banking.readers.csv.PRESETS`)."""
    from lexflow.banking.readers.csv import PRESETS

    mapping = PRESETS[preset]
    header = list(mapping.write_header)
    keys = [h.strip() or f"#{i + 1}" for i, h in enumerate(header)]  # a blank header cell is addressed by position
    buf = io.StringIO()
    for line in mapping.preamble:
        buf.write(line + "\n")
    writer = csv.writer(buf, delimiter=mapping.delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for t in transactions:
        row = dict.fromkeys(keys, "")
        values = mapping.render(t, account_iban=account_iban)
        row.update({k: v for k, v in values.items() if k in row})
        writer.writerow([row[k] for k in keys])
    return buf.getvalue()
