"""Helpers every resource group uses: timestamps, paging, number parsing, new document metadata."""

from __future__ import annotations

import math
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lexflow.lexware.sandbox.errors import ApiError, Issue
from lexflow.sandbox.store import Doc

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
WINDOW = 10_000


def new_id() -> str:
    return str(uuid.uuid4())


def parse_timestamp(value: Any) -> datetime | None:
    """A strict `yyyy-MM-ddTHH:mm:ss.SSSXXX` timestamp (docs/lexware.md#timestamps) or None."""
    if not isinstance(value, str) or not TIMESTAMP_RE.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def date_of(value: Any) -> date | None:
    """The calendar date of a stored timestamp or plain date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def out(d: Decimal) -> float:
    """A Decimal as a JSON number."""
    return float(d)


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def check_len(issues: list[Issue], body: dict[str, Any], key: str, limit: int, path: str = "") -> None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        issues.append(Issue(f"{path}{key}", "size", f"must be a text of at most {limit} characters"))


def query_bool(query: Any, name: str) -> bool | None:
    """An optional boolean filter (`customer`, `vendor`, `archived`): true/false, else 400 naming the parameter."""
    raw = query.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(
            400,
            f"Invalid value '{raw}' received for request parameter '{name}'. Use true or false.",
            [Issue(name, "invalid_value", "true or false")],
        )
    return bool(raw.lower() == "true")


def page_params(
    query: Any, *, max_size: int = 250, min_size: int = 1, default_size: int = 25, style: str = "details"
) -> tuple[int, int]:
    """`page`/`size` from the query, refused like the API (size above the maximum → 400)."""
    try:
        page = int(query.get("page", 0))
        size = int(query.get("size", default_size))
    except ValueError:
        raise ApiError(
            400, "parameter 'page' and 'size' must be integers", [Issue("size", "invalid", "integer")]
        ) from None
    if size > max_size:
        raise ApiError(400, f"parameter 'size' must be equal or lower than {max_size}", [Issue("size", "max", "MAX")])
    if size < min_size:
        raise ApiError(400, f"parameter 'size' must be at least {min_size}", [Issue("size", "min", "MIN")])
    if page < 0:
        raise ApiError(400, "parameter 'page' must not be negative", [Issue("page", "min", "MIN")])
    return page, size


def paged(
    items: list[Any],
    page: int,
    size: int,
    sort: list[dict[str, Any]] | None = None,
    window: bool = False,
    mapper: Any = None,
) -> dict[str, Any]:
    """The Spring-style page envelope (docs/lexware.md#paging). With `window`, totalElements is capped at 10,000."""
    total = len(items)
    if window:
        if (page + 1) * size > WINDOW:
            raise ApiError(400, "Maximum search window size exceeded", [Issue("page", "invalid", "window")])
        total = min(total, WINDOW)
    content = items[page * size : page * size + size]
    if mapper is not None:
        content = [mapper(x) for x in content]
    pages = math.ceil(total / size) if size else 0
    return {
        "content": content,
        "first": page == 0,
        "last": page >= pages - 1,
        "totalPages": pages,
        "totalElements": total,
        "numberOfElements": len(content),
        "size": size,
        "number": page,
        "sort": sort or [],
    }


def sort_entry(prop: str, direction: str) -> dict[str, Any]:
    return {
        "property": prop,
        "direction": direction,
        "ignoreCase": False,
        "nullHandling": "NATIVE",
        "ascending": direction == "ASC",
    }


def stamp_new(doc: Doc, org: str, now: str, version: int = 1) -> Doc:
    doc["id"] = doc.get("id") or new_id()
    doc["organizationId"] = org
    doc["createdDate"] = now
    doc["updatedDate"] = now
    doc["version"] = version
    return doc


def touch(doc: Doc, now: str) -> Doc:
    doc["updatedDate"] = now
    doc["version"] = int(doc.get("version", 0)) + 1
    return doc


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, f"{what} not found", [Issue("id", "not_found", f"{what} not found")])


def check_shapes(body: dict[str, Any], shapes: dict[str, type | tuple[type, ...]]) -> None:
    """Refuse (406) a body whose blocks have the wrong JSON type before any field rule looks inside them.
    Keys are dotted paths; `[]` applies the rule to every element of a list."""
    issues: list[Issue] = []
    for path, expected in shapes.items():
        for where, value in _resolve(body, path.split(".")):
            if value is not None and not isinstance(value, expected):
                kind = "an object" if expected is dict else "a list" if expected is list else "of another type"
                issues.append(Issue(where, "invalid", f"must be {kind}"))
    if issues:
        raise ApiError(406, "Validation failed for request. Please see details list for specific causes.", issues)


def _resolve(value: Any, parts: list[str], prefix: str = "") -> list[tuple[str, Any]]:
    if not parts:
        return [(prefix, value)]
    if not isinstance(value, dict):
        return []
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    child = value.get(key)
    where = f"{prefix}.{key}" if prefix else key
    if many:
        if not isinstance(child, list):
            return []  # the rule for the list itself reports it
        out: list[tuple[str, Any]] = []
        for i, item in enumerate(child):
            out += _resolve(item, rest, f"{where}[{i}]") if rest else [(f"{where}[{i}]", item)]
        return out
    return _resolve(child, rest, where)
