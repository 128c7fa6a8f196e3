"""The HTTP receiver: verify `X-Lxo-Signature` over the raw bytes, store, answer; never process inline.

Status codes are chosen for Lexware's retry rules (§8): 401 for a missing or wrong signature (Lexware retries
401, so a misconfigured key loses nothing while someone fixes it), 400 for a signed but malformed body (retrying
cannot help), 503 only when the event could not be stored (retried), 200 once it is durable (also for a
redelivery, which is recognised and not processed again).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lexflow.client.signature import SIGNATURE_HEADER
from lexflow.webhooks.config import DEFAULT_PATH
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import Inbox
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.worker import InboxWorker

log = logging.getLogger(__name__)

__all__ = ["SIGNATURE_HEADER", "STORE_DEADLINE", "create_receiver_app"]

STORE_DEADLINE = 4.0
"""Seconds we allow the database before answering 503: Lexware stops reading after 5 s."""


def create_receiver_app(
    inbox: Inbox,
    public_key: WebhookPublicKey,
    *,
    worker: InboxWorker | None = None,
    path: str = DEFAULT_PATH,
) -> Starlette:
    """An ASGI app; with a `worker`, the app starts and stops it with its own lifespan."""

    async def receive(request: Request) -> Response:
        body = await request.body()
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

    return Starlette(
        routes=[
            Route(path, receive, methods=["POST"]),
            Route(path, head, methods=["HEAD"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
