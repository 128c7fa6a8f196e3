"""lexflow's Lexware Office client: typed, rate-limit safe, never repeats a write blind.

    from lexflow.client import LexwareClient, AsyncLexwareClient, connect, errors
    client = connect()                       # real API with LEXWARE_API_KEY, else the embedded sandbox
    client.contacts.list(email="a@b.de")     # every page, lazily

See docs/client.md (retry matrix, rate limiting, settlement of ambiguous writes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexflow.client import deeplinks, errors, signature
from lexflow.client._client import AsyncLexwareClient, LexwareClient
from lexflow.client.auth import ApiKeyAuth, OAuth2Auth, OAuth2Client, OAuth2Config, TokenStore
from lexflow.client.errors import (
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
from lexflow.client.limits import Limiter, NoLimit, TokenBucket, shared_bucket
from lexflow.client.retry import RetryPolicy
from lexflow.client.transport import CallRecord, encode_query

if TYPE_CHECKING:
    from lexflow.client.limits import Limiter as _Limiter
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
    "shared_bucket",
    "signature",
]

SANDBOX_BASE_URL = "http://sandbox.local"


def _sandbox_app(settings: LexflowSettings) -> tuple[Any, str]:
    from lexflow.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app

    db = settings.sandbox_db
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(SandboxConfig(rate_limit=0, db_path=db, base_url=SANDBOX_BASE_URL))
    return app, DEFAULT_API_KEY


def _sandbox_description(settings: LexflowSettings) -> str:
    where = f"state in {settings.sandbox_db}" if settings.sandbox_db else "in memory"
    return f"embedded sandbox (no LEXWARE_API_KEY set; {where})"


def _options(
    settings: LexflowSettings | None, limiter: _Limiter | None, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    """Client arguments from the settings, and the sandbox app when no API key is set (else None)."""
    from lexflow.settings import get_settings

    s = settings or get_settings()
    if s.api_key is not None:
        return {
            "api_key": s.api_key,
            "base_url": s.base_url,
            "rate_limit": s.rate_limit,
            "limiter": limiter,
            "timeout": s.timeout,
            "connect_timeout": s.connect_timeout,
            "allow_partner_endpoints": s.allow_partner_endpoints,
            **kwargs,
        }, None
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
    return options, app


def connect(
    settings: LexflowSettings | None = None, *, limiter: _Limiter | None = None, **kwargs: Any
) -> LexwareClient:
    """A client from the settings: the real API if an API key is set, else the embedded sandbox in-process.

    Partner-only endpoints (the transaction-assignment hint) are sent only when `allow_partner_endpoints` is on
    (`LEXWARE_ALLOW_PARTNER_ENDPOINTS`); `kwargs` override any setting.

    Prints nothing; `client.backend_description` says which backend answers (commands print it first).
    """
    options, app = _options(settings, limiter, kwargs)
    if app is None:
        return LexwareClient(**options)
    from lexflow.client._bridge import SyncASGITransport

    transport = SyncASGITransport(app)
    client = LexwareClient(transport=transport, **options)
    client._closers.append(transport.close)
    return client


def connect_async(
    settings: LexflowSettings | None = None, *, limiter: _Limiter | None = None, **kwargs: Any
) -> AsyncLexwareClient:
    """Async twin of `connect` (the sandbox runs on the caller's event loop through httpx's ASGITransport)."""
    import httpx

    options, app = _options(settings, limiter, kwargs)
    if app is None:
        return AsyncLexwareClient(**options)
    return AsyncLexwareClient(transport=httpx.ASGITransport(app=app), **options)
