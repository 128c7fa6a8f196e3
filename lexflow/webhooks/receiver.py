"""The HTTP receiver: one app, one path per provider; verify each signature over the raw bytes, store, answer; never
process inline.

Lexware (`X-Lxo-Signature`, RSA) on its path as before; Xero and QuickBooks (HMAC-SHA256, `lexflow.webhooks.sources`)
on theirs, normalised into the same inbox. Their answers follow their own retry rules (docs/webhooks.md#xero,
#quickbooks-online). For Lexware, status codes are chosen for Lexware's retry rules (docs/lexware.md#webhook-delivery-and-retries): 401 for a missing or wrong signature (Lexware retries
401, so a misconfigured key loses nothing while someone fixes it), 400 for a signed but malformed body (retrying
cannot help), 503 only when the event could not be stored (retried), 200 once it is durable (also for a
redelivery, which is recognised and not processed again).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lexflow.lexware.client.signature import SIGNATURE_HEADER
from lexflow.receiving import BodyTooLarge, bounded_body
from lexflow.webhooks.config import DEFAULT_PATH
from lexflow.webhooks.events import ProviderEvent, WebhookEvent
from lexflow.webhooks.inbox import Inbox
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.sources import NotAnEventBody, SignedSource
from lexflow.webhooks.worker import InboxWorker

log = logging.getLogger(__name__)

__all__ = ["SIGNATURE_HEADER", "STORE_DEADLINE", "create_receiver_app"]

STORE_DEADLINE = 4.0
"""Seconds we allow the database before answering 503: Lexware stops reading after 5 s."""
MAX_BODY = 64 * 1024
"""An event is four short fields; anything much larger is not Lexware's and is refused before it is read whole."""
MAX_SIGNED_BODY = 1024 * 1024
"""Xero and QuickBooks batch events (per tenant / per realm); a megabyte holds thousands of them."""


def create_receiver_app(
    inbox: Inbox,
    public_key: WebhookPublicKey,
    *,
    worker: InboxWorker | None = None,
    path: str = DEFAULT_PATH,
    organization_id: str | None = None,
    max_event_age: timedelta | None = None,
    sources: Sequence[SignedSource] = (),
) -> Starlette:
    """An ASGI app; with a `worker`, the app starts and stops it with its own lifespan.

    Lexware signs every organisation's events with one key and the payload has no timestamp of its own, so a valid
    signature proves neither whose event it is nor that it is fresh: with `organization_id` (the configured
    account's) other organisations' events get 403, and with `max_event_age` events whose `eventDate` is older
    get 400 (a replay of a captured event; Lexware itself retries for about 40 hours).

    `sources`: the HMAC-signed providers (`lexflow.webhooks.sources.xero_source`, `quickbooks_source`), each served
    on its own path; their events are stored in the same inbox, a delivery's batch in one transaction.
    """

    async def receive(request: Request) -> Response:
        try:
            body = await bounded_body(request, MAX_BODY)
        except BodyTooLarge as exc:
            return exc.response()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return JSONResponse({"detail": f"missing {SIGNATURE_HEADER} header"}, status_code=401)
        try:
            valid = await run_in_threadpool(public_key.verify, body, signature)
        except Exception as exc:  # key unavailable: Lexware retries 5xx, so nothing is lost
            log.error("webhook public key unavailable: %s", exc)
            return JSONResponse({"detail": "signature cannot be checked right now"}, status_code=503)
        if not valid:
            log.warning("rejected a webhook with an invalid %s from %s", SIGNATURE_HEADER, request.client)
            return JSONResponse({"detail": f"invalid {SIGNATURE_HEADER}"}, status_code=401)
        try:
            event = WebhookEvent.model_validate_json(body)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
            return JSONResponse({"detail": f"signed body is not a Lexware event (fields: {fields})"}, status_code=400)
        if organization_id is not None and event.organization_id != organization_id:
            # 403 (not 400/410): Lexware retries it, so a wrongly configured id loses nothing while it is fixed.
            log.warning("rejected a signed webhook of another organisation (%s)", event.organization_id[:64])
            return JSONResponse(
                {"detail": "event of another organisation than the configured account"}, status_code=403
            )
        if max_event_age is not None:
            occurred = event.occurred_at
            if occurred is None or occurred.tzinfo is None:
                return JSONResponse({"detail": "eventDate is not an ISO date-time with offset"}, status_code=400)
            if datetime.now(UTC) - occurred > max_event_age:
                log.warning("rejected a webhook event from %s (older than %s)", event.event_date, max_event_age)
                return JSONResponse({"detail": f"event older than {max_event_age}; not processed"}, status_code=400)
        try:
            with anyio.fail_after(STORE_DEADLINE):
                # abandon_on_cancel: a hung database must not hold the answer past Lexware's 5 s read timeout
                stored = await anyio.to_thread.run_sync(inbox.store, event, body, abandon_on_cancel=True)
        except Exception as exc:
            log.error("could not store webhook event %s: %s", event.key, type(exc).__name__)
            return JSONResponse({"detail": "event not stored; please retry"}, status_code=503)
        if worker is not None and not stored.duplicate:
            worker.wake()
        return JSONResponse({"id": stored.id, "duplicate": stored.duplicate})

    def signed_receiver(source: SignedSource) -> Any:
        def answer(status: int, detail: str) -> Response:
            if source.empty_answers:  # Xero: 200/401 with an empty body, or the intent-to-receive check fails
                return Response(status_code=status)
            return JSONResponse({"detail": detail}, status_code=status)

        async def receive_signed(request: Request) -> Response:
            try:
                body = await bounded_body(request, MAX_SIGNED_BODY)
            except BodyTooLarge:
                return answer(413, "body too large")
            if not source.verify(body, request.headers.get(source.header)):
                log.warning("rejected a %s webhook with a missing or invalid %s", source.provider, source.header)
                return answer(401, f"missing or invalid {source.header}")
            try:
                events = source.parse(body)
            except NotAnEventBody as exc:
                # Signed by the provider, yet not its format: retrying cannot help; 400 shows in its delivery log.
                log.warning("a signed %s webhook is not an event batch: %s", source.provider, exc)
                return answer(400, str(exc))
            if not events:  # Xero's intent-to-receive check: a correctly signed, empty batch
                return answer(200, "no events")
            try:
                with anyio.fail_after(source.answer_within - 1.0):
                    stored = await anyio.to_thread.run_sync(_store_all, inbox, events, abandon_on_cancel=True)
            except Exception as exc:
                log.error("could not store %s webhook events: %s", source.provider, type(exc).__name__)
                return answer(503, "events not stored; please retry")  # every provider retries a 5xx
            if worker is not None and stored:
                worker.wake()
            return answer(200, f"{stored} new of {len(events)}")

        return receive_signed

    async def head(request: Request) -> Response:
        # Lexware sends HEAD to the callback URL before subscribing (its SSL check).
        return Response(status_code=200)

    async def health(request: Request) -> Response:
        counts = await run_in_threadpool(inbox.counts)
        return JSONResponse({"ok": True, "inbox": counts, "worker": worker is not None})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await run_in_threadpool(worker.stop)

    taken = {path, "/healthz"}
    routes = [
        Route(path, receive, methods=["POST"]),
        Route(path, head, methods=["HEAD"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    for source in sources:
        if source.path in taken:
            raise ValueError(f"two webhook sources on {source.path}; give {source.provider} its own path")
        taken.add(source.path)
        routes.append(Route(source.path, signed_receiver(source), methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)


def _store_all(inbox: Inbox, events: Sequence[ProviderEvent]) -> int:
    """Store a batch; a redelivered event only counts a delivery. Returns how many were new."""
    return sum(not result.duplicate for result in inbox.store_batch(events))
