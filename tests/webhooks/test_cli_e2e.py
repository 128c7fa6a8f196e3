"""The commands as a user runs them: `lexflow webhooks subscribe/list/delete` and `serve` / `work` as processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.lexware.client import LexwareClient
from lexflow.sandbox.gateway import free_port
from lexflow.settings import get_settings
from lexflow.testing.served import ServedSandbox
from lexflow.webhooks.config import SubscriptionSet
from lexflow.webhooks.inbox import EventStatus, Inbox
from lexflow.webhooks.subscriptions import sync_subscriptions
from tests.webhooks.helpers import wait_for

runner = CliRunner()


@pytest.fixture
def api_env(sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    sandbox.reset()
    env = {"LEXWARE_API_KEY": sandbox.api_key, "LEXWARE_BASE_URL": sandbox.url, "LEXWARE_RATE_LIMIT": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield env
    monkeypatch.undo()
    get_settings.cache_clear()


def test_subscribe_list_delete_name_the_backend_first(sandbox: ServedSandbox, api_env: dict[str, str]) -> None:
    created = runner.invoke(
        app,
        [
            "webhooks",
            "subscribe",
            "--url",
            "https://hooks.example/lx",
            "--events",
            "payment.changed,invoice.status.changed",
        ],
    )
    assert created.exit_code == 0, created.output
    assert created.output.splitlines()[0] == f"backend: Lexware Office API at {sandbox.url}"
    assert created.output.count("created ") == 2

    listed = runner.invoke(app, ["webhooks", "list"], env={"COLUMNS": "200"})
    assert "payment.changed" in listed.output and "invoice.status.changed" in listed.output
    with LexwareClient(api_key=sandbox.api_key, base_url=sandbox.url, rate_limit=0) as client:
        sub_id = next(s.subscription_id for s in client.event_subscriptions.list() if s.event_type == "payment.changed")
        deleted = runner.invoke(app, ["webhooks", "delete", sub_id])
        assert deleted.exit_code == 0 and [s.event_type for s in client.event_subscriptions.list()] == [
            "invoice.status.changed"
        ]

    bad = runner.invoke(app, ["webhooks", "subscribe", "--url", "https://hooks.example/lx", "--events", "invoice.paid"])
    assert bad.exit_code == 2 and "unknown Lexware Office event type 'invoice.paid'" in bad.output


def test_without_an_api_key_the_embedded_sandbox_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["webhooks", "list"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("backend: embedded sandbox (no LEXWARE_API_KEY set")


def _lexflow(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from lexflow.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=os.getcwd()
    )


def test_receiver_killed_after_storing_loses_nothing(
    sandbox: ServedSandbox, api_env: dict[str, str], tmp_path: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    config = tmp_path / "hooks.yaml"
    config.write_text("routes:\n  contact.changed: {callable: 'tests.webhooks.helpers:record_to_file'}\n")
    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    env = {**os.environ, **api_env, "WEBHOOK_TEST_CALLS": str(calls), "LEXFLOW_DATABASE_URL": db}
    port = free_port()
    key_url = f"{sandbox.url}/_sandbox/webhook-public-key"
    common = ["--config", str(config)]
    serve = _lexflow(["webhooks", "serve", "--port", str(port), "--public-key", key_url, "--no-worker", *common], env)
    try:
        wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), timeout=30)
        with LexwareClient(api_key=sandbox.api_key, base_url=sandbox.url, rate_limit=0) as client:
            callback = f"http://127.0.0.1:{port}/webhooks/lexware"
            sync_subscriptions(client, SubscriptionSet(callback_url=callback, events=["contact.changed"]))
            contact = client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Crash KG"}})
            client.contacts.update(contact.id, lambda c: setattr(c.company, "name", "Crash KG (neu)"))
        inbox = Inbox(db)
        wait_for(lambda: inbox.counts()["pending"] == 1, timeout=15)
    finally:
        serve.send_signal(signal.SIGKILL)  # the receiver dies before anything was triggered
        serve.wait(10)
    assert not calls.exists()

    work = _lexflow(["webhooks", "work", "--once", *common], env)
    output = work.communicate(timeout=60)[0].decode()
    assert work.returncode == 0, output
    assert output.splitlines()[0] == f"backend: Lexware Office API at {sandbox.url}"
    lines = [json.loads(line) for line in calls.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["resource"]["company"]["name"] == "Crash KG (neu)"
    assert Inbox(db).counts()[EventStatus.DONE] == 1


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_without_an_api_key_serve_verifies_with_the_embedded_sandbox_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lexflow.lexware.sandbox import SandboxConfig, create_app
    from lexflow.lexware.sandbox.webhooks import public_key_pem, sign, signing_key
    from lexflow.webhooks.cli import _public_key
    from lexflow.webhooks.config import WebhookSettings
    from tests.webhooks.helpers import event_body

    for name in (
        "LEXWARE_API_KEY",
        "LEXOFFICE_API_KEY",
        "LEXFLOW_WEBHOOKS_PUBLIC_KEY",
        "LEXFLOW_WEBHOOKS_PUBLIC_KEY_PEM",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    get_settings.cache_clear()
    try:
        key = _public_key(None, WebhookSettings())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    # a second sandbox on the same database (as in the process that emits and delivers) signs with that key
    other = create_app(SandboxConfig(rate_limit=0, db_path=tmp_path / "sandbox.db")).state.sandbox
    body = event_body()
    assert key.pem() == public_key_pem(other)
    assert key.verify(body, sign(signing_key(other), body))
    assert key.description == "the embedded sandbox's key"
