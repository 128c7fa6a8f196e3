"""Client-side rate limiting: one token bucket per Lexware account, shared by every client on the machine.

The API allows 2 requests/second per account over all endpoints (docs/lexware.md#rate-limits) and answers 429 beyond it. A
bucket per *client object* would let two clients of the same account double the rate, and a bucket per *process*
lets the CLI, a cron job and `lexflow serve` on one machine do the same. So, unless a limiter is given, a client
takes its tokens from a `MachineBucket`: a file per account (named by a digest of base URL + key, never the key)
under an OS file lock, shared by every process of the machine. `TokenBucket` is the same bucket for one process;
the Prefect global concurrency limit in `lexflow/prefect/limiter.py` (shared by all workers of a deployment) implements the
same `Limiter` protocol.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Protocol, runtime_checkable

from filelock import FileLock

from lexflow.settings import runtime_settings

__all__ = [
    "RATE_LIMIT_DIR_ENV",
    "SAFETY_MARGIN",
    "Limiter",
    "MachineBucket",
    "NoLimit",
    "TokenBucket",
    "account_key",
    "default_limiter",
    "in_flight_gate",
    "machine_bucket",
    "shared_bucket",
]

log = logging.getLogger(__name__)


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


class MachineBucket:
    """A token bucket shared by every process on the machine: its state is one number in a file, changed under an
    OS file lock (`filelock`), so the CLI, cron jobs and servers of one account share the account's budget.

    The number is the bucket's *theoretical arrival time* (GCRA): the monotonic-clock moment at which the bucket is
    empty again. A request reserves the next slot (`max(now, tat - burst)`) and moves it on by `1 / rate`; the lock
    is held for that read and write only (microseconds), the caller waits outside it. The monotonic clock is the
    machine's (since boot), so a wall-clock step cannot stall anyone; a value further ahead than `HORIZON` (a
    reboot, a garbled file) starts the bucket afresh.
    """

    HORIZON = 300.0
    """Seconds: a reservation further ahead than this is stale (no queue of waiting requests is that long)."""

    def __init__(self, path: str | os.PathLike[str], rate: float, capacity: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0 (use NoLimit to switch limiting off)")
        self.rate = float(rate)
        self.capacity = max(1.0, float(capacity))
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._file_lock = FileLock(f"{self.path}.lock", thread_local=False, poll_interval=0.001)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    def _update(self, penalty: float = 0.0) -> float:
        """Reserve one slot (or, with `penalty`, push the bucket back); the seconds to wait before sending."""
        interval = 1.0 / self.rate
        with self._lock, self._file_lock:
            now = time.monotonic()
            try:
                tat = float(os.pread(self._fd, 64, 0).decode() or 0.0)
            except ValueError:
                tat = 0.0
            if tat - now > self.HORIZON + penalty:
                tat = now
            if penalty:
                new_tat, wait = max(tat, now) + penalty, 0.0
            else:
                wait = max(0.0, tat - (self.capacity - 1.0) * interval - now)
                new_tat = max(tat, now) + interval
            raw = repr(new_tat).encode()
            os.pwrite(self._fd, raw.ljust(64), 0)
            return wait

    def acquire(self) -> None:
        wait = self._update()
        if wait > 0:
            time.sleep(wait)

    async def aacquire(self) -> None:
        wait = await asyncio.to_thread(self._update)  # the file lock may be held by another process for a moment
        if wait > 0:
            await asyncio.sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Push the bucket back after a 429 so every process pauses, not just the caller that got it."""
        self._update(penalty=seconds)

    def close(self) -> None:
        os.close(self._fd)


_registry: dict[tuple[str, float, float], TokenBucket] = {}
_registry_lock = threading.Lock()


def account_key(base_url: str, api_key: str | None) -> str:
    """Registry key of an account: base URL plus a SHA-256 digest of the credential (never the credential)."""
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()[:16]
    return f"{base_url.rstrip('/')}#{digest}"


SAFETY_MARGIN = 0.03
"""Pace 3 % below the account rate. At exactly the server's rate, one late request uses up the server's burst token
for good (it only refills when requests come slower than the rate), and the next jitter is a 429; the margin
refills it (the vendor advises a margin for network jitter, docs/lexware.md#rate-limits)."""


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


RATE_LIMIT_DIR_ENV = "LEXFLOW_RATE_LIMIT_DIR"


def rate_limit_dir() -> Path:
    """Where the machine-wide buckets live: `$LEXFLOW_RATE_LIMIT_DIR`, else the user's cache directory
    (`$XDG_CACHE_HOME/lexflow/rate-limits` or `~/.cache/lexflow/rate-limits`). Only a digest of each account is in
    the file names."""
    env = runtime_settings()
    if env.rate_limit_dir:
        return Path(env.rate_limit_dir).expanduser()
    cache = env.cache_home or Path.home() / ".cache"
    return Path(cache) / "lexflow" / "rate-limits"


_machine: dict[tuple[Path, float, float], MachineBucket] = {}
if hasattr(os, "register_at_fork"):  # a forked worker opens its own (a lock copied while held would never open)
    os.register_at_fork(after_in_child=_machine.clear)


def machine_bucket(
    base_url: str,
    api_key: str | None,
    rate: float,
    capacity: float = 1.0,
    margin: float = SAFETY_MARGIN,
    directory: str | os.PathLike[str] | None = None,
) -> Limiter:
    """The machine-wide bucket of this account (one object per process); `NoLimit` when rate is 0."""
    if rate <= 0:
        return NoLimit()
    name = hashlib.sha256(account_key(base_url, api_key).encode()).hexdigest()[:32]
    path = Path(directory or rate_limit_dir()) / f"{name}.bucket"
    key = (path, float(rate), float(capacity))
    with _registry_lock:
        bucket = _machine.get(key)
        if bucket is None:
            bucket = _machine[key] = MachineBucket(path, rate * (1.0 - margin), capacity)
        return bucket


def default_limiter(base_url: str, api_key: str | None, rate: float) -> Limiter:
    """What a client uses when given no limiter: the machine-wide bucket of the account, or the process-wide one
    when its directory cannot be written (a read-only home, say), with a warning saying so."""
    try:
        return machine_bucket(base_url, api_key, rate)
    except OSError as exc:
        log.warning(
            "rate limit shared by this process only: cannot use %s (%s); set %s to a writable directory",
            rate_limit_dir(),
            exc.strerror or type(exc).__name__,
            RATE_LIMIT_DIR_ENV,
        )
        return shared_bucket(base_url, api_key, rate)


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
