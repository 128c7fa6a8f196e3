"""The one OAuth token store every provider's client uses (docs/client.md#oauth): formats it reads, what it refuses,
and that no secret reaches the file in clear text or a log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from lexflow.transport import errors
from lexflow.transport.oauth_store import Refresher, TokenSet, TokenStore

SECRET_AT, SECRET_RT = "at-secret-0123456789", "rt-secret-0123456789"


def _tokens(expires_at: float = 0.0, n: int = 0) -> TokenSet:
    return TokenSet(
        access_token=SecretStr(f"{SECRET_AT}-{n}"), refresh_token=SecretStr(f"{SECRET_RT}-{n}"), expires_at=expires_at
    )


def test_a_file_of_the_earlier_lexware_format_is_read(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    path = tmp_path / "tokens.bin"
    path.write_bytes(Fernet(key).encrypt(_tokens().to_json()))  # earlier versions: the bare token set, encrypted
    assert TokenStore(path, key).load() == _tokens()


def test_a_plain_xero_token_file_of_the_earlier_format_is_encrypted_on_first_read(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    path = tmp_path / "xero-tokens.json"
    path.write_text(json.dumps(_tokens(expires_at=123.0).secrets()))
    assert TokenStore(path, key, provider="xero", connection="app").load() == _tokens(expires_at=123.0)
    raw = path.read_bytes()
    assert SECRET_AT.encode() not in raw and SECRET_RT.encode() not in raw
    assert TokenStore(path, key, provider="xero", connection="app").load() == _tokens(expires_at=123.0)


@pytest.mark.parametrize("content", [b"not a token file", b'{"no": "tokens"}'])
def test_an_unreadable_file_is_refused_naming_the_fix(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tokens.bin"
    path.write_bytes(content)
    with pytest.raises(errors.LexwareError) as refused:
        TokenStore(path, Fernet.generate_key(), provider="xero").load()
    assert str(path) in str(refused.value) and refused.value.hint and "connect xero again" in refused.value.hint


def test_the_file_never_holds_a_token_in_clear_and_is_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "tokens.bin"
    store = TokenStore(path, Fernet.generate_key(), provider="quickbooks", connection="realm-1")
    store.save(_tokens())
    raw = path.read_bytes()
    assert SECRET_AT.encode() not in raw and SECRET_RT.encode() not in raw and b"realm-1" not in raw
    assert path.stat().st_mode & 0o777 == 0o600


def test_without_a_path_the_store_is_in_memory_and_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEXFLOW_TOKEN_KEY", raising=False)
    store = TokenStore(provider="xero", tokens=_tokens())
    assert store.load() == _tokens()


def _refresher(store: TokenStore, calls: list[TokenSet]) -> Refresher:
    def grant(current: TokenSet) -> TokenSet:
        calls.append(current)
        return _tokens(expires_at=4e9, n=len(calls))

    return Refresher(store, grant, margin=60, not_connected=lambda: errors.Unauthorized("not connected"))


def test_a_401_on_a_token_another_process_replaced_does_not_refresh_again(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    path = tmp_path / "tokens.bin"
    TokenStore(path, key).save(_tokens(expires_at=4e9, n=7))  # what another process just refreshed to
    calls: list[TokenSet] = []
    fresh = _refresher(TokenStore(path, key), calls).refresh(stale_access_token=f"{SECRET_AT}-6")
    assert calls == [] and fresh == _tokens(expires_at=4e9, n=7)
    again = _refresher(TokenStore(path, key), calls).refresh(stale_access_token=f"{SECRET_AT}-7")  # refused: refresh
    assert len(calls) == 1 and again.access_token.get_secret_value() == f"{SECRET_AT}-1"


def test_no_secret_in_logs_reprs_or_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = Fernet.generate_key()
    store = TokenStore(tmp_path / "tokens.bin", key, provider="xero", connection="app")
    store.save(_tokens())
    calls: list[TokenSet] = []
    refreshed = _refresher(store, calls).valid()
    logging.getLogger("lexflow").debug("tokens %r store %r refreshed %s", calls, store, refreshed)
    with pytest.raises(errors.LexwareError) as refused:
        TokenStore(tmp_path / "tokens.bin", Fernet.generate_key()).load()
    seen = caplog.text + repr(store) + str(refused.value) + repr(refused.value) + repr(refreshed)
    assert SECRET_AT not in seen and SECRET_RT not in seen
    assert key.decode() not in seen
