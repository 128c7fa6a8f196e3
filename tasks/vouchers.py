"""Bookkeeping voucher tasks: upload a receipt, watch OCR, complete and book the expense."""

from __future__ import annotations

import base64
import time
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.actions.errors import InvalidInput
from lexflow.core.errors import CoreError
from lexflow.operations import Operations, crash_point
from tasks.common import KEEP, business_key, key_from, run_action, run_logger

#: The operations-ledger kind of a booked expense (keyed by file hash + supplier invoice number).
EXPENSE = "expense"

#: Refusals of the neutral create_expense that certainly booked nothing (the input, or a capability it lacks).
REFUSED: tuple[type[Exception], ...] = (InvalidInput, CoreError)

#: Status of an uploaded receipt before OCR finished (blank, then unchecked: docs/lexware.md#uploads).
OCR_PENDING = {"blank"}


@task(
    name="upload-receipt",
    persist_result=True,
    cache_key_fn=key_from("upload-receipt", "sha256"),
    cache_expiration=KEEP,
)
def upload_receipt(filename: str, content: bytes, sha256: str, profile: str | None = None) -> dict[str, Any]:
    """POST /v1/files. Keyed by content hash (the API also deduplicates by checksum)."""
    data = {"filename": filename, "content_base64": base64.b64encode(content).decode()}
    out = run_action("files_upload", data, profile=profile).model_dump(mode="json", by_alias=True)["result"]
    return {"file_id": out.get("id"), "voucher_id": out.get("voucherId") or out.get("voucher_id")}


@task(name="get-voucher", cache_policy=NO_CACHE)
def get_voucher(voucher_id: str, profile: str | None = None) -> dict[str, Any]:
    return dict(run_action("vouchers_get", {"id": voucher_id}, profile=profile).model_dump(mode="json")["result"])


def poll_ocr(voucher_id: str, timeout: float, interval: float, profile: str | None = None) -> dict[str, Any]:
    """Poll the voucher until OCR is done (status leaves `blank`); TimeoutError says what to do."""
    deadline = time.monotonic() + timeout
    log = run_logger()
    while True:
        v = get_voucher(voucher_id, profile=profile)
        if v.get("voucherStatus") not in OCR_PENDING:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"OCR of voucher {voucher_id} not finished after {timeout:.0f}s; rerun the flow later (the upload "
                "is cached) or wait for the voucher.created webhook (wait='webhook')"
            )
        log.info("voucher %s still %s; polling again in %.1fs", voucher_id, v.get("voucherStatus"), interval)
        time.sleep(interval)


@task(
    name="book-expense",
    persist_result=True,
    cache_key_fn=key_from("book-expense", "sha256", "voucher_number"),
    cache_expiration=KEEP,
)
def book_expense(
    expense: dict[str, Any],
    sha256: str,
    voucher_number: str,
    profile: str | None = None,
    *,
    request_digest: str,
    database_url: str | None = None,
) -> dict[str, Any]:
    """`create_expense`: completes the uploaded voucher (same file, deduplicated by checksum) and books it.

    Recorded in the operations ledger (intent before, outcome after). The write is a PUT of the whole voucher the
    upload created, so repeating it after an unknown outcome books the same voucher again, never a second one."""
    ops = Operations(database_url)
    key = business_key(EXPENSE, sha256, voucher_number)
    op = ops.begin(EXPENSE, key, request_digest, target=f"PUT /v1/vouchers/{expense.get('voucher_id')}",
                   request={"voucher_id": expense.get("voucher_id")}, what=f"voucher number {voucher_number!r}")  # fmt: skip
    if op.done:
        return op.result
    crash_point("expense:intent")
    try:
        out = run_action("lexware_create_expense", expense, profile=profile).model_dump(mode="json")
    except REFUSED as exc:  # refused before anything was booked: the corrected receipt may use the same key
        ops.fail(EXPENSE, key, str(exc))
        raise
    crash_point("expense:answer")
    ops.finish(EXPENSE, key, out)
    crash_point("expense:recorded")
    return dict(out)


@task(
    name="create-expense",
    persist_result=True,
    cache_key_fn=key_from("create-expense", "provider", "sha256", "voucher_number"),
    cache_expiration=KEEP,
)
def create_expense(
    expense: dict[str, Any],
    filename: str,
    content: bytes,
    sha256: str,
    voucher_number: str,
    provider: str,
    profile: str | None = None,
    *,
    request_digest: str,
    database_url: str | None = None,
) -> dict[str, Any]:
    """The neutral `create_expense` with the receipt file, on any accounting system: the supplier's number is its
    business key (the system's expense with it is returned, never a second one booked), recorded in the operations
    ledger (intent before, outcome after), so a rerun or a run after a crash books it once. The cache key names
    the provider: the same receipt booked in another system is another expense."""
    ops = Operations(database_url)
    key = business_key(EXPENSE, provider, sha256, voucher_number)
    op = ops.begin(EXPENSE, key, request_digest, target="create_expense", request={"number": voucher_number},
                   what=f"voucher number {voucher_number!r}")  # fmt: skip
    if op.done:
        return op.result
    crash_point("expense:intent")
    receipt = {"filename": filename, "content_base64": base64.b64encode(content).decode()}
    try:
        out = run_action("create_expense", {**expense, "receipt": receipt}, profile=profile).model_dump(mode="json")
    except REFUSED as exc:  # refused before anything was booked: the corrected receipt may use the same key
        ops.fail(EXPENSE, key, str(exc))
        raise
    crash_point("expense:answer")
    ops.finish(EXPENSE, key, out)
    crash_point("expense:recorded")
    return dict(out)
