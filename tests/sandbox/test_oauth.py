"""OAuth2 end to end over real sockets: authorize (PKCE) -> token -> /v1 with scopes -> refresh rotation -> revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from lexflow.lexware.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from lexflow.lexware.sandbox.webhooks import dispatcher

from .test_webhooks import Receiver

BASIC = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
REDIRECT = "https://partner.example/callback"


@pytest.fixture
def served(served_sandbox: Any) -> Any:
    served_sandbox.reset()
    return served_sandbox


@pytest.fixture
def web(served: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def _authorize(web: httpx.Client, scope: str, verifier: str | None = None) -> str:
    params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": scope,
              "state": "xyz"}  # fmt: skip
    if verifier:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    r = web.get("/oauth2/authorize", params=params)
    assert r.status_code == 302, r.text
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _token(web: httpx.Client, **form: str) -> httpx.Response:
    return web.post("/oauth2/token", data=form, auth=BASIC)


def test_code_pkce_token_refresh_rotation_revoke(web: httpx.Client, served: Any) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _authorize(web, "profile.read contacts.read event-subscriptions.write transaction-assignment-hint.write",
                      verifier)  # fmt: skip
    assert _token(web, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                  code_verifier="wrong").status_code == 400  # fmt: skip
    code = _authorize(web, "profile.read contacts.read event-subscriptions.write", verifier)
    r = _token(web, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    assert _token(web, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                  code_verifier=verifier).json()["error"] == "invalid_grant"  # a code works once  # fmt: skip

    def api(token: str, path: str = "/v1/profile") -> httpx.Response:
        return web.get(path, headers={"Authorization": f"Bearer {token}"})

    profile = api(tokens["access_token"])
    assert profile.status_code == 200
    connection_id = profile.json()["connectionId"]
    assert api(tokens["access_token"], "/v1/articles").status_code == 403  # scope not granted

    rotated = _token(web, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    stale = _token(web, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert api(rotated["access_token"]).json()["connectionId"] == connection_id

    receiver = Receiver()
    try:
        hook = web.post("/v1/event-subscriptions", headers={"Authorization": f"Bearer {rotated['access_token']}"},
                        json={"eventType": "token.revoked", "callbackUrl": f"{receiver.url}/revoked"})  # fmt: skip
        assert hook.status_code == 201, hook.text
        assert web.post("/oauth2/revoke", data={"token": rotated["refresh_token"]}, auth=BASIC).status_code == 200
        assert api(rotated["access_token"]).status_code == 401
        assert _token(web, grant_type="refresh_token", refresh_token=rotated["refresh_token"]).status_code == 400
        deadline = time.monotonic() + 10
        while not receiver.to("/revoked") and time.monotonic() < deadline:
            time.sleep(0.02)
        (call,) = receiver.to("/revoked")
        assert b'"resourceId":"' + connection_id.encode() + b'"' in call["body"]
        listed = web.get("/v1/event-subscriptions", headers={"Authorization": f"Bearer {served.api_key}"})
        assert listed.json()["content"] == []  # the connection's subscriptions died with it
    finally:
        receiver.server.shutdown()
        dispatcher(served.state).clear()


def test_client_auth_scopes_and_partner_only_scope(web: httpx.Client, served: Any) -> None:
    code = _authorize(web, "transaction-assignment-hint.write vouchers.read")
    assert web.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code},
                    auth=(DEFAULT_CLIENT_ID, "nope")).status_code == 401  # fmt: skip
    tokens = _token(web, grant_type="authorization_code", code=code).json()
    assert set(tokens["scope"].split()) == {"transaction-assignment-hint.write", "vouchers.read"}
    bad = web.get("/oauth2/authorize", params={"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT,
                                               "response_type": "code", "scope": "everything.write"})  # fmt: skip
    assert bad.status_code == 302 and "error=invalid_scope" in bad.headers["location"]
    page = web.get("/oauth2/authorize", params={"client_id": DEFAULT_CLIENT_ID, "redirect_uri": "/oauth2/code",
                                                "response_type": "code"})  # fmt: skip
    assert page.status_code == 200 and "Autorisierungscode" in page.text


def test_access_tokens_expire(web: httpx.Client, served: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served.state.config, "oauth_expires_in", 1)  # read at each token grant
    tokens = _token(web, grant_type="authorization_code", code=_authorize(web, "profile.read")).json()
    assert tokens["expires_in"] == 1
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert web.get("/v1/profile", headers=headers).status_code == 200
    time.sleep(1.1)
    assert web.get("/v1/profile", headers=headers).status_code == 401
    fresh = _token(web, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert web.get("/v1/profile", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_lexflow_oauth_client_runs_end_to_end(web: httpx.Client, served: Any, tmp_path: Any) -> None:
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from lexflow.lexware.client.auth import OAuth2Client, OAuth2Config, TokenStore

    config = OAuth2Config(DEFAULT_CLIENT_ID, SecretStr(DEFAULT_CLIENT_SECRET), REDIRECT, app_url=served.url,
                          scopes=("profile.read", "contacts.read"))  # fmt: skip
    oauth = OAuth2Client(config, TokenStore(tmp_path / "tokens.enc", key=Fernet.generate_key()))
    try:
        request = oauth.authorization_request()
        callback = urlsplit(web.get(request.url).headers["location"])
        query = parse_qs(callback.query)
        tokens = oauth.exchange_code(query["code"][0], request, query["state"][0])
        headers = {"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"}
        assert web.get("/v1/profile", headers=headers).status_code == 200
        rotated = oauth.refresh()
        assert rotated.refresh_token is not None and tokens.refresh_token is not None
        assert rotated.refresh_token.get_secret_value() != tokens.refresh_token.get_secret_value()
        oauth.revoke()
        fresh = {"Authorization": f"Bearer {rotated.access_token.get_secret_value()}"}
        assert web.get("/v1/profile", headers=fresh).status_code == 401
    finally:
        oauth.close()


def test_oauth_tokens_survive_a_restart_of_a_persisted_sandbox(tmp_path: Any) -> None:
    from starlette.testclient import TestClient

    from lexflow.lexware.sandbox import SandboxConfig, create_app

    config = SandboxConfig(rate_limit=0, db_path=tmp_path / "sandbox.db")
    with TestClient(create_app(config), base_url="http://sandbox.test") as first:
        params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code"}
        location = first.get("/oauth2/authorize", params=params, follow_redirects=False).headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = first.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code}, auth=BASIC).json()
    with TestClient(create_app(config), base_url="http://sandbox.test") as second:
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert second.get("/v1/profile", headers=headers).status_code == 200
        rotated = second.post("/oauth2/token", data={"grant_type": "refresh_token",
                                                     "refresh_token": tokens["refresh_token"]}, auth=BASIC)  # fmt: skip
        assert rotated.status_code == 200
