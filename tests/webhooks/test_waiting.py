"""`voucher.created` continues a flow run that waits for it (the log_expense OCR wait), over the Prefect test server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from prefect import flow

from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import Inbox
from lexflow.webhooks.waiting import EventWaiter, continue_waiting_runs, wait_for_event
from tests.webhooks.helpers import event_body, wait_for

pytestmark = pytest.mark.prefect


@flow(name="webhook-test-waits-for-ocr")
def waits_for_voucher(voucher_id: str, database_url: str) -> dict:
    arrived = wait_for_event("voucher.created", voucher_id, timeout=120, poll_interval=1, database_url=database_url)
    return arrived.model_dump()


def _event(voucher_id: str) -> WebhookEvent:
    return WebhookEvent.model_validate_json(event_body(event_type="voucher.created", resource_id=voucher_id))


def _waiters(db_url: str) -> list[EventWaiter]:
    from sqlalchemy import select

    from lexflow.webhooks.waiting import _sessions

    with _sessions(db_url)() as session:
        return list(session.execute(select(EventWaiter)).scalars())


def test_webhook_resumes_the_waiting_run(prefect_harness: None, db_url: str) -> None:
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(waits_for_voucher("v-123", db_url)))
    thread.start()
    waiter = wait_for(lambda: _waiters(db_url), timeout=90)[0]
    event = _event("v-123")
    outcome = wait_for(lambda: _try_continue(event, db_url), timeout=60, interval=0.2)
    assert outcome == f"{waiter.flow_run_id}: resumed"
    thread.join(90)
    assert not thread.is_alive(), "the flow did not finish after the resume"
    assert result == {
        "event_type": "voucher.created",
        "resource_id": "v-123",
        "event_date": event.event_date,
        "resource": {"voucherStatus": "unchecked"},
    }
    # a redelivery or replay finds no open waiter: nothing is resumed twice
    assert continue_waiting_runs(event, None, database_url=db_url).startswith("no run is waiting")


def _try_continue(event: WebhookEvent, db_url: str) -> str | None:
    from lexflow.webhooks.waiting import RunNotPausedYet

    try:
        return continue_waiting_runs(event, {"voucherStatus": "unchecked"}, database_url=db_url)
    except RunNotPausedYet:
        return None  # the worker would retry with backoff; so do we


def test_event_that_arrived_first_does_not_pause(prefect_harness: None, db_url: str) -> None:
    body = event_body(event_type="voucher.created", resource_id="v-456")
    Inbox(db_url).store(WebhookEvent.model_validate_json(body), body)
    assert waits_for_voucher("v-456", db_url)["resource_id"] == "v-456"
    (waiter,) = _waiters(db_url)
    assert waiter.outcome == "event had already arrived"


class Crash(BaseException):
    """The worker dies: nothing after this point runs (not even `except Exception` handlers)."""


WORKING = threading.Event()  # set by the test: the resumed run works until then


@flow(name="webhook-test-waits-then-works")
def waits_then_works(voucher_id: str, database_url: str) -> str:
    arrived = wait_for_event("voucher.created", voucher_id, timeout=120, poll_interval=1, database_url=database_url)
    WORKING.wait(90)  # still running when the worker tries the event again
    return arrived.resource_id


def test_a_resume_sent_before_a_crash_is_recognised_not_retried_until_parked(
    prefect_harness: None, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker resumed the run and died before recording it. The retry finds the run running since then: it
    records the resume instead of waiting for a pause that is over (RunNotPausedYet until the event is parked)."""
    import prefect.flow_runs

    result: dict[str, str] = {}
    WORKING.clear()
    thread = threading.Thread(target=lambda: result.update(id=waits_then_works("v-789", db_url)))
    thread.start()
    try:
        waiter = wait_for(lambda: _waiters(db_url), timeout=90)[0]
        event = _event("v-789")
        real_resume = prefect.flow_runs.resume_flow_run

        def resume_then_die(*args: Any, **kwargs: Any) -> None:
            real_resume(*args, **kwargs)
            raise Crash

        monkeypatch.setattr(prefect.flow_runs, "resume_flow_run", resume_then_die)
        deadline = time.monotonic() + 60
        while True:  # the run may not be paused yet: retried like the worker would
            assert time.monotonic() < deadline, "the run never paused"
            try:
                _try_continue(event, db_url)
            except Crash:
                break
            time.sleep(0.2)
        monkeypatch.setattr(prefect.flow_runs, "resume_flow_run", real_resume)
        assert _waiters(db_url)[0].resolved_at is None  # the crash left the resume unrecorded

        outcome = wait_for(lambda: _try_continue(event, db_url), timeout=15, interval=0.2)
        assert outcome == f"{waiter.flow_run_id}: resumed (by an earlier attempt that stopped before recording it)"
        assert thread.is_alive()  # recognised while the resumed run still works, not after it finished
    finally:
        WORKING.set()
    thread.join(90)
    assert result == {"id": "v-789"}
    assert continue_waiting_runs(event, None, database_url=db_url).startswith("no run is waiting")
