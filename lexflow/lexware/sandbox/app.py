"""`create_app(config)`: the sandbox as one ASGI app (FastAPI, with the API itself on plain Starlette routes)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lexflow.lexware.sandbox.config import SandboxConfig
from lexflow.lexware.sandbox.http import ApiRoute, endpoint, json
from lexflow.lexware.sandbox.state import SandboxState
from lexflow.sandbox.gateway import RateLimiter

_OWN_PREFIXES = ("/_sandbox", "/oauth2")


def api_routes(config: SandboxConfig) -> list[ApiRoute]:
    """Every public API operation the sandbox serves (event subscriptions come from the webhooks module)."""
    from lexflow.lexware.sandbox.routes import ROUTES, unsupported_method_routes
    from lexflow.lexware.sandbox.routes.profile import PING

    routes = list(ROUTES)
    if config.ping_endpoint:
        routes.append(PING)
    if config.unsupported_method_status == 404:
        routes += unsupported_method_routes()
    return routes


def _gateway_403(request: Request) -> Response:
    """What the AWS-style gateway answers for an unknown route or method (docs/lexware.md#gateway-errors). The token is not echoed back."""
    if not request.headers.get("authorization"):
        return json({"message": "Missing Authentication Token"}, 403)
    return json(
        {
            "message": "'<token>' not a valid key=value pair (missing equal-sign) in Authorization header: "
            "'Bearer <token>'."
        },
        403,
    )


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> FastAPI:
    """Build the sandbox. `app.state.sandbox` is the `SandboxState` (the extension modules receive it too)."""
    from lexflow.lexware.sandbox import control, faults, oauth, webhooks

    config = config or SandboxConfig()
    state = state or SandboxState(config)
    app = FastAPI(
        title="lexflow Lexware Office sandbox", docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False
    )
    app.state.sandbox = state
    limiter = RateLimiter(config.rate_limit, config.rate_burst)
    app.state.limiter = limiter
    state.on_reset.append(limiter.clear)
    table = api_routes(config)
    app.state.api_routes = table
    for route in table:
        app.router.routes.append(Route(route.path, endpoint(route, state, limiter), methods=[route.method]))

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405) and not request.url.path.startswith(_OWN_PREFIXES):
            return _gateway_403(request)
        return json({"detail": exc.detail}, exc.status_code, dict(exc.headers or {}))

    app.add_exception_handler(StarletteHTTPException, http_exception)

    async def openapi(request: Request) -> Response:
        from lexflow.lexware.sandbox.openapi import build_openapi

        return json(build_openapi(app))

    app.router.routes.append(Route("/_sandbox/openapi.json", openapi, methods=["GET"]))

    for module in (control, oauth, webhooks, faults):
        module.install(app, state)
    return app


def sandbox_state(app: Any) -> SandboxState:
    """The state behind an app built by `create_app`."""
    return app.state.sandbox  # type: ignore[no-any-return]
