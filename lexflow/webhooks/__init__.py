"""Webhooks of Lexware Office, Xero and QuickBooks → verified, stored, de-duplicated events → Prefect flow runs or
Python callables.

Receiver (`receiver.create_receiver_app`, one path per provider; `sources` for the HMAC-signed ones) → durable inbox (`inbox.Inbox`) → worker (`worker.InboxWorker`) →
dispatcher (`dispatch.Dispatcher`, the only Prefect-facing module, imported lazily). See docs/webhooks.md.
"""

from lexflow.webhooks.config import (
    CallableAction,
    DeploymentAction,
    SubscriptionSet,
    WebhookConfig,
    WebhookSettings,
    WorkerSettings,
    load_config,
)
from lexflow.webhooks.dispatch import Dispatcher, EventContext
from lexflow.webhooks.errors import PermanentFailure, PublicKeyError, WebhookError
from lexflow.webhooks.events import EVENT_TYPES, ProviderEvent, WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox, RetryPolicy
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.receiver import create_receiver_app
from lexflow.webhooks.subscriptions import SyncReport, sync_subscriptions
from lexflow.webhooks.waiting import EventArrived, continue_waiting_runs, wait_for_event
from lexflow.webhooks.worker import InboxWorker

__all__ = [
    "EVENT_TYPES",
    "CallableAction",
    "DeploymentAction",
    "Dispatcher",
    "EventArrived",
    "EventContext",
    "EventStatus",
    "Inbox",
    "InboxWorker",
    "PermanentFailure",
    "ProviderEvent",
    "PublicKeyError",
    "RetryPolicy",
    "SubscriptionSet",
    "SyncReport",
    "WebhookConfig",
    "WebhookError",
    "WebhookEvent",
    "WebhookPublicKey",
    "WebhookSettings",
    "WorkerSettings",
    "continue_waiting_runs",
    "create_receiver_app",
    "load_config",
    "sync_subscriptions",
    "wait_for_event",
]
