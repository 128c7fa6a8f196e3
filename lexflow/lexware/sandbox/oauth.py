"""The partner API's OAuth2 authorization-code flow (docs/lexware.md#partner-oauth), so lexflow's OAuth client runs end to end locally.

- `GET /oauth2/authorize?client_id&redirect_uri&response_type=code&scope&state[&code_challenge&code_challenge_method]`:
  the sandbox auto-consents and answers 302 to `redirect_uri?code=..&state=..`. A relative `redirect_uri` (as the
  real plugins use) gets the page that shows the code. PKCE: S256 or plain.
- `POST /oauth2/token` (form, HTTP Basic client auth; form `client_id`/`client_secret` accepted too):
  `authorization_code` (PKCE checked when a challenge was sent) and `refresh_token` with rotation -- the old
  refresh token stops working at once. Access tokens last `SandboxConfig.oauth_expires_in` seconds (default
  3600).
- `POST /oauth2/revoke` (form `token`, Basic auth): revokes the whole connection: its access tokens stop working,
  `token.revoked` (resourceId = connectionId) goes to the connection's own subscriptions, then they are deleted.

Access tokens are keys in the core's registry (kind "oauth", the granted scopes), so `/v1` treats them like API keys;
`transaction-assignment-hint.write` can only be granted here. Each connection has its own connectionId, which
`/v1/profile` reports for that connection's tokens. Clients: `SandboxConfig.oauth_clients` (default
`lexflow-sandbox-client` / `lexflow-sandbox-secret`). A reset forgets pending codes and ends every token issued here.
What the real authorization server does beyond this (login, consent screen, its own rate limits) is not modelled.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from lexflow.lexware.sandbox.config import ALL_SCOPES, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from lexflow.lexware.sandbox.http import json
from lexflow.lexware.sandbox.plumbing import OAUTH_CONNECTIONS as _CONNECTIONS
from lexflow.lexware.sandbox.plumbing import OAUTH_TOKENS as _TOKENS
from lexflow.lexware.sandbox.plumbing import V1Middleware, connection_of_token, delete_owned_by
from lexflow.lexware.sandbox.plumbing import oauth_connections as _connections
from lexflow.lexware.sandbox.plumbing import oauth_tokens as _tokens

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "connection_of_token", "install", "revoke_connection"]

PARTNER_ONLY_SCOPES = frozenset({"transaction-assignment-hint.write"})
GRANTABLE = ALL_SCOPES | PARTNER_ONLY_SCOPES
CODE_TTL = 600.0


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    organization_id: str
    challenge: str | None
    method: str
    expires: float


def _clients(state: SandboxState) -> dict[str, str]:
    return {client: secret.get_secret_value() for client, secret in state.config.oauth_clients.items()}


def expires_in(state: SandboxState) -> int:
    return state.config.oauth_expires_in


def _codes(state: SandboxState) -> dict[str, _Code]:
    found: dict[str, _Code] | None = getattr(state, "_oauth_codes", None)
    if found is None:
        found = {}
        state._oauth_codes = found  # type: ignore[attr-defined]
    return found


def _issued(state: SandboxState) -> set[str]:
    """Every access token this process issued (so a reset, which forgets the grants, also ends the tokens)."""
    found: set[str] | None = getattr(state, "_oauth_issued", None)
    if found is None:
        found = set()
        state._oauth_issued = found  # type: ignore[attr-defined]
    return found


def _on_reset(state: SandboxState) -> None:
    """A reset forgot the grants (store meta): also drop pending codes and the issued tokens from the key registry,
    so no code from before the reset can be exchanged and no old token comes back to life."""
    _codes(state).clear()
    issued = _issued(state)
    for token in issued:
        state.keys.remove(token)
    issued.clear()


def _token_error(error: str, description: str, status: int = 400) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="lexflow-sandbox"'} if status == 401 else None
    return json({"error": error, "error_description": description}, status, headers)


def _issue(state: SandboxState, connection_id: str, conn: dict[str, Any]) -> dict[str, Any]:
    """A fresh access token (registered with the key registry) and a rotated refresh token."""
    access = "lxo-at-" + secrets.token_urlsafe(24)
    refresh = "lxo-rt-" + secrets.token_urlsafe(32)
    ttl = expires_in(state)
    tokens = _tokens(state)
    tokens[access] = {"connection": connection_id, "expiresAt": time.time() + ttl}
    state.store.set_meta(_TOKENS, tokens)
    conns = _connections(state)
    conns[connection_id] = {**conn, "refreshToken": refresh}
    state.store.set_meta(_CONNECTIONS, conns)
    state.keys.add(access, conn["organizationId"], frozenset(conn["scopes"]), kind="oauth")
    _issued(state).add(access)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "scope": " ".join(conn["scopes"]),
    }


def revoke_connection(state: SandboxState, connection_id: str) -> bool:
    """End a connection: tokens stop working, `token.revoked` is sent, then its subscriptions are deleted."""
    conns = _connections(state)
    conn = conns.get(connection_id)
    if conn is None or conn.get("revoked"):
        return False
    conns[connection_id] = {**conn, "revoked": True, "refreshToken": None}
    state.store.set_meta(_CONNECTIONS, conns)
    tokens = _tokens(state)
    for token, entry in list(tokens.items()):
        if entry["connection"] == connection_id:
            state.keys.revoke(token)
            del tokens[token]
    state.store.set_meta(_TOKENS, tokens)
    state.emit(conn["organizationId"], "token.revoked", connection_id)  # queued before the subscriptions go
    delete_owned_by(state, f"oauth:{connection_id}")
    return True


# --------------------------------------------------------------------------------------------------- endpoints
def _client_auth(request: Request, form: Any, state: SandboxState) -> str | None:
    """The authenticated client id (HTTP Basic, or form fields as a fallback), else None."""
    client_id = secret = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
    elif form.get("client_id"):
        client_id, secret = str(form.get("client_id")), str(form.get("client_secret") or "")
    clients = _clients(state)
    if client_id and client_id in clients and secrets.compare_digest(clients[client_id], secret or ""):
        return client_id
    return None


def _pkce_ok(code: _Code, verifier: str | None) -> bool:
    if code.challenge is None:
        return True
    if not verifier:
        return False
    if code.method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return secrets.compare_digest(expected, code.challenge)


def install(app: Any, state: SandboxState) -> None:
    """Mount /oauth2/authorize, /oauth2/token, /oauth2/revoke and the token-expiry middleware."""
    state.on_reset.append(lambda: _on_reset(state))
    for token, entry in _tokens(state).items():  # a persisted sandbox keeps its connections across restarts
        conn = _connections(state).get(entry["connection"])
        if conn and not conn.get("revoked"):
            state.keys.add(token, conn["organizationId"], frozenset(conn["scopes"]), kind="oauth")
            _issued(state).add(token)

    async def authorize(request: Request) -> Response:
        q = request.query_params
        client_id, redirect_uri = q.get("client_id"), q.get("redirect_uri")
        if not client_id or client_id not in _clients(state):
            return json({"error": "invalid_client", "error_description": "unknown client_id"}, 400)
        if not redirect_uri:
            return json({"error": "invalid_request", "error_description": "redirect_uri is required"}, 400)
        relative = not urlsplit(redirect_uri).scheme

        def fail(error: str, description: str) -> Response:
            if relative:
                return json({"error": error, "error_description": description}, 400)
            params = {"error": error, "error_description": description}
            if q.get("state") is not None:
                params["state"] = q["state"]
            return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(params)}", 302)

        if q.get("response_type") != "code":
            return fail("unsupported_response_type", "response_type must be 'code'")
        scopes = [s for s in (q.get("scope") or "").split() if s] or sorted(ALL_SCOPES)
        unknown = [s for s in scopes if s not in GRANTABLE]
        if unknown:
            return fail("invalid_scope", f"unknown scope(s): {', '.join(unknown)}")
        method = q.get("code_challenge_method") or ("plain" if q.get("code_challenge") else "S256")
        if q.get("code_challenge") and method not in ("S256", "plain"):
            return fail("invalid_request", "code_challenge_method must be S256 or plain")
        org = q.get("organization_id") or next(
            (k.organization_id for k in state.keys.all() if k.key == state.config.api_key), None
        )
        assert org is not None
        code = secrets.token_urlsafe(24)
        _codes(state)[code] = _Code(
            client_id, redirect_uri, scopes, org, q.get("code_challenge"), method, time.monotonic() + CODE_TTL
        )
        if relative:  # the Lexware-hosted page that shows the code for copy and paste
            return HTMLResponse(f"<html><body><h1>Autorisierungscode</h1><p id='code'>{code}</p></body></html>")
        params = {"code": code}
        if q.get("state") is not None:
            params["state"] = q["state"]
        return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(params)}", 302)

    async def token_endpoint(request: Request) -> Response:
        form = await request.form()
        client_id = _client_auth(request, form, state)
        if client_id is None:
            return _token_error("invalid_client", "client authentication failed (HTTP Basic client_id:secret)", 401)
        grant = form.get("grant_type")
        with state.lock:
            if grant == "authorization_code":
                code = _codes(state).pop(str(form.get("code") or ""), None)
                if code is None or code.expires < time.monotonic() or code.client_id != client_id:
                    return _token_error("invalid_grant", "unknown, used or expired authorization code")
                if form.get("redirect_uri") is not None and form.get("redirect_uri") != code.redirect_uri:
                    return _token_error("invalid_grant", "redirect_uri differs from the one in the authorize request")
                verifier = form.get("code_verifier")
                if not _pkce_ok(code, str(verifier) if verifier is not None else None):
                    return _token_error("invalid_grant", "PKCE code_verifier does not match the code_challenge")
                connection_id = str(uuid.uuid4())
                conn = {"organizationId": code.organization_id, "clientId": client_id, "scopes": code.scopes}
                return json(_issue(state, connection_id, conn))
            if grant == "refresh_token":
                presented = str(form.get("refresh_token") or "")
                for cid, conn in _connections(state).items():
                    if presented and conn.get("refreshToken") == presented and not conn.get("revoked"):
                        if conn["clientId"] != client_id:
                            break
                        return json(_issue(state, cid, conn))
                return _token_error("invalid_grant", "refresh token unknown, revoked or already rotated")
        return _token_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")

    async def revoke(request: Request) -> Response:
        form = await request.form()
        if _client_auth(request, form, state) is None:
            return _token_error("invalid_client", "client authentication failed (HTTP Basic client_id:secret)", 401)
        with state.lock:
            connection = connection_of_token(state, str(form.get("token") or ""))
            if connection is not None:
                revoke_connection(state, connection)
        return Response(status_code=200)  # RFC 7009: also for unknown tokens

    app.router.routes.append(Route("/oauth2/authorize", authorize, methods=["GET"]))
    app.router.routes.append(Route("/oauth2/token", token_endpoint, methods=["POST"]))
    app.router.routes.append(Route("/oauth2/revoke", revoke, methods=["POST"]))
    app.add_middleware(OAuthTokenMiddleware, state=state)


class OAuthTokenMiddleware(V1Middleware):
    """Expires OAuth access tokens on use (the core then answers 401)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _bearer(scope)
        key = self.state.keys.lookup(token) if token else None
        if key is None or key.kind != "oauth":
            await self.app(scope, receive, send)
            return
        entry = _tokens(self.state).get(key.key)
        if entry is None and key.key not in _issued(self.state):
            await self.app(scope, receive, send)  # an OAuth-kind key configured directly (ApiKeySpec), not ours
            return
        if entry is None or entry["expiresAt"] <= time.time():
            self.state.keys.revoke(key.key)  # expired, or forgotten by a reset: the core answers 401
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None
