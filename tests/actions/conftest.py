from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A fresh inbox and export folder (LEXFLOW_INBOX_DIR, LEXFLOW_EXPORT_DIR) for this test."""
    from lexflow.settings import get_settings

    inbox, export = tmp_path / "inbox", tmp_path / "export"
    inbox.mkdir()
    export.mkdir()
    monkeypatch.setenv("LEXFLOW_INBOX_DIR", str(inbox))
    monkeypatch.setenv("LEXFLOW_EXPORT_DIR", str(export))
    get_settings.cache_clear()
    yield inbox, export
    get_settings.cache_clear()
