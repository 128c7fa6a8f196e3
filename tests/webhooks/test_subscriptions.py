"""Subscription sync when Lexware refuses: every refusal is in the report (and the CLI's exit code), none escapes
half-way, and a pair created meanwhile (409) or deleted meanwhile (404) is what sync wanted anyway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.lexware.client import LexwareClient
from lexflow.sandbox.gateway import free_port
from lexflow.settings import get_settings
from lexflow.testing.served import ServedSandbox, serve_in_thread
from lexflow.webhooks.config import SubscriptionSet
from lexflow.webhooks.subscriptions import Subscription, list_subscriptions, sync_subscriptions

runner = CliRunner()


@pytest.fixture(scope="module")
def tls_checking() -> Iterator[ServedSandbox]:
    """A sandbox that, like Lexware, sends a HEAD to an https callback before it subscribes (docs/lexware.md#subscribing)."""
    from lexflow.lexware.sandbox import SandboxConfig

    served = serve_in_thread(SandboxConfig(rate_limit=0, callback_tls_check=True, ocr_delay_seconds=None))
    yield served
    served.stop()


def _closed_https_url() -> str:
    return f"https://127.0.0.1:{free_port('127.0.0.1')}/webhooks/lexware"  # nobody listens: the HEAD check fails


def test_refused_pairs_are_reported_and_the_rest_goes_on(tls_checking: ServedSandbox) -> None:
    tls_checking.reset()
    url = _closed_https_url()
    with LexwareClient(api_key=tls_checking.api_key, base_url=tls_checking.url, rate_limit=0) as client:
        report = sync_subscriptions(
            client, SubscriptionSet(callback_url=url, events=["payment.changed", "contact.changed"])
        )
        assert report.created == [] and list_subscriptions(client) == []
    assert sorted((f.operation, f.event_type) for f in report.failed) == [
        ("create", "contact.changed"),
        ("create", "payment.changed"),
    ]
    assert all("HTTP 406" in f.error and "callbackUrl" in f.error and "TLS proxy" in f.error for f in report.failed)


class _Stale:
    """The client as another process sees it: its list of subscriptions was read before someone changed them."""

    def __init__(self, client: LexwareClient, listed: list[Any]) -> None:
        self._client, self._listed = client, listed
        self.event_subscriptions = self

    def list(self) -> list[Any]:
        listed, self._listed = self._listed, self._client.event_subscriptions.list()
        return listed

    def create(self, event_type: str, callback_url: str) -> Any:
        return self._client.event_subscriptions.create(event_type, callback_url)

    def delete(self, subscription_id: str) -> None:
        self._client.event_subscriptions.delete(subscription_id)


def test_created_or_deleted_meanwhile_is_no_failure(sandbox: ServedSandbox, client: LexwareClient) -> None:
    url = "http://127.0.0.1:9/hook"
    client.event_subscriptions.create("payment.changed", url)  # another sync got there first
    gone = Subscription(subscription_id="00000000-0000-4000-8000-000000000000", event_type="x.y", callback_url=url)
    report = sync_subscriptions(
        _Stale(client, [gone]), SubscriptionSet(callback_url=url, events=["payment.changed"]), prune=True
    )
    assert report.failed == [] and report.created == []
    assert [s.event_type for s in report.kept] == ["payment.changed"] and report.kept[0].subscription_id
    assert report.deleted == [gone]  # 404: already gone, which is what prune wanted


@pytest.fixture
def cli_env(tls_checking: ServedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    tls_checking.reset()
    monkeypatch.setenv("LEXWARE_API_KEY", tls_checking.api_key)
    monkeypatch.setenv("LEXWARE_BASE_URL", tls_checking.url)
    monkeypatch.setenv("LEXWARE_RATE_LIMIT", "0")
    config = tmp_path / "webhooks.yaml"
    config.write_text(f"subscriptions: {{callback_url: '{_closed_https_url()}', events: [payment.changed]}}\n")
    get_settings.cache_clear()
    yield config
    get_settings.cache_clear()


def test_cli_reports_refusals_and_api_errors_without_a_traceback(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = runner.invoke(app, ["webhooks", "sync", "--config", str(cli_env)], env={"COLUMNS": "250"})
    assert synced.exit_code == 1 and isinstance(synced.exception, SystemExit)
    text = " ".join(synced.output.split())
    assert "failed to create payment.changed" in text and "0 created, 0 deleted, 1 failed" in text

    monkeypatch.setenv("LEXWARE_API_KEY", "not-a-key-of-this-sandbox")
    get_settings.cache_clear()
    listed = runner.invoke(app, ["webhooks", "list"])
    assert listed.exit_code == 1 and isinstance(listed.exception, SystemExit)
    assert "error: GET /v1/event-subscriptions HTTP 401" in listed.output and "LEXWARE_API_KEY" in listed.output
    assert "not-a-key-of-this-sandbox" not in listed.output
