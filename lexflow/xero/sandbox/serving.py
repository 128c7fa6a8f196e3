"""Serve the Xero sandbox with uvicorn in a background thread (test fixtures, the client's no-credentials default)."""

from __future__ import annotations

import threading
import time
from typing import Any

from lexflow.sandbox.gateway import free_port
from lexflow.xero.sandbox.app import create_app
from lexflow.xero.sandbox.config import XeroSandboxConfig
from lexflow.xero.sandbox.state import XeroState


class ServedXeroSandbox:
    """A running sandbox: `.url`, `.state`, `.config`; `reset()`, `stop()`; usable as a context manager."""

    def __init__(self, url: str, app: Any, server: Any, thread: threading.Thread) -> None:
        self.url = url
        self.app = app
        self.state: XeroState = app.state.xero
        self._server = server
        self._thread = thread

    @property
    def config(self) -> XeroSandboxConfig:
        return self.state.config

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True  # do not wait for answers a fault holds back
        self._thread.join(timeout=10)

    def __enter__(self) -> ServedXeroSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_xero_in_thread(
    config: XeroSandboxConfig | None = None, host: str = "127.0.0.1", port: int | None = None
) -> ServedXeroSandbox:
    """Start uvicorn on loopback (a free port by default) in a daemon thread; return once it accepts connections."""
    import uvicorn

    port = port or free_port(host)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="lexflow-xero-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Xero sandbox did not start within 10 s")
        time.sleep(0.01)
    return ServedXeroSandbox(f"http://{host}:{port}", app, server, thread)
