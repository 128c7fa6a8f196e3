"""The events the inbox holds: Lexware Office's own payload (`WebhookEvent`, docs/lexware.md#webhook-payload, with
the 42 event types of docs/lexware.md#event-types) and the provider-neutral `ProviderEvent` every other source
(Xero, QuickBooks, a poller) is normalised into.

Both hold ids only and answer the same questions (provider, tenant, resource type, resource id, event type, when);
`key` is what makes a redelivery recognisable.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lexflow.lexware.models import EVENT_TYPES, WebhookPayload


def normalise_event_type(value: str) -> str:
    """Lowercase and check an event type; the error lists a few valid names so the fix is obvious."""
    name = value.strip().lower()
    if name not in EVENT_TYPES:
        raise ValueError(
            f"unknown Lexware Office event type {value!r}; valid types look like "
            "'invoice.status.changed', 'payment.changed', 'voucher.created' (42 in total, see docs/webhooks.md)"
        )
    return name


class WebhookEvent(WebhookPayload):
    """The callback body `{organizationId, eventType, resourceId, eventDate}` as the receiver accepts it.

    The client's `WebhookPayload` with all four fields required: the de-duplication key needs every one.
    """

    model_config = ConfigDict(frozen=True)

    organization_id: str = Field(alias="organizationId", min_length=1)
    event_type: str = Field(alias="eventType", min_length=1)
    resource_id: str = Field(alias="resourceId", min_length=1)
    event_date: str = Field(alias="eventDate", min_length=1)

    @field_validator("event_type")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        # Unknown types are stored, not rejected: Lexware may add types, and a 4xx would drop the event for good.
        return value.strip().lower()

    @property
    def key(self) -> str:
        """De-duplication key: a redelivery repeats all four fields exactly."""
        return "|".join((self.organization_id, self.event_type, self.resource_id, self.event_date))

    @property
    def resource_kind(self) -> str:
        """`invoice` for `invoice.status.changed`, `payment` for `payment.changed`."""
        return self.event_type.split(".", 1)[0]

    @property
    def occurred_at(self) -> datetime | None:
        """The event date parsed, or None if Lexware sent something unexpected (we keep the raw string)."""
        try:
            return datetime.fromisoformat(self.event_date)
        except ValueError:
            return None

    # The neutral view (the same names `ProviderEvent` has), so the inbox and the worker need no second code path.
    provider: ClassVar[str] = "lexware"

    @property
    def tenant(self) -> str:
        return self.organization_id

    @property
    def resource_type(self) -> str:
        return self.resource_kind


RESOURCE_TYPES = ("invoice", "contact", "credit-note", "payment", "bill", "expense")
"""The neutral resource types lexflow names (Lexware's own kinds use the same words); other sources' unknown kinds
are kept lowercased, so nothing is dropped."""

VERBS = ("created", "updated", "deleted", "voided", "merged", "emailed")
"""What happened to the resource, in a neutral event type `<resource type>.<verb>` (e.g. `invoice.updated`)."""


class ProviderEvent(BaseModel):
    """One change at an accounting system, as every non-Lexware source delivers it into the inbox.

    Thin like every provider's webhook: the worker re-fetches the record through the provider's adapter. `key` leaves
    out anything a redelivery may change (Xero's batch sequence, a CloudEvents `id`), so a repeat is recognised even
    when it comes in the other QuickBooks payload format.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    tenant: str = Field(min_length=1, max_length=64, description="Xero tenantId, QuickBooks realmId, …")
    resource_type: str = Field(min_length=1, max_length=32)
    resource_id: str = Field(min_length=1, max_length=64)
    event_type: str = Field(min_length=1, max_length=64, description="`<resource type>.<verb>`, e.g. invoice.updated")
    occurred_at: str = Field(min_length=1, max_length=64, description="When the provider says it happened (ISO).")

    @property
    def key(self) -> str:
        return "|".join(
            (self.provider, self.tenant, self.resource_type, self.resource_id, self.event_type, self.occurred_at)
        )

    # The names the Lexware-shaped parts (templates, audit, waiting runs) read.
    @property
    def organization_id(self) -> str:
        return self.tenant

    @property
    def event_date(self) -> str:
        return self.occurred_at

    @property
    def resource_kind(self) -> str:
        return self.resource_type


def neutral_event_type(resource_type: str, verb: str) -> str:
    return f"{resource_type}.{verb}"


def parse_stored(body: bytes) -> WebhookEvent | ProviderEvent:
    """An inbox row's body: a neutral event carries `provider`, Lexware's own payload never does."""
    import json

    data = json.loads(body)
    if isinstance(data, dict) and "provider" in data:
        return ProviderEvent.model_validate(data)
    return WebhookEvent.model_validate(data)
