"""Client-side rate limiting: one token bucket per Lexware account, shared by every client of the process.

The API allows 2 requests/second per account over all endpoints (reference §1.5) and answers 429 beyond it. A
bucket per *client object* would let two clients of the same account double the rate, so buckets live in a
process-wide registry keyed by base URL + a digest of the key (never the key itself). Other backends (e.g. the
Prefect global concurrency limit in `tasks/limiter.py`, shared by all workers) implement the same `Limiter`
protocol.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["SAFETY_MARGIN", "Limiter", "NoLimit", "TokenBucket", "account_key", "in_flight_gate", "shared_bucket"]


@runtime_checkable
class Limiter(Protocol):
    """Blocks (or awaits) until one request may be sent."""

    def acquire(self) -> None: ...

    async def aacquire(self) -> None: ...


class NoLimit:
    """Limiting switched off (rate 0)."""

    def acquire(self) -> None:
        return None

    async def aacquire(self) -> None:
        return None


class TokenBucket:
    """Thread- and asyncio-safe token bucket by reservation.

    `_reserve()` books the next free slot under a lock and returns how long to wait; the caller then sleeps outside
    the lock (`time.sleep` or `asyncio.sleep`), so threads and event loops share one bucket without blocking each
    other while waiting. `capacity` is the burst (default 1: evenly spaced, which keeps a safety margin to the
    server's own bucket).
    """

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0 (use NoLimit to switch limiting off)")
        self.rate = float(rate)
        self.capacity = max(1.0, float(capacity))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self) -> None:
        wait = self._reserve()
        if wait > 0:
            time.sleep(wait)

    async def aacquire(self) -> None:
        wait = self._reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Push the bucket back after a 429 so every sharer pauses, not just the caller that got it."""
        with self._lock:
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate


_registry: dict[tuple[str, float, float], TokenBucket] = {}
_registry_lock = threading.Lock()


def account_key(base_url: str, api_key: str | None) -> str:
    """Registry key of an account: base URL plus a SHA-256 digest of the credential (never the credential)."""
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
    return f"{base_url.rstrip('/')}#{digest}"


SAFETY_MARGIN = 0.03
"""Pace 3 % below the account rate. At exactly the server's rate, one late request uses up the server's burst token
for good (it only refills when requests come slower than the rate), and the next jitter is a 429; the margin
refills it (the reference advises a margin for network jitter, §1.5)."""


def shared_bucket(
    base_url: str, api_key: str | None, rate: float, capacity: float = 1.0, margin: float = SAFETY_MARGIN
) -> Limiter:
    """The process-wide bucket of this account (created on first use); `NoLimit` when rate is 0."""
    if rate <= 0:
        return NoLimit()
    key = (account_key(base_url, api_key), float(rate), float(capacity))
    with _registry_lock:
        bucket = _registry.get(key)
        if bucket is None:
            bucket = _registry[key] = TokenBucket(rate * (1.0 - margin), capacity)
        return bucket


_gates: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def in_flight_gate(base_url: str, api_key: str | None, limit: int) -> threading.BoundedSemaphore:
    """Process-wide cap on requests in flight for one account (sync clients).

    Evenly paced requests still reach the server bunched when it stalls (every waiting request is then handled back
    to back). Capping the requests in flight at the server's burst keeps such a bunch within what its bucket takes
    without a 429.
    """
    key = (account_key(base_url, api_key), limit)
    with _registry_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = threading.BoundedSemaphore(limit)
        return gate
