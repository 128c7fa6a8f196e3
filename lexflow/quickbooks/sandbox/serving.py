"""Serve the QuickBooks sandbox with uvicorn in a background thread (tests, demos, the client's default backend)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from lexflow.quickbooks.sandbox.app import QuickBooksSandbox, create_app
from lexflow.quickbooks.sandbox.config import QuickBooksSandboxConfig
from lexflow.sandbox.gateway import free_port


class ServedQuickBooks:
    """A running sandbox: `.url`, `.config`, `.state` and `control(action, **body)` for the control API."""

    def __init__(
        self, url: str, config: QuickBooksSandboxConfig, app: Any, server: Any, thread: threading.Thread
    ) -> None:
        self.url, self.config, self.app = url, config, app
        self.state: QuickBooksSandbox = app.state.qbo
        self._server, self._thread = server, thread

    @property
    def realm(self) -> str:
        return self.config.realms[0]

    def control(self, action: str, **body: Any) -> Any:
        response = httpx.post(
            f"{self.url}/_sandbox/{action}",
            json=body,
            headers={"Authorization": f"Bearer {self.config.control_key}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServedQuickBooks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    config: QuickBooksSandboxConfig | None = None, host: str = "127.0.0.1", port: int | None = None
) -> ServedQuickBooks:
    """Start uvicorn in a daemon thread and return once it accepts connections."""
    import uvicorn

    config = config or QuickBooksSandboxConfig()
    port = port or free_port(host)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="lexflow-quickbooks-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the QuickBooks sandbox did not start within 10 s")
        time.sleep(0.01)
    return ServedQuickBooks(f"http://{host}:{port}", config, app, server, thread)
