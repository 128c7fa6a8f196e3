"""Keep Lexware's event subscriptions equal to the configured set.

Subscriptions vanish when their API key is invalidated or their OAuth refresh token revoked (docs/lexware.md#subscribing), there is no
update (delete and create), and the same type and URL twice is a 409. `sync` therefore compares (type, URL)
pairs, creates what is missing, and deletes extras only when asked to (`prune`), because other integrations may
share the account. An API refusal of one pair (406: Lexware's HEAD check of the callback's certificate failed)
is recorded in the report's `failed` and the others go on, so a report always says what exists now.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from lexflow.transport.errors import LexwareError
from lexflow.webhooks.config import SubscriptionSet


class Subscription(BaseModel):
    subscription_id: str
    event_type: str
    callback_url: str


class SubscriptionFailure(BaseModel):
    """One create or delete the API refused; `error` says why and what to do."""

    operation: Literal["create", "delete"]
    event_type: str
    callback_url: str
    error: str


class SyncReport(BaseModel):
    created: list[Subscription] = Field(default_factory=list)
    kept: list[Subscription] = Field(default_factory=list)
    extra: list[Subscription] = Field(default_factory=list, description="Not configured; deleted only with prune.")
    deleted: list[Subscription] = Field(default_factory=list)
    failed: list[SubscriptionFailure] = Field(default_factory=list, description="Refused by the API; sync again.")

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


def sync_subscriptions(client: Any, wanted: SubscriptionSet, *, prune: bool = False) -> SyncReport:
    """Create the missing (type, URL) pairs (a 409 for one created meanwhile counts as kept); with `prune`,
    delete the subscriptions that are not configured. Refusals are in `failed`; nothing is raised for them."""
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
        try:
            result = client.event_subscriptions.create(event_type, wanted.callback_url)
        except LexwareError as exc:
            twin = _existing(client, event_type, wanted.callback_url) if exc.status == 409 else None
            if twin is not None:  # created meanwhile (another sync, another process): it is there, keep it
                report.kept.append(twin)
            else:
                report.failed.append(_failure("create", event_type, wanted.callback_url, exc))
            continue
        new_id = str(getattr(result, "id", None) or (result.get("id") if isinstance(result, dict) else ""))
        report.created.append(
            Subscription(subscription_id=new_id, event_type=event_type, callback_url=wanted.callback_url)
        )
    if prune:
        for sub in report.extra:
            try:
                client.event_subscriptions.delete(sub.subscription_id)
            except LexwareError as exc:
                if exc.status != 404:  # 404: gone already, which is what prune wanted
                    report.failed.append(_failure("delete", sub.event_type, sub.callback_url, exc))
                    continue
            report.deleted.append(sub)
    return report


def _existing(client: Any, event_type: str, callback_url: str) -> Subscription | None:
    for sub in list_subscriptions(client):
        if sub.event_type == event_type and sub.callback_url == callback_url:
            return sub
    return None


def _failure(operation: Literal["create", "delete"], event_type: str, url: str, exc: Exception) -> SubscriptionFailure:
    error = str(exc)
    if operation == "create" and getattr(exc, "status", None) == 406:
        error += (
            " (for a valid event type this means Lexware's HEAD check of the callback's certificate failed: the URL "
            "must be public HTTPS with a trusted certificate, e.g. a TLS proxy in front of `lexflow webhooks serve`)"
        )
    return SubscriptionFailure(operation=operation, event_type=event_type, callback_url=url, error=error)
