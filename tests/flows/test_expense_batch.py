"""One bad receipt does not sink the log-expense batch: the others are booked, the bad one is a row saying why."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.prefect


def test_a_missing_receipt_is_reported_and_the_next_one_booked(
    served_sandbox: Any, prefect_flows: Path, tmp_path: Path
) -> None:
    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox.starter import sample_receipt
    from tasks.common import use_client

    served_sandbox.reset()
    good = sample_receipt(tmp_path / "beleg.pdf", number="BB-2026-118", gross="23.80")
    known = {
        "supplier_name": "Bürobedarf AG",
        "category": "Bürobedarf",
        "voucher_date": date.today() - timedelta(days=1),
    }
    receipts = [
        Receipt(path=str(tmp_path / "verloren.pdf"), voucher_number="X-1", total_gross="10", **known),
        Receipt(path=str(tmp_path / "notiz.txt"), voucher_number="X-2", total_gross="10", **known),
        Receipt(path=str(good), voucher_number="BB-2026-118", total_gross="23.80", **known),
    ]
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client:
        with use_client(client):
            state = log_expense(receipts, ocr_timeout_seconds=20, poll_interval_seconds=0.3, return_state=True)
    assert state.is_completed(), state.message
    rows = state.result()
    assert [r["outcome"] for r in rows] == ["unreadable", "unreadable", "booked"], rows
    assert "no such file" in rows[0]["detail"] and "verloren.pdf" in rows[0]["detail"]
    assert "only PDF, JPG and PNG" in rows[1]["detail"]
