"""A receiver restart while a run waits: the pending request lives in the database, not in the process."""

from __future__ import annotations

import httpx
import pytest

from lexflow.approvals.receiver import create_receiver_app
from lexflow.approvals.serving import ThreadedServer
from lexflow.testing.slack_clicks import click

from .conftest import ALICE, SIGNING_SECRET
from .helpers import SETTINGS, start_flow, updates_for, wait_posted, wait_until

pytestmark = pytest.mark.prefect


def test_receiver_restart_while_run_waits(prefect_harness, slack_settings, fake_slack):
    SETTINGS["settings"] = slack_settings
    first = ThreadedServer(create_receiver_app(slack_settings, sweep_interval=None)).start()
    future = start_flow("Invoice S-8 for Acme")
    posted = wait_posted(fake_slack, "Invoice S-8 for Acme")
    assert httpx.get(first.url + "/healthz").json()["pending"] >= 1
    first.stop()  # the receiver goes away (deploy, crash) while the run is paused
    with pytest.raises(httpx.TransportError):
        click(first.url, SIGNING_SECRET, posted, user=ALICE)
    assert not future.done()

    with ThreadedServer(create_receiver_app(slack_settings, sweep_interval=None)) as second:  # a new process/port
        assert click(second.url, SIGNING_SECRET, posted, user=ALICE).status_code == 200
        result = future.result(timeout=30)
        assert result["approved"] is True and result["approver"] == ALICE
        assert f"Approved by <@{ALICE}>" in str(wait_until(lambda: updates_for(fake_slack, posted))[-1].args["blocks"])
