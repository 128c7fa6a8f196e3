"""lexflow's Lexware Office client: typed, rate-limit safe, never repeats a write blind.

    from lexflow.lexware.client import LexwareClient, AsyncLexwareClient, connect, errors
    client = connect()    # real API with LEXWARE_API_KEY or OAuth tokens (`lexflow auth login`), else the sandbox
    client.contacts.list(email="a@b.de")     # every page, lazily

See docs/client.md (retry matrix, rate limiting, settlement of ambiguous writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from lexflow.lexware.client import deeplinks, signature
from lexflow.lexware.client._client import AsyncLexwareClient, LexwareClient
from lexflow.lexware.client.auth import (
    ApiKeyAuth,
    OAuth2Auth,
    OAuth2Client,
    OAuth2Config,
    TokenStore,
    oauth_from_settings,
)
from lexflow.transport import errors
from lexflow.transport.base import CallRecord, encode_query
from lexflow.transport.errors import (
    AmbiguousWrite,
    FieldIssue,
    Forbidden,
    InvalidRequest,
    LexwareError,
    NotFound,
    PartnerEndpointDisabled,
    PaymentRequired,
    RateLimited,
    ServerError,
    Unauthorized,
    UnsupportedByApi,
    ValidationFailed,
    VersionConflict,
)
from lexflow.transport.limits import Limiter, NoLimit, TokenBucket, shared_bucket
from lexflow.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from pydantic import SecretStr

    from lexflow.settings import LexflowSettings

__all__ = [
    "AmbiguousWrite",
    "ApiKeyAuth",
    "AsyncLexwareClient",
    "CallRecord",
    "FieldIssue",
    "Forbidden",
    "InvalidRequest",
    "LexwareClient",
    "LexwareError",
    "Limiter",
    "NoLimit",
    "NotFound",
    "OAuth2Auth",
    "OAuth2Client",
    "OAuth2Config",
    "PartnerEndpointDisabled",
    "PaymentRequired",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "TokenBucket",
    "TokenStore",
    "Unauthorized",
    "UnsupportedByApi",
    "ValidationFailed",
    "VersionConflict",
    "connect",
    "connect_async",
    "deeplinks",
    "encode_query",
    "errors",
    "oauth_from_settings",
    "shared_bucket",
    "signature",
]

SANDBOX_BASE_URL = "http://sandbox.local"


def _sandbox_app(settings: LexflowSettings) -> tuple[Any, str]:
    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    db = settings.sandbox_db
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(SandboxConfig(rate_limit=0, db_path=db, base_url=SANDBOX_BASE_URL))
    return app, DEFAULT_API_KEY


def _sandbox_description(settings: LexflowSettings) -> str:
    where = f"state in {settings.sandbox_db}" if settings.sandbox_db else "in memory"
    return f"embedded sandbox (no LEXWARE_API_KEY set; {where})"


def _oauth_options(s: LexflowSettings, token_key: Any) -> tuple[dict[str, Any], OAuth2Client]:
    """OAuth2 auth from the settings' partner app, refusing early (with what to run) when no tokens are stored."""
    oauth = oauth_from_settings(s, token_key=token_key)
    try:
        if oauth.store.load() is None:
            raise errors.Unauthorized(
                f"OAuth is configured (LEXWARE_OAUTH_CLIENT_ID) but no tokens are stored in {oauth.store.path}",
                hint="Run `lexflow auth login` once to authorize the app (or set LEXWARE_API_KEY instead)",
            )
    except Exception:
        oauth.close()
        raise
    description = (
        f"Lexware Office API at {s.base_url.rstrip('/')} (OAuth2 partner app {s.oauth_client_id}; "
        f"tokens in {oauth.store.path})"
    )
    return {"auth": OAuth2Auth(oauth), "backend_description": description}, oauth


def _options(
    settings: LexflowSettings | None, limiter: Limiter | None, token_key: Any, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Any, list[Callable[[], None]]]:
    """Client arguments from the settings, the sandbox app when neither an API key nor OAuth is set (else None),
    and what to close with the client (the OAuth client)."""
    from lexflow.settings import get_settings

    s = settings or get_settings()
    if s.uses_sandbox:
        return _sandbox_options(s, limiter, kwargs)
    auth: dict[str, Any] = {"api_key": s.api_key}
    closers: list[Callable[[], None]] = []
    if s.uses_oauth:
        auth, oauth = _oauth_options(s, token_key)
        closers.append(oauth.close)
    options = {
        **auth,
        "base_url": s.base_url,
        "rate_limit": s.rate_limit,
        "limiter": limiter,
        "timeout": s.timeout,
        "connect_timeout": s.connect_timeout,
        "allow_partner_endpoints": s.allow_partner_endpoints,
        **kwargs,
    }
    return options, None, closers


def _sandbox_options(
    s: LexflowSettings, limiter: Limiter | None, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Any, list[Callable[[], None]]]:
    app, key = _sandbox_app(s)
    options = {
        "api_key": key,
        "base_url": SANDBOX_BASE_URL,
        "rate_limit": 0,
        "limiter": limiter,
        "backend_description": _sandbox_description(s),
        "allow_partner_endpoints": s.allow_partner_endpoints,
        **kwargs,
    }
    return options, app, []


def connect(
    settings: LexflowSettings | None = None,
    *,
    limiter: Limiter | None = None,
    token_key: str | bytes | SecretStr | None = None,
    **kwargs: Any,
) -> LexwareClient:
    """A client from the settings: the real API with the API key (`LEXWARE_API_KEY`) if one is set, else with the
    partner app's OAuth tokens if `LEXWARE_OAUTH_CLIENT_ID` is set (stored by `lexflow auth login`; refreshed with
    rotation, safe across workers), else the embedded sandbox in-process.

    `token_key=` replaces LEXFLOW_TOKEN_KEY (e.g. a Prefect Secret's value). Partner-only endpoints (the transaction-assignment hint) are sent only when `allow_partner_endpoints` is on
    (`LEXWARE_ALLOW_PARTNER_ENDPOINTS`); `kwargs` override any setting.

    Prints nothing; `client.backend_description` says which backend answers (commands print it first).
    """
    options, app, closers = _options(settings, limiter, token_key, kwargs)
    if app is not None:
        from lexflow.transport.bridge import SyncASGITransport

        options["transport"] = transport = SyncASGITransport(app)
        closers.append(transport.close)
    client = LexwareClient(**options)
    client._closers.extend(closers)
    return client


def connect_async(
    settings: LexflowSettings | None = None,
    *,
    limiter: Limiter | None = None,
    token_key: str | bytes | SecretStr | None = None,
    **kwargs: Any,
) -> AsyncLexwareClient:
    """Async twin of `connect` (the sandbox runs on the caller's event loop through httpx's ASGITransport)."""
    options, app, closers = _options(settings, limiter, token_key, kwargs)
    if app is not None:
        options["transport"] = httpx.ASGITransport(app=app)
    client = AsyncLexwareClient(**options)
    client._closers.extend(closers)
    return client
