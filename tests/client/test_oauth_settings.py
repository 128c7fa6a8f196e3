"""OAuth2 from configuration: `lexflow auth login|status|logout` and `connect()` against the served sandbox.

The sandbox's /oauth2 endpoints stand in for Lexware's authorization server (auto-consent); httpx plays the
user's browser, following the sandbox's redirect to the CLI's loopback receiver over real sockets.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.lexware.client import OAuth2Client, connect, connect_async, oauth_from_settings
from lexflow.lexware.client.auth import TokenSet, TokenStore
from lexflow.lexware.client.login import LoopbackReceiver, parse_callback
from lexflow.lexware.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from lexflow.settings import LexflowSettings, get_settings
from lexflow.transport import errors

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Env:
    """The user's configuration: a partner app pointed at the served sandbox, no API key."""

    def __init__(self, sandbox: Any, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.key = Fernet.generate_key().decode()
        self.store_path = tmp_path / "state" / "oauth-tokens.bin"
        self.redirect_uri = f"http://127.0.0.1:{_free_port()}/callback"

    def variables(self) -> dict[str, str]:
        return {
            "LEXWARE_BASE_URL": self.sandbox.url,
            "LEXWARE_APP_URL": self.sandbox.url,
            "LEXWARE_RATE_LIMIT": "0",
            "LEXWARE_OAUTH_CLIENT_ID": DEFAULT_CLIENT_ID,
            "LEXWARE_OAUTH_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "LEXWARE_OAUTH_REDIRECT_URI": self.redirect_uri,
            "LEXWARE_OAUTH_SCOPES": "profile.read, contacts.read",
            "LEXFLOW_TOKEN_STORE": str(self.store_path),
            "LEXFLOW_TOKEN_KEY": self.key,
        }

    def tokens(self) -> TokenSet:
        found = TokenStore(self.store_path, self.key).load()
        assert found is not None
        return found

    def token_answer(self, refresh_token: str) -> httpx.Response:
        """The sandbox's token endpoint asked directly to refresh with `refresh_token`."""
        return httpx.post(
            f"{self.sandbox.url}/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )


@pytest.fixture
def env(served_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    served_sandbox.reset()
    e = Env(served_sandbox, tmp_path)
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in e.variables().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield e
    get_settings.cache_clear()


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Response]:
    """`webbrowser.open` replaced by httpx: the sandbox's authorize page consents and redirects to the receiver."""
    pages: list[httpx.Response] = []

    def open_(url: str, *args: Any, **kwargs: Any) -> bool:
        pages.append(httpx.get(url, follow_redirects=True, timeout=10))
        return True

    monkeypatch.setattr(webbrowser, "open", open_)
    return pages


def _login(env: Env, browser: list[httpx.Response]) -> str:
    result = runner.invoke(app, ["auth", "login", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    assert browser and browser[-1].status_code == 200 and "lexflow is authorized" in browser[-1].text
    assert str(browser[-1].url).startswith(env.redirect_uri + "?code=")  # the redirect reached the loopback receiver
    return result.output


def _secrets(env: Env, *tokens: TokenSet) -> list[str]:
    found = [DEFAULT_CLIENT_SECRET, env.key]
    for t in tokens:
        found.append(t.access_token.get_secret_value())
        if t.refresh_token is not None:
            found.append(t.refresh_token.get_secret_value())
    return found


def test_login_connect_refresh_with_rotation_and_logout(env: Env, browser: list[httpx.Response]) -> None:
    output = _login(env, browser)
    first = env.tokens()
    assert first.scope == "profile.read contacts.read"
    # encrypted at rest: neither token is in the file
    raw = env.store_path.read_bytes()
    assert first.refresh_token is not None
    assert first.access_token.get_secret_value().encode() not in raw
    assert first.refresh_token.get_secret_value().encode() not in raw
    assert env.store_path.stat().st_mode & 0o077 == 0

    with connect() as client:
        assert "OAuth2 partner app lexflow-sandbox-client" in client.backend_description
        assert client.profile.get().organization_id
        # an hour later: the access token is due, the next call refreshes first and the refresh token rotates
        store = TokenStore(env.store_path, env.key)
        store.save(first.model_copy(update={"expires_at": time.time() - 1}))
        assert client.contacts.page(0).content is not None
    second = env.tokens()
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert second.expires_at > time.time() + 3000
    assert env.token_answer(first.refresh_token.get_secret_value()).json()["error"] == "invalid_grant"  # rotated

    status = runner.invoke(app, ["auth", "status"])
    assert status.exit_code == 0, status.output
    assert "profile.read contacts.read" in status.output and "(in " in status.output
    as_json = runner.invoke(app, ["auth", "status", "--json"])
    info = json.loads(as_json.output)
    assert info["authorized"] and info["used_by_connect"] and info["refresh_token"] is True
    assert info["scopes"] == ["profile.read", "contacts.read"]
    assert info["access_token_expires_at"] == pytest.approx(second.expires_at)

    logout = runner.invoke(app, ["auth", "logout"])
    assert logout.exit_code == 0, logout.output
    assert not env.store_path.exists()
    # the sandbox no longer accepts the access token nor the refresh token
    profile = httpx.get(
        f"{env.sandbox.url}/v1/profile", headers={"Authorization": f"Bearer {second.access_token.get_secret_value()}"}
    )
    assert profile.status_code == 401
    assert second.refresh_token is not None
    assert env.token_answer(second.refresh_token.get_secret_value()).status_code == 400

    for text in (output, status.output, as_json.output, logout.output, client.backend_description):
        for secret in _secrets(env, first, second):
            assert secret not in text

    with pytest.raises(errors.Unauthorized, match="lexflow auth login"):
        connect()
    after = runner.invoke(app, ["auth", "status"])
    assert after.exit_code == 1 and "run `lexflow auth login`" in after.output


def test_workers_refreshing_at_once_spend_the_refresh_token_once(env: Env, browser: list[httpx.Response]) -> None:
    """Four clients (each its own connect(): own store object, own lock file handle) find the token due at once.

    Refresh tokens rotate, so a second refresh with the same token would be refused (invalid_grant) and that
    worker would fail: all four succeed only if one refreshes and the others read its result under the lock."""
    _login(env, browser)
    first = env.tokens()
    TokenStore(env.store_path, env.key).save(first.model_copy(update={"expires_at": time.time() - 1}))
    clients = [connect() for _ in range(4)]
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def work(client: Any) -> None:
        barrier.wait()
        try:
            client.profile.get()
        except BaseException as exc:  # pragma: no cover - what this test guards against
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    for c in clients:
        c.close()
    assert failures == []
    final = env.tokens()
    assert final.refresh_token is not None and final.refresh_token != first.refresh_token
    assert env.token_answer(final.refresh_token.get_secret_value()).status_code == 200  # the live one is stored


def test_a_token_the_server_expired_is_refreshed_on_the_401(
    tmp_path: Path, browser: list[httpx.Response], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server decides when a token dies (here after 1 s): the 401 triggers one refresh and the retry."""
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.testing.served import serve_in_thread

    short = serve_in_thread(SandboxConfig(rate_limit=0, oauth_expires_in=1))
    try:
        e = Env(short, tmp_path)
        for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"):
            monkeypatch.delenv(name, raising=False)
        for name, value in e.variables().items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        _login(e, browser)
        first = e.tokens()
        # the client believes the token lasts an hour; the server lets it expire after a second
        TokenStore(e.store_path, e.key).save(first.model_copy(update={"expires_at": time.time() + 3600}))
        time.sleep(1.1)
        with connect() as client:
            assert client.profile.get().organization_id
        assert e.tokens().refresh_token != first.refresh_token
    finally:
        get_settings.cache_clear()
        short.stop()


async def test_connect_async_refreshes_without_blocking_the_loop(env: Env, browser: list[httpx.Response]) -> None:
    _login(env, browser)
    first = env.tokens()
    TokenStore(env.store_path, env.key).save(first.model_copy(update={"expires_at": time.time() - 1}))
    async with connect_async() as client:
        assert "OAuth2" in client.backend_description
        assert (await client.profile.get()).organization_id
    assert env.tokens().refresh_token != first.refresh_token


def test_paste_mode_with_the_redirect_url_or_a_bare_code(env: Env) -> None:
    missing = runner.invoke(app, ["auth", "login", "--code", "abc"])
    assert missing.exit_code == 1 and "no login in progress" in missing.output

    for pasted in ("url", "code"):
        started = runner.invoke(app, ["auth", "login", "--no-browser"])
        assert started.exit_code == 0, started.output
        url = next(line for line in started.output.splitlines() if line.startswith(env.sandbox.url))
        assert env.store_path.with_suffix(".bin.pending").exists()
        # the user opens the URL elsewhere; the browser ends on the (unreachable) redirect URI: they copy it
        location = httpx.get(url, follow_redirects=False).headers["location"]
        assert location.startswith(env.redirect_uri)
        value = location if pasted == "url" else parse_qs(urlsplit(location).query)["code"][0]
        done = runner.invoke(app, ["auth", "login", "--code", value])
        assert done.exit_code == 0, done.output
        assert "tokens stored encrypted" in done.output
        assert not env.store_path.with_suffix(".bin.pending").exists()
        with connect() as client:
            assert client.profile.get().organization_id


def test_paste_mode_checks_the_state(env: Env) -> None:
    started = runner.invoke(app, ["auth", "login", "--no-browser"])
    url = next(line for line in started.output.splitlines() if line.startswith(env.sandbox.url))
    location = httpx.get(url, follow_redirects=False).headers["location"]
    forged = location.replace("state=", "state=x")
    result = runner.invoke(app, ["auth", "login", "--code", forged])
    assert result.exit_code == 1 and "state does not match" in result.output
    assert not env.store_path.exists()


def test_an_unreachable_oauth_server_is_named_and_logout_keeps_the_tokens(
    env: Env, browser: list[httpx.Response], monkeypatch: pytest.MonkeyPatch
) -> None:
    _login(env, browser)
    first = env.tokens()
    dead = f"http://127.0.0.1:{_free_port()}/oauth2"
    monkeypatch.setenv("LEXWARE_OAUTH_REVOKE_URL", f"{dead}/revoke")
    monkeypatch.setenv("LEXWARE_OAUTH_TOKEN_URL", f"{dead}/token")
    get_settings.cache_clear()
    result = runner.invoke(app, ["auth", "logout"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot reach the OAuth server at {dead}/revoke" in result.output and "tokens were kept" in result.output
    assert env.tokens() == first
    TokenStore(env.store_path, env.key).save(first.model_copy(update={"expires_at": time.time() - 1}))
    attempts: list[Any] = []
    with connect() as client, pytest.raises(errors.LexwareError, match="cannot reach the OAuth server"):
        client.add_call_listener(attempts.append)
        client.contacts.create({"roles": {"customer": {}}, "company": {"name": "Never Sent GmbH"}})
    assert len(attempts) <= 1  # not retried as if the API were unreachable
    found = httpx.get(
        f"{env.sandbox.url}/v1/contacts",
        params={"name": "Never Sent GmbH"},
        headers={"Authorization": f"Bearer {env.sandbox.api_key}"},
    )
    assert found.status_code == 200 and found.json()["content"] == []


def test_configured_but_not_logged_in(env: Env) -> None:
    with pytest.raises(errors.Unauthorized) as caught:
        connect()
    assert "lexflow auth login" in str(caught.value) and str(env.store_path) in str(caught.value)
    result = runner.invoke(app, ["profile"])
    assert result.exit_code == 1
    assert "lexflow auth login" in result.output and "Traceback" not in result.output


def test_token_key_errors_name_the_variable(env: Env, browser: list[httpx.Response], monkeypatch) -> None:
    _login(env, browser)
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", Fernet.generate_key().decode())  # another (valid) key
    get_settings.cache_clear()
    with pytest.raises(errors.LexwareError, match=r"cannot be decrypted.*LEXFLOW_TOKEN_KEY differs"):
        connect()
    status = runner.invoke(app, ["auth", "status"])
    assert status.exit_code == 1 and "LEXFLOW_TOKEN_KEY differs" in status.output

    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", "not-a-fernet-key-123")
    get_settings.cache_clear()
    with pytest.raises(errors.LexwareError, match=r"LEXFLOW_TOKEN_KEY.*not a Fernet key") as caught:
        connect()
    assert "not-a-fernet-key-123" not in str(caught.value)

    monkeypatch.delenv("LEXFLOW_TOKEN_KEY")
    get_settings.cache_clear()
    with pytest.raises(errors.LexwareError, match="Set LEXFLOW_TOKEN_KEY"):
        connect()
    # the key can come from elsewhere (a Prefect Secret's value): connect(token_key=...)
    with connect(token_key=env.key) as client:
        assert client.profile.get().organization_id


def test_missing_client_secret_is_named(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEXWARE_OAUTH_CLIENT_SECRET")
    get_settings.cache_clear()
    with pytest.raises(errors.LexwareError, match="LEXWARE_OAUTH_CLIENT_SECRET"):
        connect()
    result = runner.invoke(app, ["auth", "login"])
    assert result.exit_code == 1 and "LEXWARE_OAUTH_CLIENT_SECRET" in result.output


def test_api_key_wins_over_oauth(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEXWARE_API_KEY", env.sandbox.api_key)
    get_settings.cache_clear()
    with connect() as client:  # no tokens stored, yet no error: OAuth is not used
        assert "OAuth" not in client.backend_description
        assert client.profile.get().organization_id


def test_receiver_ignores_a_foreign_state(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{_free_port()}/cb"
    with LoopbackReceiver(uri, expected_state="s-1") as receiver:
        assert httpx.get(f"{uri}?code=evil&state=other").status_code == 400
        assert httpx.get(uri.replace("/cb", "/favicon.ico")).status_code == 404
        assert httpx.get(f"{uri}?code=good&state=s-1").status_code == 200
        callback = receiver.wait(5)
    assert (callback.code, callback.state) == ("good", "s-1")
    with pytest.raises(errors.LexwareError, match="cannot listen"), socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        LoopbackReceiver(f"http://127.0.0.1:{busy.getsockname()[1]}/cb", "s")


@pytest.mark.parametrize(
    ("pasted", "code", "state"),
    [
        ("  http://127.0.0.1:8765/callback?code=c-1&state=s-1\n", "c-1", "s-1"),
        ("?code=c-2&state=s-2", "c-2", "s-2"),
        ("c-3", "c-3", None),  # Lexware's code page shows the bare code
        ("c-4==", "c-4==", None),
    ],
)
def test_what_can_be_pasted(pasted: str, code: str, state: str | None) -> None:
    callback = parse_callback(pasted)
    assert (callback.code, callback.state, callback.error) == (code, state, None)


def test_receiver_reports_a_refusal_and_a_timeout() -> None:
    uri = f"http://127.0.0.1:{_free_port()}/cb"
    with LoopbackReceiver(uri, expected_state="s") as receiver:
        with pytest.raises(errors.Unauthorized, match="no redirect"):
            receiver.wait(0.05)
        assert httpx.get(f"{uri}?error=access_denied&state=s").status_code == 400
        assert receiver.wait(5).error == "access_denied"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXWARE_OAUTH_CLIENT_ID", "LEXFLOW_TOKEN_STORE"):
        monkeypatch.delenv(name, raising=False)
    plain = LexflowSettings(_env_file=None)
    assert plain.uses_sandbox and not plain.uses_oauth
    assert plain.token_store == Path(".lexflow/oauth-tokens.bin")  # beside the sandbox db and the lexflow db
    monkeypatch.setenv("LEXWARE_OAUTH_CLIENT_ID", "app-1")
    monkeypatch.setenv("LEXWARE_OAUTH_CLIENT_SECRET", "app-secret")
    monkeypatch.setenv("LEXWARE_OAUTH_SCOPES", "profile.read,contacts.read  vouchers.write")
    monkeypatch.setenv("LEXWARE_OAUTH_TOKEN_URL", "https://app.lexware.de/api/oauth2/token")
    monkeypatch.setenv("LEXWARE_OAUTH_AUTHORIZE_URL", "/api/oauth2/authorize")
    s = LexflowSettings(_env_file=None)
    assert s.uses_oauth and not s.uses_sandbox
    assert s.oauth_scopes == ("profile.read", "contacts.read", "vouchers.write")
    assert "app-secret" not in repr(s)
    oauth: OAuth2Client = oauth_from_settings(s, token_key=Fernet.generate_key())
    assert oauth.config.url(oauth.config.token_path) == "https://app.lexware.de/api/oauth2/token"
    assert oauth.config.url(oauth.config.revoke_path) == "https://app.lexware.de/oauth2/revoke"
    request = oauth.authorization_request()
    assert request.url.startswith("https://app.lexware.de/api/oauth2/authorize?client_id=app-1&")
    assert parse_qs(urlsplit(request.url).query)["scope"] == ["profile.read contacts.read vouchers.write"]
    oauth.close()
    for name in ("oauth_client_id", "oauth_client_secret", "oauth_redirect_uri", "token_store", "token_key"):
        assert LexflowSettings.model_fields[name].description
