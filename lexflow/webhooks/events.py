"""The webhook payload Lexware Office POSTs (docs/lexware.md#webhook-payload) and the 42 event types it can carry
(docs/lexware.md#event-types).

The payload holds ids only; `WebhookEvent.key` is what makes a redelivery recognisable (Lexware retries for ~40 h).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, field_validator

from lexflow.models import EVENT_TYPES, WebhookPayload


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
