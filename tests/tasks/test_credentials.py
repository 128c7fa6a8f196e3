"""Credentials blocks (issue 17, choosing the provider): each builds its provider's client from its own values,
never from the worker's environment, and falls back to that provider's embedded sandbox without a secret."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from lexflow.prefect.credentials import (
    CREDENTIALS,
    LexwareCredentials,
    QuickBooksCredentials,
    SevdeskCredentials,
    XeroCredentials,
)
from lexflow.transport.oauth_store import TokenStore

# What a worker's environment could hold for *another* account: no block may pick any of it up.
FOREIGN_ENV = {
    "LEXWARE_API_KEY": "foreign-lexware-key-000000000000",
    "LEXWARE_BASE_URL": "http://127.0.0.1:9/lexware",
    "SEVDESK_API_TOKEN": "f" * 32,
    "SEVDESK_BASE_URL": "http://127.0.0.1:9/sevdesk",
    "XERO_CLIENT_ID": "foreign-xero-app",
    "XERO_CLIENT_SECRET": "foreign-xero-secret",
    "QUICKBOOKS_CLIENT_ID": "foreign-qb-app",
    "QUICKBOOKS_CLIENT_SECRET": "foreign-qb-secret",
}


@pytest.fixture
def foreign_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from lexflow.settings import get_settings

    for name, value in FOREIGN_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_every_provider_has_one_block_named_after_it() -> None:
    from lexflow.prefect.blocks import BLOCK_TYPES, LexflowProfile
    from lexflow.providers import known

    assert sorted(CREDENTIALS) == sorted(known())
    assert set(CREDENTIALS.values()) <= set(BLOCK_TYPES)  # `lexflow prefect setup` registers them for the UI
    provider_choices = LexflowProfile.model_fields["provider"].annotation
    assert sorted(provider_choices.__args__[0].__args__) == sorted(known())  # type: ignore[union-attr]


def test_lexware_block_uses_its_key_and_url(served_sandbox: Any, foreign_env: None) -> None:
    served_sandbox.reset()
    block = LexwareCredentials(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0)
    with block.get_client() as client:
        assert client.base_url.rstrip("/") == served_sandbox.url
        assert client.profile.get().organization_id  # a real request, authorised by the block's key
    assert served_sandbox.api_key not in repr(block)


def test_blocks_without_a_secret_use_the_embedded_sandbox_not_the_environment(foreign_env: None) -> None:
    with LexwareCredentials().get_client() as lexware:
        assert "embedded sandbox" in lexware.backend_description
        assert lexware.profile.get().organization_id
    sevdesk = SevdeskCredentials().get_client()
    try:
        assert "embedded sevDesk sandbox" in sevdesk.backend_description
        assert sevdesk.base_url.startswith("http://sevdesk-sandbox.local")
    finally:
        sevdesk.close()
    xero = XeroCredentials().get_client()
    try:
        assert xero.oauth.settings.client_id != FOREIGN_ENV["XERO_CLIENT_ID"]
        assert xero.base.startswith("http://127.0.0.1")  # the embedded Xero sandbox
    finally:
        xero.close()
    qb = QuickBooksCredentials().get_client()
    try:
        assert qb.sandbox is not None
    finally:
        qb.close()


def test_sevdesk_block_uses_its_token(sevdesk_served: Any, foreign_env: None) -> None:
    sevdesk_served.reset()
    block = SevdeskCredentials(api_token=sevdesk_served.token, base_url=sevdesk_served.url, rate_limit=0)
    with block.get_client() as client:
        assert client.base_url.rstrip("/") == sevdesk_served.url.rstrip("/")
        assert list(client.iter_contacts()) == []  # authorised by the block's token (a foreign one would be refused)


def test_sevdesk_token_shape_is_checked_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="api_token must be the 32 hexadecimal"):
        SevdeskCredentials(api_token="not-a-token")
    with pytest.raises(ValidationError, match="api_token: give the raw token without 'Bearer '"):
        SevdeskCredentials(api_token="Bearer " + "a" * 32)


def test_xero_block_refreshes_from_its_token_and_keeps_rotations(tmp_path: Any, foreign_env: None) -> None:
    from lexflow.xero.client import XeroOAuth, authorise_programmatically, sandbox_settings
    from lexflow.xero.sandbox import serve_xero_in_thread
    from lexflow.xero.sandbox.config import DEFAULT_TENANTS, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    with serve_xero_in_thread() as served, httpx.Client(timeout=10) as http:
        first = authorise_programmatically(XeroOAuth(sandbox_settings(served.url), http))
        assert first.refresh_token is not None
        tenant = DEFAULT_TENANTS[1].tenant_id
        block = XeroCredentials(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            refresh_token=first.refresh_token,
            tenant_id=tenant,
            token_file=str(tmp_path / "xero-tokens.json"),
            token_key=Fernet.generate_key().decode(),
            api_url=served.url,
            identity_url=served.url,
        )
        client = block.get_client()
        try:
            assert client.tenant_id == tenant
            client.request("GET", "/Organisation")  # refreshes with the block's token, then reads
            assert client.oauth.refreshes == 1
        finally:
            client.close()
        # the block's token was spent (rotated); the token file carries the new one to the next client
        again = block.get_client()
        try:
            again.request("GET", "/Organisation")
        finally:
            again.close()
        assert first.refresh_token.get_secret_value().encode() not in (tmp_path / "xero-tokens.json").read_bytes()


def test_quickbooks_block_connects_to_its_company(quickbooks_served: Any, tmp_path: Any, foreign_env: None) -> None:
    from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox

    quickbooks_served.state.reset()
    with connect_sandbox(quickbooks_served, QuickBooksSettings(requests_per_minute=0)) as connected:
        tokens, realm = connected.session.tokens, connected.realm_id
    assert tokens.refresh_token is not None
    cfg = quickbooks_served.config
    kept, key = tmp_path / "qb-tokens.json", Fernet.generate_key().decode()
    block = QuickBooksCredentials(
        client_id=cfg.client_id,
        client_secret=SecretStr(cfg.client_secret),
        realm_id=realm,
        refresh_token=tokens.refresh_token,
        token_file=str(kept),
        token_key=key,
        base_url=quickbooks_served.url,
    )
    with block.get_client() as client:
        assert client.realm_id == realm
        client.query("SELECT * FROM Customer")  # refreshes with the block's token, then reads
    assert tokens.refresh_token.get_secret_value() not in repr(block)
    assert kept.stat().st_mode & 0o777 == 0o600
    rotated = TokenStore(kept, key, provider="quickbooks", connection=realm).load()
    assert rotated is not None and rotated.refresh_token is not None
    assert rotated.refresh_token.get_secret_value().encode() not in kept.read_bytes()  # encrypted at rest
    with block.get_client() as again:  # starts from the kept token, not the block's (maybe spent) one
        assert again.session.tokens.refresh_token == rotated.refresh_token
        again.query("SELECT * FROM Customer")


def test_a_token_file_without_a_key_is_refused_naming_the_fix(
    tmp_path: Any, foreign_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lexflow.transport.errors import LexwareError

    monkeypatch.delenv("LEXFLOW_TOKEN_KEY", raising=False)
    block = XeroCredentials(
        client_id="app", client_secret="s", refresh_token="rt-0123456789", token_file=str(tmp_path / "x.tokens")
    )
    with pytest.raises(LexwareError, match="no encryption key") as refused:
        block.get_client()
    assert refused.value.hint is not None and "token_key" in refused.value.hint
    assert not (tmp_path / "x.tokens").exists()  # never written unencrypted


def test_half_filled_oauth_blocks_say_what_is_missing() -> None:
    from lexflow.transport.errors import Unauthorized
    from lexflow.xero.errors import XeroAuthError

    with pytest.raises(XeroAuthError, match="client_secret and refresh_token"):
        XeroCredentials(client_id="app").get_client()
    with pytest.raises(Unauthorized, match="client_secret, realm_id and refresh_token"):
        QuickBooksCredentials(client_id="app", client_secret="s").get_client()


def test_account_key_changes_with_any_value_and_reveals_none() -> None:
    a = LexwareCredentials(api_key="key-a-0123456789", base_url="http://a")
    assert a.account_key() == LexwareCredentials(api_key="key-a-0123456789", base_url="http://a").account_key()
    assert a.account_key() != LexwareCredentials(api_key="key-b-0123456789", base_url="http://a").account_key()
    assert a.account_key() != LexwareCredentials(api_key="key-a-0123456789", base_url="http://b").account_key()
    assert "key-a" not in a.account_key()
