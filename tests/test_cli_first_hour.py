"""The command line as a new user meets it: one clear line for a wrong key, a summary table after a sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_sync_with_a_wrong_key_prints_one_line(
    served_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lexflow.cli import app
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXWARE_API_KEY", "not-the-key")
    monkeypatch.setenv("LEXWARE_BASE_URL", served_sandbox.url)
    monkeypatch.setenv("LEXWARE_RATE_LIMIT", "0")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["sync", "--database-url", f"sqlite:///{tmp_path}/s.db"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "401" in errors[0], result.output
