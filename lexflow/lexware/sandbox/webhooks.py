"""Event subscriptions (`/v1/event-subscriptions`) and webhook delivery (docs/lexware.md#webhooks).

Subscribing to an https callbackUrl first sends a HEAD to it to check its TLS certificate, as Lexware does (docs/lexware.md#subscribing);
when that fails the answer is 406 with the regular error body (`details[0].field == "callbackUrl"`). Switch:
`SandboxConfig.callback_tls_check`; trusted CAs: `callback_ca_bundle` (default: certifi's public CAs). http callbacks
(only with `allow_http_callbacks`) have no certificate and are not checked.

Every `state.emit(...)` is matched against the organisation's subscriptions and queued; a background thread POSTs the
compact JSON payload, signed RSA-PKCS1v15-SHA512 (Base64 in `X-Lxo-Signature`), with a 5 s timeout, and follows the
Lexware's retry schedule (docs/lexware.md#webhook-delivery-and-retries) scaled by `SandboxConfig.webhook_time_scale` (the control API can change it until the next reset),
so tests run it in milliseconds. A reset empties the queue and the delivery log and restores the configured scale.

Signing key: RSA of `SandboxConfig.webhook_key_bits` (4096, as Lexware's), generated once per process and size (a
4096-bit key takes 0.3-2 s, so every sandbox in a test process shares it) and kept in the store's meta, so a sandbox
with `--db` signs with the same key after a restart; a reset keeps the key. `rotate_signing_key(state)` (control:
`POST /_sandbox/webhooks/rotate-key`) gives one sandbox a fresh key of its own. Verifiers fetch the public half at
`GET /_sandbox/webhook-public-key`.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import ssl
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lexflow.lexware.models import EVENT_TYPES
from lexflow.lexware.sandbox.errors import ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, endpoint, json
from lexflow.lexware.sandbox.plumbing import SUBSCRIPTIONS, control_route, delete_owned_by, generation, owner_of

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import ApiKey, SandboxEvent, SandboxState

KIND = SUBSCRIPTIONS


RETRY_DELAYS: tuple[float, ...] = (10, 20, 40, 80, 160, 1800, *([7200] * 19))
"""Seconds before retry n (docs/lexware.md#webhook-delivery-and-retries): phase 1 after 10, 20, 40, 80, 160 s; phase 2 after a 30-minute pause, then every
2 h, 20 retries in all. 26 attempts at most."""

TIMEOUT_SECONDS = 5.0
_HISTORY_LIMIT = 2000


# --------------------------------------------------------------------------------------------------- signing key
_PROCESS_KEYS: dict[int, rsa.RSAPrivateKey] = {}  # bits -> this process's key of that size
_KEY_LOCK = threading.Lock()
_META_KEY = "webhooks:signing_key_pem"
_LOADED: dict[str, rsa.RSAPrivateKey] = {}  # parsing a PEM costs milliseconds; keep the parsed key per PEM


def new_signing_key(bits: int) -> rsa.RSAPrivateKey:
    """A freshly generated key (slow for 4096 bits: 0.3-2 s). Most callers want `process_key`."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def process_key(bits: int) -> rsa.RSAPrivateKey:
    """This process's key of that size, generated on first use and shared by every sandbox in the process."""
    with _KEY_LOCK:
        key = _PROCESS_KEYS.get(bits)
        if key is None:
            key = _PROCESS_KEYS[bits] = new_signing_key(bits)
        return key


def prewarm_key(bits: int) -> None:
    """Generate the process key in the background (key generation releases the GIL), so the first delivery after
    a subscription does not wait for it. Does nothing when the key exists or is being generated."""
    if bits in _PROCESS_KEYS or _KEY_LOCK.locked():
        return
    threading.Thread(target=process_key, args=(bits,), name="sandbox-webhook-keygen", daemon=True).start()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _remember(state: SandboxState, key: rsa.RSAPrivateKey, pem: str) -> rsa.RSAPrivateKey:
    _LOADED[pem] = key
    state._webhook_key = key  # type: ignore[attr-defined]  # survives a reset, which empties the store's meta
    return key


def signing_key(state: SandboxState) -> rsa.RSAPrivateKey:
    """The sandbox's webhook key: the one in the store (a persisted sandbox, or one written by another process),
    else the key this state signed with before a reset, else this process's key of the configured size."""
    pem = state.store.meta(_META_KEY)
    if pem:
        cached = _LOADED.get(pem)
        if cached is None:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            cached = loaded
        return _remember(state, cached, pem)
    key: rsa.RSAPrivateKey = getattr(state, "_webhook_key", None) or process_key(state.config.webhook_key_bits)
    pem_text = _pem(key)
    state.store.set_meta(_META_KEY, pem_text)
    return _remember(state, key, pem_text)


def rotate_signing_key(state: SandboxState, bits: int | None = None) -> rsa.RSAPrivateKey:
    """Give this sandbox a fresh key of its own (not the process's shared one): key-rotation tests, or a persisted
    sandbox that should move to `webhook_key_bits`. Receivers must fetch the public key again."""
    key = new_signing_key(bits or state.config.webhook_key_bits)
    pem = _pem(key)
    with state.lock:
        state.store.set_meta(_META_KEY, pem)
        return _remember(state, key, pem)


def public_key_pem(state: SandboxState) -> bytes:
    return (
        signing_key(state)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@lru_cache(maxsize=8)
def _tls_context(ca_bundle: Path | None, modified: float) -> ssl.SSLContext:
    """Verifying context for callbacks (built once per bundle version: loading a CA file costs milliseconds)."""
    import certifi

    return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else certifi.where())


def tls_context(state: SandboxState) -> ssl.SSLContext:
    """What https callbacks are verified against, for the subscribe check and for every delivery alike."""
    bundle = state.config.callback_ca_bundle
    return _tls_context(bundle, bundle.stat().st_mtime if bundle else 0.0)


def compact(payload: dict[str, Any]) -> bytes:
    """The body exactly as signed and sent: JSON without whitespace."""
    return orjson.dumps(payload)


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA512())).decode()


# --------------------------------------------------------------------------------------------------- delivery
@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    delivery: Delivery = field(compare=False)


@dataclass
class Delivery:
    """One event for one subscription, across all its attempts."""

    id: str
    organization_id: str
    subscription_id: str
    event_type: str
    resource_id: str
    callback_url: str
    body: bytes
    attempt: int = 0  # attempts made so far
    final: bool = False  # delivered even if the subscription is gone by then (token.revoked)
    generation: str | None = None  # the store generation it was queued in; a reset in between drops it


class Dispatcher:
    """Queue + background thread that delivers webhooks for one sandbox state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.time_scale = state.config.webhook_time_scale
        self.generation: str | None = None
        self._heap: list[_Pending] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False
        self._inflight = 0
        self.attempts: deque[dict[str, Any]] = deque(maxlen=_HISTORY_LIMIT)
        self._client: httpx.Client | None = None  # created on the first delivery (building one costs ~0.2 s)

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=TIMEOUT_SECONDS,
                verify=tls_context(self.state),
                follow_redirects=True,
                max_redirects=3,
                headers={"User-Agent": "lexflow-sandbox-webhooks/1"},
            )
        return self._client

    # queueing ------------------------------------------------------------------------------------------------
    def on_event(self, event: SandboxEvent) -> None:
        """EventBus callback: queue a delivery per matching subscription (runs inside the request; stays quick)."""
        body = compact(event.payload())
        for sub in list(self.state.store.iter(event.organization_id, KIND)):
            if sub.get("eventType") != event.event_type:
                continue
            if event.event_type == "token.revoked" and sub.get("_owner") != f"oauth:{event.resource_id}":
                continue  # only the revoked connection hears about it
            self._push(
                Delivery(
                    id=str(uuid.uuid4()),
                    organization_id=event.organization_id,
                    subscription_id=sub["subscriptionId"],
                    event_type=event.event_type,
                    resource_id=event.resource_id,
                    callback_url=sub["callbackUrl"],
                    body=body,
                    final=event.event_type == "token.revoked",
                    generation=self.generation,
                ),
                0.0,
            )

    def _push(self, delivery: Delivery, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, _Pending(time.monotonic() + delay, next(self._seq), delivery))
            self._ensure_thread()
            self._cond.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._inflight

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self.attempts.clear()

    def on_reset(self) -> None:
        """State reset: drop the queue and the log, back to the configured time scale, adopt the new generation."""
        self.clear()
        self.time_scale = self.state.config.webhook_time_scale
        self.generation = generation(self.state)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._client is not None:
            self._client.close()

    # worker ----------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = (self._heap[0].due - time.monotonic()) if self._heap else None
                    self._cond.wait(timeout=timeout)
                if self._stop:
                    return
                item = heapq.heappop(self._heap)
                self._inflight += 1
            try:
                self._attempt(item.delivery)
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()

    def flush(self) -> int:
        """Deliver every queued delivery now, in the calling thread (one attempt each). Returns how many ran."""
        with self._cond:
            items = sorted(self._heap)
            self._heap.clear()
            self._inflight += len(items)
        try:
            for item in items:
                try:
                    self._attempt(item.delivery)
                finally:
                    with self._cond:
                        self._inflight -= 1
        finally:
            with self._cond:
                self._cond.notify_all()
        return len(items)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight whose due time has come (tests)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight or (self._heap and self._heap[0].due <= time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, 0.05))
        return True

    def _attempt(self, d: Delivery) -> None:
        state = self.state
        sub = state.store.get(d.organization_id, KIND, d.subscription_id)
        if sub is None and not d.final:
            self._record(d, None, "dropped", "subscription deleted")
            return
        d.attempt += 1
        status: int | None = None
        error: str | None = None
        try:
            signature = sign(signing_key(state), d.body)
            response = self._http.post(
                d.callback_url,
                content=d.body,
                headers={"Content-Type": "application/json", "X-Lxo-Signature": signature},
            )
            status = response.status_code
        except httpx.ConnectError as exc:
            error = f"connect: {exc.__class__.__name__}"
            status = None
        except httpx.TooManyRedirects:
            error = "more than 3 redirects"
            self._record(d, None, "failed", error)
            return
        except httpx.HTTPError as exc:
            error = exc.__class__.__name__
        if d.generation != generation(state):
            return  # the sandbox was reset while this was in flight
        if status is not None and 200 <= status < 300:  # Lexware names 200/201/202/204; any 2xx counts here
            self._record(d, status, "delivered", None)
            return
        if status == 410:
            self._delete_subscription(d)
            self._record(d, status, "subscription_deleted", "410 Gone: subscription deleted at once")
            return
        retryable = status is None or status in (401, 403, 404, 429) or status >= 500
        if not retryable:
            self._record(d, status, "failed", "not retried (Lexware does not retry other 4xx and 3xx)")
            return
        if d.attempt <= len(RETRY_DELAYS) and not d.final:
            delay = RETRY_DELAYS[d.attempt - 1] * self.time_scale
            self._record(d, status, "retry", error, next_in=delay)
            self._push(d, delay)
            return
        if status == 404 or (status is None and error and error.startswith("connect")):
            self._delete_subscription(d)
            self._record(d, status, "subscription_deleted", "retries exhausted: subscription deleted")
            return
        self._record(d, status, "failed", "retries exhausted")

    def _delete_subscription(self, d: Delivery) -> None:
        with self.state.lock:
            self.state.store.delete(d.organization_id, KIND, d.subscription_id)

    def _record(
        self, d: Delivery, status: int | None, outcome: str, error: str | None, next_in: float | None = None
    ) -> None:
        self.attempts.append(
            {
                "deliveryId": d.id,
                "subscriptionId": d.subscription_id,
                "eventType": d.event_type,
                "resourceId": d.resource_id,
                "callbackUrl": d.callback_url,
                "attempt": d.attempt,
                "status": status,
                "outcome": outcome,
                "error": error,
                "nextAttemptInSeconds": next_in,
                "at": self.state.clock.stamp(),
            }
        )


def dispatcher(state: SandboxState) -> Dispatcher:
    """The state's dispatcher. `state.reset()` clears it through its `on_reset` hook; the generation check also
    catches a reset made by another process on the same SQLite file."""
    found: Dispatcher | None = getattr(state, "_webhook_dispatcher", None)
    if found is None:
        found = Dispatcher(state)
        state._webhook_dispatcher = found  # type: ignore[attr-defined]
        state.on_reset.append(found.on_reset)
    current = generation(state)
    if found.generation != current:
        if found.generation is not None:
            found.clear()
        found.generation = current
    return found


# --------------------------------------------------------------------------------------------------- subscriptions
def _public(sub: dict[str, Any]) -> dict[str, Any]:
    return {k: sub[k] for k in ("subscriptionId", "organizationId", "createdDate", "eventType", "callbackUrl")}


def _validate(ctx: Ctx) -> tuple[str, str]:
    body = ctx.body or {}
    issues: list[Issue] = []
    event_type = body.get("eventType")
    callback = body.get("callbackUrl")
    if not isinstance(event_type, str) or not event_type.strip():
        issues.append(Issue("eventType", "missing", "must not be empty"))
    elif event_type.strip().lower() not in EVENT_TYPES:
        issues.append(Issue("eventType", "invalid", f"unknown event type; use one of {', '.join(sorted(EVENT_TYPES))}"))
    if not isinstance(callback, str) or not callback.strip():
        issues.append(Issue("callbackUrl", "missing", "must not be empty"))
    else:
        parts = urlsplit(callback.strip())
        allowed = ("https", "http") if ctx.state.config.allow_http_callbacks else ("https",)
        if parts.scheme not in allowed or not parts.netloc:
            hint = "must be an absolute https URL" if "http" not in allowed else "must be an absolute http(s) URL"
            if parts.scheme == "http":
                hint += " (start the sandbox with --allow-http-callbacks for local http receivers)"
            issues.append(Issue("callbackUrl", "invalid", hint))
    if issues:
        raise validation(issues)
    assert isinstance(event_type, str) and isinstance(callback, str)
    return event_type.strip().lower(), callback.strip()


def _refuse_duplicate(ctx: Ctx, event_type: str, callback: str) -> None:
    for sub in ctx.state.store.iter(ctx.org, KIND):
        if sub["eventType"] == event_type and sub["callbackUrl"] == callback:
            raise ApiError(
                409,
                f"A subscription for {event_type} to this callbackUrl exists already ({sub['subscriptionId']}); "
                "delete it first to change it.",
                [Issue("eventType", "conflict", "duplicate subscription")],
            )


def _tls_failure(exc: BaseException) -> str:
    """Why the check failed, without the URL (it may carry a receiver's token)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its certificate did not verify ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed ({cause.reason or cause.__class__.__name__})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.TimeoutException):
        return f"it did not answer within {TIMEOUT_SECONDS:g} s"
    return f"it could not be reached ({exc.__class__.__name__})"


async def check_callback_tls(state: SandboxState, callback: str) -> None:
    """docs/lexware.md#subscribing: before accepting an https callbackUrl, Lexware sends it a HEAD request to check its SSL certificate; when
    that fails the subscription is refused with 406. Any HTTP answer counts as passed (only the certificate is
    checked; which statuses Lexware accepts is not documented). Redirects are not followed."""
    if not state.config.callback_tls_check or urlsplit(callback).scheme != "https":
        return
    try:
        async with httpx.AsyncClient(verify=tls_context(state), timeout=TIMEOUT_SECONDS) as client:
            await client.head(callback, headers={"User-Agent": "lexflow-sandbox-webhooks/1"})
    except httpx.HTTPError as exc:
        raise validation(
            [
                Issue(
                    "callbackUrl",
                    "invalid",
                    f"the HEAD request to check its SSL certificate failed: {_tls_failure(exc)}",
                )
            ]
        ) from None


async def create_subscription(ctx: Ctx) -> Response:
    """Validate, refuse duplicates, check the callback's TLS (outside the lock: up to 5 s), then store."""
    state = ctx.state
    event_type, callback = _validate(ctx)
    with state.lock:
        _refuse_duplicate(ctx, event_type, callback)
    await check_callback_tls(state, callback)
    if state.store.meta(_META_KEY) is None and getattr(state, "_webhook_key", None) is None:
        prewarm_key(state.config.webhook_key_bits)  # deliveries will need it soon
    with state.lock:
        _refuse_duplicate(ctx, event_type, callback)  # a twin may have been stored while we waited
        sub_id = str(uuid.uuid4())
        now = state.clock.stamp()
        sub = {
            "id": sub_id,
            "subscriptionId": sub_id,
            "organizationId": ctx.org,
            "createdDate": now,
            "eventType": event_type,
            "callbackUrl": callback,
            "_owner": owner_of(state, ctx.key),
        }
        state.store.put(ctx.org, KIND, sub)
    url = ctx.resource_url(KIND, sub_id)
    result = {"id": sub_id, "resourceUri": url, "createdDate": now, "updatedDate": now, "version": 0}
    return json(result, 201, {"Location": url})


def _get(ctx: Ctx) -> dict[str, Any]:
    sub = ctx.state.store.get(ctx.org, KIND, ctx.arg("id"))
    if sub is None:
        raise ApiError(404, f"No event subscription with id {ctx.arg('id')}.", [Issue("id", "not_found", "unknown")])
    return sub


async def get_subscription(ctx: Ctx) -> Response:
    return json(_public(_get(ctx)))


async def list_subscriptions(ctx: Ctx) -> Response:
    subs = sorted(ctx.state.store.iter(ctx.org, KIND), key=lambda s: (s["createdDate"], s["id"]))
    return json({"content": [_public(s) for s in subs]})


async def delete_subscription(ctx: Ctx) -> Response:
    sub = _get(ctx)
    ctx.state.store.delete(ctx.org, KIND, sub["id"])
    return Response(status_code=204)


ROUTES = [
    ApiRoute(
        "POST",
        "/v1/event-subscriptions",
        create_subscription,
        "event-subscriptions.write",
        json_body=True,
        summary="Create event subscription",
        locked=False,
    ),
    ApiRoute("GET", "/v1/event-subscriptions", list_subscriptions, "event-subscriptions.read", summary="List"),
    ApiRoute(
        "GET", "/v1/event-subscriptions/{id}", get_subscription, "event-subscriptions.read", summary="Get subscription"
    ),
    ApiRoute(
        "DELETE",
        "/v1/event-subscriptions/{id}",
        delete_subscription,
        "event-subscriptions.write",
        summary="Delete event subscription",
    ),
]


# --------------------------------------------------------------------------------------------------- install
def install(app: Any, state: SandboxState) -> None:
    """Mount the subscription routes and the public key; wire the dispatcher to the event bus and key revocation."""
    limiter = app.state.limiter
    for route in ROUTES:
        app.router.routes.append(Route(route.path, endpoint(route, state, limiter), methods=[route.method]))
        app.state.api_routes.append(route)
    state.events.subscribe(lambda event: dispatcher(state).on_event(event))

    def on_revoke(entry: ApiKey) -> None:
        # OAuth access tokens expire and rotate; their connection's subscriptions die only when the connection is
        # revoked (lexflow.lexware.sandbox.oauth.revoke_connection).
        if entry.kind != "oauth":
            delete_owned_by(state, f"key:{entry.key}")

    state.keys.on_revoke.append(on_revoke)

    async def public_key(request: Request) -> Response:
        return Response(public_key_pem(state), media_type="application/x-pem-file")

    app.router.routes.append(Route("/_sandbox/webhook-public-key", public_key, methods=["GET"]))
    control_route(app, state, "POST", "/_sandbox/webhooks/flush", _flush)
    control_route(app, state, "GET", "/_sandbox/webhooks/deliveries", _deliveries)
    control_route(app, state, "POST", "/_sandbox/webhooks/time-scale", _time_scale)
    control_route(app, state, "POST", "/_sandbox/webhooks/rotate-key", _rotate_key)


async def _flush(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    import anyio

    hub = dispatcher(state)
    ran = await anyio.to_thread.run_sync(hub.flush)
    return json({"attempted": ran, "pending": hub.pending()})


async def _deliveries(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    hub = dispatcher(state)
    return json({"content": list(hub.attempts), "pending": hub.pending(), "timeScale": hub.time_scale})


async def _time_scale(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    value = body.get("timeScale")
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ApiError(400, "timeScale must be a number >= 0 (1.0 = Lexware's real schedule, 0.001 = 1000x faster)")
    dispatcher(state).time_scale = float(value)
    return json({"timeScale": float(value)})


async def _rotate_key(state: SandboxState, request: Request, body: dict[str, Any]) -> Response:
    import anyio

    bits = body.get("bits", state.config.webhook_key_bits)
    if bits not in (2048, 3072, 4096):
        raise ApiError(400, "bits must be 2048, 3072 or 4096 (default: the configured webhook_key_bits)")
    key = await anyio.to_thread.run_sync(rotate_signing_key, state, bits)
    return Response(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        media_type="application/x-pem-file",
    )
