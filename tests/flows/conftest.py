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
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from flows.setup import ensure_rate_limit

    storage = tmp_path_factory.mktemp("prefect-results")
    with temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}):
        ensure_rate_limit(1000.0, burst=1000)
        yield storage


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh lexflow database (ledger, audit, sync store) per test."""
    return f"sqlite:///{tmp_path}/lexflow.db"
