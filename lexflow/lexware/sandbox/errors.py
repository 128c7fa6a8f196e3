"""The three error body shapes of the API (docs/lexware.md#errors) and the exception that carries them out of a handler."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lexflow.errors import LexflowError

BERLIN = ZoneInfo("Europe/Berlin")

Style = Literal["issues", "details", "gateway"]

# kind -> (legacy i18nKey, regular violation)
_KINDS: dict[str, tuple[str, str]] = {
    "missing": ("missing_entity", "NOTNULL"),
    "blank": ("missing_entity", "NOTBLANK"),
    "empty": ("missing_entity", "NOTEMPTY"),
    "invalid": ("invalid_value", "INVALID"),
    "size": ("invalid_value", "SIZE"),
    "min": ("invalid_value", "MIN"),
    "max": ("invalid_value", "MAX"),
    "pattern": ("invalid_value", "PATTERN"),
}


@dataclass(frozen=True)
class Issue:
    """One field problem. `kind` is a generic category or, for measured codes, the exact i18nKey."""

    field: str | None
    kind: str
    message: str

    def legacy(self) -> dict[str, Any]:
        key = _KINDS.get(self.kind, (self.kind, ""))[0]
        return {
            "i18nKey": key,
            "source": self.field,
            "type": "validation_failure",
            "additionalData": None,
            "args": None,
        }

    def regular(self) -> dict[str, Any]:
        violation = _KINDS.get(self.kind, ("", self.kind.upper()))[1]
        return {"violation": violation, "field": self.field, "message": self.message}


@dataclass
class ApiError(LexflowError):
    """Raised by handlers; rendered in the style of the resource group unless `style` is forced."""

    status: int
    message: str | None = None
    issues: list[Issue] = field(default_factory=list)
    style: Style | None = None
    raw: Any = None  # a body sent verbatim (e.g. the bare JSON string of a missing upload type)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message or ''} {[i.field for i in self.issues]}"


def validation(issues: list[Issue], status: int = 406) -> ApiError:
    return ApiError(status, "Validation failed for request. Please see details list for specific causes.", issues)


def now_stamp() -> str:
    return datetime.now(BERLIN).isoformat(timespec="milliseconds")


def gateway_body(message: str | None) -> dict[str, Any]:
    return {"message": message}


def render(err: ApiError, style: Style, path: str) -> tuple[int, Any]:
    """Body for `err` in the given style (`err.style` wins)."""
    if err.raw is not None:
        return err.status, err.raw
    style = err.style or style
    if style == "gateway" or err.status in (401, 429, 504):
        return err.status, gateway_body(err.message)
    if style == "issues":
        issues = err.issues or [Issue(None, _legacy_generic(err.status), err.message or "")]
        return err.status, {"IssueList": [i.legacy() for i in issues]}
    try:
        reason = HTTPStatus(err.status).phrase
    except ValueError:
        reason = "Error"
    trace = secrets.token_hex(8)
    return err.status, {
        "timestamp": now_stamp(),
        "status": err.status,
        "error": reason,
        "path": path,
        "traceId": trace,
        "requestId": trace,
        "message": err.message,
        "details": [i.regular() for i in err.issues],
    }


def _legacy_generic(status: int) -> str:
    return {400: "bad_request_error", 404: "not_found", 409: "conflict", 500: "technical_error"}.get(
        status, "validation_failure"
    )
