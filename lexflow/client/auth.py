"""Authentication: the API key (Bearer) and the partner OAuth2 authorization-code flow (reference §1.3).

OAuth endpoints are not in the official docs; the defaults follow the production partner plugins and are
configurable (`OAuth2Config`). Tokens are kept by a `TokenStore` encrypted at rest (Fernet, key from
`LEXFLOW_TOKEN_KEY`); refreshing takes a file lock and re-reads the store first, so two workers refreshing at once
use one refresh (important: refresh tokens rotate, the loser's token would be dead).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, SecretStr

from lexflow.client import errors

__all__ = [
    "ApiKeyAuth",
    "AuthorizationRequest",
    "OAuth2Auth",
    "OAuth2Client",
    "OAuth2Config",
    "TokenSet",
    "TokenStore",
    "pkce_pair",
]

DEFAULT_APP_URL = "https://app.lexware.de"
REFRESH_MARGIN = 300.0
"""Refresh this many seconds before the access token expires (the token lifetime is not documented)."""


class ApiKeyAuth(httpx.Auth):
    """`Authorization: Bearer <key>`; the key is a SecretStr so it never shows in reprs or logs."""

    def __init__(self, api_key: SecretStr | str) -> None:
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        yield request


@dataclass(frozen=True)
class OAuth2Config:
    """Partner app registration and endpoints (defaults: the Lexware web app; the sandbox serves the same paths)."""

    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    app_url: str = DEFAULT_APP_URL
    scopes: tuple[str, ...] = ("profile.read",)
    authorize_path: str = "/oauth2/authorize"
    token_path: str = "/oauth2/token"
    revoke_path: str = "/oauth2/revoke"

    def url(self, path: str) -> str:
        return self.app_url.rstrip("/") + path


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, plus what to keep until the callback: `state` (CSRF) and the PKCE verifier."""

    url: str
    state: str
    code_verifier: str


class TokenSet(BaseModel):
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: float
    scope: str | None = None

    def expires_within(self, seconds: float) -> bool:
        return time.time() + seconds >= self.expires_at

    @classmethod
    def from_response(cls, data: dict[str, Any], previous: TokenSet | None = None) -> TokenSet:
        refresh = data.get("refresh_token") or (
            previous.refresh_token.get_secret_value() if previous and previous.refresh_token else None
        )
        return cls(
            access_token=SecretStr(str(data["access_token"])),
            refresh_token=SecretStr(refresh) if refresh else None,
            expires_at=time.time() + float(data.get("expires_in") or 3600),
            scope=data.get("scope"),
        )

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "access_token": self.access_token.get_secret_value(),
                "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
                "expires_at": self.expires_at,
                "scope": self.scope,
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> TokenSet:
        return cls.model_validate(json.loads(raw))


class TokenStore:
    """Tokens in one Fernet-encrypted file; `lock()` is an inter-process (fcntl) and inter-thread lock."""

    def __init__(self, path: str | Path, key: str | bytes | None = None) -> None:
        from cryptography.fernet import Fernet

        key = key or os.environ.get("LEXFLOW_TOKEN_KEY")
        if not key:
            raise errors.LexwareError(
                "no encryption key for the token store",
                hint="Set LEXFLOW_TOKEN_KEY to a Fernet key (python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')",
            )
        self.path = Path(path)
        self._fernet = Fernet(key if isinstance(key, bytes) else key.encode())
        self._thread_lock = threading.RLock()

    def load(self) -> TokenSet | None:
        from cryptography.fernet import InvalidToken

        if not self.path.exists():
            return None
        try:
            return TokenSet.from_json(self._fernet.decrypt(self.path.read_bytes()))
        except InvalidToken:
            raise errors.LexwareError(
                f"the token store {self.path} cannot be decrypted",
                hint="LEXFLOW_TOKEN_KEY differs from the key it was written with; restore it or re-authorize",
            ) from None

    def save(self, tokens: TokenSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_bytes(self._fernet.encrypt(tokens.to_json()))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.path.with_suffix(self.path.suffix + ".lock"), "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class OAuth2Client:
    """The authorization-code flow: authorize URL (state + PKCE), code exchange, refresh (with rotation), revoke."""

    def __init__(self, config: OAuth2Config, store: TokenStore, http: httpx.Client | None = None) -> None:
        self.config = config
        self.store = store
        self._http = http or httpx.Client(timeout=30.0)

    def authorization_request(self, state: str | None = None) -> AuthorizationRequest:
        verifier, challenge = pkce_pair()
        state = state or secrets.token_urlsafe(24)
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "response_type": "code",
                "scope": " ".join(self.config.scopes),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationRequest(f"{self.config.url(self.config.authorize_path)}?{query}", state, verifier)

    def _basic(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.config.client_id, self.config.client_secret.get_secret_value())

    def _token_call(self, form: dict[str, str], previous: TokenSet | None = None) -> TokenSet:
        response = self._http.post(self.config.url(self.config.token_path), data=form, auth=self._basic())
        if response.status_code >= 400:
            err = errors.error_from_response(response, method="POST")
            err.hint = "Re-authorize the app (the refresh token may be expired, rotated or revoked)"
            raise err
        return TokenSet.from_response(response.json(), previous)

    def exchange_code(self, code: str, request: AuthorizationRequest, returned_state: str) -> TokenSet:
        """Trade the callback's code for tokens, after checking the state (CSRF) matches."""
        if not secrets.compare_digest(returned_state, request.state):
            raise errors.Unauthorized(
                "the OAuth state does not match", hint="Start the authorization again (possible CSRF)"
            )
        tokens = self._token_call(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.redirect_uri,
                "code_verifier": request.code_verifier,
            }
        )
        with self.store.lock():
            self.store.save(tokens)
        return tokens

    def valid_tokens(self, margin: float = REFRESH_MARGIN) -> TokenSet:
        """Current tokens, refreshed first if they expire within `margin` seconds.

        Under the store lock the store is re-read: if another worker refreshed meanwhile, its (rotated) tokens are
        used instead of spending the now-dead refresh token again.
        """
        tokens = self.store.load()
        if tokens is not None and not tokens.expires_within(margin):
            return tokens
        with self.store.lock():
            tokens = self.store.load()
            if tokens is None:
                raise errors.Unauthorized("no OAuth tokens stored", hint="Authorize the app first")
            if not tokens.expires_within(margin):
                return tokens
            return self._refresh_locked(tokens)

    def refresh(self) -> TokenSet:
        with self.store.lock():
            tokens = self.store.load()
            if tokens is None:
                raise errors.Unauthorized("no OAuth tokens stored", hint="Authorize the app first")
            return self._refresh_locked(tokens)

    def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise errors.Unauthorized("the access token expired and there is no refresh token", hint="Re-authorize")
        new = self._token_call(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.get_secret_value()}, tokens
        )
        self.store.save(new)
        return new

    def revoke(self) -> None:
        """Revoke the refresh token (this also deletes the connection's event subscriptions) and clear the store."""
        with self.store.lock():
            tokens = self.store.load()
            if tokens is not None and tokens.refresh_token is not None:
                response = self._http.post(
                    self.config.url(self.config.revoke_path),
                    data={"token": tokens.refresh_token.get_secret_value()},
                    auth=self._basic(),
                )
                if response.status_code >= 400:
                    raise errors.error_from_response(response, method="POST")
            self.store.clear()

    def close(self) -> None:
        self._http.close()


class OAuth2Auth(httpx.Auth):
    """httpx auth that sends a valid access token, refreshing before expiry; on a 401 it refreshes once."""

    def __init__(self, oauth: OAuth2Client) -> None:
        self.oauth = oauth
        self.account_id = f"oauth:{oauth.config.client_id}:{oauth.store.path}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self.oauth.valid_tokens()
        request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
        response = yield request
        if response.status_code == 401:
            tokens = self.oauth.refresh()
            request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
            yield request
