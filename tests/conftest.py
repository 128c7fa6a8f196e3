"""Shared fixtures. Slow ones (Prefect harness, served sandbox) start once per session and only when asked for."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# clients share their rate limit machine-wide through files: a test run keeps its own, apart from the user's
os.environ.setdefault("LEXFLOW_RATE_LIMIT_DIR", tempfile.mkdtemp(prefix="lexflow-test-rate-limits-"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session, with flow heartbeats off (docs/prefect.md#testing: 0.2 s instead of 1.1 s)."""
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
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_of_worker(url, worker) if worker else url


def _database_of_worker(url: str, worker: str) -> str:
    """`make test` runs on two pytest-xdist workers: each gets a fresh database of its own on the same server, so
    tests that drop or count a table's rows never see the other worker's."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> str:
    """A fresh, empty schema of its own on the test PostgreSQL (its URL sets the search_path): a new database for
    one test, without the cost of CREATE DATABASE. lexflow migrates a database once per engine and process, so a
    test that needs a new database takes a new URL, never a DROP TABLE on a shared one."""
    import uuid

    from sqlalchemy import text

    from lexflow.db import get_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    with get_engine(postgres_url).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return postgres_url + ("&" if "?" in postgres_url else "?") + f"options=-csearch_path%3D{schema}"


# ---------------------------------------------------------------------------------------------------------------
# Sandbox fixtures (owner: sandbox-core). `sandbox_app`: fresh in-process app, rate limit off.
# `sandbox_http`: Starlette TestClient (an httpx-style sync client over the in-process app; httpx ASGITransport is async-only)
# with the default key set. `sandbox_client`: lexflow's LexwareClient over that same in-process transport.
# `served_sandbox`: one uvicorn on 127.0.0.1 (free port) per session; call `.reset()` first in each test.
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def sandbox_app():
    from lexflow.lexware.sandbox import SandboxConfig, create_app
    from lexflow.lexware.sandbox.webhooks import prewarm_key

    prewarm_key(SandboxConfig.model_fields["webhook_key_bits"].default)  # 4096-bit keygen on the idle core, once
    return create_app(
        SandboxConfig(rate_limit=0, ocr_delay_seconds=None, allow_http_callbacks=True, base_url="http://sandbox.test")
    )


@pytest.fixture
def sandbox_http(sandbox_app):
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import DEFAULT_API_KEY

    with TestClient(
        sandbox_app,
        base_url="http://sandbox.test",
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}", "Accept": "application/json"},
    ) as client:
        yield client


@pytest.fixture(scope="session")
def quickbooks_served():
    """The QuickBooks Online sandbox on uvicorn (real sockets), once per session, rate limits off."""
    from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, serve_in_thread

    with serve_in_thread(QuickBooksSandboxConfig(requests_per_minute=0, requests_per_second=0)) as served:
        yield served


@pytest.fixture
def quickbooks_client(quickbooks_served):
    """QuickBooksClient on a freshly emptied served sandbox, connected through its OAuth flow; quick retries."""
    from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox

    quickbooks_served.state.reset()
    settings = QuickBooksSettings(throttle_wait_seconds=0, timeout_seconds=5, max_retries=2, requests_per_minute=0)
    with connect_sandbox(quickbooks_served, settings) as client:
        yield client


@pytest.fixture
def sandbox_client(sandbox_app):
    """LexwareClient against the in-process sandbox (the client's own sync ASGI bridge; rate limit off)."""
    client_mod = pytest.importorskip("lexflow.lexware.client")
    if not hasattr(client_mod, "LexwareClient"):
        pytest.skip("lexflow.lexware.client.LexwareClient not available yet")
    from lexflow.lexware.sandbox import DEFAULT_API_KEY
    from lexflow.transport.bridge import SyncASGITransport

    transport = SyncASGITransport(sandbox_app)
    client = client_mod.LexwareClient(
        api_key=DEFAULT_API_KEY, base_url="http://sandbox.test", rate_limit=0, transport=transport
    )
    with client:
        yield client
    transport.close()


@pytest.fixture(scope="session")
def served_sandbox():
    """uvicorn on 127.0.0.1 (free port), rate limit off, http callbacks allowed. Tests call `.reset()` first."""
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.testing.served import serve_in_thread

    served = serve_in_thread(SandboxConfig(rate_limit=0, allow_http_callbacks=True, ocr_delay_seconds=None))
    yield served
    served.stop()


@pytest.fixture(scope="session")
def sevdesk_served():
    """The sevDesk sandbox on uvicorn (real sockets, free port), once per session. Tests reset it first."""
    from lexflow.sevdesk.sandbox import serve_in_thread

    with serve_in_thread() as served:
        yield served


@pytest.fixture
def sevdesk_client(sevdesk_served):
    """SevdeskClient on a freshly reset served sandbox: no pacing, no settle delay, quick backoff."""
    from lexflow.sevdesk.client import SevdeskClient
    from lexflow.transport.retry import RetryPolicy

    sevdesk_served.reset()
    retry = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)
    with SevdeskClient(
        sevdesk_served.token, sevdesk_served.url, rate_limit=0, settle_delay=0, retry=retry, timeout=5
    ) as client:
        yield client


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """`get_settings()` is cached per process; a test that changed the environment (monkeypatch) must not leave its
    settings to the next test on the same worker (the next one then read, e.g., another LEXFLOW_DATABASE_URL)."""
    yield
    from lexflow.settings import get_settings

    get_settings.cache_clear()
