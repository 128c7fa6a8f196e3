"""The Prefect backend of the client's `Limiter`: one account budget shared by every worker of a deployment.

A Prefect global concurrency limit with slot decay is a server-side token bucket (notes §2): `limit` is the burst,
`slot_decay_per_second` the rate. `rate_limit(..., strict=True)` makes a missing limit an error instead of silently
not limiting, so `ensure_rate_limit` creates it first (flows' setup and the test fixtures call it).
"""

from __future__ import annotations

import threading
from typing import Any

from lexflow.client.limits import TokenBucket

__all__ = ["PrefectLimiter", "ensure_rate_limit", "prefect_limiter"]

DEFAULT_NAME = "lexware-api"


class PrefectLimiter:
    """`Limiter` on `prefect.concurrency.{sync,asyncio}.rate_limit(name, strict=True)`."""

    def __init__(
        self, name: str = DEFAULT_NAME, timeout_seconds: float | None = None, pace: float | None = None
    ) -> None:
        """`pace`: also space this process's requests at most `pace` per second (use it with a Prefect limit whose
        burst is larger than 1, so one process never sends the whole burst at once)."""
        self.name = name
        self.timeout_seconds = timeout_seconds
        # One waiter per process at a time: every refused attempt raises the server's `denied_slots`, which
        # lengthens everyone's Retry-After, so threads queue here instead of polling Prefect side by side.
        self._lock = threading.Lock()
        self._pacer = TokenBucket(pace, 1) if pace else None

    def acquire(self) -> None:
        from prefect.concurrency.sync import rate_limit

        if self._pacer is not None:  # a burst > 1: slots are mostly free, so waiters need not queue here
            rate_limit(self.name, occupy=1, timeout_seconds=self.timeout_seconds, strict=True)
            self._pacer.acquire()
            return
        with self._lock:
            rate_limit(self.name, occupy=1, timeout_seconds=self.timeout_seconds, strict=True)

    async def aacquire(self) -> None:
        from prefect.concurrency.asyncio import rate_limit

        await rate_limit(self.name, occupy=1, timeout_seconds=self.timeout_seconds, strict=True)
        if self._pacer is not None:
            await self._pacer.aacquire()

    def __repr__(self) -> str:
        return f"PrefectLimiter({self.name!r})"


def prefect_limiter(
    name: str = DEFAULT_NAME, timeout_seconds: float | None = None, pace: float | None = None
) -> PrefectLimiter:
    return PrefectLimiter(name, timeout_seconds, pace)


def ensure_rate_limit(name: str = DEFAULT_NAME, rps: float = 2.0, burst: int | None = None) -> Any:
    """Create (or update) the global concurrency limit `name` as a bucket of `rps` requests/second.

    `burst` defaults to 1 so requests are evenly spaced (Prefect's own burst of `limit` slots would let a burst
    through that the API's bucket may refuse)."""
    from prefect.client.orchestration import get_client

    limit = burst if burst is not None else 1
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, limit, slot_decay_per_second=rps)
        return client.read_global_concurrency_limit_by_name(name)
