"""Request/response plumbing of the sevDesk sandbox routes: the `{"objects": ...}` envelope, paging, bodies."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sevdesk.sandbox.core import SevdeskState, bad, epoch, public

Limit = Query(None, description="page size, 1-1000 (sevDesk recommends 10-100)")
Offset = Query(None, ge=0, description="entries to skip")
CountAll = Query(None, alias="countAll", description="true adds `total` (a string) to the answer")


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def objects(value: Any, status: int = 200) -> Response:
    """The success envelope; documents lose their internal `_` keys."""
    return json({"objects": _clean(value)}, status)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in public(value).items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def state_of(request: Request) -> SevdeskState:
    return request.app.state.sevdesk  # type: ignore[no-any-return]


def flag(value: str | bool | None) -> bool:
    if isinstance(value, bool):
        return value
    return value is not None and value.strip().lower() in ("true", "1", "yes")


def paged(request: Request, docs: list[Any], limit: int | None, offset: int | None, count_all: str | None) -> Response:
    """`limit`/`offset` paging; `countAll=true` adds the total as a string (docs/sevdesk.md#paging)."""
    size = state_of(request).config.default_limit if limit is None else limit
    if not 1 <= size <= 1000:
        raise bad(f"limit must be between 1 and 1000, got {size}")
    start = offset or 0
    body: dict[str, Any] = {"objects": _clean(docs[start : start + size])}
    if flag(count_all):
        body = {"total": str(len(docs)), **body}
    return json(body)


async def read_body(request: Request) -> dict[str, Any]:
    """A JSON object body (sevDesk also takes form bodies; the sandbox only JSON, as lexflow sends)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    ctype = request.headers.get("content-type", "").lower()
    if not ctype.startswith("application/json"):
        raise bad("send the body as JSON with Content-Type: application/json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


def after(doc: dict[str, Any], field: str, timestamp: int | None, *, before: bool = False) -> bool:
    """Filter helper for `createAfter`/`updateAfter`/...: Unix timestamps compared with the ISO field."""
    if timestamp is None:
        return True
    value = epoch(doc.get(field))
    return value < timestamp if before else value > timestamp
