"""`lexflow approvals serve/list/sweep` and the Socket Mode transport (constructed only: it needs Slack's cloud)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.cli import app
from lexflow.testing.fake_slack import FakeSlack

from .conftest import SIGNING_SECRET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_binds_loopback_and_rejects_unsigned(fake_slack: FakeSlack, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "LEXFLOW_SLACK_BOT_TOKEN": fake_slack.token,
        "LEXFLOW_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "LEXFLOW_SLACK_BASE_URL": fake_slack.api_url,
        "LEXFLOW_SLACK_CHANNEL": "C0INVOICES",
        "LEXFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "lexflow.cli", "approvals", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "receiver did not start"
                time.sleep(0.2)
        assert health.json() == {"ok": True, "pending": 0}
        forged = httpx.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=b"payload=%7B%7D",
            headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
        )
        assert forged.status_code == 401
        conns = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
        assert f"127.0.0.1:{port}" in conns and f"0.0.0.0:{port}" not in conns
    finally:
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    assert SIGNING_SECRET not in out and fake_slack.token not in out  # secrets never logged
    assert f"http://127.0.0.1:{port}/slack/events" in out


def test_serve_names_the_missing_setting(monkeypatch):
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.delenv("LEXFLOW_SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("LEXFLOW_SLACK_APP_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["approvals", "serve"])
    assert result.exit_code == 2 and "LEXFLOW_SLACK_SIGNING_SECRET" in result.output
    result = CliRunner().invoke(app, ["approvals", "serve", "--socket-mode"])
    assert result.exit_code == 2 and "LEXFLOW_SLACK_APP_TOKEN" in result.output


def test_socket_mode_handler_is_built_with_the_app_token(fake_slack: FakeSlack, tmp_path):
    from lexflow.approvals.receiver import socket_mode_handler, sweeper_for

    settings = SlackApprovalSettings(
        bot_token=fake_slack.token,
        app_token="xapp-1-test",
        base_url=fake_slack.api_url,
        channel="C1",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        _env_file=None,  # type: ignore[call-arg]
    )
    handler = socket_mode_handler(settings)
    assert handler.client.app_token == "xapp-1-test"
    middleware = [type(m).__name__ for m in handler.app._middleware_list]
    assert "RequestVerification" not in middleware  # the websocket is authenticated by the app token instead
    assert sweeper_for(handler.app, 5.0) is not None


def test_list_and_sweep(tmp_path, monkeypatch):
    from datetime import timedelta

    from lexflow.approvals import DecisionRequest
    from lexflow.approvals.store import ApprovalStore, utcnow

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.delenv("LEXFLOW_SLACK_BOT_TOKEN", raising=False)
    store = ApprovalStore(url)
    old = DecisionRequest(subject="Old one", expires_in=timedelta(seconds=1))
    store.add(old, flow_run_id=None, approvers=[], ui_url=None, created_at=utcnow() - timedelta(minutes=1))
    result = CliRunner().invoke(app, ["approvals", "sweep", "--database-url", url])
    assert result.exit_code == 0 and "expired 1" in result.output
    result = CliRunner().invoke(app, ["approvals", "list", "--database-url", url])
    assert "Old one" in result.output and "expired" in result.output
