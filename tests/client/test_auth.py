"""OAuth2 authorization code + PKCE, refresh before expiry, refresh-token rotation, revoke, encrypted token store."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from lexflow.lexware.client import LexwareClient
from lexflow.lexware.client.auth import OAuth2Auth, OAuth2Client, OAuth2Config, TokenSet, TokenStore
from lexflow.transport import errors

CLIENT_ID, SECRET = "lexflow-sandbox-client", "lexflow-sandbox-secret"


class FakeAuthServer:
    """Token endpoint with rotation: every refresh token works once; reuse is refused like a real server."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.valid_refresh: set[str] = set()
        self.access: set[str] = set()
        self.codes: dict[str, str] = {}  # code -> challenge
        self.refresh_calls = 0
        self.revoked: list[str] = []
        self.n = 0
        self.lock = threading.Lock()

    def _issue(self) -> dict:
        self.n += 1
        access, refresh = f"at-{self.n}", f"rt-{self.n}"
        self.access.add(access)
        self.valid_refresh.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in, "token_type": "Bearer"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            path = request.url.path
            if path.startswith("/v1/"):
                token = request.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in self.access:
                    return httpx.Response(401, json={"message": "Unauthorized"})
                return httpx.Response(200, json={"companyName": "OAuth GmbH", "connectionId": "conn-1"})
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return httpx.Response(401, json={"error": "invalid_client"})
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            if path == "/oauth2/revoke":
                self.revoked.append(form["token"])
                self.valid_refresh.discard(form["token"])
                return httpx.Response(200)
            if form["grant_type"] == "authorization_code":
                challenge = self.codes.pop(form["code"], None)
                digest = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
                if challenge is None or digest.decode() != challenge:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                return httpx.Response(200, json=self._issue())
            if form["grant_type"] == "refresh_token":
                self.refresh_calls += 1
                if form["refresh_token"] not in self.valid_refresh:
                    return httpx.Response(400, json={"error": "invalid_grant", "message": "refresh token reused"})
                self.valid_refresh.discard(form["refresh_token"])
                time.sleep(0.05)  # widen the race window
                return httpx.Response(200, json=self._issue())
            return httpx.Response(400, json={"error": "unsupported_grant_type"})


@pytest.fixture
def key() -> bytes:
    return Fernet.generate_key()


def _config() -> OAuth2Config:
    return OAuth2Config(
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        redirect_uri="http://127.0.0.1:8765/callback",
        app_url="http://auth.test",
        scopes=("profile.read", "contacts.read"),
    )


def _oauth(server: FakeAuthServer, path: Path, key: bytes) -> OAuth2Client:
    return OAuth2Client(_config(), TokenStore(path, key), http=httpx.Client(transport=httpx.MockTransport(server)))


def _authorize(server: FakeAuthServer, oauth: OAuth2Client) -> TokenSet:
    req = oauth.authorization_request()
    q = {k: v[0] for k, v in parse_qs(urlsplit(req.url).query).items()}
    assert q["response_type"] == "code" and q["code_challenge_method"] == "S256" and q["state"] == req.state
    assert q["scope"] == "profile.read contacts.read"
    server.codes["the-code"] = q["code_challenge"]
    return oauth.exchange_code("the-code", req, returned_state=req.state)


def test_code_exchange_with_state_and_pkce(tmp_path: Path, key: bytes) -> None:
    server = FakeAuthServer()
    oauth = _oauth(server, tmp_path / "tokens.bin", key)
    req = oauth.authorization_request()
    with pytest.raises(errors.Unauthorized, match="state"):
        oauth.exchange_code("x", req, returned_state="forged")
    tokens = _authorize(server, oauth)
    assert tokens.access_token.get_secret_value() == "at-1"
    raw = (tmp_path / "tokens.bin").read_bytes()
    assert b"at-1" not in raw and b"rt-1" not in raw  # encrypted at rest
    assert TokenStore(tmp_path / "tokens.bin", key).load() == tokens
    with pytest.raises(errors.LexwareError, match="LEXFLOW_TOKEN_KEY"):
        TokenStore(tmp_path / "tokens.bin", Fernet.generate_key()).load()


def test_refresh_before_expiry_and_rotation(tmp_path: Path, key: bytes) -> None:
    server = FakeAuthServer(expires_in=60)  # inside the 5-minute margin: refresh on next use
    oauth = _oauth(server, tmp_path / "t.bin", key)
    _authorize(server, oauth)
    client = LexwareClient(
        base_url="http://auth.test", rate_limit=0, auth=OAuth2Auth(oauth), transport=httpx.MockTransport(server)
    )
    assert client.profile.get().company_name == "OAuth GmbH"
    stored = oauth.store.load()
    assert stored is not None and stored.refresh_token is not None
    assert stored.refresh_token.get_secret_value() == "rt-2"  # rotated and persisted
    assert "rt-1" not in server.valid_refresh
    client.close()


def test_two_workers_refresh_at_once_spend_one_refresh_token(tmp_path: Path, key: bytes) -> None:
    server = FakeAuthServer(expires_in=3600)
    path = tmp_path / "shared.bin"
    _authorize(server, _oauth(server, path, key))
    # make the stored token expire, as if an hour had passed
    store = TokenStore(path, key)
    t = store.load()
    assert t is not None
    store.save(t.model_copy(update={"expires_at": time.time() - 1}))

    results: list[str] = []
    errors_seen: list[Exception] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        oauth = _oauth(server, path, key)  # separate store objects: only the file lock is shared
        barrier.wait()
        try:
            results.append(oauth.valid_tokens().access_token.get_secret_value())
        except Exception as exc:  # pragma: no cover - the failure we guard against
            errors_seen.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors_seen == []
    assert server.refresh_calls == 1
    assert set(results) == {"at-2"}


def test_reused_refresh_token_is_reported(tmp_path: Path, key: bytes) -> None:
    server = FakeAuthServer()
    oauth = _oauth(server, tmp_path / "t.bin", key)
    _authorize(server, oauth)
    server.valid_refresh.clear()  # e.g. revoked in the web app
    with pytest.raises(errors.LexwareError, match="Re-authorize"):
        oauth.refresh()


def test_revoke_clears_store(tmp_path: Path, key: bytes) -> None:
    server = FakeAuthServer()
    oauth = _oauth(server, tmp_path / "t.bin", key)
    _authorize(server, oauth)
    oauth.revoke()
    assert server.revoked == ["rt-1"] and oauth.store.load() is None


def test_token_store_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEXFLOW_TOKEN_KEY", raising=False)
    with pytest.raises(errors.LexwareError, match="LEXFLOW_TOKEN_KEY"):
        TokenStore(tmp_path / "x.bin")
    monkeypatch.setenv("LEXFLOW_TOKEN_KEY", Fernet.generate_key().decode())
    assert TokenStore(tmp_path / "x.bin").load() is None


def test_against_sandbox_oauth(served_sandbox, tmp_path: Path, key: bytes) -> None:
    """The sandbox's /oauth2 endpoints (auto-consent authorize, token with rotation) with the real client."""
    probe = httpx.post(f"{served_sandbox.url}/oauth2/token", data={"grant_type": "x"})
    if probe.status_code == 404 or probe.status_code == 403:
        pytest.skip("sandbox /oauth2 endpoints not available yet")
    config = OAuth2Config(
        client_id=CLIENT_ID,
        client_secret=SecretStr(SECRET),
        redirect_uri="http://127.0.0.1:1/callback",
        app_url=served_sandbox.url,
        scopes=("profile.read",),
    )
    oauth = OAuth2Client(config, TokenStore(tmp_path / "sb.bin", key))
    req = oauth.authorization_request()
    answer = httpx.get(req.url, follow_redirects=False)
    assert answer.status_code in (302, 303, 307)
    q = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    assert q["state"] == req.state
    first = oauth.exchange_code(q["code"], req, q["state"])
    with LexwareClient(base_url=served_sandbox.url, rate_limit=0, auth=OAuth2Auth(oauth)) as client:
        assert client.profile.get().organization_id
        second = oauth.refresh()
        assert second.refresh_token != first.refresh_token  # rotation
        assert client.profile.get().organization_id
    oauth.revoke()
    oauth.close()
