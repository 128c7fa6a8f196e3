"""Authentication: the API key (Bearer) and the partner OAuth2 authorization-code flow (docs/lexware.md#partner-oauth).

OAuth endpoints are not in the official docs; the defaults follow the production partner plugins and are
configurable (`OAuth2Config`, or the LEXWARE_OAUTH_* settings through `oauth_from_settings`). Tokens are kept by a
`TokenStore` encrypted at rest (Fernet, key from `LEXFLOW_TOKEN_KEY`); refreshing takes a file lock and re-reads the
store first, so two workers refreshing at once use one refresh (important: refresh tokens rotate, the loser's token
would be dead). Getting the first tokens interactively: `lexflow.client.login` and `lexflow auth login`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import AsyncGenerator, Generator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, SecretStr

from lexflow.client import errors
from lexflow.settings import runtime_settings

if TYPE_CHECKING:
    from lexflow.settings import LexflowSettings

__all__ = [
    "ApiKeyAuth",
    "AuthorizationRequest",
    "OAuth2Auth",
    "OAuth2Client",
    "OAuth2Config",
    "TokenSet",
    "TokenStore",
    "oauth_from_settings",
    "pkce_pair",
]

DEFAULT_APP_URL = "https://app.lexware.de"
REFRESH_MARGIN = 300.0
"""Refresh this many seconds before the access token expires (the token lifetime is not documented)."""
PENDING_TTL = 600.0
"""How long a started authorization (state + PKCE verifier) waits for its code (authorization codes are short-lived)."""
LOGIN_HINT = "Re-authorize the app: run `lexflow auth login`"


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
        """An endpoint: an absolute URL as given, a path joined to `app_url`."""
        if "://" in path:
            return path
        return self.app_url.rstrip("/") + "/" + path.lstrip("/")


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
    created_at: float = field(default_factory=time.time)

    def expired(self) -> bool:
        return time.time() - self.created_at > PENDING_TTL


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


_NEW_KEY = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class TokenStore:
    """Tokens in one Fernet-encrypted file; `lock()` is an inter-process (fcntl) and inter-thread lock.

    Beside the tokens it keeps a started authorization (`<path>.pending`, encrypted too) so a login can be finished
    by a second command (paste mode on a machine without a browser).
    """

    def __init__(self, path: str | Path, key: str | bytes | SecretStr | None = None) -> None:
        from cryptography.fernet import Fernet

        if isinstance(key, SecretStr):
            key = key.get_secret_value()
        if not key and (configured := runtime_settings().token_key) is not None:
            key = configured.get_secret_value()
        if not key:
            raise errors.LexwareError(
                "no encryption key for the OAuth token store",
                hint=f"Set LEXFLOW_TOKEN_KEY to a Fernet key (create one with {_NEW_KEY}) and keep it: the tokens "
                "stored with it cannot be read with another",
            )
        self.path = Path(path)
        try:
            self._fernet = Fernet(key if isinstance(key, bytes) else key.encode())
        except (ValueError, TypeError):
            raise errors.LexwareError(
                "the token-store key (LEXFLOW_TOKEN_KEY, or the key passed to TokenStore) is not a Fernet key",
                hint=f"A Fernet key is 32 url-safe base64-encoded bytes; create one with {_NEW_KEY}",
            ) from None
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
                hint="LEXFLOW_TOKEN_KEY differs from the key it was written with; restore that key, or delete the "
                "file and run `lexflow auth login` again",
            ) from None

    def save(self, tokens: TokenSet) -> None:
        self._write(self.path, tokens.to_json())

    def _write(self, path: Path, raw: bytes) -> None:
        """Atomically, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._fernet.encrypt(raw))
        os.chmod(tmp, 0o600)  # also when the file existed with wider permissions
        os.replace(tmp, path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        self.clear_pending()

    @property
    def pending_path(self) -> Path:
        return self.path.with_suffix(self.path.suffix + ".pending")

    def save_pending(self, request: AuthorizationRequest) -> None:
        self._write(self.pending_path, json.dumps(asdict(request)).encode())

    def load_pending(self) -> AuthorizationRequest | None:
        """The started authorization, or None (none, expired, or written with another key)."""
        from cryptography.fernet import InvalidToken

        try:
            raw = self._fernet.decrypt(self.pending_path.read_bytes())
        except (FileNotFoundError, InvalidToken):
            return None
        request = AuthorizationRequest(**json.loads(raw))
        return None if request.expired() else request

    def clear_pending(self) -> None:
        self.pending_path.unlink(missing_ok=True)

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

    def _post(self, path: str, form: dict[str, str]) -> httpx.Response:
        """POST to the authorization server; an unreachable server is a LexwareError naming the URL.

        Not httpx's error: raised inside an API request's auth flow, the client would take it for the API's own
        connection error and retry it (or treat a POST as ambiguous). A refresh is not repeated: if it reached the
        server, the old refresh token is already spent.
        """
        url = self.config.url(path)
        try:
            return self._http.post(url, data=form, auth=self._basic())
        except httpx.TransportError as exc:
            raise errors.LexwareError(
                f"cannot reach the OAuth server at {url} ({type(exc).__name__})",
                method="POST",
                hint="Check LEXWARE_APP_URL and LEXWARE_OAUTH_*_URL and the network, then retry; if a refresh "
                f"reached the server before the connection broke, its refresh token is spent. {LOGIN_HINT}",
            ) from None

    def _token_call(self, form: dict[str, str], previous: TokenSet | None = None) -> TokenSet:
        response = self._post(self.config.token_path, form)
        if response.status_code >= 400:
            err = errors.error_from_response(response, method="POST")
            if isinstance(err.body, dict) and err.body.get("error_description"):  # RFC 6749 §5.2 error body
                err.message = f"{err.body.get('error')}: {err.body['error_description']}"
            if form["grant_type"] == "authorization_code":
                err.hint = (
                    "The code may be used or expired (codes are short-lived), or the client id/secret or redirect "
                    f"URI differ from the app's registration. {LOGIN_HINT}"
                )
            else:
                err.hint = f"The refresh token may be expired, rotated or revoked. {LOGIN_HINT}"
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
                raise errors.Unauthorized(f"no OAuth tokens in {self.store.path}", hint=LOGIN_HINT)
            if not tokens.expires_within(margin):
                return tokens
            return self._refresh_locked(tokens)

    def refresh(self) -> TokenSet:
        with self.store.lock():
            tokens = self.store.load()
            if tokens is None:
                raise errors.Unauthorized(f"no OAuth tokens in {self.store.path}", hint=LOGIN_HINT)
            return self._refresh_locked(tokens)

    def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise errors.Unauthorized("the access token expired and there is no refresh token", hint=LOGIN_HINT)
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
                response = self._post(self.config.revoke_path, {"token": tokens.refresh_token.get_secret_value()})
                if response.status_code >= 400:
                    raise errors.error_from_response(response, method="POST")
            self.store.clear()

    def close(self) -> None:
        self._http.close()


class OAuth2Auth(httpx.Auth):
    """httpx auth that sends a valid access token, refreshing before expiry; on a 401 it refreshes once.

    The async flow runs the (blocking: file lock, token call) store access in a worker thread, so a refresh never
    stalls the event loop.
    """

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

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await asyncio.to_thread(self.oauth.valid_tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
        response = yield request
        if response.status_code == 401:
            tokens = await asyncio.to_thread(self.oauth.refresh)
            request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
            yield request


def oauth_from_settings(
    settings: LexflowSettings, *, token_key: str | bytes | SecretStr | None = None, http: httpx.Client | None = None
) -> OAuth2Client:
    """The partner app of the settings (LEXWARE_OAUTH_*, LEXFLOW_TOKEN_STORE, LEXFLOW_TOKEN_KEY).

    `token_key` replaces LEXFLOW_TOKEN_KEY, e.g. with a Prefect Secret's value (the client never imports Prefect).
    """
    if not settings.oauth_client_id:
        raise errors.LexwareError(
            "OAuth is not configured",
            hint="Set LEXWARE_OAUTH_CLIENT_ID and LEXWARE_OAUTH_CLIENT_SECRET to your partner app's credentials "
            "(issued by Lexware with a partnership agreement); without a partner app use LEXWARE_API_KEY",
        )
    if settings.oauth_client_secret is None:
        raise errors.LexwareError(
            "LEXWARE_OAUTH_CLIENT_ID is set but LEXWARE_OAUTH_CLIENT_SECRET is not",
            hint="Set LEXWARE_OAUTH_CLIENT_SECRET to the app's client secret (the token endpoint needs both)",
        )
    config = OAuth2Config(
        client_id=settings.oauth_client_id,
        client_secret=settings.oauth_client_secret,
        redirect_uri=settings.oauth_redirect_uri,
        app_url=settings.app_url,
        scopes=tuple(settings.oauth_scopes),
        authorize_path=settings.oauth_authorize_url,
        token_path=settings.oauth_token_url,
        revoke_path=settings.oauth_revoke_url,
    )
    store = TokenStore(settings.token_store.expanduser(), token_key or settings.token_key)
    return OAuth2Client(config, store, http=http)
