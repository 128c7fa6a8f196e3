"""Workers can take the OAuth token-store key from a Prefect Secret block (issue 3: "key from the environment or a
Prefect Secret")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lexflow.lexware.client.auth import TokenSet, TokenStore
from lexflow.settings import get_settings


@pytest.fixture
def oauth_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A partner app configured by environment, its tokens stored under a key that is NOT in the environment."""
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXFLOW_TOKEN_KEY"):
        monkeypatch.delenv(name, raising=False)
    store = tmp_path / "tokens.bin"
    monkeypatch.setenv("LEXWARE_OAUTH_CLIENT_ID", "lexflow-test-app")
    monkeypatch.setenv("LEXWARE_OAUTH_CLIENT_SECRET", "app-secret-xyz")
    monkeypatch.setenv("LEXFLOW_TOKEN_STORE", str(store))
    get_settings.cache_clear()
    yield store
    get_settings.cache_clear()


def test_the_token_key_comes_from_a_prefect_secret(prefect_harness, oauth_env: Path, monkeypatch) -> None:
    from prefect.blocks.system import Secret

    from tasks.common import _default_client, token_key_from_block

    key = Fernet.generate_key().decode()
    TokenStore(oauth_env, key).save(
        TokenSet(access_token="access-abc", refresh_token="r", expires_at=time.time() + 3600)
    )
    assert b"access-abc" not in oauth_env.read_bytes()  # encrypted at rest

    with pytest.raises(Exception, match="LEXFLOW_TOKEN_KEY"):  # neither the variable nor a block: named
        _default_client()

    Secret(value=key).save("lexflow-token-key-test", overwrite=True)
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY_BLOCK", "lexflow-token-key-test")
    get_settings.cache_clear()
    assert token_key_from_block() == key
    client = _default_client()
    try:
        assert "OAuth2 partner app lexflow-test-app" in client.backend_description
        assert key not in client.backend_description
    finally:
        client.close()


def test_a_missing_block_is_named(prefect_harness, oauth_env: Path, monkeypatch) -> None:
    from tasks.common import token_key_from_block

    monkeypatch.setenv("LEXFLOW_TOKEN_KEY_BLOCK", "no-such-block")
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="'no-such-block', which does not exist"):
        token_key_from_block()
