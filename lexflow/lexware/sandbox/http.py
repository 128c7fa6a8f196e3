"""Request plumbing shared by every API route: auth, scopes, rate limit, content type, error rendering.

A route is an `ApiRoute(method, path, handler, scope, style)`; `endpoint()` turns it into a Starlette endpoint.
Handlers receive a `Ctx` and return a Starlette `Response` (use `json()` / `action_result()`), or raise `ApiError`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from lexflow.lexware.sandbox.common import not_found
from lexflow.lexware.sandbox.errors import ApiError, Issue, Style, render
from lexflow.lexware.sandbox.state import ApiKey, SandboxState
from lexflow.sandbox.gateway import RateLimiter
from lexflow.sandbox.store import Doc

logger = logging.getLogger("lexflow.lexware.sandbox")


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def public(doc: Doc) -> Doc:
    """A stored document without the sandbox's internal `_` keys."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


@dataclass
class Ctx:
    request: Request
    state: SandboxState
    key: ApiKey
    path: str
    params: dict[str, str]
    query: Any  # starlette QueryParams
    body: Any = None

    @property
    def org(self) -> str:
        return self.key.organization_id

    def arg(self, name: str) -> str:
        return self.params[name]

    def doc(self, kind: str, what: str) -> Doc:
        """The stored document the path's `{id}` names, or the API's 404 ("<what> not found")."""
        found = self.state.store.get(self.org, kind, self.params["id"])
        if found is None:
            raise not_found(what)
        return found

    def resource_url(self, collection: str, id_: str) -> str:
        return f"{self.state.config.base_url.rstrip('/')}/v1/{collection}/{id_}"


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Handler
    scope: str | None
    style: Style = "details"
    json_body: bool = False
    summary: str = ""
    oauth_only: bool = False
    locked: bool = True
    """Run the handler under `state.lock`. False for handlers that await the network (they lock what they touch)."""


def action_result(ctx: Ctx, collection: str, doc: Doc, status: int = 201) -> Response:
    url = ctx.resource_url(collection, doc["id"])
    body = {
        "id": doc["id"],
        "resourceUri": url,
        "createdDate": doc.get("createdDate"),
        "updatedDate": doc.get("updatedDate"),
        "version": doc.get("version", 0),
    }
    return json(body, status, {"Location": url})


def saved(ctx: Ctx, kind: str, doc: Doc, event: str, status: int) -> Response:
    """Write a created or changed document, announce it (docs/lexware.md#webhooks), answer with its action result (docs/lexware.md#action-results).
    `kind` is both the store kind and the URL collection (contacts, articles, vouchers)."""
    ctx.state.store.put(ctx.org, kind, doc)
    ctx.state.emit(ctx.org, event, doc["id"])
    return action_result(ctx, kind, doc, status)


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def endpoint(route: ApiRoute, state: SandboxState, limiter: RateLimiter) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        path = request.url.path
        try:
            state.tick()
            token = bearer(request)
            key = state.keys.lookup(token) if token else None
            if key is None:
                raise ApiError(401, "Unauthorized", style="gateway")
            wait = limiter.check(key.key if state.config.rate_limit_scope == "key" else key.organization_id)
            if wait > 0:
                headers = {"Retry-After": str(max(1, math.ceil(wait)))} if state.config.retry_after_header else {}
                raise ApiError(429, "Rate limit exceeded", style="gateway", headers=headers)
            if route.oauth_only and key.kind != "oauth":
                raise ApiError(403, "This endpoint is only available to partner applications (OAuth).", style="gateway")
            if route.scope and route.scope not in key.scopes:
                raise ApiError(403, f"Forbidden: the key lacks the scope '{route.scope}'.", style="gateway")
            body = None
            if route.json_body:
                ctype = request.headers.get("content-type", "")
                if not ctype.lower().startswith("application/json"):
                    raise ApiError(
                        415, "Unsupported Media Type: only application/json is supported except for file uploads."
                    )
                raw = await request.body()
                try:
                    body = orjson.loads(raw) if raw else None
                except orjson.JSONDecodeError as exc:
                    raise ApiError(400, f"Malformed JSON body: {exc}", [Issue(None, "invalid", str(exc))]) from None
                if not isinstance(body, dict):
                    raise ApiError(400, "The request body must be a JSON object.", [Issue(None, "invalid", "object")])
            ctx = Ctx(request, state, key, path, request.path_params, request.query_params, body)
            if not route.locked:
                return await route.handler(ctx)
            with state.lock:
                return await route.handler(ctx)
        except ApiError as err:
            status, payload = render(err, route.style, path)
            return json(payload, status, err.headers or None)
        except Exception:  # a sandbox bug: answer like the gateway does for internal errors, keep the traceback
            logger.exception("sandbox error on %s %s", request.method, path)
            return json({"message": None}, 500)

    handle.__name__ = route.handler.__name__
    return handle
