"""The seeded fault run in CI (issue 12): the flows under 429s, 5xx, 504 after commit, latency and dropped
connections (bench/fault_run.py, the CI size); 0 duplicates, 0 losses, every ambiguous outcome settled or reported."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from bench.fault_run import fault_run
from lexflow.testing import MailCatcher
from tests.flows import test_flows_e2e

pytestmark = pytest.mark.prefect
lexware, catcher = test_flows_e2e.lexware, test_flows_e2e.catcher


def test_seeded_fault_run_writes_once_and_loses_nothing(
    lexware: Any, served_sandbox: Any, catcher: MailCatcher, database_url: str, tmp_path: Path
) -> None:
    figures = fault_run(served_sandbox, lexware, catcher, database_url, tmp_path, seed=12)
    print(asdict(figures))
    assert figures.faults.get("504_after_commit", 0) > 0 and sum(figures.faults.values()) >= 8, figures.faults
    assert not any(figures.duplicates.values()), figures
    assert not any(figures.lost.values()), figures
    assert not figures.unsettled, figures
