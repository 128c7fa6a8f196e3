"""Real `run_deployment` against the session Prefect test server: a run is created once per event."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prefect import flow

from lexflow.lexware.sandbox.webhooks import sign, signing_key
from lexflow.webhooks.config import DeploymentAction, SubscriptionSet
from lexflow.webhooks.dispatch import Dispatcher, EventContext
from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.receiver import SIGNATURE_HEADER
from lexflow.webhooks.subscriptions import sync_subscriptions
from tests.webhooks.conftest import serve_receiver
from tests.webhooks.helpers import wait_for

pytestmark = pytest.mark.prefect


@flow(name="webhook-test-notify")
def notify(invoice_id: str, status: str | None = None, event: dict | None = None) -> str:
    return f"{invoice_id}:{status}"


@pytest.fixture(scope="module")
def deployment(prefect_harness: None) -> str:
    notify.to_deployment(name="default").apply()
    return "webhook-test-notify/default"


def _context(resource_id: str, generation: int = 0) -> EventContext:
    event = WebhookEvent.model_validate(
        {
            "organizationId": "org-1",
            "eventType": "invoice.status.changed",
            "resourceId": resource_id,
            "eventDate": "2026-01-10T09:00:00.000+01:00",
        }
    )
    return EventContext(event=event, resource={"voucherStatus": "paid"}, inbox_id=7, generation=generation)


def _runs(resource_id: str) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["lexflow-webhook"])))
    return [r for r in runs if r.parameters.get("invoice_id") == resource_id]


def test_run_deployment_creates_one_run_per_event(deployment: str) -> None:
    action = DeploymentAction(
        deployment=deployment,
        parameters={"invoice_id": "{resourceId}", "status": "{resource[voucherStatus]}", "event": "{event}"},
    )
    dispatcher = Dispatcher()
    first = dispatcher.dispatch(action, _context("inv-77"))
    again = dispatcher.dispatch(action, _context("inv-77"))  # a retry after a crash: same idempotency key
    assert first == again
    (run,) = _runs("inv-77")
    assert str(run.id) in first
    assert run.parameters["status"] == "paid"
    assert run.parameters["event"]["resourceId"] == "inv-77"
    assert "invoice.status.changed" in run.tags

    dispatcher.dispatch(action, _context("inv-77", generation=1))  # `lexflow webhooks replay`: a new run
    assert len(_runs("inv-77")) == 2


def test_unknown_deployment_is_a_permanent_failure(deployment: str) -> None:
    with pytest.raises(PermanentFailure, match="'webhook-test-notify/missing' does not exist"):
        Dispatcher().dispatch(DeploymentAction(deployment="webhook-test-notify/missing"), _context("inv-78"))


@flow(name="webhook-test-contact")
def contact_changed(contact_id: str, name: str | None = None) -> str:
    return f"{contact_id}:{name}"


def test_sandbox_event_starts_the_mapped_deployment_once(
    prefect_harness: None, sandbox: Any, client: Any, db_url: str
) -> None:
    contact_changed.to_deployment(name="default").apply()
    route = DeploymentAction(
        deployment="webhook-test-contact/default",
        parameters={"contact_id": "{resourceId}", "name": "{resource[company][name]}"},
    )
    with serve_receiver(sandbox, client, db_url, route) as (url, inbox):
        sync_subscriptions(client, SubscriptionSet(callback_url=url, events=["contact.changed"]))
        contact = client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Flow GmbH"}})
        client.contacts.update(contact.id, lambda c: setattr(c.company, "name", "Flow GmbH & Co. KG"))
        wait_for(lambda: inbox.counts()["done"] == 1, timeout=30)
        (row,) = inbox.list()
        # Lexware redelivers the same event: answered, not run again
        again = httpx.post(
            url, content=row.body, headers={SIGNATURE_HEADER: sign(signing_key(sandbox.state), row.body)}
        )
        assert again.json()["duplicate"] is True

    (run,) = _runs_of("webhook-test-contact", contact.id)
    assert run.parameters == {"contact_id": contact.id, "name": "Flow GmbH & Co. KG"}
    assert f"flow run {run.id}" in (inbox.get(row.id).result or "")


def _runs_of(flow_name: str, contact_id: str) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as prefect:
        runs = prefect.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
    return [r for r in runs if r.parameters.get("contact_id") == contact_id]
