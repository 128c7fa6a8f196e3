"""Every way a Xero call can fail, each with what to do about it (docs/xero.md)."""

from __future__ import annotations

from typing import Any

from lexflow.errors import LexflowError


class XeroError(LexflowError):
    """Base. `status` is the HTTP status (None when nothing was answered); `messages` Xero's validation texts."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: list[str] | None = None,
        hint: str = "",
        body: Any = None,
    ) -> None:
        self.status, self.messages, self.hint, self.body = status, messages or [], hint, body
        text = message + (": " + "; ".join(self.messages) if self.messages else "")
        super().__init__(f"{text}. {hint}" if hint else text)


class XeroValidationError(XeroError):
    """400: Xero refused the request (ValidationException, PostDataInvalidException, QueryParseException)."""


class XeroIdempotencyConflict(XeroValidationError):
    """The same business key was sent before with different content (Xero refuses a reused Idempotency-Key)."""


class XeroNotFound(XeroError):
    """404: no such record in this tenant."""


class XeroAuthError(XeroError):
    """401, or the token endpoint refused: the connection has to be authorised again."""


class XeroForbidden(XeroError):
    """403: the tenant is not connected to this token, or a scope is missing."""


class XeroRateLimited(XeroError):
    """429 that lexflow does not wait out (the daily limit, or retries exhausted). `retry_after` in seconds."""

    def __init__(self, message: str, *, retry_after: float | None, problem: str | None, **kw: Any) -> None:
        self.retry_after, self.problem = retry_after, problem
        super().__init__(message, **kw)


class XeroServerError(XeroError):
    """5xx or no answer, after retries, on a call that does not write."""


class XeroAmbiguousWrite(XeroError):
    """A write whose outcome stayed unknown after retries with its Idempotency-Key and a lookup."""
