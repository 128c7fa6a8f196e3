"""The Prefect backend of the limiter (tasks/limiter.py): a global concurrency limit with slot decay."""

from __future__ import annotations

import time

import httpx
import pytest

from lexflow.client import LexwareClient, Limiter


def test_prefect_limiter_paces_the_client(prefect_harness) -> None:
    from tasks.limiter import ensure_rate_limit, prefect_limiter

    limit = ensure_rate_limit("lexware-api-test", rps=10, burst=1)
    assert limit.slot_decay_per_second == 10
    limiter = prefect_limiter("lexware-api-test")
    assert isinstance(limiter, Limiter)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return httpx.Response(200, json={"companyName": "X"})

    with LexwareClient(api_key="k", base_url="http://m", limiter=limiter, transport=httpx.MockTransport(handler)) as c:
        for _ in range(6):
            c.profile.get()
    assert sent[-1] - sent[0] >= 0.35  # 5 further slots at 10/s (Prefect polls, so it is never faster)


def test_missing_limit_is_an_error_not_a_silent_pass(prefect_harness) -> None:
    from tasks.limiter import prefect_limiter

    with pytest.raises(Exception, match="must be created"):
        prefect_limiter("lexware-api-does-not-exist").acquire()


async def test_async_acquire(prefect_harness) -> None:
    from tasks.limiter import ensure_rate_limit, prefect_limiter

    ensure_rate_limit("lexware-api-test-async", rps=20, burst=1)
    limiter = prefect_limiter("lexware-api-test-async")
    start = time.monotonic()
    for _ in range(3):
        await limiter.aacquire()
    assert time.monotonic() - start >= 0.05


def test_paced_prefect_limiter_spaces_a_burst(prefect_harness) -> None:
    from tasks.limiter import ensure_rate_limit, prefect_limiter

    ensure_rate_limit("lexware-api-test-burst", rps=10, burst=5)
    limiter = prefect_limiter("lexware-api-test-burst", pace=20)
    start = time.monotonic()
    for _ in range(5):  # all five slots are free at once; the local pacer still spaces them at 20/s
        limiter.acquire()
    assert time.monotonic() - start >= 4 / 20 - 0.02
