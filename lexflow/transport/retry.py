"""The retry matrix (documented in docs/client.md), as pure decisions the sync and async clients both follow.

- 429: always retried (the API did not execute the request, docs/lexware.md#rate-limits): `Retry-After` (seconds or HTTP date, plus up
  to 0.15 s of jitter) when present, else exponential backoff with jitter, capped.
- GET/PUT/DELETE: retried on 500/502/503/504, timeouts and connection errors (they are idempotent).
- POST: never retried blind. An unknown outcome (timeout, 5xx, a 504 after 30 s) is settled by a lookup where the
  resource allows one, else raised as `AmbiguousWrite`. Errors raised before the request left (connect errors,
  pool timeouts) are safe to retry for POST too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["RETRYABLE_STATUS", "RetryPolicy", "is_idempotent", "parse_retry_after", "sent_for_sure_not"]

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `max_attempts` counts the first try."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Exponential backoff with jitter: uniform(c/2, c), c = min(cap, base * 2**(attempt-1))."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)

    def delay_for_429(self, response: httpx.Response, attempt: int) -> float:
        after = parse_retry_after(response.headers.get("Retry-After"))
        if after is not None:
            # never earlier than asked, plus a little jitter so waiters told the same second do not return in lockstep
            return min(after, self.max_retry_after) + random.uniform(0, 0.05 + 0.1 * min(after, 1.0))
        return self.backoff(attempt)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT


def sent_for_sure_not(exc: Exception) -> bool:
    """True if the request certainly never reached the server (so even a POST may be retried)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
