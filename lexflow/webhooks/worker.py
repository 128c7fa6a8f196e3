"""The worker that drains the inbox: claim due events, re-fetch, dispatch, record; retry with backoff; park poison.

Which action: a Lexware payload with a route of its own event type (`routes`) runs that, with the resource as the
API's JSON; every other event (any provider's) runs the route of its resource type (`resources`), with the record
re-fetched through the provider's adapter (`lexflow.providers.get_provider`) as a neutral model. No branch on a
provider's name: the provider is data of the event.

It runs as a thread beside the receiver (`lexflow webhooks serve`) or alone (`lexflow webhooks work`). Several
workers may share one database: claims are leases, so a worker that dies leaves its events to the others.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, Literal

from lexflow.webhooks.config import CallableAction, DeploymentAction, WebhookConfig
from lexflow.webhooks.dispatch import Dispatcher, EventContext
from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox, InboxEvent, utcnow
from lexflow.webhooks.resources import AdapterFactory, adapter_for, default_adapter, fetch_record, fetch_resource
from lexflow.webhooks.templates import placeholders

log = logging.getLogger(__name__)


class InboxWorker:
    """Processes inbox events one at a time; `drain()` for a single pass, `start()` for a background thread."""

    def __init__(
        self,
        inbox: Inbox,
        config: WebhookConfig,
        *,
        client_factory: Callable[[], Any] | None = None,
        dispatcher: Dispatcher | None = None,
        adapters: AdapterFactory | None = None,
    ) -> None:
        """`adapters(provider, tenant)` gives the adapter a resource route re-fetches through (default: that
        provider's configured connection, `get_provider(name=provider).for_tenant(tenant)`)."""
        self.inbox = inbox
        self.config = config
        self.dispatcher = dispatcher or Dispatcher()
        self._client_factory = client_factory
        self._client: Any = None
        self._adapter_factory = adapters or default_adapter
        self._owns_adapters = adapters is None  # the default opens connections; an injected factory's are its maker's
        self._adapters: dict[tuple[str, str], Any] = {}
        self._adapters_lock = threading.Lock()
        self._owns_client = False  # a client handed in through client_factory is closed by whoever made it
        self._trail: Any = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> Any:
        """The Lexware client, connected on first need (events without a refetch never open one)."""
        if self._client is None:
            if self._client_factory is None:
                from lexflow.lexware.client import connect

                self._client_factory = connect
                self._owns_client = True
            self._client = self._client_factory()
        return self._client

    def adapter(self, provider: str, tenant: str) -> Any:
        """The adapter of this provider and tenant, made once per worker (one connection, shared limits)."""
        with self._adapters_lock:
            key = (provider, tenant)
            if key not in self._adapters:
                self._adapters[key] = adapter_for(self._adapter_factory, provider, tenant)
            return self._adapters[key]

    def process(self, row: InboxEvent) -> EventStatus:
        """Run one claimed event to its next state. Never raises for the event's own failures."""
        with self._lease_kept(row.id):
            return self._process(row)

    @contextlib.contextmanager
    def _lease_kept(self, event_id: int) -> Iterator[None]:
        """Renew the lease every third of its length while the action runs."""
        done = threading.Event()
        interval = self.inbox.lease.total_seconds() / 3

        def renew() -> None:
            while not done.wait(interval):
                try:
                    self.inbox.extend(event_id)
                except Exception:
                    log.warning("could not renew the lease of webhook event %s", event_id)

        keeper = threading.Thread(target=renew, name=f"lexflow-webhook-lease-{event_id}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def _process(self, row: InboxEvent) -> EventStatus:
        started = time.perf_counter()
        action: DeploymentAction | CallableAction | None = None
        try:
            event = row.to_event()
            # Lexware's own event-type routes get Lexware's JSON; resource routes get the neutral record, any provider
            lexware_payload = event if isinstance(event, WebhookEvent) else None
            action = self.config.route_for(event.event_type) if lexware_payload else None
            if action is None:
                lexware_payload = None
                action = self.config.resource_route_for(event.resource_type)
            if action is None:
                self.inbox.complete(row.id, f"no route for {event.event_type}; nothing to do")
                return EventStatus.DONE
            resource: dict[str, Any] | None = None
            if action.refetch:
                if lexware_payload is not None:
                    resource = fetch_resource(self.client, lexware_payload)
                else:
                    resource = fetch_record(self.adapter(event.provider, event.tenant), event)
            wants_client = isinstance(action, CallableAction) and "client" in placeholders(action.parameters)
            context = EventContext(
                event=event,
                resource=resource,
                inbox_id=row.id,
                generation=row.generation,
                client=self.client if wants_client else None,
                database_url=self.inbox.database_url,
            )
            outcome = self.dispatcher.dispatch(action, context)
        except PermanentFailure as exc:
            log.warning("webhook event %s parked: %s", row.id, exc)
            status = self.inbox.fail(row.id, str(exc), permanent=True)
            self._audit(row, action, "error", f"parked: {exc}", started)
            return status
        except Exception as exc:
            if _draft_again(row, exc):
                note = "payments answered 406: the document went back to draft (Lexware announces that too); nothing to confirm"
                self.inbox.complete(row.id, note)
                self._audit(row, action, "ok", None, started)
                return EventStatus.DONE
            log.warning("webhook event %s failed (attempt %s): %s", row.id, row.attempts, exc)
            status = self.inbox.fail(row.id, f"{type(exc).__name__}: {exc}")
            if status == EventStatus.PARKED:
                self._audit(row, action, "error", f"parked after {row.attempts} attempts: {exc}", started)
            return status
        self.inbox.complete(row.id, outcome)
        self._audit(row, action, "ok", None, started)
        return EventStatus.DONE

    def _audit(
        self,
        row: InboxEvent,
        action: DeploymentAction | CallableAction | None,
        outcome: Literal["ok", "error"],
        error: str | None,
        started: float,
    ) -> None:
        """One audit record per event that ran its action or was parked (retries in between are in the inbox)."""
        from lexflow.audit import Actor, AuditRecord, AuditTrail

        try:
            if self._trail is None:
                self._trail = AuditTrail(self.inbox.database_url)
            self._trail.record(
                AuditRecord(
                    actor=Actor.agent("lexflow-webhooks"),
                    action=f"webhook.{row.event_type}",
                    input={
                        "inbox_id": row.id,
                        "provider": row.provider,
                        "event_date": row.event_date,
                        "organization_id": row.organization_id,
                        "route": action.target if action else None,
                        "attempts": row.attempts,
                        "deliveries": row.deliveries,
                    },
                    resource_ids=[row.resource_id],
                    outcome=outcome,
                    error=error,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            )
        except Exception:  # the outcome is in the inbox already; a failing audit write must not re-run the action
            log.exception("could not write the audit record of webhook event %s", row.id)

    def drain(self, *, limit: int | None = None) -> int:
        """Process every event due now (not those waiting for a backoff); returns how many were processed."""
        done = 0
        while not self._stop.is_set() and (limit is None or done < limit):
            batch = self.inbox.claim(limit=1)
            if not batch:
                break
            self.process(batch[0])
            done += 1
        return done

    def wake(self) -> None:
        """Called by the receiver after storing an event: process it now instead of at the next poll."""
        self._wake.set()

    def run_forever(self) -> None:
        poll = self.config.worker.poll_interval
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.drain()
                due = self.inbox.next_due()
            except Exception:  # the database is down: keep the thread alive and try again later
                log.exception("webhook worker could not read the inbox")
                due = None
            wait = poll
            if due is not None:
                wait = max(0.05, min(poll, (due - utcnow() + timedelta(milliseconds=20)).total_seconds()))
            self._wake.wait(wait)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="lexflow-webhook-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None
        with self._adapters_lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters if self._owns_adapters else ():
            close = getattr(adapter, "close", None) or getattr(getattr(adapter, "client", None), "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # shutting down: a failing close must not stop the others
                    close()


def _draft_again(row: InboxEvent, exc: Exception) -> bool:
    """`payment.changed` also fires when an invoice goes back from open to draft; `/payments` then answers 406.

    That is the documented outcome (docs/lexware.md#event-types), not a failure: retrying would only park the event hours later.
    """
    from lexflow.transport.errors import ValidationFailed

    return (
        row.event_type == "payment.changed"
        and isinstance(exc, ValidationFailed)
        and exc.status == 406
        and "/payments/" in (exc.path or "")
    )
