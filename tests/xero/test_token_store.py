"""Xero's tokens in the shared OAuth store (docs/client.md#oauth): processes refresh the rotating refresh token once,
and the tokens of one connection serve its tenants without mixing them."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from lexflow.transport import errors
from lexflow.transport.limits import rate_limit_dir
from lexflow.transport.oauth_store import TokenSet, TokenStore
from lexflow.xero.client import (
    XeroClient,
    XeroOAuth,
    authorise_programmatically,
    sandbox_settings,
    xero_limiter,
    xero_token_store,
)
from lexflow.xero.errors import XeroAuthError
from lexflow.xero.models import Contact
from lexflow.xero.sandbox import ServedXeroSandbox
from tests.client.refresher_worker import run_workers
from tests.xero.conftest import FAST, TENANT_A, TENANT_B


def _control(xero: ServedXeroSandbox, path: str, body: dict[str, object]) -> None:
    httpx.post(f"{xero.url}/_sandbox{path}", json=body).raise_for_status()


def _connected(xero: ServedXeroSandbox, path: Path, key: str) -> XeroOAuth:
    settings = sandbox_settings(xero.url, minute_limit=0, token_file=path)
    oauth = XeroOAuth(settings, httpx.Client(timeout=10), xero_token_store(settings, key))
    authorise_programmatically(oauth)
    return oauth


def test_three_processes_refresh_once_and_share_the_rotated_tokens(xero: ServedXeroSandbox, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    path = tmp_path / "xero.tokens"
    oauth = _connected(xero, path, key)
    _control(xero, "/limits", {"refreshGraceSeconds": 0})  # a spent refresh token is refused at once: invalid_grant
    expired = oauth.store.load()
    assert expired is not None and expired.refresh_token is not None
    oauth.store.save(expired.model_copy(update={"expires_at": 0}))
    refresh_tokens_before = len(xero.state.refresh)

    results = run_workers("xero", xero.url, path, TENANT_A, key)

    assert sum(int(r["refreshes"]) for r in results) == 1
    assert len(xero.state.refresh) == refresh_tokens_before + 1  # exactly one refresh reached Xero
    assert len({r["token"] for r in results}) == 1  # every process ends on the same (valid: it read with it) token
    final = oauth.store.load()
    assert final is not None and final.refresh_token is not None
    assert final.refresh_token != expired.refresh_token
    raw = path.read_bytes()
    assert final.refresh_token.get_secret_value().encode() not in raw
    assert final.access_token.get_secret_value().encode() not in raw


def test_two_tenants_on_one_connection_share_its_tokens_but_never_their_books(
    xero: ServedXeroSandbox, tmp_path: Path
) -> None:
    oauth = _connected(xero, tmp_path / "xero.tokens", Fernet.generate_key().decode())

    def client(tenant: str) -> XeroClient:
        directory = tempfile.mkdtemp(dir=rate_limit_dir())
        limiter = xero_limiter(oauth.settings, tenant, paced=False, directory=directory)
        return XeroClient(oauth, tenant, retry=FAST, limiter=limiter)

    a, b = client(TENANT_A), client(TENANT_B)
    made = a.create_contact(Contact(name=f"Only in A {time.time()}"))
    _control(xero, "/clock", {"advanceSeconds": 1801})  # the connection's access token expires for both tenants
    assert b.find_contacts(search="Only in A") == []  # B refreshes the connection's tokens ...
    assert [c.contact_id for c in a.find_contacts(search="Only in A")] == [made.contact_id]  # ... A uses them
    assert oauth.refreshes == 1


def test_a_file_of_another_connection_is_refused_not_used(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    path = tmp_path / "xero.tokens"
    TokenStore(path, key, provider="xero", connection="app-1").save(
        TokenSet(access_token=SecretStr("at-1"), refresh_token=SecretStr("rt-1"), expires_at=0)
    )
    with pytest.raises(errors.Unauthorized, match="xero connection 'app-1', not of xero connection 'app-2'"):
        TokenStore(path, key, provider="xero", connection="app-2").load()
    with pytest.raises(errors.Unauthorized, match="not of quickbooks"):
        TokenStore(path, key, provider="quickbooks", connection="app-1").load()


def test_refused_refresh_names_the_fix_and_no_secret(xero: ServedXeroSandbox, tmp_path: Path) -> None:
    oauth = _connected(xero, tmp_path / "xero.tokens", Fernet.generate_key().decode())
    tokens = oauth.store.load()
    assert tokens is not None and tokens.refresh_token is not None
    oauth.revoke()
    with pytest.raises(XeroAuthError) as refused:
        oauth.refresh()
    text = f"{refused.value} {refused.value.hint} {refused.value!r}"
    assert "Connect lexflow to Xero again" in text
    assert tokens.refresh_token.get_secret_value() not in text
