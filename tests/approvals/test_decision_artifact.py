"""After the decision the approval artifact says who decided and when, instead of still asking to approve."""

from __future__ import annotations

import httpx
import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore

from .helpers import SETTINGS, start_flow, wait_until

pytestmark = pytest.mark.prefect


def test_approval_artifact_shows_the_decision(prefect_harness: None, approvals_db: str) -> None:
    from prefect.artifacts import Artifact
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value()).rstrip("/")
    SETTINGS["settings"] = SlackApprovalSettings(database_url=approvals_db, poll_interval=0.2)
    future = start_flow("Invoice D-1 for Acme")
    store = ApprovalStore(approvals_db)
    p = wait_until(lambda: next((x for x in store.list() if x.subject == "Invoice D-1 for Acme"), None), timeout=30)
    key = f"approval-{p.pause_key}"[:100]
    wait_until(lambda: httpx.get(f"{api}/flow_runs/{p.flow_run_id}").json()["state"]["type"] == "PAUSED")
    asking = Artifact.get(key)
    assert asking is not None and "Set *approved*" in str(asking.data)
    resumed = httpx.post(
        f"{api}/flow_runs/{p.flow_run_id}/resume",
        json={"run_input": {"approved": True, "approver": "Dana (UI)", "reason": "checked"}},
    )
    assert resumed.json()["status"] == "ACCEPT"
    assert future.result(timeout=30)["approved"] is True
    decided = Artifact.get(key)
    assert decided is not None
    text = str(decided.data)
    assert "**Approved** by Dana (UI) at " in text and "checked" in text and "Set *approved*" not in text
    assert "Acme GmbH" in text  # what was approved stays readable
