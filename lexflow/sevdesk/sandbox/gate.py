"""The ASGI layer in front of `/api/v1`: token check (raw token, no `Bearer`), optional throttling and token
blocking, and fault injection for tests (429, 5xx, dropped connections, a timeout after the write committed).

Fault rules come from `POST /_sandbox/faults {"route": "POST /Invoice/Factory/saveInvoice", "kind": ..., "count": N}`;
`route` is "METHOD /path" relative to `/api/v1` with `{name}` placeholders, or "*". Each rule faults its next
`count` matching requests. `timeout_after_commit` runs the handler (the write is committed) and then closes the
connection without an answer after `latencyMs`: to the client that is the unknown outcome of a timeout.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lexflow.sandbox.gateway import RateLimiter, drop_connection, send_json
from lexflow.sevdesk.sandbox.core import SevdeskError, SevdeskState

API_PREFIX = "/api/v1"
FaultKind = Literal["429", "500", "503", "timeout_after_commit", "drop", "latency"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    route: str = Field(description='"POST /Invoice/Factory/saveInvoice", "GET /Invoice/{id}" or "*"')
    kind: FaultKind
    count: int = Field(default=1, ge=1, le=100_000)
    latency_ms: int = Field(default=0, alias="latencyMs", ge=0, le=120_000)


@dataclass
class _Active:
    rule: FaultRule
    method: str | None
    pattern: re.Pattern[str]
    remaining: int

    def describe(self) -> dict[str, Any]:
        return {**self.rule.model_dump(by_alias=True), "remaining": self.remaining}


def _compile(route: str) -> tuple[str | None, re.Pattern[str]]:
    verb, _, path = route.strip().partition(" ") if " " in route.strip() else ("", "", route.strip())
    method = None if verb.upper() in ("", "*") else verb.upper()
    if path in ("*", ""):
        return method, re.compile(".*")
    parts = re.split(r"({[^/]+})", "/" + path.strip("/"))
    return method, re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?$")


@dataclass
class FaultBook:
    rules: list[_Active] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultRule) -> _Active:
        method, pattern = _compile(rule.route)
        active = _Active(rule, method, pattern, rule.count)
        with self._lock:
            self.rules.append(active)
        return active

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> _Active | None:
        with self._lock:
            for active in self.rules:
                if active.remaining > 0 and active.method in (None, method) and active.pattern.match(path):
                    active.remaining -= 1
                    return active
        return None


class Gate:
    """Pure ASGI middleware (it must be able to swallow a committed answer and drop the connection)."""

    def __init__(self, app: ASGIApp, state: SevdeskState) -> None:
        self.app = app
        self.state = state
        self.limiter = RateLimiter(state.config.rate_limit, state.config.rate_burst)
        state.faults = state.faults or FaultBook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX + "/") or self.state.seeding:
            await self.app(scope, receive, send)
            return
        state = self.state
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        refusal = self._refuse(headers.get("authorization"))
        if refusal is not None:  # not counted: a stranger's wrong token must not block the owner's
            await self._answer(send, refusal)
            return
        wait = self.limiter.check(state.config.token)
        if wait > 0:
            await self._answer(send, SevdeskError(429, "Too many requests"))
            return
        active = state.faults.pick(scope["method"], path[len(API_PREFIX) :])
        if active is not None:
            kind = active.rule.kind
            if kind in ("429", "500", "503"):
                await self._answer(
                    send,
                    SevdeskError(int(kind), "Too many requests" if kind == "429" else "Internal error"),
                )
                return
            if kind == "drop":
                await drop_connection(receive)
                return
            if kind == "latency":
                await asyncio.sleep(active.rule.latency_ms / 1000)
            if kind == "timeout_after_commit":

                async def swallow(message: Message) -> None:
                    return None

                await self.app(scope, receive, swallow)
                await asyncio.sleep(active.rule.latency_ms / 1000)
                await drop_connection(receive)
                return

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._count(int(message["status"]) >= 400)
            await send(message)

        await self.app(scope, receive, counting)

    def _refuse(self, header: str | None) -> SevdeskError | None:
        state = self.state
        if state.blocked:
            return SevdeskError(401, "Authentication required: this token is blocked after too many failing requests")
        if not header:
            return SevdeskError(401, "Authentication required: send the API token in the Authorization header")
        if header.strip() != state.config.token:
            hint = " (send the raw token, without 'Bearer')" if header.lower().startswith("bearer ") else ""
            return SevdeskError(401, f"Authentication required: the token is not valid{hint}")
        return None

    def _count(self, failed: bool) -> None:
        state = self.state
        state.failures = state.failures + 1 if failed else 0
        limit = state.config.block_after_failures
        if limit is not None and state.failures >= limit:
            state.blocked = True

    async def _answer(self, send: Send, error: SevdeskError) -> None:
        await send_json(send, error.status, error.body(), error.headers)
