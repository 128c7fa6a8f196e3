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
