"""`lexflow --provider NAME …` picks the accounting system for one command, over LEXFLOW_PROVIDER."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _lexflow(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXWARE_", "LEXOFFICE_", "SEVDESK_"))}
    env["LEXFLOW_PROVIDER"] = "lexware"
    env["LEXFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path}/lexflow.db"
    code = "from lexflow.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_provider_option_wins_over_the_environment(tmp_path: Path) -> None:
    result = _lexflow(
        tmp_path, "--provider", "sevdesk", "actions", "run", "search_customers", "--input", '{"name": "Muster"}'
    )
    assert result.returncode == 0, result.stderr
    assert "embedded sevDesk sandbox" in result.stdout + result.stderr


def test_an_unknown_provider_names_the_four(tmp_path: Path) -> None:
    result = _lexflow(tmp_path, "--provider", "sage", "actions", "list")
    assert result.returncode == 2
    assert "lexware, sevdesk, xero, quickbooks" in result.stderr
