"""`lexflow dev`: with its mail catcher, fake Slack and receiver up, a flow's approval request is answered by
typing `a` (a signed click through the real receiver), and the environment it writes points flows at them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest

from lexflow.dev import APPROVER, DevStack, dev_environment

from .helpers import SETTINGS, start_flow, wait_posted

pytestmark = pytest.mark.prefect


@pytest.fixture
def dev_env(tmp_path: Path) -> Iterator[None]:
    """DevStack writes LEXFLOW_SLACK_* / LEXFLOW_SMTP_URL into os.environ: the whole environment is restored."""
    with patch.dict(os.environ):
        for name in dev_environment(smtp_url="", slack_api_url=""):
            os.environ.pop(name, None)
        os.environ["LEXFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path}/dev.db"
        yield


def test_typing_a_approves_the_waiting_request(prefect_harness: None, dev_env: None) -> None:
    from lexflow.approvals.settings import SlackApprovalSettings

    with DevStack(smtp_port=0, slack_port=0, receiver_port=0) as stack:
        assert stack.answer("approve") == "no decision request is waiting"
        SETTINGS["settings"] = SlackApprovalSettings()  # what a flow started with the written environment reads
        future = start_flow("Invoice DEV-1 for Acme")
        wait_posted(stack.slack, "Invoice DEV-1 for Acme")
        said = stack.answer("approve")
        result = future.result(timeout=60)
    assert "approve clicked" in said and "HTTP 200" in said
    assert result["approved"] is True and result["approver"] == APPROVER
    assert stack.env["LEXFLOW_SMTP_URL"].startswith("smtp://127.0.0.1:")
