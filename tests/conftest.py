"""Shared fixtures. Slow ones (Prefect harness, served sandbox) start once per session and only when asked for."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session, with flow heartbeats off (notes §6: 0.2 s instead of 1.1 s)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL server started by .ci/run; tests that need it are skipped only outside CI."""
    url = os.environ.get("LEXFLOW_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide LEXFLOW_TEST_POSTGRES_URL (.ci/postgres.sh)")
        pytest.skip("no PostgreSQL: run through .ci/run or set LEXFLOW_TEST_POSTGRES_URL")
    return url


# ---------------------------------------------------------------------------------------------------------------
# Sandbox fixtures (owner: sandbox-core). `sandbox_app`: fresh in-process app, rate limit off.
# `sandbox_http`: a sync httpx client (Starlette TestClient, an httpx.Client over an in-process ASGI transport)
# with the default key set. `sandbox_client`: lexflow's LexwareClient over that same in-process transport.
# `served_sandbox`: one uvicorn on 127.0.0.1 (free port) per session; call `.reset()` first in each test.
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def sandbox_app():
    from lexflow.sandbox import SandboxConfig, create_app

    return create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None, allow_http_callbacks=True))


@pytest.fixture
def sandbox_http(sandbox_app):
    from starlette.testclient import TestClient

    from lexflow.sandbox import DEFAULT_API_KEY

    with TestClient(
        sandbox_app,
        base_url="http://sandbox.test",
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}", "Accept": "application/json"},
    ) as client:
        yield client


@pytest.fixture
def sandbox_client(sandbox_http):
    """LexwareClient against the in-process sandbox (skipped until lexflow.client exists)."""
    client_mod = pytest.importorskip("lexflow.client")
    if not hasattr(client_mod, "LexwareClient"):
        pytest.skip("lexflow.client.LexwareClient not available yet")
    from lexflow.sandbox import DEFAULT_API_KEY

    client = client_mod.LexwareClient(
        api_key=DEFAULT_API_KEY,
        base_url=str(sandbox_http.base_url).rstrip("/"),
        rate_limit=0,
        transport=sandbox_http._transport,
    )
    with client:
        yield client


class ServedSandbox:
    """A sandbox served by uvicorn in a background thread: `.url`, `.api_key`, `.state`, `.control`, `.reset()`."""

    def __init__(self, url: str, api_key: str, app, server, thread) -> None:
        self.url = url
        self.api_key = api_key
        self.app = app
        self.state = app.state.sandbox
        self._server = server
        self._thread = thread

    @property
    def control(self):
        from lexflow.sandbox import control

        factory = getattr(control, "SandboxControl", None)
        if factory is None:
            pytest.skip("lexflow.sandbox.control.SandboxControl not available yet")
        return factory(self.url, self.api_key)

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_served_sandbox(**config) -> ServedSandbox:
    """Start uvicorn on a free loopback port and wait until it answers (used by the fixture and the benchmark)."""
    import threading
    import time

    import uvicorn

    from lexflow.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    config.setdefault("rate_limit", 0)
    config.setdefault("allow_http_callbacks", True)
    app = create_app(SandboxConfig(**config))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="served-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("served sandbox did not start")
        time.sleep(0.01)
    return ServedSandbox(f"http://127.0.0.1:{port}", config.get("api_key", DEFAULT_API_KEY), app, server, thread)


@pytest.fixture(scope="session")
def served_sandbox():
    served = start_served_sandbox()
    yield served
    served.stop()
