"""What every embedded sandbox's HTTP front shares: a per-key rate limiter, raw ASGI answers and dropped
connections (fault injection), and a free loopback port to serve on. Each provider's sandbox builds its gateway on
these (docs/architecture.md)."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import orjson
from starlette.types import Receive, Send


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on yet (for a sandbox served on loopback)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class TokenBucket:
    """One bucket per key: `rate` tokens/second, `capacity` burst. `take()` returns seconds to wait (0 = go)."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: int) -> None:
        self.rate = rate
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, rate: float, capacity: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self._buckets: dict[str, TokenBucket] = {}

    def clear(self) -> None:
        """Full buckets for every key again (a reset starts the sandbox afresh)."""
        self._buckets.clear()

    def check(self, key: str) -> float:
        if self.rate <= 0:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.capacity)
        return bucket.take()


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    raw = orjson.dumps(body)
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


async def drop_connection(receive: Receive) -> None:
    """Close the connection without answering. Under uvicorn the request cycle owns the transport; in-process
    (httpx ASGITransport / TestClient) there is no socket, so raise what httpx raises for a dropped connection."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "close"):
        transport.close()
        for _ in range(3):  # let uvicorn notice the disconnect before it would send its own 500
            await asyncio.sleep(0)
        return
    import httpx

    raise httpx.RemoteProtocolError("Server disconnected without sending a response (sandbox fault 'drop').")
