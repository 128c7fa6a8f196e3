"""A real MCP client talks to `lexflow mcp` over stdio; the server uses the embedded sandbox (state in tmp)."""

from __future__ import annotations

import json
import os
import sys

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from lexflow.audit import AuditTrail

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server_env(tmp_path):
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.agent]\nscopes = ["*:read", "contacts:write", "invoices:write"]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXWARE_", "LEXOFFICE_"))}
    env.update(
        LEXFLOW_SANDBOX_DB=str(tmp_path / "sandbox.db"),
        LEXFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/audit.db",
        LEXFLOW_PROFILES_FILE=str(profiles),
        LEXFLOW_PROFILE="agent",
    )
    return env


def _params(env, tmp_path, only: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "lexflow.cli", "mcp", "--only", only, "--agent", "stdio-test"],
        env=env,
        cwd=str(tmp_path),
    )


async def test_stdio_tools_annotations_preview_and_refusals(server_env, tmp_path):
    only = "profile_get,upsert_customer,contacts_list,lexware_preview_invoice,lexware_create_invoice"
    async with Client(_params(server_env, tmp_path, only), read_timeout_seconds=60) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == set(only.split(","))
        assert tools["profile_get"].annotations.read_only_hint is True
        assert tools["lexware_create_invoice"].annotations.destructive_hint is True
        assert tools["upsert_customer"].annotations.idempotent_hint is True
        assert tools["lexware_preview_invoice"].output_schema["properties"]["totals"]

        draft = {
            "recipient_name": "Agent Kunde",
            "line_items": [{"name": "Beratung", "quantity": "2", "unit_price": "100", "tax_rate": "19"}],
        }
        preview = await client.call_tool("lexware_preview_invoice", draft)
        assert not preview.is_error, preview.content
        assert preview.structured_content["totals"]["total_gross"] == "238.00"
        assert json.loads(preview.content[0].text) == preview.structured_content
        refused = await client.call_tool("lexware_create_invoice", {**draft, "finalize": True})
        assert refused.is_error and "approval" in refused.content[0].text
        bad = await client.call_tool("lexware_preview_invoice", {"line_items": []})
        assert bad.is_error and "line_items" in bad.content[0].text

    trail = AuditTrail(server_env["LEXFLOW_DATABASE_URL"])
    records = trail.list()
    assert [(r.action, r.outcome) for r in records] == [
        ("lexware_preview_invoice", "ok"),
        ("lexware_create_invoice", "approval_required"),
        ("lexware_preview_invoice", "invalid_input"),
    ]
    assert {r.actor.name for r in records} == {"stdio-test"} and {r.profile for r in records} == {"agent"}
    assert trail.verify().ok


async def test_stdio_calls_against_the_embedded_sandbox(server_env, tmp_path):
    client_mod = pytest.importorskip("lexflow.lexware.client")
    if not hasattr(client_mod, "connect"):
        pytest.skip("lexflow.lexware.client.connect not available yet")
    only = "profile_get,upsert_customer,contacts_list"
    async with Client(_params(server_env, tmp_path, only), read_timeout_seconds=60) as client:
        profile = await client.call_tool("profile_get", {})
        assert not profile.is_error, profile.content
        assert profile.structured_content["result"]["companyName"]
        created = await client.call_tool("upsert_customer", {"name": "Stdio GmbH", "email": "mcp@stdio.example"})
        assert not created.is_error, created.content
        assert created.structured_content["status"] == "created"
        again = await client.call_tool("upsert_customer", {"name": "Stdio GmbH", "email": "MCP@stdio.example"})
        cid = created.structured_content["customer"]["id"]
        assert again.structured_content["customer"]["id"] == cid
        listed = await client.call_tool("contacts_list", {"name": "Stdio GmbH"})
        page = listed.structured_content["result"]
        assert [c["id"] for c in page["content"]] == [cid]

    records = AuditTrail(server_env["LEXFLOW_DATABASE_URL"]).list()
    assert [r.action for r in records] == ["profile_get", "upsert_customer", "upsert_customer", "contacts_list"]
    assert all(r.http_calls for r in records)
