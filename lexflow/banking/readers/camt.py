"""CAMT.053 (ISO 20022 bank-to-customer statement), versions 02, 04 and 08, read namespace-agnostically.

Element names barely changed between versions; the differences handled here are `Sts` (text in 02, `Sts/Cd` from
04 on), party names (`Dbtr/Nm` in 02/04, `Dbtr/Pty/Nm` in 08) and agent BICs (`BIC` in 02, `BICFI` from 04 on).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from lexflow.banking.errors import StatementError
from lexflow.banking.transactions import BankTransaction, assign_ids

_SOURCE = "camt.053"


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


def _amount(el: etree._Element) -> tuple[Decimal, str]:
    try:
        value = Decimal((el.text or "").strip())
    except InvalidOperation:
        raise StatementError(
            _SOURCE, _where(el), f"{el.text!r} is not a decimal amount (expected e.g. 1234.56)"
        ) from None
    if value < 0:
        raise StatementError(_SOURCE, _where(el), "amounts are unsigned in CAMT; the sign belongs in CdtDbtInd")
    return value, el.get("Ccy") or "EUR"


def _date(parent: etree._Element, name: str, required: bool) -> date | None:
    holder = parent.find(name)
    if holder is None:
        if required:
            raise StatementError(_SOURCE, _where(parent), f"missing {name} (booking date: {name}/Dt or {name}/DtTm)")
        return None
    raw = _first(holder, "Dt", "DtTm")
    if raw is None:
        raise StatementError(_SOURCE, _where(holder), f"{name} has neither Dt nor DtTm")
    try:
        return date.fromisoformat(raw[:10]) if "T" not in raw else datetime.fromisoformat(raw).date()
    except ValueError:
        raise StatementError(_SOURCE, _where(holder), f"{raw!r} is not an ISO date (yyyy-mm-dd)") from None


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


def _remittance(details: etree._Element | None) -> str:
    if details is None:
        return ""
    rmt = details.find("RmtInf")
    parts: list[str] = []
    if rmt is not None:
        parts += [(u.text or "").strip() for u in rmt.findall("Ustrd")]
        parts += [(r.text or "").strip() for r in rmt.findall("Strd/CdtrRefInf/Ref")]
        parts += [(r.text or "").strip() for r in rmt.findall("Strd/RfrdDocInf/Nb")]
    extra = _text(details, "AddtlTxInf")
    if extra:
        parts.append(extra)
    return " ".join(p for p in parts if p)


def parse_camt053(data: bytes | str, *, source: str = _SOURCE) -> list[BankTransaction]:
    """Booked entries of every statement in the document; one transaction per `TxDtls` of a batch entry."""
    raw = data.encode() if isinstance(data, str) else data
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else "?"
        raise StatementError(source, f"line {line}", f"not well-formed XML ({exc.msg})") from None
    ns = etree.QName(root).namespace or ""
    if ns and "camt.053" not in ns:
        raise StatementError(
            source,
            f"line {root.sourceline}, element {etree.QName(root).localname}",
            f"namespace {ns!r} is not CAMT.053 (expected urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
        )
    _strip_namespaces(root)
    body = root.find("BkToCstmrStmt") if root.tag == "Document" else root
    if body is None or body.tag != "BkToCstmrStmt":
        raise StatementError(
            source,
            f"line {root.sourceline}, element {root.tag}",
            "missing BkToCstmrStmt (is this a CAMT.053 statement?)",
        )
    statements = body.findall("Stmt")
    if not statements:
        raise StatementError(source, _where(body), "no Stmt element")
    rows: list[dict[str, Any]] = []
    for stmt in statements:
        account_iban = _text(stmt, "Acct/Id/IBAN")
        for entry in stmt.findall("Ntry"):
            status = _first(entry, "Sts/Cd", "Sts")
            if status and status.upper() not in {"BOOK", "BOOKED"}:
                continue  # pending/information entries are not booked money
            rows.extend(_entry_rows(entry, account_iban, source))
    return assign_ids(rows)


def _entry_rows(entry: etree._Element, account_iban: str | None, source: str) -> list[dict[str, Any]]:
    amt_el = entry.find("Amt")
    if amt_el is None:
        raise StatementError(source, _where(entry), "entry without Amt")
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        where = _where(entry.find("CdtDbtInd")) if entry.find("CdtDbtInd") is not None else _where(entry)
        raise StatementError(source, where, f"CdtDbtInd is {indicator!r}; expected CRDT or DBIT")
    entry_amount, entry_ccy = _amount(amt_el)
    booking = _date(entry, "BookgDt", required=True)
    value = _date(entry, "ValDt", required=False)
    reversal = (_text(entry, "RvslInd") or "").lower() == "true"
    entry_ref = _first(entry, "AcctSvcrRef", "NtryRef")
    details_list = entry.findall("NtryDtls/TxDtls") or [None]
    rows = []
    for details in details_list:
        amount, ccy, tx_indicator = entry_amount, entry_ccy, indicator
        if details is not None and len(details_list) > 1:
            tx_amt = details.find("AmtDtls/TxAmt/Amt")
            if tx_amt is None:
                tx_amt = details.find("Amt")
            if tx_amt is None:
                raise StatementError(source, _where(details), "batch entry detail without Amt or AmtDtls/TxAmt/Amt")
            amount, ccy = _amount(tx_amt)
            tx_indicator = _text(details, "CdtDbtInd") or indicator
        credit = tx_indicator == "CRDT"
        name = iban = bic = None
        if details is not None:
            # Money in: the counterparty is the debtor; money out: the creditor.
            primary, other = ("Dbtr", "Cdtr") if credit else ("Cdtr", "Dbtr")
            name, iban, bic = _party(details, primary)
            if name is None and iban is None:
                name, iban, bic = _party(details, other)
        rows.append(
            {
                "booking_date": booking,
                "value_date": value,
                "amount": amount if credit else -amount,
                "currency": ccy,
                "counterparty_name": name,
                "counterparty_iban": iban,
                "counterparty_bic": bic,
                "remittance": _remittance(details),
                "end_to_end_id": _text(details, "Refs/EndToEndId") if details is not None else None,
                "bank_reference": (_text(details, "Refs/AcctSvcrRef") if details is not None else None) or entry_ref,
                "reversal": reversal,
                "account_iban": account_iban,
                "source": "camt053",
            }
        )
    return rows


def read_camt053(path: str | Path) -> list[BankTransaction]:
    p = Path(path)
    return parse_camt053(p.read_bytes(), source=p.name)
