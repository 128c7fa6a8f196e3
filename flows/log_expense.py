"""Receipts → booked expenses: upload, wait for OCR (polling, or the `voucher.created` webhook), complete and book.

Whatever the caller knows (vendor, number, date, amount, category) wins; missing values come from the OCR
result of the uploaded voucher. If the number or the amount is still unknown the receipt is reported as
"needs data" instead of being booked with guesses.

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
from tasks.common import business_key, run_logger
from tasks.vouchers import EXPENSE, book_expense, get_voucher, poll_ocr, upload_receipt

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


def _reason(exc: Exception) -> str:
    """What is wrong with a receipt file, in one sentence (no errno prefix)."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}; check the receipt's path"
    if isinstance(exc, OSError):
        return f"cannot read {exc.filename}: {exc.strerror}"
    return str(exc)


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
    for r in receipts:
        try:
            filename, content, sha = read_receipt(r.path)
        except (OSError, ValueError) as exc:  # one bad receipt never sinks the batch
            log.warning("%s is not booked: %s", Path(r.path).name, _reason(exc))
            rows.append({"file": Path(r.path).name, "outcome": "unreadable", "voucher": "", "detail": _reason(exc)})
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
        booked = book_expense(
            data, sha256=sha, voucher_number=data["voucher_number"], profile=profile, request_digest=wanted,
            database_url=database_url,
        )  # fmt: skip
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
