"""A `LexflowProfile` block with its own API key runs its actions on its own account (issue 17: the flow path
used to ignore the profile's key and send everything with the shared client's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from lexflow.approvals.serving import ThreadedServer
from lexflow.lexware.client import LexwareClient
from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
from lexflow.lexware.sandbox.config import ApiKeySpec
from lexflow.prefect.blocks import LexflowProfile
from lexflow.transport.errors import NotFound
from tasks.common import run_action, use_client

pytestmark = pytest.mark.prefect

ORG_B = "0b7c6d5e-4f3a-4b2c-8d1e-9f8a7b6c5d4e"


def test_two_profile_blocks_act_on_two_accounts(prefect_flows: Path) -> None:
    app = create_app(SandboxConfig(rate_limit=0, api_keys=[ApiKeySpec(key="org-b-key", organization_id=ORG_B)]))
    with (
        ThreadedServer(app) as server,
        LexwareClient(api_key=DEFAULT_API_KEY, base_url=server.url, rate_limit=0) as shared,
        use_client(shared),
    ):
        LexflowProfile(scopes=["*"], approval_for=[]).save("account-a", overwrite=True)
        LexflowProfile(scopes=["*"], approval_for=[], api_key="org-b-key", base_url=server.url).save(
            "account-b", overwrite=True
        )
        contact = {"version": 0, "roles": {"customer": {}}, "company": {"name": "Nur bei B GmbH"}}

        @flow
        def on_both_accounts() -> dict[str, Any]:
            orgs = {
                name: str(run_action("profile_get", {}, profile=name).result.organization_id)
                for name in ("account-a", "account-b")
            }
            created = str(run_action("contacts_create", {"body": contact}, profile="account-b").result.id)
            return {"orgs": orgs, "created": created}

        out = on_both_accounts()
        with LexwareClient(api_key="org-b-key", base_url=server.url, rate_limit=0) as b:
            assert str(b.contacts.get(out["created"]).id) == out["created"]
        with pytest.raises(NotFound):  # written to account B only
            shared.contacts.get(out["created"])
    assert out["orgs"]["account-b"] == ORG_B
    assert out["orgs"]["account-a"] != ORG_B
