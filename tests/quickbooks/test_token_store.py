"""QuickBooks' tokens in the shared OAuth store (docs/client.md#oauth): several worker processes on one company
refresh Intuit's rotating refresh token once (before, each process refreshed on its own and a rotated-away token
could lose the connection), and the token file is encrypted, never plain JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox, quickbooks_token_store
from lexflow.transport import errors
from tests.client.refresher_worker import run_workers


def _refresh_tokens(served: Any) -> int:
    return sum(1 for meta in served.state.store.meta("tokens", {}).values() if meta["kind"] == "refresh")


def test_three_processes_refresh_once_and_share_the_rotated_tokens(
    quickbooks_served: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", key)
    path = tmp_path / "qb.tokens"
    quickbooks_served.state.reset()
    with connect_sandbox(quickbooks_served, QuickBooksSettings(requests_per_minute=0, token_file=path)) as c:
        realm = c.realm_id
        first = c.session.tokens
        c.session.tokens = first.model_copy(update={"expires_at": 0})  # every worker finds it expired
    before = _refresh_tokens(quickbooks_served)

    results = run_workers("quickbooks", quickbooks_served.url, path, realm, key)

    assert sum(int(r["refreshes"]) for r in results) == 1
    assert _refresh_tokens(quickbooks_served) == before + 1  # exactly one refresh reached the token endpoint
    assert len({r["token"] for r in results}) == 1
    final = quickbooks_token_store(realm, path).load()
    assert final is not None and final.refresh_token is not None and first.refresh_token is not None
    assert final.refresh_token != first.refresh_token
    assert final.refresh_token.get_secret_value().encode() not in path.read_bytes()


def test_a_plain_token_file_of_an_earlier_version_is_read_and_encrypted(
    quickbooks_served: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", Fernet.generate_key().decode())
    quickbooks_served.state.reset()
    with connect_sandbox(quickbooks_served, QuickBooksSettings(requests_per_minute=0)) as c:
        realm, refresh = c.realm_id, c.session.tokens.refresh_token
    assert refresh is not None
    path = tmp_path / "qb-tokens.json"
    path.write_text(json.dumps({"refresh_token": refresh.get_secret_value()}))  # what the Prefect block wrote

    store = quickbooks_token_store(realm, path)
    tokens = store.load()
    assert tokens is not None and tokens.refresh_token == refresh
    assert refresh.get_secret_value().encode() not in path.read_bytes()  # rewritten encrypted at once
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(errors.Unauthorized, match="not of quickbooks connection 'other-realm'"):
        quickbooks_token_store("other-realm", path).load()  # one company's tokens never serve another
