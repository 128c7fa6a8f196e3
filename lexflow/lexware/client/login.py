"""Getting a partner app's first tokens: the loopback receiver and paste mode behind `lexflow auth login`.

Loopback (RFC 8252 §7.3): the redirect URI points at 127.0.0.1 (or localhost) on a port you registered; a one-shot
HTTP server there catches `code` + `state` from the browser's redirect, ignores anything whose state is not this
login's (so a stray or forged request can neither end nor hijack it), and the code is exchanged with the PKCE
verifier. Paste mode, for a machine without a browser (or a relative redirect URI, i.e. Lexware's page that shows
the code): `start_paste_login` keeps the started authorization encrypted beside the tokens, and `finish_login`
takes the URL the browser was sent to, or the bare code, in a second command.
"""

from __future__ import annotations

import html
import http.server
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lexflow.lexware.client.auth import LOGIN_HINT, AuthorizationRequest, OAuth2Client, TokenSet
from lexflow.transport import errors

__all__ = [
    "Callback",
    "LoopbackReceiver",
    "finish_login",
    "login_loopback",
    "loopback_address",
    "parse_callback",
    "start_paste_login",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Callback:
    """What the authorization server sent back on the redirect (`code` and `state`, or `error`)."""

    code: str | None
    state: str | None
    error: str | None = None
    error_description: str | None = None


def parse_callback(text: str) -> Callback:
    """A redirect URL (or its query string), or a bare code as Lexware's code page shows it."""
    text = text.strip()
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    if "code=" not in query and "error=" not in query:  # a bare code (it may end in base64 padding "=")
        return Callback(code=text or None, state=None)
    q = {k: v[0] for k, v in parse_qs(query).items()}
    return Callback(q.get("code"), q.get("state"), q.get("error"), q.get("error_description"))


def loopback_address(redirect_uri: str) -> tuple[str, int, str] | None:
    """(host to bind, port, path) when the redirect URI is an http URL on this machine, else None (paste mode)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or (parts.hostname or "") not in LOOPBACK_HOSTS:
        return None
    host = "127.0.0.1" if parts.hostname == "localhost" else str(parts.hostname)
    return host, parts.port or 80, parts.path or "/"


def _refused(callback: Callback) -> errors.Unauthorized:
    detail = f" ({callback.error_description})" if callback.error_description else ""
    return errors.Unauthorized(
        f"the authorization was refused: {callback.error}{detail}",
        hint="Check the app's scopes and redirect URI (LEXWARE_OAUTH_SCOPES, LEXWARE_OAUTH_REDIRECT_URI) and "
        "run `lexflow auth login` again",
    )


class LoopbackReceiver:
    """A one-shot HTTP server on the redirect URI's port; `wait()` returns the first callback with this state.

    It binds in the constructor, so a port already in use is reported before the user is sent anywhere.
    """

    def __init__(self, redirect_uri: str, expected_state: str) -> None:
        address = loopback_address(redirect_uri)
        if address is None:
            raise errors.LexwareError(
                f"the redirect URI {redirect_uri} is not on this machine (http://127.0.0.1:PORT/...)",
                hint="Use paste mode (`lexflow auth login --no-browser`), or register a loopback redirect URI and "
                "set LEXWARE_OAUTH_REDIRECT_URI to it",
            )
        host, port, self.path = address
        self.expected_state = expected_state
        self.result: Callback | None = None
        self._done = threading.Event()
        handler = self._handler()
        server_class = _IPv6Server if ":" in host else http.server.HTTPServer
        try:
            self._server = server_class((host, port), handler)
        except OSError as exc:
            raise errors.LexwareError(
                f"cannot listen on {host}:{port} for the OAuth redirect ({exc.strerror or exc})",
                hint="Free that port, or register another loopback redirect URI and set LEXWARE_OAUTH_REDIRECT_URI; "
                "or use paste mode (`lexflow auth login --no-browser`)",
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="lexflow-oauth-receiver", daemon=True)
        self._thread.start()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != receiver.path:
                    self._page(404, "Not found", "This is lexflow's OAuth redirect receiver.")
                    return
                callback = parse_callback(parts.query)
                if callback.state != receiver.expected_state or not (callback.code or callback.error):
                    self._page(400, "Ignored", "This redirect does not belong to the running login (state differs).")
                    return
                if callback.error:
                    self._page(400, "Authorization refused", f"{callback.error}. Return to the terminal.")
                else:
                    self._page(200, "lexflow is authorized", "You can close this tab and return to the terminal.")
                receiver.result = callback
                receiver._done.set()

            def _page(self, status: int, title: str, text: str) -> None:
                body = (
                    f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                    f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the request line carries the authorization code."""

        return Handler

    def wait(self, timeout: float) -> Callback:
        if not self._done.wait(timeout):
            raise errors.Unauthorized(
                f"no redirect reached {self.path} within {timeout:.0f} s",
                hint="Open the URL and approve within the time (--timeout), or use paste mode "
                "(`lexflow auth login --no-browser`, then `--code`)",
            )
        assert self.result is not None
        return self.result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _IPv6Server(http.server.HTTPServer):
    address_family = socket.AF_INET6


def login_loopback(
    oauth: OAuth2Client,
    *,
    show_url: Callable[[str], Any],
    open_browser: Callable[[str], Any] | None = None,
    timeout: float = 300.0,
) -> TokenSet:
    """Listen on the redirect URI, show (and open) the authorize URL, exchange the code, store the tokens."""
    request = oauth.authorization_request()
    with LoopbackReceiver(oauth.config.redirect_uri, request.state) as receiver:
        show_url(request.url)
        if open_browser is not None:
            open_browser(request.url)
        callback = receiver.wait(timeout)
    if callback.error or not callback.code:
        raise _refused(callback)
    return oauth.exchange_code(callback.code, request, callback.state or "")


def start_paste_login(oauth: OAuth2Client) -> AuthorizationRequest:
    """Start an authorization to be finished by `finish_login` (state + PKCE verifier kept encrypted)."""
    request = oauth.authorization_request()
    oauth.store.save_pending(request)
    return request


def finish_login(oauth: OAuth2Client, pasted: str) -> TokenSet:
    """Exchange the code from the pasted redirect URL (its state is checked) or the bare code of Lexware's page.

    A bare code carries no state to compare; PKCE still binds it to the started authorization.
    """
    request = oauth.store.load_pending()
    if request is None:
        raise errors.Unauthorized(
            "no login in progress (none was started, or it is older than 10 minutes)",
            hint="Run `lexflow auth login --no-browser` first, open its URL, then pass the result with --code",
        )
    callback = parse_callback(pasted)
    if callback.error:
        raise _refused(callback)
    if not callback.code:
        raise errors.InvalidRequest(
            "no authorization code in what was passed to --code",
            hint="Pass the whole URL the browser was sent to (…?code=…&state=…), or the code Lexware showed",
        )
    state = callback.state if callback.state is not None else request.state
    try:
        tokens = oauth.exchange_code(callback.code, request, state)
    except errors.LexwareError as exc:
        if not exc.hint:
            exc.hint = LOGIN_HINT
        raise
    oauth.store.clear_pending()
    return tokens
