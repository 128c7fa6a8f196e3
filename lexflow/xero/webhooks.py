"""Receiving Xero webhooks: the signature check and the answer Xero's intent-to-receive handshake expects.

Xero signs the raw body: `x-xero-signature` = Base64(HMAC-SHA256(body, webhook key)). A receiver answers 200 with an
empty body when the signature is right and 401 when it is not, within 5 seconds; events are thin (ids only), so the
receiver re-fetches each record. Events may repeat: `event_key` is what to de-duplicate on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_BODY = 1_000_000


class WebhookEvent(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    resource_url: str = Field(alias="resourceUrl")
    resource_id: str = Field(alias="resourceId")
    event_date_utc: str = Field(alias="eventDateUtc")
    event_type: str = Field(alias="eventType")
    event_category: str = Field(alias="eventCategory")
    tenant_id: str = Field(alias="tenantId")
    tenant_type: str = Field(alias="tenantType")

    @property
    def event_key(self) -> tuple[str, str, str, str]:
        return (self.tenant_id, self.resource_id, self.event_date_utc, self.event_type)


def signature(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, header: str | None, key: str) -> bool:
    """Constant-time check of `x-xero-signature` over the exact bytes received."""
    return bool(header) and hmac.compare_digest(signature(body, key), header or "")


def receiver_app(key: str, on_events: Callable[[list[WebhookEvent]], Any], path: str = "/xero/webhooks") -> Starlette:
    """A minimal ASGI receiver: verifies, answers 200/401 with an empty body, hands valid events on."""

    async def receive(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY or not verify(body, request.headers.get("x-xero-signature"), key):
            return Response(status_code=401)
        try:
            events = [WebhookEvent.model_validate(e) for e in orjson.loads(body).get("events", [])]
        except (orjson.JSONDecodeError, AttributeError, ValueError):
            return Response(status_code=401)
        if events:
            on_events(events)
        return Response(status_code=200)

    return Starlette(routes=[Route(path, receive, methods=["POST"])])
