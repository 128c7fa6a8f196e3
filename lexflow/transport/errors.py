"""One exception hierarchy for every way a Lexware Office call can fail.

The API answers errors in three body shapes (docs/lexware.md#errors): the gateway's `{"message": ...}`, the legacy
`{"IssueList": [...]}` of contacts, files and vouchers, and the regular `{"message", "details": [...]}` body of every
other endpoint. `error_from_response` reads all three into `LexwareError.issues` with field paths, and every message
ends with what to do about it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from lexflow.errors import LexflowError
from lexflow.transport.retry import parse_retry_after

__all__ = [
    "AmbiguousWrite",
    "FieldIssue",
    "Forbidden",
    "InvalidRequest",
    "LexwareError",
    "NotFound",
    "PaymentRequired",
    "RateLimited",
    "ServerError",
    "Unauthorized",
    "UnsupportedByApi",
    "ValidationFailed",
    "VersionConflict",
    "error_from_response",
]


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one field: `field` is the API's path (e.g. `lineItems[0].unitPrice.taxRatePercentage`)."""

    field: str | None
    code: str
    message: str = ""

    def __str__(self) -> str:
        text = f"{self.field or '(request)'}: {self.code}"
        return f"{text} ({self.message})" if self.message and self.message != self.code else text


@dataclass
class LexwareError(LexflowError):
    """Base of all client errors. `status` is the HTTP status (None for errors raised before sending)."""

    message: str
    status: int | None = None
    issues: list[FieldIssue] = field(default_factory=list)
    method: str | None = None
    path: str | None = None
    body: Any = None
    hint: str = ""

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path} " if self.method and self.path else ""
        status = f"HTTP {self.status}: " if self.status is not None else ""
        text = f"{where}{status}{self.message}".strip()
        if self.issues:
            text += " [" + "; ".join(str(i) for i in self.issues) + "]"
        if self.hint:
            text = f"{text.rstrip('. ')}. {self.hint}"
        return text

    @property
    def fields(self) -> list[str]:
        """The field paths named by the API (handy for forms and agents)."""
        return [i.field for i in self.issues if i.field]


class ValidationFailed(LexwareError):
    """406/400/415: the request was refused as invalid; `issues` names each field."""


class InvalidRequest(ValidationFailed):
    """Refused by the client before sending: the API would reject it (required field, length, format)."""


class VersionConflict(LexwareError):
    """The `version` sent with a PUT is stale (409; contacts answer 406 with IssueList source `version`)."""


class NotFound(LexwareError):
    """404: no such resource (or the id belongs to another resource type)."""


class RateLimited(LexwareError):
    """429 after all retries: the account's 2 requests/second budget is exhausted. `retry_after` in seconds."""

    retry_after: float | None = None


class Unauthorized(LexwareError):
    """401: missing, invalid, expired or revoked API key / access token."""


class Forbidden(LexwareError):
    """403: the key lacks the scope, or (gateway) the URL/method does not exist."""


class PaymentRequired(LexwareError):
    """402: the Lexware Office plan (contract) does not include this action."""


class ServerError(LexwareError):
    """5xx after retries (or on a POST that could not be settled: see AmbiguousWrite)."""


class AmbiguousWrite(LexwareError):
    """A POST whose outcome is unknown (timeout, 5xx, 504 after 30 s): it may or may not have been executed."""


class UnsupportedByApi(LexwareError):
    """Raised client-side for what the public API cannot do (non-EUR currency, changing a status, ...)."""


class PartnerEndpointDisabled(UnsupportedByApi):
    """A partner-only endpoint (docs/lexware.md#transaction-assignment-hint) was called while `allow_partner_endpoints` is off; nothing was sent."""


_HINTS: dict[int, str] = {
    400: "Fix the query parameters or body named above (dates in filters are yyyy-MM-dd, size <= 250)",
    401: "Check LEXWARE_API_KEY (keys expire after 24 months) or re-authorize the OAuth connection",
    402: "The Lexware Office plan does not allow this; the public API needs the XL plan",
    403: "Give the API key the permission for this resource (or check the URL and HTTP method)",
    404: "Check the id and that it belongs to this resource type",
    405: "This resource does not support that HTTP method",
    406: "Fix the fields named above and send again",
    409: "Re-read the resource and retry with its current state/version",
    415: "Send Content-Type: application/json (multipart only for file uploads)",
    429: "Slow down: the account allows 2 requests per second across all integrations",
    500: "A server error; retry later (a POST may have been executed, check before repeating)",
    501: "The operation is not implemented by the API",
    503: "The API is temporarily unavailable; retry later",
    504: "The gateway timed out after 30 s; the request may still have been processed",
}


def _issues_from_body(body: Any) -> tuple[str, list[FieldIssue]]:
    """Message and field issues of any of the three body shapes (plus the bare JSON string of file uploads)."""
    if isinstance(body, str):
        return body, []
    if not isinstance(body, dict):
        return "", []
    issues: list[FieldIssue] = []
    raw_list = body.get("IssueList")
    if raw_list is None and ("i18nKey" in body or "source" in body) and "details" not in body:
        raw_list = [body]  # files sometimes flatten a single issue onto the top level
    if isinstance(raw_list, list):
        for it in raw_list:
            if isinstance(it, dict):
                code = str(it.get("i18nKey") or it.get("type") or "invalid")
                issues.append(FieldIssue(it.get("source"), code, str(it.get("type") or "")))
        first = issues[0] if issues else None
        return (f"{first.code}" if first else "request refused"), issues
    for d in body.get("details") or []:
        if isinstance(d, dict):
            issues.append(FieldIssue(d.get("field"), str(d.get("violation") or "invalid"), str(d.get("message") or "")))
    msg = body.get("message")
    if not msg:
        msg = body.get("error") or ""
    return str(msg or ""), issues


def error_from_response(response: httpx.Response, *, method: str | None = None) -> LexwareError:
    """Map an error response to the hierarchy, whichever of the three body shapes it carries."""
    status = response.status_code
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = response.text[:500] or None
    message, issues = _issues_from_body(body)
    message = message or response.reason_phrase or f"HTTP {status}"
    path = response.request.url.path if response.request is not None else None
    method = method or (response.request.method if response.request is not None else None)
    kw: dict[str, Any] = {
        "status": status,
        "issues": issues,
        "method": method,
        "path": path,
        "body": body,
        "hint": _HINTS.get(status, ""),
    }
    if status == 406 and any(i.field == "version" for i in issues):
        kw["hint"] = "The record changed since you read it: GET it again and PUT with the current version"
        return VersionConflict(message, **kw)
    if status == 409:
        text = message.lower()
        if "version" in text or any(i.field == "version" for i in issues) or method == "PUT":
            kw["hint"] = "The record changed since you read it: GET it again and PUT with the current version"
            return VersionConflict(message, **kw)
        return ValidationFailed(message, **kw) if issues else LexwareError(message, **kw)
    cls: type[LexwareError] = {
        400: ValidationFailed,
        401: Unauthorized,
        402: PaymentRequired,
        403: Forbidden,
        404: NotFound,
        406: ValidationFailed,
        415: ValidationFailed,
        429: RateLimited,
    }.get(status, ServerError if status >= 500 else LexwareError)
    if status == 400 and "window" in message.lower():
        kw["hint"] = "Narrow the filters (e.g. the date range): the API pages through at most 10,000 entries"
    err = cls(message, **kw)
    if isinstance(err, RateLimited):
        err.retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return err
