from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhooks import helpers


@pytest.fixture(scope="session")
def keys() -> helpers.KeyPair:
    return helpers.KeyPair()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'webhooks.db'}"


@pytest.fixture(autouse=True)
def _clear_calls() -> Iterator[None]:
    helpers.CALLS.clear()
    helpers.FAILURES.clear()
    yield
    helpers.CALLS.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "route(callable, **worker): the receiver fixture's mapped callable and worker settings"
    )
