"""Serve a Lexware sandbox with uvicorn in a background thread (test fixtures, `make demo`, benchmarks). Loopback
and a free port only; `.control` drives its control API."""

from __future__ import annotations

import threading
import time
from typing import Any

from lexflow.lexware.sandbox.app import create_app
from lexflow.lexware.sandbox.config import SandboxConfig
from lexflow.lexware.sandbox.state import SandboxState
from lexflow.lexware.sandbox.webhooks import prewarm_key
from lexflow.sandbox.gateway import free_port
from lexflow.testing.sandbox_control import SandboxControl

__all__ = ["ServedSandbox", "serve_in_thread"]


class ServedSandbox:
    """A running sandbox: `.url`, `.api_key`, `.state`, `.app`, `.control` (the control API wrapper), `.reset()`."""

    def __init__(self, url: str, api_key: str, app: Any, server: Any, thread: threading.Thread) -> None:
        self.url = url
        self.api_key = api_key
        self.app = app
        self.state: SandboxState = app.state.sandbox
        self._server = server
        self._thread = thread

    @property
    def control(self) -> SandboxControl:
        """A new control-API wrapper on this sandbox (it owns an httpx client: close it or use `with`)."""
        return SandboxControl(self.url, self.api_key)

    def reset(self) -> None:
        """Forget all data and everything derived from it; the same as `POST /_sandbox/reset` (`state.on_reset`)."""
        self.state.reset()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServedSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int | None = None
) -> ServedSandbox:
    """Start uvicorn in a daemon thread and return once it accepts connections."""
    import uvicorn

    config = config or SandboxConfig(rate_limit=0)
    port = port or free_port(host)
    if config.base_url == SandboxConfig.model_fields["base_url"].default:
        config = config.model_copy(update={"base_url": f"http://{host}:{port}"})
    app = create_app(config)
    prewarm_key(config.webhook_key_bits)  # a served sandbox soon signs webhooks; generate the key meanwhile
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="lexflow-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start within 10 s")
        time.sleep(0.01)
    return ServedSandbox(f"http://{host}:{port}", config.api_key, app, server, thread)
