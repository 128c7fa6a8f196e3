"""Fixtures for the approvals tests: a served fake Slack, a served receiver, settings pointing at both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.testing.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789"
ALICE, CAROL, MALLORY = "U0ALICE", "U0CAROL", "U0MALLORY"
GROUP = "S0APPROVERS"


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-test-token-abc", groups={GROUP: [CAROL]}) as fake:
        yield fake


@pytest.fixture(scope="session")
def approvals_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{Path(tmp_path_factory.mktemp('approvals')) / 'lexflow.db'}"


@pytest.fixture(scope="session")
def slack_settings(fake_slack: FakeSlack, approvals_db: str) -> SlackApprovalSettings:
    return SlackApprovalSettings(
        bot_token=fake_slack.token,
        signing_secret=SIGNING_SECRET,
        channel="C0INVOICES",
        approvers=[ALICE, GROUP],
        base_url=fake_slack.api_url,
        database_url=approvals_db,
        poll_interval=0.2,
    )


@pytest.fixture(scope="session")
def receiver_url(prefect_harness: None, slack_settings: SlackApprovalSettings) -> Iterator[str]:
    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer

    with ThreadedServer(create_receiver_app(slack_settings, sweep_interval=0.5)) as server:
        yield server.url
