"""The sandbox's shared plumbing, below every route module (control, oauth, webhooks, faults).

Route modules import from here and never from each other's internals, so the sandbox has no import cycle: the
control API's endpoint wrapper, the `/v1` middleware base, the store generation marker, and who owns what (which
OAuth connection a token belongs to, which subscriptions an API key or connection created).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from lexflow.lexware.sandbox.errors import ApiError
from lexflow.lexware.sandbox.http import bearer, json

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import ApiKey, SandboxState

__all__ = [
    "SUBSCRIPTIONS",
    "V1Middleware",
    "connection_of_token",
    "control_route",
    "delete_owned_by",
    "generation",
    "key_of",
    "org_of",
    "owner_of",
]

ControlHandler = Callable[["SandboxState", Request, dict[str, Any]], Awaitable[Response]]

SUBSCRIPTIONS = "event-subscriptions"
"""Store kind of the webhook subscriptions (cleared by reset, persisted with `--db`)."""
OAUTH_CONNECTIONS = "oauth:connections"
OAUTH_TOKENS = "oauth:tokens"


def generation(state: SandboxState) -> str:
    """A marker that changes whenever the store is cleared (reset), so in-memory extras can notice and drop theirs."""
    marker = state.store.meta("extras:generation")
    if marker is None:
        marker = str(uuid.uuid4())
        state.store.set_meta("extras:generation", marker)
    return str(marker)


def _error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    return json({"status": status, "message": message, "details": details or []}, status)


def _key_of(request: Request) -> ApiKey:
    state: SandboxState = request.app.state.sandbox
    token = bearer(request)
    key = state.keys.lookup(token) if token else None
    if key is None:
        raise ApiError(401, "Unauthorized: send the sandbox API key as 'Authorization: Bearer <key>'.")
    return key


def control_route(app: Any, state: SandboxState, method: str, path: str, handler: ControlHandler) -> None:
    """Mount a control endpoint: Bearer auth, JSON body (empty = {}), no rate limit, readable errors."""

    async def handle(request: Request) -> Response:
        try:
            state.tick()
            key = _key_of(request)
            request.scope["sandbox_key"] = key
            raw = await request.body()
            body: Any = {}
            if raw.strip():
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    return _error(400, f"The body must be JSON: {exc}")
                if not isinstance(body, dict):
                    return _error(400, "The body must be a JSON object.")
            return await handler(state, request, body)
        except ApiError as err:
            if err.status == 401:
                return json({"message": err.message}, 401)
            details = [{"field": i.field, "message": i.message} for i in err.issues]
            return _error(err.status, err.message or "error", details)
        except ValidationError as err:
            details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in err.errors()]
            fields = ", ".join(str(d["field"]) for d in details)
            return _error(400, f"Invalid control request ({fields}); see details.", details)

    handle.__name__ = f"control_{method.lower()}_{path.strip('/').replace('/', '_')}"
    app.router.routes.append(Route(path, handle, methods=[method]))


class V1Middleware:
    """Base of the extras' pure ASGI middlewares: `handle` sees only `/v1` HTTP requests, the rest passes through."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def key_of(request: Request) -> ApiKey:
    """The authenticated key of a control request."""
    return request.scope["sandbox_key"]  # type: ignore[no-any-return]


def org_of(request: Request) -> str:
    return key_of(request).organization_id


# --------------------------------------------------------------------------------------------------- ownership
def oauth_connections(state: SandboxState) -> dict[str, dict[str, Any]]:
    return dict(state.store.meta(OAUTH_CONNECTIONS, {}))


def oauth_tokens(state: SandboxState) -> dict[str, dict[str, Any]]:
    return dict(state.store.meta(OAUTH_TOKENS, {}))


def connection_of_token(state: SandboxState, token: str) -> str | None:
    """The OAuth connection an access or refresh token belongs to (None for plain API keys and unknown tokens)."""
    entry = oauth_tokens(state).get(token)
    if entry is not None:
        return str(entry["connection"])
    for cid, conn in oauth_connections(state).items():
        if conn.get("refreshToken") == token:
            return cid
    return None


def owner_of(state: SandboxState, key: ApiKey) -> str:
    """Who a subscription belongs to: the API key, or the OAuth connection behind an access token."""
    if key.kind == "oauth":
        connection = connection_of_token(state, key.key)
        if connection is not None:
            return f"oauth:{connection}"
    return f"key:{key.key}"


def delete_owned_by(state: SandboxState, owner: str) -> int:
    """Drop every subscription created by an API key or OAuth connection (it was revoked)."""
    gone = 0
    for org in state.store.organizations(SUBSCRIPTIONS):
        for sub in list(state.store.iter(org, SUBSCRIPTIONS)):
            if sub.get("_owner") == owner:
                state.store.delete(org, SUBSCRIPTIONS, sub["id"])
                gone += 1
    return gone


# --------------------------------------------------------------------------------------------------- serving
