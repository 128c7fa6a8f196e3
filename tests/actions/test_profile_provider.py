"""`lexflow actions run --profile NAME` and an MCP server started with a profile talk to that profile's provider and
account (its credentials block, loaded from Prefect only because the profile names one), as flows do (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lexflow.lexware.sandbox import SandboxConfig
from lexflow.prefect.credentials import LexwareCredentials, SevdeskCredentials
from lexflow.testing.served import serve_in_thread

pytestmark = pytest.mark.prefect

KEY = "lexware-cli-profile-key-0123456789"
PROFILES = """\
[profiles.lex]
provider = "lexware"
credentials = "cli-lexware"
scopes = ["*"]
approval_for = []

[profiles.sev]
provider = "sevdesk"
credentials = "cli-sevdesk"
scopes = ["*"]
approval_for = []
"""


@pytest.fixture
def two_profiles(
    prefect_harness: None, sevdesk_served: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A Lexware sandbox with its own key and the sevDesk sandbox, each behind a credentials block and a profile;
    the process's own provider is Lexware's embedded sandbox, which neither profile may touch."""
    from lexflow.settings import get_settings

    sevdesk_served.reset()
    lexware = serve_in_thread(SandboxConfig(rate_limit=0, api_key=KEY, ocr_delay_seconds=None))
    LexwareCredentials(api_key=KEY, base_url=lexware.url, rate_limit=0).save("cli-lexware", overwrite=True)
    SevdeskCredentials(api_token=sevdesk_served.token, base_url=sevdesk_served.url, rate_limit=0).save(
        "cli-sevdesk", overwrite=True
    )
    (tmp_path / "profiles.toml").write_text(PROFILES)
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(tmp_path / "profiles.toml"))
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/lexflow.db")
    monkeypatch.delenv("LEXFLOW_PROVIDER", raising=False)
    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        yield {"lexware": lexware, "sevdesk": sevdesk_served}
    finally:
        get_settings.cache_clear()
        lexware.stop()


def _run(profile: str, name: str) -> dict[str, Any]:
    from lexflow.cli import app

    data = json.dumps({"name": name, "email": f"{profile}@example.com"})
    result = CliRunner().invoke(app, ["actions", "run", "create_customer", "--input", data, "--profile", profile])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _lexware_names(sandbox: Any) -> set[str]:
    from lexflow.lexware.client import LexwareClient
    from lexflow.providers import get_provider

    with LexwareClient(api_key=KEY, base_url=sandbox.url, rate_limit=0) as client:
        return {c.name for c in get_provider(client, "lexware").list_customers()}


def _sevdesk_names(sandbox: Any) -> set[str]:
    from lexflow.providers import get_provider
    from lexflow.sevdesk.client import SevdeskClient

    with SevdeskClient(sandbox.token, sandbox.url, rate_limit=0) as client:
        return {c.name for c in get_provider(client, "sevdesk").list_customers()}


def test_cli_profile_talks_to_its_provider_and_account(two_profiles: dict[str, Any]) -> None:
    lex = _run("lex", "Nur Lexware GmbH")
    sev = _run("sev", "Nur sevDesk GmbH")
    assert lex["customer"]["provider"] == "lexware" and sev["customer"]["provider"] == "sevdesk"
    assert "Nur Lexware GmbH" in _lexware_names(two_profiles["lexware"])
    assert "Nur sevDesk GmbH" in _sevdesk_names(two_profiles["sevdesk"])
    assert "Nur sevDesk GmbH" not in _lexware_names(two_profiles["lexware"])
    assert "Nur Lexware GmbH" not in _sevdesk_names(two_profiles["sevdesk"])


async def test_mcp_server_with_a_profile_talks_to_its_provider_and_account(two_profiles: dict[str, Any]) -> None:
    from mcp import Client

    from lexflow.actions.mcp import create_server

    for profile, name in (("sev", "MCP sevDesk GmbH"), ("lex", "MCP Lexware GmbH")):
        server = create_server(only=["create_customer"], profile=profile)
        async with Client(server) as mcp:
            made = await mcp.call_tool("create_customer", {"name": name, "email": f"mcp-{profile}@example.com"})
            assert not made.is_error, made.content
            assert made.structured_content["customer"]["provider"] == {"sev": "sevdesk", "lex": "lexware"}[profile]
    assert "MCP sevDesk GmbH" in _sevdesk_names(two_profiles["sevdesk"])
    assert "MCP Lexware GmbH" in _lexware_names(two_profiles["lexware"])
    assert "MCP Lexware GmbH" not in _sevdesk_names(two_profiles["sevdesk"])
