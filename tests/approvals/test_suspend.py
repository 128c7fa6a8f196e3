"""Under a deployment a long wait suspends: the process exits, a click resumes, the runner starts the run again,
nothing before the approval repeats and nothing is posted twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lexflow.testing.slack_clicks import click

from .conftest import ALICE, SIGNING_SECRET
from .helpers import updates_for, wait_until

pytestmark = pytest.mark.prefect


def _state(flow_run_id: str) -> tuple[str, str]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        fr = client.read_flow_run(flow_run_id)  # type: ignore[arg-type]
        return (fr.state.type.value, fr.state.name) if fr.state else ("", "")


def test_long_wait_under_deployment_suspends_and_resumes_once(receiver_url, slack_settings, fake_slack, tmp_path):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    log = tmp_path / "side-effects.log"
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp_path / "results"),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        "APPROVAL_TEST_LOG": str(log),
        "LEXFLOW_SLACK_BOT_TOKEN": slack_settings.bot_token.get_secret_value(),  # type: ignore[union-attr]
        "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
        "LEXFLOW_SLACK_APPROVERS": ALICE,
        "LEXFLOW_SLACK_BASE_URL": slack_settings.base_url,
        "LEXFLOW_SLACK_DATABASE_URL": slack_settings.resolved_database_url(),
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    runner = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("suspend_flow.py"))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fr = run_deployment("approval-suspend-test/suspend", parameters={"marker": "m1"}, timeout=0)
                break
            except Exception:
                assert runner.poll() is None and time.monotonic() < deadline, "runner did not register the deployment"
                time.sleep(0.5)
        flow_run_id = str(fr.id)
        seen = len(fake_slack.posted_requests())
        posted = fake_slack.wait_for_request(seen + 1, timeout=60)
        wait_until(lambda: _state(flow_run_id) == ("PAUSED", "Suspended"), timeout=30)

        assert click(receiver_url, SIGNING_SECRET, posted, user=ALICE).status_code == 200
        wait_until(lambda: _state(flow_run_id)[0] == "COMPLETED", timeout=60)
        lines = log.read_text().splitlines()
        assert lines == ["before m1", f"after m1 approved=True by={ALICE}"]  # the task before ran once
        assert sum("Suspend test m1" in p.text for p in fake_slack.posted_requests()) == 1  # asked once
        assert f"Approved by <@{ALICE}>" in str(wait_until(lambda: updates_for(fake_slack, posted))[-1].args["blocks"])
    finally:
        runner.terminate()
        try:
            runner.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.communicate()
