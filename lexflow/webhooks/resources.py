"""Re-fetch the resource an event names: the payload carries only ids (docs/lexware.md#webhook-payload)."""

from __future__ import annotations

from typing import Any

from lexflow.webhooks.events import WebhookEvent

RESOURCE_ACCESSORS: dict[str, str] = {
    "article": "articles",
    "contact": "contacts",
    "credit-note": "credit_notes",
    "delivery-note": "delivery_notes",
    "down-payment-invoice": "down_payment_invoices",
    "dunning": "dunnings",
    "invoice": "invoices",
    "order-confirmation": "order_confirmations",
    "payment": "payments",
    "quotation": "quotations",
    "recurring-template": "recurring_templates",
    "voucher": "vouchers",
}
"""Event resource kind → attribute of `LexwareClient` whose `.get(id)` returns it."""


def fetch_resource(client: Any, event: WebhookEvent) -> dict[str, Any] | None:
    """The resource as the API's JSON, or None when there is nothing to fetch.

    Nothing to fetch: `*.deleted`, `token.revoked` (its id is a connection id), a resource gone since (404), and
    `payment.changed` for a document that went back to draft (the payments endpoint answers 406 then, docs/lexware.md#event-types).
    Every other error propagates, so the worker retries later.
    """
    accessor = RESOURCE_ACCESSORS.get(event.resource_kind)
    if accessor is None or event.event_type.endswith(".deleted"):
        return None
    from lexflow.client import errors

    try:
        resource = getattr(client, accessor).get(event.resource_id)
    except errors.NotFound:
        return None
    except errors.ValidationFailed as exc:
        if event.event_type == "payment.changed" and exc.status == 406:
            return None
        raise
    if hasattr(resource, "model_dump"):
        return resource.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(resource)
