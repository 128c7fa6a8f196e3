"""The Prefect backend of the limiter (lexflow/prefect/limiter.py): leases on a global concurrency limit with slot decay."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from lexflow.lexware.client import LexwareClient, Limiter


def _limit(active: int, limit: int, rate: float, updated_ago: float) -> SimpleNamespace:
    updated = datetime.now(UTC) - timedelta(seconds=updated_ago)
    return SimpleNamespace(active_slots=active, limit=limit, slot_decay_per_second=rate, updated=updated)


# ------------------------------------------------------------------------------------------- the book, no server
def test_a_lease_is_spent_at_the_rate_and_not_after_it_ends() -> None:
    from lexflow.prefect.limiter import _LeaseBook

    book = _LeaseBook("x")
    book._describe(_limit(0, 4, 4.0, 0))
    now = time.monotonic()
    with book.lock:
        book._start_lease(sent=now, received=now)
    waits = [book.spend(now) for _ in range(4)]
    assert waits[0] == 0
    assert [round(b - a, 3) for a, b in itertools.pairwise(waits)] == [round(1 / (4 * 0.97), 3)] * 3
    assert book.spend(now) is None  # four slots, no fifth
    with book.lock:
        book._start_lease(sent=now, received=now)
    assert book.spend(now + 2.0) is None  # the lease ended long ago: its slots belong to the next holder
    assert book.unspent == 4


def test_an_idle_lease_gives_its_rest_back() -> None:
    from lexflow.prefect.limiter import _LeaseBook

    book = _LeaseBook("x")
    book._describe(_limit(0, 10, 10.0, 0))
    now = time.monotonic()
    with book.lock:
        book._start_lease(sent=now, received=now)
    assert book.spend(now) == 0
    left, check_in = book.idle(now + 0.01)
    assert left == 0 and check_in is not None and check_in > 0  # the next slot is not even due yet
    left, check_in = book.idle(now + 0.16)  # the second slot was due at 0.103 s and went unclaimed
    assert (left, check_in) == (9, None)
    assert book.lease is None and book.free_at <= now + 0.5  # try a new lease at once when demand returns


def test_free_at_counts_the_decay_since_the_last_update() -> None:
    from lexflow.prefect.limiter import RETRY_MARGIN, _free_at

    # 20 slots taken 0.25 s ago at 20/s: the read shows 15 left (5 decayed), all gone 0.75 s from now
    due = _free_at(_limit(15, 20, 20.0, 0.25), slots=20) - time.monotonic()
    assert 0.75 - 0.02 <= due - RETRY_MARGIN <= 0.75 + 0.02
    assert _free_at(_limit(0, 20, 20.0, 3.0), slots=20) - time.monotonic() <= RETRY_MARGIN + 0.01


def test_a_busy_server_is_asked_again_after_a_few_milliseconds() -> None:
    from lexflow.prefect.limiter import BUSY, _LeaseBook, _Take, _Wait

    steps = _LeaseBook("x")._call(_Take(5))
    assert steps.send(None) == _Take(5)
    wait = steps.send(BUSY)
    assert isinstance(wait, _Wait) and 0 < wait.seconds <= 0.02
    assert steps.send(None) == _Take(5)
    with pytest.raises(StopIteration) as done:
        steps.send(True)
    assert done.value.value is True


# ------------------------------------------------------------------------------------------- on a Prefect server
def test_ensure_rate_limit_sizes_the_lease_by_the_rate(prefect_harness) -> None:
    from lexflow.prefect.limiter import ensure_rate_limit

    limit = ensure_rate_limit("lexware-api-test-size", rps=2)
    assert (limit.limit, limit.slot_decay_per_second) == (1, 2)  # at the API's rate: one slot per take
    assert ensure_rate_limit("lexware-api-test-size", rps=20).limit == 20  # fast: a second's worth
    assert ensure_rate_limit("lexware-api-test-size", rps=20, lease_seconds=0.5).limit == 10
    with pytest.raises(ValueError, match="slot decay"):
        ensure_rate_limit("lexware-api-test-size", rps=0)


def test_prefect_limiter_paces_the_client(prefect_harness) -> None:
    from lexflow.prefect.limiter import PrefectLimiter, ensure_rate_limit

    ensure_rate_limit("lexware-api-test", rps=10)
    limiter = PrefectLimiter("lexware-api-test")
    assert isinstance(limiter, Limiter)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return httpx.Response(200, json={"companyName": "X"})

    with LexwareClient(api_key="k", base_url="http://m", limiter=limiter, transport=httpx.MockTransport(handler)) as c:
        for _ in range(6):
            c.profile.get()
    assert sent[-1] - sent[0] >= 5 / 10 - 0.02
    assert limiter.book.leases == 1  # six requests, one round trip to Prefect for their slots


def test_missing_limit_is_an_error_not_a_silent_pass(prefect_harness) -> None:
    from lexflow.prefect.limiter import LeaseLimitMissing, PrefectLimiter

    with pytest.raises(LeaseLimitMissing, match=r"does not exist.*lexflow prefect setup"):
        PrefectLimiter("lexware-api-does-not-exist").acquire()


async def test_async_acquire(prefect_harness) -> None:
    from lexflow.prefect.limiter import PrefectLimiter, ensure_rate_limit

    ensure_rate_limit("lexware-api-test-async", rps=20)
    limiter = PrefectLimiter("lexware-api-test-async")
    start = time.monotonic()
    for _ in range(3):
        await limiter.aacquire()
    assert time.monotonic() - start >= 2 / 20 - 0.01
    assert limiter.book.leases == 1


def test_two_workers_never_exceed_the_rate_together(prefect_harness) -> None:
    """Two limiters (two processes' worth of state) with two threads each, on one limit of 20/s in 0.5 s leases."""
    from lexflow.prefect.limiter import PrefectLimiter, ensure_rate_limit

    rate = 20
    ensure_rate_limit("lexware-api-test-shared", rps=rate, lease_seconds=0.5)
    workers = [PrefectLimiter("lexware-api-test-shared"), PrefectLimiter("lexware-api-test-shared")]
    sent: list[tuple[float, int]] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for _ in range(15):
            workers[i // 2].acquire()
            with lock:
                sent.append((time.monotonic(), i // 2))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    times = sorted(t for t, _ in sent)
    assert len(times) == 60
    busiest_second = max(sum(1 for u in times if s <= u < s + 1.0) for s in times)
    # Two leases at once would allow up to 2 x rate. A slot of a lease may meet the next holder's first, and a thread
    # that wakes late on a loaded box may push one more into the next second.
    assert busiest_second <= rate + 3
    assert all(w.book.leases >= 1 for w in workers)  # both got turns
    assert times[-1] - times[0] >= (60 - rate - 1) / rate


def test_an_idle_worker_does_not_block_the_others(prefect_harness) -> None:
    """A worker that sent one request gives the rest of its 5-second lease back; the other need not wait for it."""
    from lexflow.prefect.limiter import PrefectLimiter, ensure_rate_limit

    ensure_rate_limit("lexware-api-test-idle", rps=10, lease_seconds=5)
    first, second = PrefectLimiter("lexware-api-test-idle"), PrefectLimiter("lexware-api-test-idle")
    first.acquire()
    start = time.monotonic()
    second.acquire()
    assert time.monotonic() - start < 4.0  # a waiter looks again after half a lease (2.5 s), not after 5 s
    assert first.book.released == 49


def test_quiet_settings_follow_the_current_settings() -> None:
    """The retry-free copy is made per settings object: a later context (another server) never gets an old copy."""
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    from lexflow.prefect.limiter import _no_client_retries

    for url in ("http://127.0.0.1:1/api", "http://127.0.0.1:2/api", "http://127.0.0.1:1/api"):
        with temporary_settings(updates={PREFECT_API_URL: url}), _no_client_retries():
            assert PREFECT_API_URL.value() == url
            assert PREFECT_CLIENT_MAX_RETRIES.value() == 0
    assert PREFECT_CLIENT_MAX_RETRIES.value() != 0


# ------------------------------------------------------------------------------------------- calls in flight
def test_prefect_gate_caps_calls_in_flight_across_workers(prefect_harness) -> None:
    """Two gates on one limit stand for two machines: while one holds the only slot, the other is refused and waits;
    it gets the slot once the first gives it back, and every lease is released."""
    from prefect.client.orchestration import get_client

    from lexflow.prefect.limiter import PrefectGate, ensure_in_flight_limit

    ensure_in_flight_limit("xero-in-flight-test", 1)
    refused = threading.Event()
    entered = threading.Event()

    class Watched(PrefectGate):
        def _granted(self, exc, response):  # type: ignore[no-untyped-def]
            lease, wait = super()._granted(exc, response)
            if lease is None:
                refused.set()
            return lease, wait

    first, second = PrefectGate("xero-in-flight-test"), Watched("xero-in-flight-test")

    def other_machine() -> None:
        with second.slot():
            entered.set()

    with first.slot():
        worker = threading.Thread(target=other_machine)
        worker.start()
        assert refused.wait(30)
        assert not entered.is_set()
    worker.join(30)
    assert entered.is_set()
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name("xero-in-flight-test").active_slots == 0


async def test_prefect_gate_async_and_the_account_limiter(prefect_harness) -> None:
    from lexflow.prefect.limiter import (
        LeaseLimitMissing,
        PrefectGate,
        PrefectLimiter,
        ensure_in_flight_limit,
        ensure_rate_limit,
        prefect_account_limiter,
    )
    from lexflow.transport.limits import Limits

    ensure_rate_limit("xero-rate-test", rps=20)
    ensure_in_flight_limit("xero-in-flight-test-async", 5)
    limiter = prefect_account_limiter(
        "xero",
        "https://api.xero.com",
        "tenant-a",
        Limits(rate=1, concurrent=5, daily=5000),
        rate_name="xero-rate-test",
        in_flight_name="xero-in-flight-test-async",
    )
    assert isinstance(limiter.pace, PrefectLimiter) and isinstance(limiter.gate, PrefectGate)
    assert limiter.budget is not None  # the daily budget stays the machine's file
    await limiter.aacquire()
    async with limiter.ain_flight():
        pass
    with pytest.raises(LeaseLimitMissing, match="does not exist"):
        with PrefectGate("no-such-in-flight-limit").slot():
            pass
