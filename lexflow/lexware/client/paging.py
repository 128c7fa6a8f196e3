"""Paging helpers: the 10,000-entry search window and voucherlist date-range splitting (docs/lexware.md#paging)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

__all__ = ["DATE_FILTERS", "EARLIEST", "LATEST", "WINDOW", "split_range", "to_api_filters"]

WINDOW = 10_000
"""The API never pages past 10,000 entries ("Maximum search window size exceeded"); totalElements caps there."""
EARLIEST = date(1990, 1, 1)
LATEST = date(2099, 12, 31)
DATE_FILTERS = (
    "voucherDateFrom",
    "voucherDateTo",
    "createdDateFrom",
    "createdDateTo",
    "updatedDateFrom",
    "updatedDateTo",
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def to_api_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """snake_case or camelCase filter names → the API's camelCase (`contact_id` → `contactId`)."""
    return {(_camel(k) if "_" in k else k): v for k, v in filters.items() if v is not None}


def _parse(value: Any, default: date) -> date:
    if value is None:
        return default
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return date.fromisoformat(value)
    raise ValueError(f"not a yyyy-MM-dd date: {value!r}")


def split_range(start: Any, end: Any) -> list[tuple[str, str]] | None:
    """Two halves of the voucher-date range [start, end] (open ends become 1990-01-01 / 2099-12-31); None when the
    range is a single day and cannot be split."""
    a, b = _parse(start, EARLIEST), _parse(end, LATEST)
    if b <= a:
        return None
    mid = a + timedelta(days=(b - a).days // 2)
    return [(a.isoformat(), mid.isoformat()), ((mid + timedelta(days=1)).isoformat(), b.isoformat())]
