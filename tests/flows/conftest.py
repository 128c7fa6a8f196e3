"""Flow tests: the session Prefect harness (heartbeats off), the account rate limit, isolated result storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lexflow.core.capabilities import Capabilities
from lexflow.core.provider import Provider
from lexflow.providers import built


@pytest.fixture(scope="session")
def prefect_flows(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Harness + the `lexware-api` rate limit (high in tests: the sandbox does not limit) + a fresh result store.

    Business cache keys outlive a run by design, so results must not leak between test sessions: they go to a
    per-session folder.
    """
    import os

    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from lexflow.prefect.setup import ensure_rate_limit
    from lexflow.settings import get_settings

    storage = tmp_path_factory.mktemp("prefect-results")
    # The audit trail and anything else that follows LEXFLOW_DATABASE_URL goes to a session database too.
    old = os.environ.get("LEXFLOW_DATABASE_URL")
    os.environ["LEXFLOW_DATABASE_URL"] = f"sqlite:///{storage.parent / 'lexflow-session.db'}"
    get_settings.cache_clear()
    try:
        with temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}):
            ensure_rate_limit(1000.0)
            yield storage
    finally:
        if old is None:
            os.environ.pop("LEXFLOW_DATABASE_URL", None)
        else:
            os.environ["LEXFLOW_DATABASE_URL"] = old
        get_settings.cache_clear()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh lexflow database (ledger, audit, sync store) per test."""
    return f"sqlite:///{tmp_path}/lexflow.db"


# ---------------------------------------------------------------------------------------------------------------
# `flow_provider`: the flows against each built provider's served sandbox (real HTTP), the way a worker with
# `LEXFLOW_PROVIDER=<name>` and no credentials runs them. Flow tests that take it run once per provider.
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class FlowProvider:
    """What a flow test needs of one provider: its name, the `Provider` adapter to assert end state with, and the
    connection the flows were given (`use_client`: a LexwareClient on Lexware, the adapter elsewhere)."""

    name: str
    provider: Provider
    client: Any
    served: Any = None
    """The served sandbox (url and key/token) where another process can reach it; None for Xero's in-process one."""

    @property
    def capabilities(self) -> Capabilities:
        return self.provider.capabilities


@contextmanager
def _lexware_connection(request: pytest.FixtureRequest) -> Iterator[tuple[Provider, Any, Any]]:
    from lexflow.lexware.adapter import LexwareAdapter
    from lexflow.lexware.client import LexwareClient, RetryPolicy

    served = request.getfixturevalue("served_sandbox")
    served.reset()
    fast = RetryPolicy(max_attempts=3, backoff_base=0.01)
    with LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0, retry=fast) as client:
        yield LexwareAdapter(client), client, served


@contextmanager
def _sevdesk_connection(request: pytest.FixtureRequest) -> Iterator[tuple[Provider, Any, Any]]:
    from lexflow.sevdesk.adapter import SevdeskAdapter

    adapter = SevdeskAdapter(request.getfixturevalue("sevdesk_client"))  # reset, served over real HTTP
    yield adapter, adapter, request.getfixturevalue("sevdesk_served")


@contextmanager
def _xero_connection(request: pytest.FixtureRequest) -> Iterator[tuple[Provider, Any, Any]]:
    from tests.xero.support import sandbox_adapter

    adapter = sandbox_adapter()  # the process's served Xero sandbox, reset
    try:
        yield adapter, adapter, None
    finally:
        adapter.close()


@contextmanager
def _quickbooks_connection(request: pytest.FixtureRequest) -> Iterator[tuple[Provider, Any, Any]]:
    from lexflow.quickbooks.adapter import QuickBooksAdapter

    adapter = QuickBooksAdapter(request.getfixturevalue("quickbooks_client"))  # reset, served over real HTTP
    yield adapter, adapter, request.getfixturevalue("quickbooks_served")


CONNECTIONS: dict[str, Callable[[pytest.FixtureRequest], AbstractContextManager[tuple[Provider, Any, Any]]]] = {
    "lexware": _lexware_connection,
    "sevdesk": _sevdesk_connection,
    "xero": _xero_connection,
    "quickbooks": _quickbooks_connection,
}


@pytest.fixture(params=built())
def flow_provider(
    request: pytest.FixtureRequest,
    prefect_flows: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FlowProvider]:
    """Flows run against this provider's freshly reset served sandbox: `LEXFLOW_PROVIDER` names it for the test and
    `use_client` hands the flows its connection."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from lexflow.settings import get_settings
    from tasks.common import use_client

    monkeypatch.setenv("LEXFLOW_PROVIDER", request.param)
    get_settings.cache_clear()
    # The sandboxes are reset for every test and hand out the same ids again (sevDesk's 1, 2, ...): a result cached
    # under such an id by an earlier test would answer for another record, so each test keeps its own results.
    results = tmp_path_factory.mktemp(f"results-{request.param}")
    with (
        temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: results}),
        CONNECTIONS[request.param](request) as (provider, client, served),
        use_client(client),
    ):
        yield FlowProvider(request.param, provider, client, served)
