"""How lexflow writes amounts for people (artifacts, Slack, tables): one format everywhere, English locale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def eur(amount: Any) -> str:
    """`1234.5` → `1,234.50 EUR` (every artifact and message uses this, so tables read alike)."""
    return f"{Decimal(str(amount)):,.2f} EUR"
