"""A served deployment whose run suspends in `request_approval` (run by test_suspend.py in a subprocess)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from prefect import flow, task

from lexflow.approvals import DecisionRequest, request_approval


@task(persist_result=True)
def before_approval(marker: str) -> str:
    """A side effect that must not repeat when the suspended run starts again from the top."""
    with Path(os.environ["APPROVAL_TEST_LOG"]).open("a") as fh:
        fh.write(f"before {marker}\n")
    return marker


@flow(name="approval-suspend-test", persist_result=True)
def approval_suspend_test(marker: str) -> dict[str, object]:
    before_approval(marker)
    decision = request_approval(DecisionRequest(subject=f"Suspend test {marker}", expires_in=timedelta(hours=2)))
    with Path(os.environ["APPROVAL_TEST_LOG"]).open("a") as fh:
        fh.write(f"after {marker} approved={decision.approved} by={decision.approver}\n")
    return decision.model_dump()


if __name__ == "__main__":
    approval_suspend_test.serve(name="suspend", print_starting_message=False)
