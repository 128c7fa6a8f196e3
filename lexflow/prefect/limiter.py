"""The Prefect backend of the client's `Limiter`: one account budget shared by every worker of a deployment.

A Prefect global concurrency limit with slot decay is a server-side token bucket
(docs/prefect.md#global-concurrency-limits): `limit` slots that decay at `slot_decay_per_second`. Taking one slot per request costs one round trip to the Prefect server per request
(measured: 0.43-0.56 of the rate at 20 req/s, because every refused attempt waits a Poisson-jittered `Retry-After`).

So a worker takes a **lease** instead: all `limit` slots in one request. While they decay, nobody else can take any,
so for `limit / rate` seconds the account's budget belongs to this process alone, which spends it locally, one request
every `1 / rate` seconds. Slots not used when the lease ends are dropped (using them later would overlap the next
holder's lease). When the limit is taken, the limit is read once and the next attempt is timed to the moment the
slots have decayed, instead of polling. The Prefect server stays the only judge: a wrong clock or a lost race costs
a refused attempt, never an extra request to Lexware.

The lease logic is written once, as a generator of I/O steps (like the client's transport); the sync and async
limiters differ only in how they perform a step.

The cap on calls in flight crosses machines the same way: `PrefectGate` holds one slot of a global concurrency limit
(no decay) per call, under a Prefect lease, so a worker that dies mid-call gives its slot back when the lease ends.
`prefect_account_limiter` puts both into the transport's `AccountLimiter` (docs/client.md#limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lexflow.errors import LexflowError
from lexflow.transport.limits import SAFETY_MARGIN, AccountLimiter, AccountRef, Limits, account_limiter

__all__ = [
    "LeaseLimitMissing",
    "PrefectGate",
    "PrefectLimiter",
    "ensure_in_flight_limit",
    "ensure_rate_limit",
    "lease_slots_for",
    "limit_names",
    "on_prefect",
    "prefect_account_limiter",
    "prefect_limiter",
]

DEFAULT_NAME = "lexware-api"
DEFAULT_LEASE_SECONDS = 1.0
"""How long one lease lasts when requests come fast: a worker takes a second's worth of slots at once. Longer leases
spend fewer round trips per request; shorter ones hand the budget over sooner between workers."""
SINGLE_SLOT_UP_TO_RPS = 4.0
"""Up to this rate a lease is one slot: with requests at least 0.25 s apart, a round trip to Prefect per request is
cheap, and single slots hand over best between workers with scattered requests (measured at the API's 2 req/s:
4 workers with scattered requests got 0.84 of the rate with 1-slot leases, 0.50 with 2-slot ones)."""
LATE_GRANT = 0.1
"""A take answered slower than this (a busy server) is timed by the server's clock (one extra read) instead of by when
it was sent, so the lease is not cut short or stretched by the wait."""
RETRY_MARGIN = 0.003
"""Try again this long after the slots should have decayed: the server counts whole slots (floor), and an attempt a
hair early is refused and costs a round trip."""
HANDOFF = 0.01
"""The worker that held the last lease asks for the next one this much later than waiting workers do, so a waiting
worker gets its turn (round robin) and two takes rarely reach the server at once (on SQLite, Prefect answers
colliding writes with a 503 after up to 2 s)."""
RECHECK = 0.25
"""A waiting worker asks again after half a lease (at least this long), so it notices a lease given back early."""
BUSY_ATTEMPTS = 40
"""A busy Prefect server (503: SQLite was locked by another writer, or a dropped connection) is asked again after a
few jittered milliseconds, up to this many times. The Prefect client's own retry waits 2 s, a whole lease."""


class LeaseLimitMissing(LexflowError, RuntimeError):
    """The global concurrency limit does not exist (or has no slot decay), so nothing would be limited."""


def lease_slots_for(rps: float, lease_seconds: float | None = None) -> int:
    """Slots of one lease at `rps` requests/second: `lease_seconds` worth (at least one); by default one slot up to
    `SINGLE_SLOT_UP_TO_RPS`, else a second's worth."""
    if lease_seconds is None:
        if rps <= SINGLE_SLOT_UP_TO_RPS:
            return 1
        lease_seconds = DEFAULT_LEASE_SECONDS
    return max(1, round(rps * lease_seconds))


def ensure_rate_limit(
    name: str = DEFAULT_NAME, rps: float = 2.0, lease_slots: int | None = None, lease_seconds: float | None = None
) -> Any:
    """Create (or update) the global concurrency limit `name` for `rps` requests/second; returns the limit.

    `lease_slots` (the limit's `limit`) is how many requests one worker may send per lease; by default
    `lease_slots_for(rps, lease_seconds)`."""
    from prefect.client.orchestration import get_client

    if rps <= 0:
        raise ValueError("rps must be > 0: a Prefect rate limit needs a slot decay")
    slots = lease_slots if lease_slots is not None else lease_slots_for(rps, lease_seconds)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, slots, slot_decay_per_second=rps)
        return client.read_global_concurrency_limit_by_name(name)


# ------------------------------------------------------------------------------------------------ I/O steps
@dataclass(frozen=True)
class _Take:
    """Ask the Prefect server for `slots` slots at once (mode rate_limit). Result: True, False (taken: 423) or BUSY."""

    slots: int


@dataclass(frozen=True)
class _Read:
    """Read the limit. Result: `GlobalConcurrencyLimitResponse`, None when it does not exist, or BUSY."""


@dataclass(frozen=True)
class _Wait:
    seconds: float


_Step = _Take | _Read | _Wait
BUSY = object()
"""The result of a step the Prefect server could not serve now (503 or a transport error)."""


@dataclass
class _Lease:
    """Slots this process holds: the next one may be spent at `next_at`, none after `ends_at` (monotonic clock)."""

    left: int
    next_at: float
    ends_at: float
    spacing: float


class _LeaseBook:
    """The process's view of the limit and its current lease: thread-safe state plus the fetch as steps, no I/O."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.fetched = threading.Condition(self.lock)
        self.fetching = False
        self.slots = 0  # the limit's `limit` (slots per lease); 0 until first read
        self.rate = 0.0  # the limit's slot decay (requests/second)
        self.lease: _Lease | None = None
        self.free_at = 0.0  # monotonic time the next lease should be available
        # counters, for benchmarks and tests
        self.leases = 0
        self.refused = 0  # takes refused because another worker held the slots
        self.unspent = 0  # slots of leases that ended before anyone needed them
        self.released = 0  # slots given back to the server when a lease went idle
        self.leased = threading.Condition(self.lock)  # notified when a lease starts (the idle watcher waits on it)

    # -- under `lock`
    def spend(self, now: float) -> float | None:
        """Seconds to wait before sending with a slot of the current lease, or None when it has none left."""
        lease = self.lease
        if lease is None:
            return None
        at = max(now, lease.next_at)
        if lease.left <= 0 or at >= lease.ends_at:
            self.lease = None  # what is left of it belongs to the next holder
            self.unspent += lease.left
            return None
        lease.left -= 1
        lease.next_at = at + lease.spacing
        return at - now

    def idle(self, now: float) -> tuple[int, float | None]:
        """(slots to give back now, seconds until the next check; None: no lease to watch).

        A lease whose next slot went unclaimed for half a spacing has outlived its demand (a worker that sent one
        request took a second's worth of slots; a busy worker asks for its next slot before it is due). Its rest goes
        back to the server, so other workers need not wait for it to decay: they can take a lease as soon as the slots
        actually spent have decayed."""
        lease = self.lease
        if lease is None or lease.left <= 0 or self.fetching:
            return 0, None
        if now >= lease.ends_at:  # already decayed on the server: nothing to give back
            self.lease = None
            self.unspent += lease.left
            return 0, None
        due = lease.next_at + lease.spacing / 2
        if now < due:
            return 0, due - now
        left, self.lease = lease.left, None
        self.released += left
        self.free_at = now
        return left, None

    # -- the fetch, as steps
    def fetch(self) -> Generator[_Step, Any, None]:
        """Take the next lease: wait until the slots have decayed, take them all, retry when another worker won."""
        if not self.slots:
            self._describe((yield from self._call(_Read())))
        while True:
            wait = self.free_at - time.monotonic()
            if wait > 0:  # look again halfway: the holder may have given its lease back early (`idle`)
                yield _Wait(min(wait, max(RECHECK, self.slots / self.rate / 2)))
            sent = time.monotonic()
            granted = yield from self._call(_Take(self.slots))
            received = time.monotonic()
            if granted:
                if received - sent > LATE_GRANT:
                    # The answer was slow: time the lease by the grant itself. The limit's `updated` is the grant's
                    # time (nobody else can take slots while this lease holds them all).
                    limit = yield from self._call(_Read())
                    if limit is not None:
                        sent = max(sent, _monotonic_of(limit.updated))
                with self.lock:
                    self._start_lease(sent, received)
                return
            self.refused += 1
            limit = yield from self._call(_Read())
            self._describe(limit)
            self.free_at = max(_free_at(limit, self.slots) + random.uniform(0, 0.002), time.monotonic() + RETRY_MARGIN)

    def _call(self, step: _Step) -> Generator[_Step, Any, Any]:
        """Perform `step`, asking again after a few milliseconds while the Prefect server is busy."""
        for attempt in range(BUSY_ATTEMPTS):
            result = yield step
            if result is not BUSY:
                return result
            yield _Wait(random.uniform(0.005, 0.02) * min(attempt + 1, 10))
        raise RuntimeError(
            f"The Prefect server did not answer for the rate limit {self.name!r} ({BUSY_ATTEMPTS} attempts): "
            "check that it is up and PREFECT_API_URL points at it."
        )

    def _start_lease(self, sent: float, received: float) -> None:
        """The server granted between `sent` and `received`; its lease ends `slots / rate` after the grant.

        Slots are spent from `received` on, a little slower than the rate (like the in-process bucket), and none later
        than one slot past `sent + duration`: at most one request of this lease meets the next holder's first, which
        the API's burst of 2 absorbs. The next take is sent `duration` after this one, so it reaches the server about
        when the slots have decayed (one too early is refused, and the read then times the retry)."""
        duration = self.slots / self.rate
        spacing = 1.0 / (self.rate * (1.0 - SAFETY_MARGIN))
        self.lease = _Lease(self.slots, received, sent + duration + 1.0 / self.rate, spacing)
        self.free_at = sent + duration + RETRY_MARGIN + HANDOFF
        self.leases += 1
        self.leased.notify_all()

    def _describe(self, limit: Any) -> None:
        if limit is None:
            raise LeaseLimitMissing(
                f"The Prefect global concurrency limit {self.name!r} does not exist, so Lexware requests would not be "
                "limited. Create it with `lexflow prefect setup` (or `lexflow.prefect.limiter.ensure_rate_limit`)."
            )
        if limit.slot_decay_per_second <= 0:
            raise LeaseLimitMissing(
                f"The Prefect global concurrency limit {self.name!r} has no slot decay, so it cannot limit a rate. "
                "Set `slot_decay_per_second` to the account's requests/second (`lexflow prefect setup`)."
            )
        self.slots, self.rate = max(1, int(limit.limit)), float(limit.slot_decay_per_second)


def _monotonic_of(moment: datetime) -> float:
    """A server timestamp on this process's monotonic clock (wall clocks assumed to agree, as NTP keeps them)."""
    return time.monotonic() - (time.time() - moment.timestamp())


def _free_at(limit: Any, slots: int) -> float:
    """Monotonic time at which `slots` slots of `limit` will be free, from its decayed count and last update.

    The server decays `floor(rate * (now - updated))` slots; the read shows the count after decay, so the stored count
    is that plus the slots already decayed, and the needed ones are gone `(stored + slots - limit) / rate` after the
    update. If the clocks of worker and server disagree, an attempt is refused or comes late, no more."""
    rate = float(limit.slot_decay_per_second)
    updated = limit.updated.timestamp() if isinstance(limit.updated, datetime) else time.time()
    wall = time.time()
    stored = int(limit.active_slots) + math.floor(rate * max(0.0, wall - updated))
    due_wall = updated + max(0, stored + slots - int(limit.limit)) / rate
    return time.monotonic() + (due_wall - wall) + RETRY_MARGIN


class PrefectLimiter:
    """`Limiter` over a Prefect global concurrency limit, by leases (see the module docstring).

    One instance per limit name and process (`prefect_limiter`), so every client of the process shares the lease.
    Sync and async callers share it too; only the few lines that perform a step differ between them."""

    def __init__(self, name: str = DEFAULT_NAME, timeout_seconds: float | None = None) -> None:
        self.name = name
        self.timeout_seconds = timeout_seconds
        self.book = _LeaseBook(name)
        self._watcher: threading.Thread | None = None

    def _watch_idle(self) -> None:
        """Give back what is left of an idle lease (see `_LeaseBook.idle`).

        One short-lived thread per lease, not a daemon: it ends with the lease (a second or so), so a process that
        exits first gives its unused slots back instead of being cut off mid-call."""
        from prefect.client.orchestration import get_client

        book = self.book
        while True:
            with book.lock:
                left, check_in = book.idle(time.monotonic())
                if not left and check_in is None:
                    self._watcher = None
                    return
                if not left:
                    book.leased.wait(timeout=check_in)
                    continue
            try:
                with _no_client_retries(), get_client(sync_client=True) as client:
                    client.release_concurrency_slots([self.name], left, occupancy_seconds=left / book.rate)
            except Exception:  # the slots then decay as usual: a lost release costs time, never a request
                continue

    def _claim(self) -> tuple[float | None, bool]:
        """(seconds to wait, None when there is no slot; whether this caller must fetch the next lease)."""
        book = self.book
        with book.lock:
            wait = book.spend(time.monotonic())
            if wait is not None or book.fetching:
                return wait, False
            book.fetching = True
            return None, True

    def _fetched(self) -> None:
        with self.book.lock:
            self.book.fetching = False
            self.book.fetched.notify_all()
            if self._watcher is None and self.book.lease is not None:
                self._watcher = threading.Thread(target=self._watch_idle, name=f"lexflow-lease-{self.name}")
                self._watcher.start()

    # -- sync
    def acquire(self) -> None:
        deadline = _deadline(self.timeout_seconds)
        while True:
            wait, fetch = self._claim()
            if wait is not None:
                time.sleep(wait)
                return
            if not fetch:
                with self.book.lock:
                    if self.book.fetching:
                        self.book.fetched.wait(timeout=_remaining(deadline, self.name))
                continue
            try:
                self._run_sync(self.book.fetch(), deadline)
            finally:
                self._fetched()

    def _run_sync(self, steps: Generator[_Step, Any, None], deadline: float | None) -> None:
        from prefect.client.orchestration import get_client

        with _no_client_retries(), get_client(sync_client=True) as client:
            result: Any = None
            while True:
                try:
                    step = steps.send(result)
                except StopIteration:
                    return
                result = None
                try:
                    if isinstance(step, _Wait):
                        _check(deadline, step.seconds, self.name)
                        time.sleep(step.seconds)
                    elif isinstance(step, _Take):
                        result = _granted(client.increment_concurrency_slots([self.name], step.slots, "rate_limit"))
                    else:
                        result = client.read_global_concurrency_limit_by_name(self.name)
                except Exception as exc:
                    result = _settled(exc)

    # -- async
    async def aacquire(self) -> None:
        deadline = _deadline(self.timeout_seconds)
        while True:
            wait, fetch = self._claim()
            if wait is not None:
                await asyncio.sleep(wait)
                return
            if not fetch:  # another caller fetches the lease; a threading.Condition cannot be awaited, so poll
                _remaining(deadline, self.name)
                await asyncio.sleep(0.002)
                continue
            try:
                await self._run_async(self.book.fetch(), deadline)
            finally:
                self._fetched()

    async def _run_async(self, steps: Generator[_Step, Any, None], deadline: float | None) -> None:
        from prefect.client.orchestration import get_client

        with _no_client_retries():
            async with get_client() as client:
                result: Any = None
                while True:
                    try:
                        step = steps.send(result)
                    except StopIteration:
                        return
                    result = None
                    try:
                        if isinstance(step, _Wait):
                            _check(deadline, step.seconds, self.name)
                            await asyncio.sleep(step.seconds)
                        elif isinstance(step, _Take):
                            taken = await client.increment_concurrency_slots([self.name], step.slots, "rate_limit")
                            result = _granted(taken)
                        else:
                            result = await client.read_global_concurrency_limit_by_name(self.name)
                    except Exception as exc:
                        result = _settled(exc)

    def __repr__(self) -> str:
        return f"PrefectLimiter({self.name!r})"


_quiet_settings: dict[int, tuple[Any, Any]] = {}


@contextlib.contextmanager
def _no_client_retries() -> Any:
    """Prefect settings with the client's own retries off (it waits 2 s on a 503); `_LeaseBook._call` retries."""
    import prefect.context
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES

    context = prefect.context.get_settings_context()
    cached = _quiet_settings.get(id(context.settings))
    if cached is None or cached[0] is not context.settings:  # built once per settings object: a copy costs ~25 ms
        # (the original is kept with its copy, so its id cannot be reused by another settings object)
        cached = (context.settings, context.settings.copy_with_update(updates={PREFECT_CLIENT_MAX_RETRIES: 0}))
        _quiet_settings[id(context.settings)] = cached
    with prefect.context.SettingsContext(profile=context.profile, settings=cached[1]):
        yield


def _granted(response: Any) -> bool:
    """A take the server answered 200: granted, unless the answer lists no limit (then nothing was limited)."""
    if not response.json():
        raise LeaseLimitMissing(
            "The Prefect global concurrency limit does not exist, so Lexware requests would not be limited. "
            "Create it with `lexflow prefect setup` (or `lexflow.prefect.limiter.ensure_rate_limit`)."
        )
    return True


def _settled(exc: Exception) -> Any:
    """The result of a step that raised: None when the limit does not exist (404), False for a take refused because
    the slots are taken (423), BUSY when the server could not serve it now; anything else is raised."""
    import httpx
    from prefect.exceptions import ObjectNotFound

    if isinstance(exc, ObjectNotFound):
        return None
    if isinstance(exc, httpx.TransportError):
        return BUSY
    status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else 0
    if status == 423:
        return False
    if status in (408, 429, 502, 503, 504):
        return BUSY
    raise exc


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _remaining(deadline: float | None, name: str) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"no slot of the Prefect rate limit {name!r} within the timeout")
    return left


def _check(deadline: float | None, wait: float, name: str) -> None:
    if deadline is not None and time.monotonic() + wait > deadline:
        raise TimeoutError(f"no slot of the Prefect rate limit {name!r} within the timeout")


_limiters: dict[tuple[str, str], PrefectLimiter] = {}
_limiters_lock = threading.Lock()


def prefect_limiter(name: str = DEFAULT_NAME, timeout_seconds: float | None = None) -> PrefectLimiter:
    """The process-wide limiter of the limit `name` on the configured Prefect server (created on first use)."""
    from prefect.settings import PREFECT_API_URL

    key = (name, str(PREFECT_API_URL.value() or ""))
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None or limiter.timeout_seconds != timeout_seconds:
            limiter = _limiters[key] = PrefectLimiter(name, timeout_seconds)
        return limiter


# ------------------------------------------------------------------------------------------------ calls in flight
IN_FLIGHT_LEASE_SECONDS = 60.0
"""How long a slot in flight is leased (Prefect's minimum): longer than any request's timeout, and the time after
which the slot of a worker that died mid-call is free again."""


def ensure_in_flight_limit(name: str, size: int) -> Any:
    """Create (or update) the global concurrency limit `name` with `size` slots and no decay; returns the limit."""
    from prefect.client.orchestration import get_client

    if size < 1:
        raise ValueError("a cap on calls in flight needs at least one slot")
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, size)
        return client.read_global_concurrency_limit_by_name(name)


class PrefectGate:
    """The transport's `Gate` over a Prefect global concurrency limit: each call holds one slot, leased.

    A take refused because every slot is held (423) is tried again after the server's `Retry-After`, at most
    `MAX_POLL` seconds and jittered; the release is best effort (the lease ends by itself)."""

    MAX_POLL = 0.25

    def __init__(self, name: str, lease_seconds: float = IN_FLIGHT_LEASE_SECONDS) -> None:
        self.name = name
        self.lease_seconds = lease_seconds
        self.taken = 0  # slots granted by the server (benchmarks and tests)

    def _granted(self, exc: Exception | None, response: Any) -> tuple[Any, float]:
        """(the lease id, or None; seconds to wait before the next try)."""
        if exc is None:
            body = response.json()
            if not body.get("limits"):
                raise LeaseLimitMissing(
                    f"The Prefect global concurrency limit {self.name!r} does not exist, so calls in flight would not "
                    "be capped. Create it with `lexflow.prefect.limiter.ensure_in_flight_limit`."
                )
            self.taken += 1
            return body["lease_id"], 0.0
        result = _settled(exc)
        if result is None:
            raise LeaseLimitMissing(f"The Prefect global concurrency limit {self.name!r} does not exist") from exc
        after = 0.02
        if result is False:
            import httpx

            assert isinstance(exc, httpx.HTTPStatusError)
            with contextlib.suppress(ValueError):
                after = float(exc.response.headers.get("Retry-After") or after)
        return None, min(max(after, 0.005), self.MAX_POLL) * random.uniform(0.5, 1.0)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        from prefect.client.orchestration import get_client

        with _no_client_retries(), get_client(sync_client=True) as client:
            lease = None
            while lease is None:
                try:
                    response = client.increment_concurrency_slots_with_lease(
                        [self.name], 1, "concurrency", self.lease_seconds
                    )
                    lease, wait = self._granted(None, response)
                except LeaseLimitMissing:
                    raise
                except Exception as exc:
                    lease, wait = self._granted(exc, None)
                if lease is None:
                    time.sleep(wait)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    client.release_concurrency_slots_with_lease(lease)

    @contextlib.asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        from prefect.client.orchestration import get_client

        with _no_client_retries():
            async with get_client() as client:
                lease = None
                while lease is None:
                    try:
                        response = await client.increment_concurrency_slots_with_lease(
                            [self.name], 1, "concurrency", self.lease_seconds
                        )
                        lease, wait = self._granted(None, response)
                    except LeaseLimitMissing:
                        raise
                    except Exception as exc:
                        lease, wait = self._granted(exc, None)
                    if lease is None:
                        await asyncio.sleep(wait)
                try:
                    yield
                finally:
                    with contextlib.suppress(Exception):
                        await client.release_concurrency_slots_with_lease(lease)

    def __repr__(self) -> str:
        return f"PrefectGate({self.name!r})"


_gates: dict[str, PrefectGate] = {}


def prefect_account_limiter(
    provider: str,
    base_url: str,
    account: str | None,
    limits: Limits,
    *,
    rate_name: str | None,
    in_flight_name: str | None = None,
    label: str | None = None,
) -> AccountLimiter:
    """The transport's limiter of one account with its pace (`rate_name`: a lease limiter) and its cap on calls in
    flight (`in_flight_name`: a `PrefectGate`) shared by every worker of every machine through the Prefect server; the
    daily budget stays the machine's file (docs/client.md#limits). A name left out keeps the machine-wide part."""
    pace = prefect_limiter(rate_name) if rate_name else None
    gate = None
    if in_flight_name and limits.concurrent:
        with _limiters_lock:
            gate = _gates.setdefault(in_flight_name, PrefectGate(in_flight_name))
    return account_limiter(provider, base_url, account, limits, pace=pace, gate=gate, label=label)


# ------------------------------------------------------------------------------------------------ the flow path
_shared: dict[tuple[AccountRef, str | None, str | None, str], AccountLimiter] = {}
_ensured: set[tuple[str, str]] = set()


def limit_names(account: AccountRef) -> tuple[str, str | None]:
    """The Prefect limits of one account: (`<provider>-api-<digest>` for the pace, the same + `-in-flight` for the cap
    on calls in flight, None when the provider has none). The digest names provider, base URL and account (tenant,
    realm, a digest of the key), never a credential (docs/prefect.md#global-concurrency-limits)."""
    base = f"{account.provider}-api-{account.key}"
    return base, (f"{base}-in-flight" if account.limits.concurrent else None)


def _ensure_once(name: str, *, rps: float = 0.0, size: int = 0) -> None:
    """Create the limit with the provider's documented values when it is missing (once per process and server). One
    that exists is left as it is: an operator's change in the UI or by `lexflow prefect setup` wins."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    key = (name, str(PREFECT_API_URL.value() or ""))
    if key in _ensured:
        return
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            if rps > 0:
                ensure_rate_limit(name, rps=rps)
            else:
                ensure_in_flight_limit(name, size)
    _ensured.add(key)


def shared_limits(
    limiter: AccountLimiter, *, rate_name: str | None = None, in_flight_name: str | None = None
) -> AccountLimiter:
    """`limiter`'s account with its pace and its cap on calls in flight kept by the Prefect server, so every worker
    of every machine shares one budget; the daily budget stays the machine's (the same file as `limiter`'s).

    The limits are named by `limit_names` unless given, and created on first use with the provider's documented
    values; a named `rate_name` must exist already (Lexware's `lexware-api`, made by `lexflow prefect setup`)."""
    account = limiter.account
    if account is None:
        raise TypeError(f"{limiter!r} was not made by `account_limiter`: its account is unknown")
    from prefect.settings import PREFECT_API_URL

    own_rate, own_in_flight = limit_names(account)
    key = (account, rate_name, in_flight_name, str(PREFECT_API_URL.value() or ""))
    with _limiters_lock:
        found = _shared.get(key)
    if found is not None:
        return found
    pace: Any = limiter.pace
    if rate_name is None and account.limits.rate > 0:
        rate_name = own_rate
        _ensure_once(rate_name, rps=account.limits.rate)
    if rate_name is not None:
        pace = prefect_limiter(rate_name)
    gate: Any = None
    if account.limits.concurrent:
        in_flight_name = in_flight_name or own_in_flight
        assert in_flight_name is not None
        _ensure_once(in_flight_name, size=account.limits.concurrent)
        with _limiters_lock:
            gate = _gates.setdefault(in_flight_name, PrefectGate(in_flight_name))
    with _limiters_lock:
        return _shared.setdefault(key, AccountLimiter(limiter.name, pace, gate, limiter.budget, account=account))


def on_prefect(client: Any, *, rate_name: str | None = None, in_flight_name: str | None = None) -> Any:
    """Put a connection (any provider's client, or a `Provider` adapter over one) on `shared_limits`: the flow path's
    limits (docs/client.md#limits). Returns the same connection."""
    from lexflow.core.provider import Provider

    raw: Any = getattr(client, "client", client) if isinstance(client, Provider) else client
    for attr in ("limits", "limiter"):  # the shared transport's clients keep `limits`; Xero's and QuickBooks' `limiter`
        current = getattr(raw, attr, None)
        if isinstance(current, AccountLimiter):
            shared = shared_limits(current, rate_name=rate_name, in_flight_name=in_flight_name)
            setattr(raw, attr, shared)
            if attr == "limits":
                raw.limiter = shared.pace
            return client
    raise TypeError(f"{type(raw).__name__} keeps no account limiter: it cannot be put on the Prefect limits")
