"""`lexflow sandbox seed`: the embedded sandbox gets a company, the deployments' input files appear where the
deployments read them, and a real account is never seeded."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.settings import get_settings


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXWARE_OAUTH_CLIENT_ID", "LEXFLOW_STATEMENT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / ".lexflow" / "sandbox.db"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_seed_fills_the_sandbox_and_writes_the_deployments_inputs(fresh_home: Path) -> None:
    import yaml

    from flows.crm_lead_to_customer import load_records
    from lexflow.banking import read_statement
    from lexflow.lexware.client import connect

    result = CliRunner().invoke(app, ["sandbox", "seed", "--vouchers", "30", "--seed", "5"])
    assert result.exit_code == 0, result.output
    deployments = yaml.safe_load((Path(__file__).parents[2] / "deployments" / "prefect.yaml").read_text())
    crm = next(d for d in deployments["deployments"] if d["entrypoint"].endswith(":crm_lead_to_customer"))
    assert len(load_records(str(fresh_home / crm["parameters"]["source"]))) == 4
    (statement,) = (fresh_home / ".lexflow" / "statements").iterdir()  # reconcile-payments' default inbox
    assert read_statement(statement)
    assert (fresh_home / ".lexflow" / "inbox" / "beleg.pdf").read_bytes().startswith(b"%PDF")
    with connect() as client:  # the state persists for the next command
        assert list(client.voucherlist.iter(voucher_type="invoice", voucher_status="open"))


def test_seed_refuses_a_real_account(fresh_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEXWARE_API_KEY", "a-real-key")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["sandbox", "seed"])
    assert result.exit_code == 1 and "real Lexware Office account" in result.output
    assert not (fresh_home / "exports").exists()
