"""Re-fetch the resource an event names: every provider's payload carries only ids (docs/lexware.md#webhook-payload,
docs/xero.md#webhooks, docs/quickbooks.md#webhooks).

`fetch_resource` reads Lexware's JSON through its client (for Lexware's own event-type routes); `fetch_record` reads
the neutral record through any provider's adapter (for the resource routes every provider shares)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import ProviderEvent, WebhookEvent

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
    from lexflow.transport import errors

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


AdapterFactory = Callable[[str, str], Any]
"""(provider, tenant) → the `lexflow.core.provider.Provider` adapter for that organisation."""

RECORD_READERS: dict[str, str] = {"invoice": "get_invoice", "contact": "get_customer"}
"""Neutral resource type → the `Provider` method that reads it. Other types (payments, credit notes, bills) have no
neutral read: their route gets `resource: None` and the event's ids."""


def default_adapter(provider: str, tenant: str) -> Any:
    """The provider's configured connection, switched to the event's tenant (one connection may serve several)."""
    from lexflow.providers import get_provider

    return get_provider(name=provider).for_tenant(tenant)


def adapter_for(factory: AdapterFactory, provider: str, tenant: str) -> Any:
    """`factory(provider, tenant)`; an organisation this installation does not reach is a configuration matter that
    retrying cannot fix, so the event is parked with the reason at once."""
    from lexflow.core.errors import AdapterNotBuilt, TenantNotConnected, UnknownProvider

    try:
        return factory(provider, tenant)
    except (TenantNotConnected, UnknownProvider, AdapterNotBuilt) as exc:
        raise PermanentFailure(str(exc)) from None


def fetch_record(adapter: Any, event: WebhookEvent | ProviderEvent) -> dict[str, Any] | None:
    """The neutral record (as JSON) or None: nothing to read for this type, the event says it is gone, or the provider
    no longer has it. Every other error propagates, so the worker retries later."""
    from lexflow.core.errors import RecordNotFound

    reader = RECORD_READERS.get(event.resource_type)
    if reader is None or event.event_type.endswith((".deleted", ".merged")):
        return None
    try:
        record = getattr(adapter, reader)(event.resource_id)
    except RecordNotFound:
        return None
    return record.model_dump(mode="json")  # type: ignore[no-any-return]
