"""CAMT (ISO 20022 bank-to-customer): camt.053 statements, camt.052 reports, camt.054 notifications; 02 to 08.

Element names barely changed between versions; the differences handled here are `Sts` (text in 02, `Sts/Cd` from
04 on), party names (`Dbtr/Nm` in 02/04, `Dbtr/Pty/Nm` in 08) and agent BICs (`BIC` in 02, `BICFI` from 04 on).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from lexflow.banking.errors import StatementError
from lexflow.banking.readers.checks import check_balance, check_count
from lexflow.banking.transactions import BankTransaction, assign_ids, normalise_iban

_SOURCE = "camt.053"


_AMOUNT = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,5})?")


def _strip_namespaces(root: etree._Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname


def _where(el: etree._Element) -> str:
    path = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            path.append(f"{node.tag}[{same.index(node) + 1}]" if len(same) > 1 else str(node.tag))
        else:
            path.append(str(node.tag))
        node = parent
    return f"line {el.sourceline}, element {'/'.join(reversed(path))}"


def _text(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _first(el: etree._Element, *paths: str) -> str | None:
    for p in paths:
        value = _text(el, p)
        if value:
            return value
    return None


def _amount(el: etree._Element, source: str = _SOURCE) -> tuple[Decimal, str]:
    text = (el.text or "").strip()
    if text.startswith("-"):
        raise StatementError(source, _where(el), "amounts are unsigned in CAMT; the sign belongs in CdtDbtInd")
    # ISO 20022 amounts: at most 18 digits, 5 after the point; no exponent, NaN or Infinity.
    if not _AMOUNT.fullmatch(text):
        shown = text if len(text) <= 30 else text[:20] + f"… ({len(text)} characters)"
        raise StatementError(source, _where(el), f"{shown!r} is not a decimal amount (expected e.g. 1234.56)")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise StatementError(source, _where(el), f"{text!r} is not a decimal amount") from None
    if value != value.quantize(Decimal("0.01")):
        raise StatementError(source, _where(el), f"{el.text!r} has fractions of a cent, which lexflow would round")
    return value, el.get("Ccy") or "EUR"


def _date(parent: etree._Element, name: str, required: bool, source: str = _SOURCE) -> date | None:
    holder = parent.find(name)
    if holder is None:
        if required:
            raise StatementError(source, _where(parent), f"missing {name} (booking date: {name}/Dt or {name}/DtTm)")
        return None
    raw = _first(holder, "Dt", "DtTm")
    if raw is None:
        raise StatementError(source, _where(holder), f"{name} has neither Dt nor DtTm")
    try:
        return date.fromisoformat(raw[:10]) if "T" not in raw else datetime.fromisoformat(raw).date()
    except ValueError:
        raise StatementError(source, _where(holder), f"{raw!r} is not an ISO date (yyyy-mm-dd)") from None


def _party(details: etree._Element, role: str) -> tuple[str | None, str | None, str | None]:
    """Name, IBAN and BIC of the debtor or creditor of one transaction (`role` = Dbtr|Cdtr)."""
    parties = details.find("RltdPties")
    agents = details.find("RltdAgts")
    name = (
        _first(parties, f"{role}/Pty/Nm", f"{role}/Nm", f"Ultmt{role}/Pty/Nm", f"Ultmt{role}/Nm")
        if parties is not None
        else None
    )
    iban = _text(parties, f"{role}Acct/Id/IBAN") if parties is not None else None
    bic = _first(agents, f"{role}Agt/FinInstnId/BICFI", f"{role}Agt/FinInstnId/BIC") if agents is not None else None
    return name, iban, bic


def _remittance(details: etree._Element | None, entry: etree._Element) -> str:
    parts: list[str] = []
    rmt = details.find("RmtInf") if details is not None else None
    if rmt is not None:
        parts += [(u.text or "").strip() for u in rmt.findall("Ustrd")]
        parts += [(r.text or "").strip() for r in rmt.findall("Strd/CdtrRefInf/Ref")]
        parts += [(r.text or "").strip() for r in rmt.findall("Strd/RfrdDocInf/Nb")]
    extra = _text(details, "AddtlTxInf") if details is not None else None
    if extra:
        parts.append(extra)
    if not any(parts):  # no transaction details: banks put the description on the entry (AddtlNtryInf)
        parts.append(_text(entry, "AddtlNtryInf") or "")
    return " ".join(p for p in parts if p)


# camt.053 statement, camt.052 account report (intraday, what Sparkasse/VR online banking and FinTS give under
# "CAMT"), camt.054 debit/credit notification: the same Ntry structure under a different body and record element.
_KINDS = {
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.052": ("BkToCstmrAcctRpt", "Rpt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_PENDING = {"PDNG", "PENDING", "INFO", "FUTR"}


def parse_camt(data: bytes | str, *, source: str = "camt", accept_unbalanced: bool = False) -> list[BankTransaction]:
    """Booked entries of every statement, report or notification in the document (camt.052, .053, .054).

    One transaction per `TxDtls` of a batch entry. Pending (`PDNG`) and information (`INFO`) entries are not money
    yet and are skipped. Each record is checked: the entry count against `TxsSummry/TtlNtries/NbOfNtries`, a batch's
    details against its amount, and opening (`OPBD`/`PRCD`) + booked entries = closing (`CLBD`) balance
    (`accept_unbalanced`: a record failing only the last is read, its entries marked `unverified`)."""
    raw = data.encode() if isinstance(data, str) else data
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else "?"
        raise StatementError(source, f"line {line}", f"not well-formed XML ({exc.msg})") from None
    ns = etree.QName(root).namespace or ""
    kind = next((k for k in _KINDS if k in ns), None)
    if ns and kind is None:
        raise StatementError(
            source,
            f"line {root.sourceline}, element {etree.QName(root).localname}",
            f"not a bank statement format lexflow reads: XML namespace {ns!r} (expected ISO 20022 camt.052, "
            "camt.053 or camt.054: urn:iso:std:iso:20022:tech:xsd:camt.05N.001.NN)",
        )
    _strip_namespaces(root)
    body = root[0] if root.tag == "Document" and len(root) else root
    kind = kind or next((k for k, (b, _r) in _KINDS.items() if b == body.tag), None)
    if kind is None or body.tag != _KINDS[kind][0]:
        raise StatementError(
            source,
            f"line {root.sourceline}, element {root.tag}",
            "not a bank statement format lexflow reads: no BkToCstmrStmt, BkToCstmrAcctRpt or "
            "BkToCstmrDbtCdtNtfctn element (ISO 20022 camt.053/.052/.054)",
        )
    records = body.findall(_KINDS[kind][1])
    if not records:
        raise StatementError(source, _where(body), f"no {_KINDS[kind][1]} element")
    rows: list[dict[str, Any]] = []
    for record in records:
        account_iban = _first(record, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        entries = record.findall("Ntry")
        stated = _text(record, "TxsSummry/TtlNtries/NbOfNtries")
        if stated is not None and stated.isdigit():
            check_count(source, _where(record), int(stated), len(entries), "entries (TxsSummry/TtlNtries/NbOfNtries)")
        booked: list[dict[str, Any]] = []
        booked_total = Decimal(0)
        for entry in entries:
            status = _first(entry, "Sts/Cd", "Sts/Prtry", "Sts")
            if status and status.upper() in _PENDING:
                continue  # pending/information entries are not booked money
            entry_rows = _entry_rows(entry, account_iban, source, _record_date(record, source))
            booked.extend(entry_rows)
            booked_total += sum((r["amount"] for r in entry_rows), Decimal(0))
        opening, closing = _balance(record, ("OPBD", "PRCD"), source), _balance(record, ("CLBD",), source)
        issue = check_balance(
            source, _where(record), opening, booked_total, closing, places=5, accept=accept_unbalanced
        )
        rows.extend({**r, "unverified": issue} if issue else r for r in booked)
    return assign_ids(rows)


def _record_date(record: etree._Element, source: str) -> date | None:
    """The day a record covers (closing balance date, else its period end): the booking date of entries that
    carry none (seen in Lithuanian camt.053 exports: entries without BookgDt and ValDt)."""
    for bal in record.findall("Bal"):
        if _first(bal, "Tp/CdOrPrtry/Cd") in ("CLBD", "ITBD"):
            return _date(bal, "Dt", required=False, source=source)
    raw = _first(record, "FrToDt/ToDtTm", "FrToDt/ToDt")
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError:
        return None


def _balance(record: etree._Element, codes: tuple[str, ...], source: str) -> Decimal | None:
    for code in codes:
        for bal in record.findall("Bal"):
            if _first(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry") != code:
                continue
            amt = bal.find("Amt")
            if amt is None:
                raise StatementError(source, _where(bal), f"balance {code} without Amt")
            value, _ccy = _amount(amt, source)
            return -value if _text(bal, "CdtDbtInd") == "DBIT" else value
    return None


def parse_camt053(data: bytes | str, *, source: str = _SOURCE) -> list[BankTransaction]:
    """Kept for callers of the camt.053-only name: `parse_camt` reads camt.052, .053 and .054."""
    return parse_camt(data, source=source)


def _entry_rows(
    entry: etree._Element, account_iban: str | None, source: str, statement_date: date | None = None
) -> list[dict[str, Any]]:
    amt_el = entry.find("Amt")
    if amt_el is None:
        raise StatementError(source, _where(entry), "entry without Amt")
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        where = _where(entry.find("CdtDbtInd")) if entry.find("CdtDbtInd") is not None else _where(entry)
        raise StatementError(source, where, f"CdtDbtInd is {indicator!r}; expected CRDT or DBIT")
    entry_amount, entry_ccy = _amount(amt_el, source)
    # camt.054 and some camt.053 (e.g. Lithuanian) carry no BookgDt: the value date is then the booking date.
    value = _date(entry, "ValDt", required=False, source=source)
    booking = _date(entry, "BookgDt", required=False, source=source) or value or statement_date
    if booking is None:
        raise StatementError(source, _where(entry), "entry without BookgDt or ValDt, in a record without a date")
    reversal = (_text(entry, "RvslInd") or "").lower() == "true"
    entry_ref = _first(entry, "AcctSvcrRef", "NtryRef")
    details_list: list[etree._Element | None] = list(entry.findall("NtryDtls/TxDtls")) or [None]
    split = len(details_list) > 1 and all(
        d is not None and (d.find("AmtDtls/TxAmt/Amt") is not None or d.find("Amt") is not None) for d in details_list
    )
    # A batch is split into its details when each carries an amount; one whose details carry none (camt.054
    # notifications) cannot be split without inventing numbers: it stays one transaction, with every detail's text.
    groups = [[d] for d in details_list] if split else [details_list]
    stated = _text(entry, "NtryDtls/Btch/NbOfTxs")
    if split and stated is not None and stated.isdigit():
        check_count(source, _where(entry), int(stated), len(details_list), "transactions (Btch/NbOfTxs)")
    rows: list[dict[str, Any]] = []
    for group in groups:
        amount, ccy, tx_indicator = entry_amount, entry_ccy, indicator
        only = group[0] if len(group) == 1 else None
        if split and only is not None:
            tx_amt = only.find("AmtDtls/TxAmt/Amt")
            amount, ccy = _amount(tx_amt if tx_amt is not None else only.find("Amt"), source)
            tx_indicator = _text(only, "CdtDbtInd") or indicator
        credit = tx_indicator == "CRDT"
        # Money in: the counterparty is the debtor; money out: the creditor. Never the other role: that is the
        # account holder, whose own IBAN must not be learnt as a customer's.
        parties = {_party(d, "Dbtr" if credit else "Cdtr") for d in group if d is not None}
        name, iban, bic = parties.pop() if len(parties) == 1 else (None, None, None)
        if iban and account_iban and normalise_iban(iban) == normalise_iban(account_iban):
            name = iban = bic = None
        rows.append(
            {
                "booking_date": booking,
                "value_date": value,
                "amount": amount if credit else -amount,
                "currency": ccy,
                "counterparty_name": name,
                "counterparty_iban": iban,
                "counterparty_bic": bic,
                "remittance": " ".join(dict.fromkeys(t for t in (_remittance(d, entry) for d in group) if t)),
                "end_to_end_id": _text(only, "Refs/EndToEndId") if only is not None else None,
                "bank_reference": (_text(only, "Refs/AcctSvcrRef") if only is not None else None) or entry_ref,
                "reversal": reversal,
                "account_iban": account_iban,
                "source": "camt053",
            }
        )
    if len(rows) > 1:
        total = sum((r["amount"] for r in rows), Decimal(0))
        if abs(total) != entry_amount:
            raise StatementError(
                source,
                _where(entry),
                f"integrity check 'batch sum' failed: the entry states {entry_amount}, its {len(rows)} "
                f"transaction details add up to {abs(total)}",
            )
    return rows


def read_camt(path: str | Path) -> list[BankTransaction]:
    p = Path(path)
    return parse_camt(p.read_bytes(), source=p.name)


read_camt053 = read_camt
