"""Authentication: the API key (Bearer) and the partner OAuth2 authorization-code flow (docs/lexware.md#partner-oauth).

OAuth endpoints are not in the official docs; the defaults follow the production partner plugins and are
configurable (`OAuth2Config`, or the LEXWARE_OAUTH_* settings through `oauth_from_settings`). Tokens are kept by the
`TokenStore` every provider shares (lexflow.transport.oauth_store: encrypted, refreshed once across processes). Getting the first tokens interactively: `lexflow.lexware.client.login` and `lexflow auth login`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from lexflow.transport import errors
from lexflow.transport.oauth_store import AuthorizationRequest, Refresher, TokenSet, TokenStore

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

    def _grant(self, tokens: TokenSet) -> TokenSet:
        assert tokens.refresh_token is not None
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.get_secret_value()}, tokens
        )

    def _not_connected(self) -> errors.LexwareError:
        return errors.Unauthorized(f"no OAuth tokens (or no refresh token) in {self.store.path}", hint=LOGIN_HINT)

    def refresher(self, margin: float = REFRESH_MARGIN) -> Refresher:
        return Refresher(self.store, self._grant, margin=margin, not_connected=self._not_connected)

    def valid_tokens(self, margin: float = REFRESH_MARGIN) -> TokenSet:
        """Current tokens, refreshed first (once across every process sharing the store) if they expire within
        `margin` seconds."""
        return self.refresher(margin).valid()

    def refresh(self, stale_access_token: str | None = None) -> TokenSet:
        """New tokens; with `stale_access_token` (refused by a 401) a refresh another process did meanwhile counts."""
        refresher = self.refresher()
        return refresher.force() if stale_access_token is None else refresher.refresh(stale_access_token)

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
            tokens = self.oauth.refresh(tokens.access_token.get_secret_value())
            request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await asyncio.to_thread(self.oauth.valid_tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
        response = yield request
        if response.status_code == 401:
            tokens = await asyncio.to_thread(self.oauth.refresh, tokens.access_token.get_secret_value())
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
