"""One unreadable statement file does not sink the reconcile run: the others are reconciled, the bad one is
reported in an artifact (and a warning), and the run completes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.prefect
def test_an_unreadable_statement_is_reported_and_the_rest_reconciled(
    prefect_harness: None, served_sandbox: Any, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    from flows.reconcile_payments import reconcile_payments
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=40, seed=3)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    (inbox / "a-broken.xml").write_text("<Document><BkToCstmrStmt>")  # cut off mid-download
    export = served_sandbox.control.bank_statement(format="camt053", noise=False, seed=2)
    (inbox / "b-konto.xml").write_text(export["statement"])
    url = f"sqlite:///{tmp_path / 'lexflow.db'}"
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        state = reconcile_payments(str(inbox), database_url=url, ask="never", return_state=True)
    assert state.is_completed(), state.message
    totals = state.result()
    assert totals["statements"] == 1 and totals["transactions"] == len(export["groundTruth"])
    assert [u["file"] for u in totals["unreadable_files"]] == ["a-broken.xml"]
    artifact = Artifact.get("reconcile-payments-unreadable-files")
    assert artifact is not None and "a-broken.xml" in str(artifact.data)
    chart = Artifact.get("reconcile-payments-chart")
    assert chart is not None and "matched, to assign" in str(chart.data) and "█" in str(chart.data)
