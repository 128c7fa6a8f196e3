"""`lexflow profile`, `lexflow contacts list`, `lexflow invoices get` against the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.settings import LexflowSettings, get_settings


@pytest.fixture
def sandbox_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.delenv("LEXOFFICE_API_KEY", raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "cli.db"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield LexflowSettings()
    get_settings.cache_clear()


def test_commands_name_the_sandbox_first(sandbox_env) -> None:
    from lexflow.lexware.client import connect

    with connect(sandbox_env) as c:
        cid = c.contacts.create(
            {
                "roles": {"customer": {}},
                "company": {"name": "CLI GmbH"},
                "emailAddresses": {"business": ["cli@example.org"]},
            }
        ).id
        iid = c.invoices.create(
            {
                "voucherDate": "2026-03-02T00:00:00.000+01:00",
                "address": {"contactId": cid},
                "lineItems": [
                    {"type": "custom", "name": "Arbeit", "quantity": 1, "unitName": "h",
                     "unitPrice": {"currency": "EUR", "netAmount": 50, "taxRatePercentage": 19}}
                ],
                "totalPrice": {"currency": "EUR"},
                "taxConditions": {"taxType": "net"},
                "shippingConditions": {"shippingType": "none"},
            },
            finalize=True,
        ).id  # fmt: skip
    runner = CliRunner()
    for args in (["profile"], ["contacts", "list", "--email", "cli@example.org"], ["invoices", "get", iid]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0].startswith("backend: embedded sandbox")
    table = runner.invoke(app, ["contacts", "list", "--email", "cli@example.org"]).output
    assert "CLI GmbH" in table
    out = runner.invoke(app, ["invoices", "get", iid, "--json"]).output
    data = json.loads(out.split("\n", 1)[1])
    assert data["id"] == iid and data["totalPrice"]["totalGrossAmount"] == 59.5
    missing = runner.invoke(app, ["invoices", "get", "00000000-0000-4000-8000-000000000000"])
    assert missing.exit_code == 1 and "Check the id" in missing.output
