"""A small flow that asks for approval and records whether it 'created' anything."""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta
from decimal import Decimal
from typing import Any

from prefect import flow

from lexflow.approvals import DecisionRequest, Summary, SummaryField, SummaryLine, Totals, request_approval

#: Set by each test: the settings the flow uses (never a flow parameter: parameters are stored by Prefect).
SETTINGS: dict[str, Any] = {}
CREATED: list[str] = []
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-flow")


def invoice_request(subject: str, expires_s: float = 120.0, approvers: list[str] | None = None) -> DecisionRequest:
    return DecisionRequest(
        subject=subject,
        kind="invoice",
        approvers=approvers or [],
        expires_in=timedelta(seconds=expires_s),
        summary=Summary(
            fields=[SummaryField(label="Customer", value="Acme GmbH")],
            lines=[
                SummaryLine(
                    description="Consulting", quantity=Decimal(2), unit="h", unit_price=Decimal(50), amount=Decimal(100)
                )
            ],
            totals=Totals(net=Decimal("100.00"), tax=Decimal("19.00"), gross=Decimal("119.00")),
        ),
    )


@flow(name="approval-test-flow")
def approval_flow(subject: str, expires_s: float = 120.0) -> dict[str, Any]:
    decision = request_approval(invoice_request(subject, expires_s), settings=SETTINGS["settings"], poll_interval=0.2)
    if decision.approved:
        CREATED.append(subject)  # the irreversible step
    return {**decision.model_dump(), "expired": decision.expired}


def start_flow(subject: str, expires_s: float = 120.0) -> concurrent.futures.Future[dict[str, Any]]:
    return _POOL.submit(approval_flow, subject, expires_s)


def wait_posted(fake: Any, subject: str, timeout: float = 30.0) -> Any:
    """The posted decision request whose text names `subject`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for posted in fake.posted_requests():
            if subject in posted.text:
                return posted
        time.sleep(0.02)
    raise TimeoutError(f"no decision request for {subject!r} was posted")


def wait_until(predicate: Any, timeout: float = 15.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def updates_for(fake: Any, posted: Any) -> list[Any]:
    return [c for c in fake.calls_to("chat.update") if c.args.get("ts") == posted.ts]


def ephemerals_for(fake: Any, user: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.postEphemeral") if c.args.get("user") == user]


def result_of(future: Any, fake: Any, posted: Any, db_url: str, timeout: float = 30.0) -> Any:
    """`future.result`, but a timeout explains itself: request row, Prefect run state, what Slack saw."""
    import concurrent.futures

    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        import httpx
        from prefect.settings import PREFECT_API_URL

        from lexflow.approvals.store import ApprovalStore

        row = ApprovalStore(db_url).get(posted.request_id)
        run = httpx.get(f"{PREFECT_API_URL.value()}/flow_runs/{row.flow_run_id}").json() if row else {}
        said = [
            (c.method, c.args.get("user"), c.args.get("text")) for c in fake.calls if c.method != "chat.postMessage"
        ]
        raise AssertionError(
            f"flow did not finish: row={row and (row.state, row.decided_by, row.reason)} "
            f"run={run.get('state', {}).get('type')}/{run.get('state', {}).get('name')} slack={said[-6:]}"
        ) from None
