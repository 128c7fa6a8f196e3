"""Fault injection: an ASGI middleware that makes chosen `/v1` routes misbehave the way the real gateway can.

Rules come from `POST /_sandbox/faults {"route": "POST /v1/invoices", "kind": ..., "count": N, "seed": 1}`:

- `429`: a burst of N rate-limit answers (no side effect, `Retry-After: 1`);
- `500` / `503`: server errors without running the handler;
- `504_after_commit`: the handler runs (the write is committed), then the client gets the gateway's 504
  `{"message": "Endpoint request timed out"}` -- the case where a retried POST duplicates;
- `latency`: the request is answered normally after `latencyMs` (default 500);
- `drop`: the connection is closed without any response (in-process transports raise `httpx.RemoteProtocolError`).

`route` is "METHOD /path" with `{name}` placeholders ("GET /v1/invoices/{id}"), a concrete path, or "*" for any
method/path. Each rule faults its next `count` matching requests; with `probability` < 1 a `random.Random(seed)`
decides which, so a run is reproducible. Rules are cleared by reset and never touch `/_sandbox` or `/oauth2`.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from lexflow.lexware.sandbox.http import json
from lexflow.lexware.sandbox.plumbing import V1Middleware, control_route, generation
from lexflow.sandbox.gateway import drop_connection, send_json

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState

FaultKind = Literal["429", "500", "503", "504_after_commit", "latency", "drop"]


class FaultRule(BaseModel):
    """One rule as posted to `/_sandbox/faults`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    route: str = Field(description='"POST /v1/invoices", "GET /v1/invoices/{id}", "/v1/contacts" or "*"')
    kind: FaultKind
    count: int = Field(default=1, ge=1, le=100_000)
    seed: int = 1
    probability: float = Field(default=1.0, gt=0, le=1)
    latency_ms: int = Field(default=500, alias="latencyMs", ge=0, le=120_000)

    @field_validator("route")
    @classmethod
    def _route(cls, value: str) -> str:
        value = value.strip()
        path = value.split(" ", 1)[-1] if " " in value else value
        if value != "*" and not path.startswith("/v1/") and path != "*":
            raise ValueError('route must be "METHOD /v1/..." (faults apply to the public API only) or "*"')
        return value


@dataclass
class _Active:
    rule: FaultRule
    id: int
    method: str | None
    pattern: re.Pattern[str]
    remaining: int
    rng: random.Random
    fired: int = 0
    seen: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.rule.model_dump(by_alias=True),
            "remaining": self.remaining,
            "fired": self.fired,
            "seen": self.seen,
        }


def _compile(route: str) -> tuple[str | None, re.Pattern[str]]:
    verb, _, path = route.partition(" ") if " " in route else ("", "", route)
    method = None if verb.upper() in ("", "*") else verb.upper()
    if path in ("*", ""):
        return method, re.compile(r"^/v1/.*$")
    parts = re.split(r"({[^/]+})", path.rstrip("/"))
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return method, re.compile(f"^{regex}/?$")


@dataclass
class FaultInjector:
    """The state's rules; thread-safe because uvicorn and the webhook thread may share a state."""

    rules: list[_Active] = field(default_factory=list)
    generation: str | None = None
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultRule) -> _Active:
        method, pattern = _compile(rule.route)
        with self._lock:
            active = _Active(rule, self._next_id, method, pattern, rule.count, random.Random(rule.seed))
            self._next_id += 1
            self.rules.append(active)
        return active

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> _Active | None:
        """The first rule that fires for this request (consumes one of its `count`)."""
        with self._lock:
            for active in self.rules:
                if active.remaining <= 0:
                    continue
                if active.method is not None and active.method != method:
                    continue
                if not active.pattern.match(path):
                    continue
                active.seen += 1
                if active.rule.probability < 1 and active.rng.random() >= active.rule.probability:
                    continue
                active.remaining -= 1
                active.fired += 1
                return active
        return None


def injector(state: SandboxState) -> FaultInjector:
    """The state's injector; rules vanish when the store was reset."""
    found: FaultInjector | None = getattr(state, "_fault_injector", None)
    if found is None:
        found = FaultInjector()
        state._fault_injector = found  # type: ignore[attr-defined]
    current = generation(state)
    if found.generation != current:
        found.clear()
        found.generation = current
    return found


_GATEWAY = {
    "429": (429, {"message": "Rate limit exceeded"}, {"Retry-After": "1"}),
    "500": (500, {"message": None}, {}),
    "503": (503, {"message": "Service Unavailable"}, {}),
    "504_after_commit": (504, {"message": "Endpoint request timed out"}, {}),
}


class FaultMiddleware(V1Middleware):
    """Pure ASGI middleware (so it can swallow a committed response or drop the socket)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        active = injector(self.state).pick(scope["method"], scope["path"])
        if active is None:
            await self.app(scope, receive, send)
            return
        kind = active.rule.kind
        if kind == "latency":
            await asyncio.sleep(active.rule.latency_ms / 1000)
            await self.app(scope, receive, send)
        elif kind == "drop":
            await drop_connection(receive)
        elif kind == "504_after_commit":

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            status, body, headers = _GATEWAY[kind]
            await send_json(send, status, body, headers)
        else:
            status, body, headers = _GATEWAY[kind]
            await send_json(send, status, body, headers)


# --------------------------------------------------------------------------------------------------- control
async def _add(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    active = injector(state).add(FaultRule.model_validate(body))
    return json(active.describe(), 201)


async def _list(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    return json({"content": [a.describe() for a in injector(state).rules]})


async def _clear(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    injector(state).clear()
    return Response(status_code=204)


def install(app: Any, state: SandboxState) -> None:
    app.add_middleware(FaultMiddleware, state=state)
    state.on_reset.append(lambda: injector(state).clear())
    control_route(app, state, "POST", "/_sandbox/faults", _add)
    control_route(app, state, "GET", "/_sandbox/faults", _list)
    control_route(app, state, "DELETE", "/_sandbox/faults", _clear)
