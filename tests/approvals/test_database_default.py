"""The approvals store has no URL default of its own: unset, it is `lexflow.db.open_database`'s (LEXFLOW_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lexflow.approvals.service import Decider
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.settings import get_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("LEXFLOW_SLACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.db'}")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_unset_the_store_uses_the_shared_database(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = SlackApprovalSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url is None
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    assert settings.resolved_database_url() == shared
    assert Decider(settings).store.url == shared and (tmp_path / "shared.db").exists()


def test_its_own_url_wins(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own = f"sqlite:///{tmp_path / 'approvals.db'}"
    env.setenv("LEXFLOW_SLACK_DATABASE_URL", own)
    settings = SlackApprovalSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url() == own and Decider(settings).store.url == own
    assert not (tmp_path / "shared.db").exists()
