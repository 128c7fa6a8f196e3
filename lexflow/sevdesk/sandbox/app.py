"""`create_app(config)`: the sevDesk sandbox as one FastAPI app; `serve_in_thread` runs it under uvicorn."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from lexflow.sandbox.gateway import free_port
from lexflow.sevdesk.sandbox import banking, contacts, control, creditnotes, invoices, vouchers
from lexflow.sevdesk.sandbox.core import SevdeskError, SevdeskSandboxConfig, SevdeskState
from lexflow.sevdesk.sandbox.gate import API_PREFIX, Gate
from lexflow.sevdesk.sandbox.web import json


def create_app(config: SevdeskSandboxConfig | None = None, state: SevdeskState | None = None) -> FastAPI:
    """Build the sandbox; `app.state.sevdesk` is its `SevdeskState`. OpenAPI at `/_sandbox/openapi.json`."""
    config = config or SevdeskSandboxConfig()
    state = state or SevdeskState(config)
    app = FastAPI(
        title="lexflow sevDesk sandbox",
        version="2.0",
        description="The subset of the sevDesk API v1 (sevdesk-Update 2.0) that lexflow uses, served by the "
        "embedded sandbox; see docs/sevdesk.md for what it models and what not.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
        redirect_slashes=False,
    )
    app.state.sevdesk = state
    for module in (contacts, invoices, creditnotes, banking, vouchers):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(control.router)

    async def sevdesk_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SevdeskError)
        return json(exc.body(), exc.status, exc.headers or None)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        return json(SevdeskError(400, problems).body(), 400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = "Resource not found" if exc.status_code == 404 else str(exc.detail)
        return json(SevdeskError(exc.status_code, message).body(), exc.status_code)

    app.add_exception_handler(SevdeskError, sevdesk_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(Gate, state=state)
    return app


class ServedSevdesk:
    """A running sevDesk sandbox: `.url` (the API base, ending in /api/v1), `.root`, `.token`, `.state`, `.reset()`."""

    def __init__(self, root: str, token: str, app: Any, server: Any, thread: threading.Thread) -> None:
        self.root = root
        self.url = root + API_PREFIX
        self.token = token
        self.app = app
        self.state: SevdeskState = app.state.sevdesk
        self._server = server
        self._thread = thread

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServedSevdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    config: SevdeskSandboxConfig | None = None, host: str = "127.0.0.1", port: int | None = None
) -> ServedSevdesk:
    """Start uvicorn in a daemon thread on a free loopback port; return once it accepts connections."""
    import uvicorn

    config = config or SevdeskSandboxConfig()
    port = port or free_port(host)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="lexflow-sevdesk-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sevDesk sandbox did not start within 10 s")
        time.sleep(0.01)
    return ServedSevdesk(f"http://{host}:{port}", config.token, app, server, thread)
