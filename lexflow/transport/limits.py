"""The transport's one limiter: per provider and account (tenant, realm), a pace, a cap on calls in flight and a
daily budget, honoured together by every client of the machine (docs/client.md#limits).

Every provider client asks one `AccountLimiter` (built by `account_limiter`) before it sends: `acquire()` spends one
call of the daily budget (or raises `DailyBudgetExhausted` naming the limit and when it frees calls, before anything
is sent) and then waits for the pace; `in_flight()` holds one of the account's concurrent slots while the request is
on the wire. The three parts are shared by every process on the machine through files under
`LEXFLOW_RATE_LIMIT_DIR` (named by a digest of provider + base URL + account, never the credential):

- the pace is a `MachineBucket` (one number under an OS file lock); a `TokenBucket` is the same for one process, and
  the Prefect lease limiter in `lexflow/prefect/limiter.py` replaces it across machines (same `Limiter` protocol);
- the cap is a `MachineGate`: N lock files, each held by one caller at a time (a semaphore of files; the OS drops
  the lock of a process that dies, so a crash never leaks a slot);
- the budget is a `DailyBudget`: calls counted per UTC hour in a file, summed over the UTC day or over the last
  24 hours (Xero counts a rolling 24 h).

The API allows Lexware 2 requests/second per account (docs/lexware.md#rate-limits). A bucket per *client object*
would let two clients of the same account double the rate, and a bucket per *process* lets the CLI, a cron job and
`lexflow serve` on one machine do the same: hence the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from filelock import FileLock

from lexflow.errors import LexflowError
from lexflow.settings import runtime_settings

__all__ = [
    "RATE_LIMIT_DIR_ENV",
    "SAFETY_MARGIN",
    "AccountLimiter",
    "AccountRef",
    "DailyBudget",
    "DailyBudgetExhausted",
    "Gate",
    "Limiter",
    "Limits",
    "MachineBucket",
    "MachineGate",
    "NoLimit",
    "ProcessGate",
    "TokenBucket",
    "account_key",
    "account_limiter",
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


# ------------------------------------------------------------------------------------------------ in flight
@runtime_checkable
class Gate(Protocol):
    """Holds one of an account's slots for calls in flight while the context is open."""

    def slot(self) -> contextlib.AbstractContextManager[None]: ...

    def aslot(self) -> contextlib.AbstractAsyncContextManager[None]: ...


class ProcessGate:
    """At most `size` calls in flight in this process (the fallback when the machine's files cannot be used)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a gate needs at least one slot")
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._semaphore:
            yield

    @contextlib.asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        while not self._semaphore.acquire(blocking=False):  # a thread semaphore cannot be awaited: poll
            await asyncio.sleep(0.002)
        try:
            yield
        finally:
            self._semaphore.release()


class MachineGate:
    """At most `size` calls in flight on the whole machine: `size` lock files, each held by one caller at a time.

    A caller takes the first free file (a thread lock guards it inside the process, an `flock` against the other
    processes, both without blocking) and waits a few milliseconds when all are held. The OS drops the `flock` of a
    process that dies, so a crash in flight never leaks a slot. Slots are tried from a random start, so one busy
    file does not make everyone queue behind it."""

    POLL = (0.001, 0.02)
    """Seconds between tries while every slot is held: starts at the first, doubles up to the second."""

    def __init__(self, path: str | os.PathLike[str], size: int) -> None:
        if size < 1:
            raise ValueError("a gate needs at least one slot")
        self.size = size
        base = Path(path)
        base.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.paths = [base.with_name(f"{base.name}.{i}") for i in range(size)]
        self._fds = [os.open(p, os.O_RDWR | os.O_CREAT, 0o600) for p in self.paths]
        self._held = [threading.Lock() for _ in range(size)]

    def _try(self) -> int | None:
        start = random.randrange(self.size)
        for n in range(self.size):
            i = (start + n) % self.size
            if not self._held[i].acquire(blocking=False):
                continue
            try:
                fcntl.flock(self._fds[i], fcntl.LOCK_EX | fcntl.LOCK_NB)
                return i
            except BlockingIOError:
                self._held[i].release()
        return None

    def _release(self, i: int) -> None:
        fcntl.flock(self._fds[i], fcntl.LOCK_UN)
        self._held[i].release()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        pause = self.POLL[0]
        while (i := self._try()) is None:
            time.sleep(pause)
            pause = min(pause * 2, self.POLL[1])
        try:
            yield
        finally:
            self._release(i)

    @contextlib.asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        pause = self.POLL[0]
        while (i := self._try()) is None:
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.POLL[1])
        try:
            yield
        finally:
            self._release(i)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)


# ------------------------------------------------------------------------------------------------ daily budget
Window = Literal["utc-day", "rolling-24h"]
HOUR = 3600


class DailyBudgetExhausted(LexflowError):
    """The account's daily call budget is used up: raised before the request is sent, so nothing was sent.

    `limit` is the budget, `window` how it is counted, `resets_at` (UTC) when calls are free again."""

    def __init__(self, *, provider: str, account: str, limit: int, window: Window, resets_at: datetime) -> None:
        self.provider, self.account, self.limit, self.window, self.resets_at = (
            provider,
            account,
            limit,
            window,
            resets_at,
        )
        counted = "per UTC day" if window == "utc-day" else "per rolling 24 hours"
        super().__init__(
            f"{provider}: the daily budget of {limit:,} calls {counted} for {account} is used up; nothing was sent. "
            f"Calls are free again from {resets_at:%Y-%m-%d %H:%M} UTC"
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DailyBudget:
    """A persisted count of one account's calls per UTC hour, under an OS file lock (shared by the machine's
    processes), checked against `limit` before every call.

    `window="utc-day"` sums the hours of the current UTC day (free again at UTC midnight). `"rolling-24h"` sums the
    last 25 hour buckets, so a call is counted for at least 24 hours whatever minute of its hour it came in (never
    less than the vendor's rolling window; free again when the oldest counted hour drops out). `path=None` keeps the
    count in memory (one process). `clock` returns the time as an aware datetime (tests inject one)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        limit: int,
        window: Window = "rolling-24h",
        *,
        provider: str = "",
        account: str = "",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if limit < 1:
            raise ValueError("a daily budget needs at least one call")
        self.limit, self.window, self.provider, self.account, self.clock = limit, window, provider, account, clock
        self.path = Path(path) if path is not None else None
        self._memory: dict[str, object] = {}
        self._lock = threading.Lock()
        self._file_lock: FileLock | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._file_lock = FileLock(f"{self.path}.lock", thread_local=False, poll_interval=0.001)

    # -- state
    def _read(self) -> dict[str, object]:
        if self.path is None:
            return dict(self._memory)
        try:
            state = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write(self, state: dict[str, object]) -> None:
        if self.path is None:
            self._memory = state
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[tuple[dict[str, int], float, int]]:
        """(hour buckets in the window, blocked-until epoch, the current hour) under both locks; changes are saved."""
        with self._lock, self._file_lock or contextlib.nullcontext():
            now = self.clock().timestamp()
            hour = int(now // HOUR)
            state = self._read()
            raw = state.get("hours")
            hours = {k: int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
            first = hour - hour % 24 if self.window == "utc-day" else hour - 24
            hours = {k: v for k, v in hours.items() if k.lstrip("-").isdigit() and first <= int(k) <= hour}
            blocked = state.get("blocked_until")
            blocked_until = float(blocked) if isinstance(blocked, int | float) and blocked > now else 0.0
            yield hours, blocked_until, hour
            self._write({"hours": hours, "blocked_until": blocked_until})

    def _resets_at(self, hours: dict[str, int], hour: int, blocked_until: float) -> datetime:
        if self.window == "utc-day":
            at = (hour - hour % 24 + 24) * HOUR
        else:
            oldest = min((int(k) for k, v in hours.items() if v > 0), default=hour)
            at = (oldest + 25) * HOUR
        return datetime.fromtimestamp(max(at, blocked_until), UTC)

    # -- use
    def spend(self) -> None:
        """Count one call, or raise `DailyBudgetExhausted` (counting nothing) when the budget is used up."""
        with self._locked() as (hours, blocked_until, hour):
            used = sum(hours.values())
            if used >= self.limit or blocked_until:
                raise DailyBudgetExhausted(
                    provider=self.provider,
                    account=self.account,
                    limit=self.limit,
                    window=self.window,
                    resets_at=self._resets_at(hours, hour, blocked_until),
                )
            hours[str(hour)] = hours.get(str(hour), 0) + 1

    def used(self) -> int:
        with self._locked() as (hours, _, _):
            return sum(hours.values())

    def sync(self, remaining: int) -> None:
        """The server said `remaining` calls are left: count at least `limit - remaining` as used (calls made by
        another machine or app show up here)."""
        with self._locked() as (hours, _, hour):
            missing = self.limit - remaining - sum(hours.values())
            if missing > 0:
                hours[str(hour)] = hours.get(str(hour), 0) + missing

    def block_for(self, seconds: float) -> None:
        """The server refused for its daily limit and said when to come back: refuse here until then."""
        with self._lock, self._file_lock or contextlib.nullcontext():
            state = self._read()
            until = self.clock().timestamp() + max(0.0, seconds)
            previous = state.get("blocked_until")
            if isinstance(previous, int | float):
                until = max(until, float(previous))
            state["blocked_until"] = until
            self._write(state)


# ------------------------------------------------------------------------------------------------ the limiter
@dataclass(frozen=True)
class Limits:
    """An account's limits as the client keeps them. `rate`: requests/second (0: not paced); `concurrent`: calls in
    flight at once (None: no cap); `daily`: calls per `window` (None: no budget)."""

    rate: float
    concurrent: int | None = None
    daily: int | None = None
    window: Window = "rolling-24h"
    margin: float = SAFETY_MARGIN


@dataclass(frozen=True)
class AccountRef:
    """One account as its limiter knows it: `key` is a digest of provider, base URL and account (never the
    credential), `limits` what the provider documents for it, `label` how errors name it."""

    provider: str
    base_url: str
    key: str
    limits: Limits
    label: str


class AccountLimiter:
    """One account's limits, honoured at once: the daily budget, the pace, the cap on calls in flight.

    Clients call `acquire()` (or `aacquire()`) before each attempt and hold `in_flight()` (or `ain_flight()`) while
    the request is on the wire; `slot()` does both. An `AccountLimiter` is also a `Limiter` (its `acquire`)."""

    def __init__(
        self,
        name: str,
        pace: Limiter | None = None,
        gate: Gate | None = None,
        budget: DailyBudget | None = None,
        *,
        account: AccountRef | None = None,
    ) -> None:
        self.name = name
        self.pace: Limiter = pace if pace is not None else NoLimit()
        self.gate = gate
        self.budget = budget
        self.account = account
        """Whose limits these are (set by `account_limiter`): lets the Prefect edge put the same account on limits
        shared across machines (`lexflow.prefect.limiter.on_prefect`)."""

    def acquire(self) -> None:
        if self.budget is not None:
            self.budget.spend()
        self.pace.acquire()

    async def aacquire(self) -> None:
        if self.budget is not None:
            await asyncio.to_thread(self.budget.spend)  # the file lock may be held by another process for a moment
        await self.pace.aacquire()

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        if self.gate is None:
            yield
            return
        with self.gate.slot():
            yield

    @contextlib.asynccontextmanager
    async def ain_flight(self) -> AsyncIterator[None]:
        if self.gate is None:
            yield
            return
        async with self.gate.aslot():
            yield

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Spend, wait for the pace, and hold a slot in flight: around one request."""
        self.acquire()
        with self.in_flight():
            yield

    def penalize(self, seconds: float) -> None:
        """The server's bucket is empty (a 429): every sharer of the pace skips `seconds`."""
        if isinstance(self.pace, TokenBucket | MachineBucket):
            self.pace.penalize(seconds)

    @property
    def rate(self) -> float:
        return float(getattr(self.pace, "rate", 0.0))

    def __repr__(self) -> str:
        return f"AccountLimiter({self.name!r}, pace={self.pace!r}, gate={self.gate!r}, budget={self.budget!r})"


_accounts: dict[tuple[str, Limits, int, int, str], AccountLimiter] = {}
_accounts_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked worker opens its own files (inherited ones would share the locks)
    os.register_at_fork(after_in_child=_accounts.clear)


def account_limiter(
    provider: str,
    base_url: str,
    account: str | None,
    limits: Limits,
    *,
    pace: Limiter | None = None,
    gate: Gate | None = None,
    label: str | None = None,
    directory: str | os.PathLike[str] | None = None,
) -> AccountLimiter:
    """The limiter of one account (`account`: the tenant or realm id, or a digest of the credential; only a digest
    of it is used in file names), shared by every client of the process and, through its files, of the machine.

    `pace` replaces the machine-wide bucket and `gate` the machine-wide cap (the Prefect edge's, shared across
    machines: `lexflow.prefect.limiter.prefect_account_limiter`). When the
    directory cannot be written, the limits are kept per process, with a warning saying so. `label` names the
    account in errors (never a credential)."""
    key = account_key(f"{provider}:{base_url}", account)
    where = Path(directory) if directory is not None else rate_limit_dir()
    registry_key = (key, limits, id(pace), id(gate), str(where))
    with _accounts_lock:
        found = _accounts.get(registry_key)
        if found is not None and (pace is None or found.pace is pace) and (gate is None or found.gate is gate):
            return found
        stem = where / hashlib.sha256(key.encode()).hexdigest()[:32]
        name = label or provider
        rate = limits.rate * (1.0 - limits.margin)
        try:
            if pace is None:
                pace = MachineBucket(f"{stem}.bucket", rate) if rate > 0 else NoLimit()
            if gate is None and limits.concurrent:
                gate = MachineGate(f"{stem}.slot", limits.concurrent)
            budget = (
                DailyBudget(f"{stem}.day", limits.daily, limits.window, provider=provider, account=name)
                if limits.daily
                else None
            )
        except OSError as exc:
            log.warning(
                "%s limits kept by this process only: cannot use %s (%s); set %s to a writable directory",
                provider,
                where,
                exc.strerror or type(exc).__name__,
                RATE_LIMIT_DIR_ENV,
            )
            if pace is None or isinstance(pace, MachineBucket):
                pace = TokenBucket(rate) if rate > 0 else NoLimit()
            if (gate is None or isinstance(gate, MachineGate)) and limits.concurrent:
                gate = ProcessGate(limits.concurrent)
            budget = (
                DailyBudget(None, limits.daily, limits.window, provider=provider, account=name)
                if limits.daily
                else None
            )
        ref = AccountRef(provider, base_url, hashlib.sha256(key.encode()).hexdigest()[:12], limits, name)
        limiter = _accounts[registry_key] = AccountLimiter(name, pace, gate, budget, account=ref)
        return limiter
