"""A worker process killed between storing and triggering loses nothing, and the event is dispatched once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import httpx

from lexflow.webhooks.config import CallableAction, WebhookConfig
from lexflow.webhooks.inbox import EventStatus, Inbox
from lexflow.webhooks.keys import WebhookPublicKey
from lexflow.webhooks.receiver import SIGNATURE_HEADER, create_receiver_app
from lexflow.webhooks.worker import InboxWorker
from tests.webhooks import helpers
from tests.webhooks.helpers import KeyPair, event_body, serve

KILLED_WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from lexflow.webhooks.config import CallableAction, WebhookConfig
    from lexflow.webhooks.dispatch import Dispatcher
    from lexflow.webhooks.inbox import Inbox
    from lexflow.webhooks.worker import InboxWorker

    class DiesBeforeDispatch(Dispatcher):
        def dispatch(self, action, context):
            os.kill(os.getpid(), signal.SIGKILL)  # the machine dies: no cleanup, no exception handler runs

    config = WebhookConfig(routes={"payment.changed": CallableAction(callable="builtins:print", refetch=False)})
    InboxWorker(Inbox(sys.argv[1], lease=LEASE), config, dispatcher=DiesBeforeDispatch()).drain()
    """
)
LEASE = 0.5


def test_worker_killed_before_dispatch_loses_nothing_and_dispatches_once(db_url: str, keys: KeyPair) -> None:
    inbox = Inbox(db_url, lease=LEASE)
    with serve(create_receiver_app(inbox, WebhookPublicKey(keys.public_pem))) as url:  # receiver without a worker
        body = event_body(event_type="payment.changed", resource_id="voucher-9")
        response = httpx.post(url + "/webhooks/lexware", content=body, headers={SIGNATURE_HEADER: keys.sign(body)})
    assert response.status_code == 200
    event_id = response.json()["id"]

    script = KILLED_WORKER.replace("LEASE", repr(LEASE))
    proc = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    row = inbox.get(event_id)
    assert row.status == EventStatus.PROCESSING and row.attempts == 1 and row.completed_at is None

    config = WebhookConfig(
        routes={"payment.changed": CallableAction(callable="tests.webhooks.helpers:record", refetch=False)}
    )
    restarted = InboxWorker(inbox, config, client_factory=lambda: None)
    assert restarted.drain() == 0  # the dead worker's lease still runs: nobody else may take the event yet
    time.sleep(LEASE)
    assert restarted.drain() == 1
    assert restarted.drain() == 0
    assert [c["event"].resource_id for c in helpers.CALLS] == ["voucher-9"]
    row = inbox.get(event_id)
    assert row.status == EventStatus.DONE and row.attempts == 2


def test_a_long_action_keeps_its_lease(db_url: str) -> None:
    inbox = Inbox(db_url, lease=0.3)
    body = event_body(event_type="payment.changed", resource_id="slow-1")
    from lexflow.webhooks.events import WebhookEvent

    inbox.store(WebhookEvent.model_validate_json(body), body)
    config = WebhookConfig(
        routes={
            "payment.changed": CallableAction(
                callable="tests.webhooks.helpers:slow", parameters={"seconds": 0.8}, refetch=False
            )
        }
    )
    busy = InboxWorker(inbox, config, client_factory=lambda: None)
    other = InboxWorker(inbox, config, client_factory=lambda: None)
    import threading

    thread = threading.Thread(target=busy.drain)
    thread.start()
    time.sleep(0.5)  # past the first lease: without renewal the other worker would take the event
    assert other.drain() == 0
    thread.join()
    assert inbox.list()[0].status == EventStatus.DONE and inbox.list()[0].attempts == 1
