"""What the Lexware business actions share: reading API JSON, money, dates and the web-app link."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

TWO = Decimal("0.01")


def _d(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _dump(obj: Any) -> dict[str, Any]:
    """API JSON (camelCase) of a model or dict."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(obj or {})


def _get(obj: Any, *keys: str, default: Any = None) -> Any:
    cur = _dump(obj) if isinstance(obj, BaseModel) else obj
    for k in keys:
        if isinstance(cur, BaseModel):
            cur = _dump(cur)
        if not isinstance(cur, dict):
            return default
        cur = cur.get(k)
    return default if cur is None else cur


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(text.split())


def _timestamp(d: date) -> str:
    """Sales documents need yyyy-MM-ddTHH:mm:ss.SSS+hh:mm (docs/lexware.md#timestamps); midnight Berlin is close enough for a date."""
    return f"{d.isoformat()}T00:00:00.000+01:00"


def _view_url(client: Any, resource: str, id_: str) -> str | None:
    """The web-app link to show a person; None on the sandbox (its ids open nothing in the real web app)."""
    try:
        from lexflow.lexware.client.deeplinks import link_for

        return link_for(client, resource, id_)
    except Exception:
        return None
