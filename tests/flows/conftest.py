"""Flow tests: the session Prefect harness (heartbeats off), the account rate limit, isolated result storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


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
