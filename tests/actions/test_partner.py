"""The partner-only `transaction_assignment_hints_create` action follows the same switch as the client
(`LEXWARE_ALLOW_PARTNER_ENDPOINTS`): off → not offered by listings/MCP/export and refused before any HTTP (audited);
on → offered and sent over uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from typer.testing import CliRunner

from lexflow.actions import Profile, registry, run
from lexflow.actions.export import export_tools
from lexflow.actions.mcp import create_server
from lexflow.audit import Actor, AuditTrail
from lexflow.cli import app
from lexflow.lexware.client import connect
from lexflow.settings import get_settings
from lexflow.transport import errors
from tests.client.partner import HINT_PATH, finalized_invoice, partner_token, stored_hint

NAME = "transaction_assignment_hints_create"
ALL = Profile(name="dev", scopes=["*"], approval_for=[])
REFERENCE = "STRIPE-ch_3Pq0000000000000"
runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    for var in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXWARE_BASE_URL", "LEXWARE_ALLOW_PARTNER_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEXFLOW_PROFILES_FILE", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def partner_on(env: pytest.MonkeyPatch, served_sandbox: Any, tmp_path: Path) -> Any:
    """The served sandbox (uvicorn), a partner OAuth token in LEXWARE_API_KEY and the opt-in switched on."""
    served_sandbox.reset()
    env.setenv("LEXWARE_API_KEY", partner_token(served_sandbox.url, tmp_path))
    env.setenv("LEXWARE_BASE_URL", served_sandbox.url)
    env.setenv("LEXWARE_RATE_LIMIT", "0")
    env.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", "true")
    get_settings.cache_clear()
    return served_sandbox


def test_switched_off_the_action_is_not_offered(env: pytest.MonkeyPatch) -> None:
    action = registry.get(NAME)
    reason = action.unavailable_reason()
    assert reason and "LEXWARE_ALLOW_PARTNER_ENDPOINTS=true" in reason and "partner OAuth" in reason
    assert "Partner-only" in action.description and "LEXWARE_ALLOW_PARTNER_ENDPOINTS" in action.description
    assert "LEXWARE_ALLOW_PARTNER_ENDPOINTS" in action.input_schema()["description"]
    assert NAME not in {a.name for a in registry.select()}
    assert NAME in {a.name for a in registry.select(include_unavailable=True)}
    assert NAME not in {t["name"] for t in export_tools("anthropic")}
    (named,) = export_tools("openai", only=[NAME])  # asked for by name: described, with why it is off
    assert "unavailable: partner-only endpoint, switched off" in named["function"]["description"]

    listed = json.loads(runner.invoke(app, ["actions", "list", "--json"]).output)
    assert NAME not in {r["name"] for r in listed}
    (row,) = [
        r for r in json.loads(runner.invoke(app, ["actions", "list", "--json", "--all"]).output) if r["name"] == NAME
    ]
    assert row["group"] == "partner" and row["unavailable"] == reason
    schema = json.loads(runner.invoke(app, ["actions", "schema", NAME]).output)
    assert schema["unavailable"] == reason


def test_switched_off_the_run_is_refused_before_any_http(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No client passed: `run()` builds one from the settings (embedded sandbox here) and it refuses to send."""
    trail = AuditTrail(f"sqlite:///{tmp_path}/trail.db")
    data = {"voucher_id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f", "external_reference": REFERENCE}
    with pytest.raises(errors.PartnerEndpointDisabled, match="LEXWARE_ALLOW_PARTNER_ENDPOINTS=true"):
        run(NAME, data, actor=Actor.agent("bot"), profile=ALL, trail=trail)
    (record,) = trail.list()
    assert record.outcome == "error" and "partner-only" in (record.error or "")
    assert record.http_calls == []


def test_switched_on_via_env_the_action_sends_the_hint(partner_on: Any, tmp_path: Path) -> None:
    assert NAME in {a.name for a in registry.select()} and registry.get(NAME).unavailable_reason() is None
    with connect() as client:
        voucher_id = finalized_invoice(client)
    trail = AuditTrail(f"sqlite:///{tmp_path}/trail.db")
    data = {"voucher_id": voucher_id, "external_reference": REFERENCE}
    out = run(NAME, data, actor=Actor.agent("bot"), profile=ALL, trail=trail)  # client from the settings
    assert out.model_dump(by_alias=True)["result"] == {"voucherId": voucher_id, "externalReference": REFERENCE}
    (record,) = trail.list()
    assert record.outcome == "ok" and [(c.method, c.path, c.status) for c in record.http_calls] == [
        ("POST", HINT_PATH, 201)
    ]
    assert record.resource_ids == [voucher_id]
    assert stored_hint(partner_on.state, voucher_id)["externalReference"] == REFERENCE


async def test_switched_on_mcp_offers_and_runs_it(partner_on: Any, tmp_path: Path) -> None:
    with connect() as client:
        voucher_id = finalized_invoice(client)
    server = create_server(profile=ALL, agent="mcp-bot", audit_url=f"sqlite:///{tmp_path}/mcp.db")
    async with Client(server) as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert "unavailable" not in (tools[NAME].description or "")
        result = await mcp.call_tool(NAME, {"voucher_id": voucher_id, "external_reference": REFERENCE})
    assert not result.is_error, result.content
    assert stored_hint(partner_on.state, voucher_id) is not None


def test_cli_run_with_the_switch_on(partner_on: Any, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.dev]\nscopes = ["transaction_assignment_hints:write"]\napproval_for = []\n')
    partner_on_env = {"LEXFLOW_PROFILES_FILE": str(profiles)}
    with connect() as client:
        voucher_id = finalized_invoice(client)
    data = json.dumps({"voucher_id": voucher_id, "external_reference": REFERENCE})
    out = runner.invoke(app, ["actions", "run", NAME, "-p", "dev", "-i", data], env=partner_on_env)
    assert out.exit_code == 0, out.output
    assert partner_on.url in out.stderr.splitlines()[0]
    assert json.loads(out.stdout)["result"]["voucherId"] == voucher_id
    assert stored_hint(partner_on.state, voucher_id) is not None
