"""Real `run_deployment` against the session Prefect test server: a run is created once per event."""

from __future__ import annotations

import pytest
from prefect import flow

from lexflow.webhooks.config import DeploymentAction
from lexflow.webhooks.dispatch import Dispatcher, EventContext
from lexflow.webhooks.errors import PermanentFailure
from lexflow.webhooks.events import WebhookEvent

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
