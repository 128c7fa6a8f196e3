"""CLI and MCP exposure that needs no Lexware backend (policy refusals happen before any client exists)."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from typer.testing import CliRunner

from lexflow.actions import registry
from lexflow.actions.mcp import create_server
from lexflow.audit import AuditTrail
from lexflow.cli import app

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def audit_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    monkeypatch.delenv("LEXFLOW_PROFILES_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_list_schema_export():
    out = runner.invoke(app, ["actions", "list", "--json", "--all"])  # --all: also switched-off partner actions
    assert out.exit_code == 0
    assert {r["name"] for r in json.loads(out.output)} == set(registry.names())
    ro = json.loads(runner.invoke(app, ["actions", "list", "--json", "--read-only"]).output)
    assert ro and all(r["effect"] == "read" for r in ro)
    for action in registry:
        out = runner.invoke(app, ["actions", "schema", action.name])
        assert out.exit_code == 0, action.name
        assert json.loads(out.output)["input"] == action.input_schema()
    bad = runner.invoke(app, ["actions", "schema", "upsert_custmer"])
    assert bad.exit_code == 2 and "upsert_customer" in bad.output
    mcp = json.loads(
        runner.invoke(app, ["actions", "export", "--format", "mcp", "--only", "open_items,contacts_get"]).output
    )
    assert [t["name"] for t in mcp["tools"]] == ["open_items", "contacts_get"]


def test_cli_run_denied_is_audited(audit_env, tmp_path):
    payload = tmp_path / "in.json"
    payload.write_text(json.dumps({"name": "Muster GmbH"}))
    out = runner.invoke(app, ["actions", "run", "upsert_customer", "--input", f"@{payload}", "--actor", "carol"])
    assert out.exit_code == 2 and "denied" in out.output and "contacts:write" in out.output
    (rec,) = AuditTrail(audit_env).list()
    assert rec.actor.name == "carol" and rec.outcome == "denied"


async def test_mcp_in_process_tools_annotations_and_denial(audit_env):
    server = create_server(only=["contacts_get", "create_invoice", "upsert_customer"], agent="test-agent")
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"contacts_get"}  # the default profile reads only: writes are not offered
        assert tools["contacts_get"].annotations.read_only_hint is True
        result = await client.call_tool("upsert_customer", {"name": "Muster GmbH"})  # asked anyway: refused
        assert result.is_error and "contacts:write" in result.content[0].text
    (rec,) = AuditTrail(audit_env).list()
    assert rec.actor.kind == "agent" and rec.actor.name == "test-agent" and rec.outcome == "denied"


async def test_mcp_lists_what_the_profile_may_run_with_annotations(tmp_path, monkeypatch):
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.agent]\nscopes = ["*:read", "invoices:write"]\n')
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))
    server = create_server(only=["contacts_get", "create_invoice", "upsert_customer"], profile="agent")
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"contacts_get", "create_invoice"}  # upsert_customer needs contacts:write
    assert tools["create_invoice"].annotations.destructive_hint is True
    assert "approval_ref" in tools["create_invoice"].input_schema["properties"]


async def test_mcp_read_only_flag_hides_writes():
    server = create_server(read_only=True)
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert tools and all(t.annotations.read_only_hint for t in tools)
    assert "create_invoice" not in {t.name for t in tools}


@pytest.fixture
def no_scopes(audit_env, tmp_path, monkeypatch):
    """A profile that grants nothing: every action is reached, refused and audited without any backend."""
    profiles = tmp_path / "profiles.toml"
    profiles.write_text("[profiles.none]\nscopes = []\n")
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))
    return audit_env


def test_every_action_is_reachable_from_the_cli(no_scopes):
    for action in registry:
        out = runner.invoke(
            app, ["actions", "run", action.name, "--profile", "none", "--input", json.dumps(action.examples[0])]
        )
        assert out.exit_code == 2 and "denied" in out.output, (action.name, out.output)
    records = AuditTrail(no_scopes).list()
    assert [r.action for r in records] == registry.names()
    assert {r.outcome for r in records} == {"denied"}


@pytest.mark.parametrize("partner", [True, False], ids=["partner-on", "partner-off"])
async def test_every_action_is_reachable_from_mcp(no_scopes, monkeypatch, partner):
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", str(partner).lower())
    get_settings.cache_clear()
    offered = [a for a in registry if partner or a.group != "partner"]  # switched-off partner actions are hidden
    server = create_server(profile="none", agent="reach")
    async with Client(server) as client:
        assert (await client.list_tools()).tools == []  # a profile without scopes is offered nothing
        for action in offered:  # and whatever is called anyway is refused and audited
            result = await client.call_tool(action.name, action.examples[0])
            assert result.is_error and action.scope in result.content[0].text, action.name
    records = AuditTrail(no_scopes).list()
    assert [r.action for r in records] == [a.name for a in offered]


def test_cli_run_against_the_embedded_sandbox(audit_env, tmp_path, monkeypatch):
    pytest.importorskip("lexflow.lexware.client")
    for var in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.dev]\nscopes = ["*"]\napproval_for = []\n')
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    out = runner.invoke(app, ["actions", "run", "upsert_customer", "-p", "dev", "-i", '{"name": "CLI GmbH"}'])
    assert out.exit_code == 0, out.output
    assert out.stderr.startswith("backend:") and "sandbox" in out.stderr.splitlines()[0].lower()
    created = json.loads(out.stdout)
    assert created["status"] == "created"
    again = json.loads(
        runner.invoke(app, ["actions", "run", "upsert_customer", "-p", "dev", "-i", '{"name": "cli gmbh"}']).stdout
    )
    assert again["customer"]["id"] == created["customer"]["id"] and again["status"] == "unchanged"
    (first, second) = AuditTrail(audit_env).list()
    assert first.profile == "dev" and first.http_calls and second.outcome == "ok"
