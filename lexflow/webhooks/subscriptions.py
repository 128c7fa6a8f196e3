"""Keep Lexware's event subscriptions equal to the configured set.

Subscriptions vanish when their API key is invalidated or their OAuth refresh token revoked (§8), there is no
update (delete and create), and the same type and URL twice is a 409. `sync` therefore compares (type, URL)
pairs, creates what is missing, and deletes extras only when asked to (`prune`), because other integrations may
share the account.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lexflow.webhooks.config import SubscriptionSet


class Subscription(BaseModel):
    subscription_id: str
    event_type: str
    callback_url: str


class SyncReport(BaseModel):
    created: list[Subscription] = Field(default_factory=list)
    kept: list[Subscription] = Field(default_factory=list)
    extra: list[Subscription] = Field(default_factory=list, description="Not configured; deleted only with prune.")
    deleted: list[Subscription] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.deleted)


def _field(item: Any, snake: str, camel: str) -> str:
    if isinstance(item, dict):
        return str(item.get(camel, item.get(snake, "")))
    return str(getattr(item, snake))


def as_subscription(item: Any) -> Subscription:
    """Normalise what the client returns (a model or the API's JSON)."""
    return Subscription(
        subscription_id=_field(item, "subscription_id", "subscriptionId"),
        event_type=_field(item, "event_type", "eventType").lower(),
        callback_url=_field(item, "callback_url", "callbackUrl"),
    )


def list_subscriptions(client: Any) -> list[Subscription]:
    return [as_subscription(s) for s in client.event_subscriptions.list()]


def subscribe(client: Any, callback_url: str, events: list[str]) -> list[Subscription]:
    """Create one subscription per event type (a 409 for an existing pair is reported as kept, not raised)."""
    wanted = SubscriptionSet(callback_url=callback_url, events=events)
    return sync_subscriptions(client, wanted).created


def sync_subscriptions(client: Any, wanted: SubscriptionSet, *, prune: bool = False) -> SyncReport:
    if not wanted.callback_url:
        raise ValueError(
            "subscriptions.callback_url is not set; put the public HTTPS URL of the receiver in the config"
        )
    report = SyncReport()
    existing = list_subscriptions(client)
    pairs = {(s.event_type, s.callback_url) for s in existing}
    for sub in existing:
        if sub.callback_url == wanted.callback_url and sub.event_type in wanted.events:
            report.kept.append(sub)
        else:
            report.extra.append(sub)
    for event_type in wanted.events:
        if (event_type, wanted.callback_url) in pairs:
            continue
        result = client.event_subscriptions.create(event_type, wanted.callback_url)
        new_id = str(getattr(result, "id", None) or (result.get("id") if isinstance(result, dict) else ""))
        report.created.append(
            Subscription(subscription_id=new_id, event_type=event_type, callback_url=wanted.callback_url)
        )
    if prune:
        for sub in report.extra:
            client.event_subscriptions.delete(sub.subscription_id)
            report.deleted.append(sub)
    return report
