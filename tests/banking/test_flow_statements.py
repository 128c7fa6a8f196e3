"""The reconcile flow reads what the readers read: a ZIP of CAMT files and a CSV through a mapping file."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.prefect
def test_flow_reads_a_zip_and_a_csv_through_a_mapping_file(
    prefect_harness: None, served_sandbox: Any, tmp_path: Path
) -> None:
    from flows.reconcile_payments import reconcile_payments
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=20, seed=5)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    export = served_sandbox.control.bank_statement(format="camt053", seed=6)
    with zipfile.ZipFile(inbox / "c53.zip", "w") as archive:
        archive.writestr("konto.xml", export["statement"])
    (inbox / "custom_bank.csv").write_bytes((FIXTURES / "custom_bank.csv").read_bytes())
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        result = reconcile_payments(
            str(inbox),
            dry_run=True,
            database_url=f"sqlite:///{tmp_path / 'lexflow.db'}",
            ask="never",
            csv_mapping=str(FIXTURES / "custom_bank.toml"),
        )
    assert result["statements"] == 2
    assert result["transactions"] == len(export["groundTruth"]) + 2


@pytest.mark.prefect
def test_flow_accept_unbalanced_reads_the_statement_and_only_flags(
    prefect_harness: None, served_sandbox: Any, tmp_path: Path
) -> None:
    from flows.reconcile_payments import reconcile_payments
    from lexflow.lexware.client import LexwareClient
    from tasks.common import use_client

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=20, seed=5)
    inbox = tmp_path / "statements"
    inbox.mkdir()
    export = served_sandbox.control.bank_statement(format="mt940", noise=False, seed=6)
    (inbox / "konto.sta").write_text(re.sub(r"(?m)^(:62F:C\d{6}EUR)[\d,]+", r"\g<1>0,00", export["statement"]))
    with (
        LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client,
        use_client(client),
    ):
        result = reconcile_payments(
            str(inbox), database_url=f"sqlite:///{tmp_path / 'lexflow.db'}", ask="never", accept_unbalanced=True
        )
    assert result["transactions"] == len(export["groundTruth"])
    assert result["by_kind"].get("exact", 0) > 0
    assert result["review_items"] == result["hints_sent"] == 0
    assert result["flagged"] >= result["by_kind"]["exact"]
