"""The one implementation of the transport concerns, shared by `LexwareClient` and `AsyncLexwareClient`.

Every operation is written once as a generator that *yields I/O steps* (`Acquire` a rate-limit token, `Send` a
request, `Sleep`) and receives their results; building requests, query encoding, retry decisions, POST settlement
and error mapping all happen inside the generator. The sync and async clients only differ in the few lines that
perform a step (`_perform` / `_aperform`), like httpx's sync and async transports over one request model.
"""

from __future__ import annotations

import contextlib
import html
import json
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from lexflow.transport import errors
from lexflow.transport.limits import AccountLimiter, Limiter, Limits, account_limiter
from lexflow.transport.retry import RETRYABLE_STATUS, RetryPolicy, is_idempotent, sent_for_sure_not

__all__ = [
    "Acquire",
    "Call",
    "CallRecord",
    "Item",
    "Op",
    "Send",
    "Sleep",
    "encode_query",
]

TEXT_SEARCH_PARAMS = frozenset({"name", "email", "voucherNumber"})
"""Query parameters the API HTML-decodes: `& < >` must be HTML-encoded before URL-encoding (docs/lexware.md#query-encoding)."""
MIN_SEARCH_LENGTH = {"name": 3, "email": 3}
USER_AGENT = "lexflow-client/0.1 (+httpx)"


# ------------------------------------------------------------------------------------------------ steps
@dataclass(frozen=True)
class Acquire:
    """Wait for a rate-limit token."""


@dataclass(frozen=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Item:
    """Emitted by iterating operations: one value for the caller."""

    value: Any


Step = Acquire | Send | Sleep | Item
Op = Generator[Step, Any, Any]
"""An operation: yields steps, receives their results, returns its value."""


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, for audit listeners. `path` has no query string (search terms may be personal data)."""

    method: str
    path: str
    status: int | None
    elapsed_ms: float
    attempt: int
    error: str | None = None


@dataclass
class Call:
    """Everything needed to send one API request and judge its answer."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    files: Any = None
    data: Mapping[str, str] | None = None
    accept: str = "application/json"
    lookup: Callable[[], Op] | None = None
    """For POSTs: an operation that finds what the POST would have created (returns it, or None)."""
    retry_post: bool = False
    """True for POSTs the server itself deduplicates (file uploads by checksum): retried like GETs."""
    what_to_check: str = ""
    """For AmbiguousWrite messages: where the user can see whether the write happened."""
    extra_headers: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ encoding
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(params: Mapping[str, Any] | None) -> str:
    """URL-encode the query; text searches (`name`, `email`, `voucherNumber`) are HTML-encoded first (docs/lexware.md#query-encoding).

    `None` values are left out; lists become comma-separated values (voucherType/voucherStatus).
    Example: name="johnson & partner" → `name=johnson%20%26amp%3B%20partner`.
    """
    parts: list[str] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(_text(v) for v in value)
        text = _text(value)
        if key in TEXT_SEARCH_PARAMS:
            text = html.escape(text, quote=False)
        parts.append(f"{quote(key, safe='')}={quote(text, safe='')}")
    return "&".join(parts)


def check_search_terms(params: Mapping[str, Any]) -> None:
    """Name/e-mail searches need at least 3 characters (the API answers 400); say so before sending."""
    for key, minimum in MIN_SEARCH_LENGTH.items():
        value = params.get(key)
        if value is not None and len(str(value)) < minimum:
            raise errors.InvalidRequest(
                f"the {key} filter needs at least {minimum} characters (got {len(str(value))})",
                issues=[errors.FieldIssue(key, "too_short", f"at least {minimum} characters")],
                hint=f"Search with a longer {key}; % and _ are wildcards",
            )


# ------------------------------------------------------------------------------------------------ the core
class BaseClient:
    """State and logic shared by both clients; subclasses provide the I/O edges."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key_digest_source: str | None,
        rate_limit: float,
        limiter: Limiter | None,
        retry: RetryPolicy | None,
        settle_delay: float,
        allow_partner_endpoints: bool,
        backend_description: str,
        max_in_flight: int | None = 2,
        provider: str = "lexware",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_in_flight = max_in_flight if (rate_limit > 0 or limiter is not None) else None
        self._account_source = api_key_digest_source
        self.limits: AccountLimiter = account_limiter(
            provider,
            self.base_url,
            api_key_digest_source,
            Limits(rate=rate_limit if limiter is None else 0.0, concurrent=self.max_in_flight),
            pace=limiter,
        )
        """The account's limits (docs/client.md#limits): pace, calls in flight, shared by the machine's clients."""
        self.limiter: Limiter = self.limits.pace
        self.retry_policy = retry or RetryPolicy()
        self.settle_delay = settle_delay
        self.allow_partner_endpoints = allow_partner_endpoints
        self.backend_description = backend_description
        self._listeners: list[Callable[[CallRecord], None]] = []

    # -- audit
    def add_call_listener(self, listener: Callable[[CallRecord], None]) -> None:
        """Call `listener(CallRecord)` after every HTTP attempt (never sees headers or query strings)."""
        self._listeners.append(listener)

    def remove_call_listener(self, listener: Callable[[CallRecord], None]) -> None:
        self._listeners.remove(listener)

    def _notify(self, record: CallRecord) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a broken listener must not break the API call
                listener(record)

    # -- request building
    def build_request(self, call: Call) -> httpx.Request:
        if call.params:
            check_search_terms(call.params)
        query = encode_query(call.params)
        url = self.base_url + call.path + (f"?{query}" if query else "")
        headers = {"Accept": call.accept, "User-Agent": USER_AGENT, **call.extra_headers}
        if call.files is not None:
            return httpx.Request(call.method, url, headers=headers, files=call.files, data=call.data)
        if call.json is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(call.json, separators=(",", ":"), ensure_ascii=False, default=str).encode()
            return httpx.Request(call.method, url, headers=headers, content=body)
        return httpx.Request(call.method, url, headers=headers)

    # -- the retry matrix
    def request(self, call: Call) -> Op:
        """Send `call` following the retry matrix; return the successful response or raise a LexwareError."""
        policy = self.retry_policy
        attempt = 0
        settled_once = False
        while True:
            attempt += 1
            request = self.build_request(call)
            yield Acquire()
            started = time.monotonic()
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = yield Send(request)
            except httpx.TransportError as exc:
                failure = exc
            elapsed = (time.monotonic() - started) * 1000
            status = response.status_code if response is not None else None
            self._notify(
                CallRecord(
                    call.method,
                    call.path,
                    status,
                    round(elapsed, 1),
                    attempt,
                    None if failure is None else type(failure).__name__,
                )
            )
            last = attempt >= policy.max_attempts
            if response is not None and response.is_success:
                return response
            if response is not None and response.status_code == 429:
                if last:
                    err = errors.error_from_response(response, method=call.method)
                    assert isinstance(err, errors.RateLimited)
                    raise err
                delay = policy.delay_for_429(response, attempt)
                if self.limits.rate > 0:
                    # the server's bucket is empty: every sharer skips one slot; only this call waits Retry-After
                    self.limits.penalize(1.0 / self.limits.rate)
                yield Sleep(delay)
                continue
            unknown_outcome = (failure is not None and not sent_for_sure_not(failure)) or (
                response is not None and response.status_code in RETRYABLE_STATUS
            )
            if failure is not None and sent_for_sure_not(failure):
                if last:
                    raise errors.ServerError(
                        f"could not connect to {self.base_url}: {type(failure).__name__}",
                        method=call.method,
                        path=call.path,
                        hint="Check the network and LEXWARE_BASE_URL",
                    ) from failure
                yield Sleep(policy.backoff(attempt))
                continue
            if not unknown_outcome:
                assert response is not None
                raise errors.error_from_response(response, method=call.method)
            # 5xx / timeout / read error
            if is_idempotent(call.method) or call.retry_post:
                if last:
                    raise self._final_error(call, response, failure)
                yield Sleep(policy.backoff(attempt))
                continue
            # a POST with an unknown outcome: settle it, never repeat it blind
            if call.lookup is None:
                raise self._ambiguous(call, response, failure)
            if self.settle_delay > 0:
                yield Sleep(self.settle_delay)
            found = yield from call.lookup()
            if found is not None:
                return found
            # Not found. After a 500/502/503 the server answered that it failed, so the lookup settles it: one more
            # try is not blind. After a 504, a timeout or a dropped connection the write may still be in flight
            # (the gateway gives up after 30 s, the backend may not), so a miss proves nothing: raise.
            in_flight = response is None or response.status_code == 504
            if last or settled_once or in_flight:
                raise self._ambiguous(call, response, failure, looked_up=True)
            settled_once = True

    def _final_error(self, call: Call, response: httpx.Response | None, failure: Exception | None) -> Exception:
        if response is not None:
            return errors.error_from_response(response, method=call.method)
        return errors.ServerError(
            f"no answer after {self.retry_policy.max_attempts} attempts ({type(failure).__name__})",
            method=call.method,
            path=call.path,
            hint="The API did not answer; retry later",
        )

    def _ambiguous(
        self, call: Call, response: httpx.Response | None, failure: Exception | None, looked_up: bool = False
    ) -> errors.AmbiguousWrite:
        cause = f"HTTP {response.status_code}" if response is not None else type(failure).__name__
        check = call.what_to_check or "the web app (or the voucherlist) whether the record exists"
        text = f"the outcome of this write is unknown ({cause})"
        if looked_up:
            text += "; a lookup did not settle it"
        return errors.AmbiguousWrite(
            text,
            status=response.status_code if response is not None else None,
            method=call.method,
            path=call.path,
            hint=f"It was NOT repeated to avoid a duplicate. Check {check} before sending it again",
        )

    # -- response helpers used by the resources
    def json_op(self, call: Call) -> Op:
        response = yield from self.request(call)
        if isinstance(response, httpx.Response):
            if response.status_code == 204 or not response.content:
                return None
            return response.json()
        return response  # a settled POST already returns the found object

    # -- drivers (I/O edges) are in the subclasses
    def _run(self, op: Op) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _iter(self, op: Op) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError
