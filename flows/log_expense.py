"""Receipts → booked expenses, on whatever accounting system is configured (docs/flows.md#log-expense-on-every-provider).

Where the system reads a receipt's values itself (capability `read_receipts`: Lexware Office's OCR): upload, wait
for OCR (polling, or the `voucher.created` webhook), complete and book. Whatever the caller knows (vendor, number,
date, amount, category) wins; missing values come from the OCR result of the uploaded voucher.
Elsewhere (sevDesk, Xero, QuickBooks Online): the neutral `create_expense` books the receipt with the values given.
Either way, if the number or the amount is still unknown the receipt is reported as "needs data" instead of being
booked with guesses, and the supplier's invoice number is the business key: a rerun finds the expense it booked.

No `from __future__ import annotations`: the served flow's parameter type `Receipt` must be a real object, not a
string (see `flows/create_approve_send_invoice.py`).
"""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lexflow.formatting import eur
from lexflow.operations import KeyReused, Operations, request_digest
from lexflow.prefect.artifacts import audit_artifact, table_artifact
from lexflow.prefect.flow import lexflow_flow
from tasks.audit import audit
from tasks.common import business_key, current_provider, run_logger
from tasks.vouchers import EXPENSE, REFUSED, book_expense, create_expense, get_voucher, poll_ocr, upload_receipt

ALLOWED = {".pdf", ".jpg", ".jpeg", ".png"}
MAX_BYTES = 5 * 1024 * 1024  # docs/lexware.md#uploads: exactly 5 MiB is accepted, one byte more is refused


class Receipt(BaseModel):
    """One receipt file and what is known about it (everything but the file is optional)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    supplier_name: str | None = None
    contact_id: str | None = Field(default=None, description="Vendor contact; default: the collective contact.")
    voucher_number: str | None = None
    voucher_date: date | None = None
    due_date: date | None = None
    total_gross: Decimal | None = None
    tax_rate: Decimal = Decimal(19)
    tax: str | None = Field(
        default=None,
        description="Tax key (standard, reduced, zero) or the system's own tax code; default: the key whose rate "
        "is tax_rate.",
    )
    category: str | None = Field(
        default=None,
        description="Posting category (outgo): id or name as in posting_categories_list, e.g. 'Bürobedarf'.",
    )
    remark: str | None = None


def read_receipt(path: str) -> tuple[str, bytes, str]:
    """(file name, bytes, sha256) after checking what the API would refuse (pdf/jpg/png, at most 5 MiB: docs/lexware.md#uploads)."""
    p = Path(path).expanduser()
    if p.suffix.lower() not in ALLOWED:
        raise ValueError(f"receipt {p.name}: only PDF, JPG and PNG can be uploaded (got {p.suffix or 'none'})")
    with open(p, "rb") as f:
        content = f.read(MAX_BYTES + 1)  # never more: a 300 MB file is refused without reading it all
    if len(content) > MAX_BYTES:
        raise ValueError(f"receipt {p.name}: {len(content)} bytes; the API accepts at most 5 MiB")
    return p.name, content, hashlib.sha256(content).hexdigest()


def expense_input(r: Receipt, ocr: dict[str, Any]) -> dict[str, Any] | str:
    """The `create_expense` input, or a sentence saying which value is missing."""
    number = r.voucher_number or ocr.get("voucherNumber")
    total = r.total_gross if r.total_gross is not None else ocr.get("totalGrossAmount")
    vdate = r.voucher_date.isoformat() if r.voucher_date else (ocr.get("voucherDate") or "")[:10] or None
    found = (("voucher_number", number), ("total_gross", total), ("voucher_date", vdate), ("category", r.category))
    missing = [n for n, v in found if not v]
    if missing:
        return f"missing (not given and not found by OCR) {', '.join(missing)}: give them in the receipt data and rerun"
    item: dict[str, Any] = {"amount": str(total), "tax_rate": str(r.tax_rate), "category": r.category}
    data: dict[str, Any] = {
        "voucher_number": str(number),
        "voucher_date": vdate,
        "tax_type": "gross",
        "items": [item],
    }
    for k in ("contact_id", "supplier_name", "remark"):
        if getattr(r, k):
            data[k] = getattr(r, k)
    if r.due_date:
        data["due_date"] = r.due_date.isoformat()
    return data


def given_expense_input(r: Receipt, tax: str, system: str) -> dict[str, Any] | str:
    """The neutral `create_expense` input from the values given with the receipt (the system reads none from the
    file), or a sentence saying which are missing."""
    found = (
        ("voucher_number", r.voucher_number),
        ("total_gross", r.total_gross),
        ("voucher_date", r.voucher_date),
        ("category", r.category),
        ("supplier_name", r.supplier_name or r.contact_id),
    )
    missing = [n for n, v in found if not v]
    if missing:
        return (
            f"missing {', '.join(missing)}: {system} does not read receipts (OCR), give them in the receipt data "
            "and rerun"
        )
    assert r.voucher_date is not None
    data: dict[str, Any] = {
        "number": r.voucher_number,
        "issue_date": r.voucher_date.isoformat(),
        "prices_include_tax": True,
        "items": [{"amount": str(r.total_gross), "tax": tax, "category": r.category}],
    }
    if r.supplier_name:
        data["supplier_name"] = r.supplier_name
    if r.contact_id:
        data["supplier_id"] = r.contact_id
    if r.due_date:
        data["due_date"] = r.due_date.isoformat()
    if r.remark:
        data["note"] = r.remark
    return data


def tax_key(keys: dict[str, Decimal | None], r: Receipt) -> str:
    """The receipt's tax as the system takes it: given, else the lexflow key whose rate is `tax_rate` (`keys`:
    key → rate of the system's mapping), else the percentage itself (the system's own code, where it has one)."""
    if r.tax:
        return r.tax
    return next((key for key, rate in keys.items() if rate == r.tax_rate), format(r.tax_rate.normalize(), "f"))


def _reason(exc: Exception) -> str:
    """What is wrong with a receipt file, in one sentence (no errno prefix)."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}; check the receipt's path"
    if isinstance(exc, OSError):
        return f"cannot read {exc.filename}: {exc.strerror}"
    return str(exc)


def _book_given(
    r: Receipt,
    filename: str,
    content: bytes,
    sha: str,
    tax: str,
    provider: Any,
    ops: Operations,
    profile: str | None,
    database_url: str | None,
) -> dict[str, str]:
    """One receipt booked with the neutral `create_expense` from the values given with it: a result row."""
    log = run_logger()
    system = provider.capabilities.display_name
    data = given_expense_input(r, tax, system)
    if isinstance(data, str):
        log.warning("%s: %s", filename, data)
        return {"file": filename, "outcome": "needs data", "voucher": "", "detail": data}
    wanted = request_digest(data)
    key = business_key(EXPENSE, provider.name, sha, data["number"])
    try:
        ops.check(
            EXPENSE, key, wanted, what=f"{filename} with voucher number {data['number']!r}",
            hint=f"It is booked with the earlier values: correct the expense in {system} (or give the corrected "
            "receipt its own voucher number).",
        )  # fmt: skip
    except KeyReused as exc:
        log.error("%s: %s", filename, exc)
        return {"file": filename, "outcome": "refused", "voucher": "", "detail": str(exc)}
    try:
        booked = create_expense(
            data, filename, content, sha256=sha, voucher_number=data["number"], provider=provider.name, profile=profile,
            request_digest=wanted, database_url=database_url,
        )  # fmt: skip
    except REFUSED as exc:  # refused before anything was sent: the field and the fix
        log.error("%s is not booked: %s", filename, exc)
        return {"file": filename, "outcome": "refused", "voucher": "", "detail": str(exc)}
    gross = booked.get("total_gross") or {}
    total = gross.get("amount")
    audit(
        "flow.expense_booked",
        f"{sha[:16]}-{data['number']}",
        {"file": filename, "sha256": sha, "expense_id": booked["id"], "voucher_number": data["number"],
         "total_gross": str(total), "provider": provider.name},
        [booked["id"]],
    )  # fmt: skip
    return {
        "file": filename,
        "outcome": "booked",
        "voucher": booked["id"],
        "detail": f"{data['number']}: {Decimal(str(total or 0)):,.2f} {gross.get('currency', '')} gross, status "
        f"{booked.get('status')}",
    }


@lexflow_flow(name="log-expense", persist_result=True)
def log_expense(
    receipts: list[Receipt],
    wait: Literal["poll", "webhook"] = "poll",
    ocr_timeout_seconds: float = 120,
    poll_interval_seconds: float = 2,
    profile: str | None = None,
    database_url: str | None = None,
) -> list[dict[str, Any]]:
    """Book every receipt; one row per receipt: booked (voucher id, totals), needs data, or refused (the same
    file and voucher number were booked before with other values: never reported as booked with the old ones)."""
    log = run_logger()
    ops = Operations(database_url)
    rows: list[dict[str, Any]] = []
    provider = current_provider(profile)
    reads_receipts = provider.capabilities.supports("read_receipts")
    keys: dict[str, Decimal | None] | None = None
    for r in receipts:
        try:
            filename, content, sha = read_receipt(r.path)
        except (OSError, ValueError) as exc:  # one bad receipt never sinks the batch
            log.warning("%s is not booked: %s", Path(r.path).name, _reason(exc))
            rows.append({"file": Path(r.path).name, "outcome": "unreadable", "voucher": "", "detail": _reason(exc)})
            continue
        if not reads_receipts:
            if keys is None:  # the system's tax keys, read once (Xero's come from the organisation)
                keys = {k: provider.tax.resolve(k).rate for k in provider.tax.keys}
            rows.append(_book_given(r, filename, content, sha, tax_key(keys, r), provider, ops, profile, database_url))
            continue
        up = upload_receipt(filename, content, sha, profile=profile)
        voucher_id = up["voucher_id"]
        if wait == "webhook":
            from lexflow.webhooks.waiting import wait_for_event

            wait_for_event(
                "voucher.created",
                voucher_id,
                timeout=int(ocr_timeout_seconds),
                poll_interval=max(1, round(poll_interval_seconds)),
            )
        ocr = (
            get_voucher(voucher_id, profile=profile)
            if wait == "webhook"
            else poll_ocr(voucher_id, ocr_timeout_seconds, poll_interval_seconds, profile=profile)
        )
        data = expense_input(r, ocr)
        if isinstance(data, str):
            log.warning("%s: %s", filename, data)
            rows.append({"file": filename, "outcome": "needs data", "voucher": voucher_id, "detail": data})
            continue
        # What the booking says (not where the file lies): a corrected amount under the same key is refused.
        wanted = request_digest({k: v for k, v in data.items() if k != "receipt"})
        try:
            ops.check(
                EXPENSE, business_key(EXPENSE, sha, data["voucher_number"]), wanted,
                what=f"{filename} with voucher number {data['voucher_number']!r}",
                hint="It is booked with the earlier values: correct the voucher in Lexware Office (or give the "
                "corrected receipt its own voucher number).",
            )  # fmt: skip
        except KeyReused as exc:
            log.error("%s: %s", filename, exc)
            rows.append({"file": filename, "outcome": "refused", "voucher": voucher_id, "detail": str(exc)})
            continue
        data.update(file_id=up["file_id"], voucher_id=voucher_id)  # complete the uploaded voucher, no second upload
        try:
            booked = book_expense(
                data, sha256=sha, voucher_number=data["voucher_number"], profile=profile, request_digest=wanted,
                database_url=database_url,
            )  # fmt: skip
        except REFUSED as exc:  # the field and the fix; the other receipts are still booked
            log.error("%s is not booked: %s", filename, exc)
            rows.append({"file": filename, "outcome": "refused", "voucher": voucher_id, "detail": str(exc)})
            continue
        audit(
            "flow.expense_booked",
            f"{sha[:16]}-{data['voucher_number']}",
            {"file": filename, "sha256": sha, "voucher_id": booked["voucher_id"], "voucher_number": data["voucher_number"],
             "total_gross": str(booked["total_gross"]), "ocr_status": ocr.get("voucherStatus")},
            [booked["voucher_id"]],
        )  # fmt: skip
        rows.append(
            {
                "file": filename,
                "outcome": "booked",
                "voucher": booked.get("view_url") or booked["voucher_id"],
                "detail": f"{data['voucher_number']}: {eur(booked['total_gross'])} gross, status {booked.get('voucher_status')}",
            }
        )
    bad = sum(1 for row in rows if row["outcome"] == "unreadable")
    table_artifact(
        "log-expense",
        rows,
        "Receipts → booked expenses" + (f"; {bad} unreadable receipt(s) not booked: fix them and rerun" if bad else ""),
    )
    audit_artifact()
    return rows
