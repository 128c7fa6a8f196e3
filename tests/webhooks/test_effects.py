"""A webhook action's side effect happens once, even when the action runs again: the inbox write after it failed,
the worker died after it, or someone replayed the event. The invoice notice in the fake Slack is the witness."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError

from lexflow.testing.fake_slack import FakeSlack
from lexflow.webhooks.config import CallableAction, WebhookConfig
from lexflow.webhooks.effects import EffectLog
from lexflow.webhooks.events import WebhookEvent
from lexflow.webhooks.inbox import EventStatus, Inbox
from lexflow.webhooks.worker import InboxWorker
from tests.webhooks.helpers import event_body

LEASE = 0.5
NOTIFY = CallableAction(callable="lexflow.webhooks.notify:notify_invoice_status", refetch=False)
CONFIG = WebhookConfig(routes={"invoice.status.changed": NOTIFY})

DIES_BEFORE_RECORDING = textwrap.dedent(
    """
    import os, signal, sys
    from lexflow.webhooks.config import CallableAction, WebhookConfig
    from lexflow.webhooks.inbox import Inbox
    from lexflow.webhooks.worker import InboxWorker

    class DiesBeforeRecording(Inbox):
        def complete(self, event_id, result):  # the action ran; the process dies before the inbox knows
            os.kill(os.getpid(), signal.SIGKILL)

    route = CallableAction(callable="lexflow.webhooks.notify:notify_invoice_status", refetch=False)
    config = WebhookConfig(routes={"invoice.status.changed": route})
    InboxWorker(DiesBeforeRecording(sys.argv[1], lease=LEASE), config, client_factory=lambda: None).drain()
    """
)


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", fake.token)
        monkeypatch.setenv("LEXFLOW_SLACK_CHANNEL", "C0INVOICES")
        monkeypatch.setenv("LEXFLOW_SLACK_BASE_URL", fake.api_url)
        yield fake


def _store(inbox: Inbox) -> int:
    body = event_body(event_type="invoice.status.changed", resource_id="inv-1")
    return inbox.store(WebhookEvent.model_validate_json(body), body).id


class FailsOnceToRecord(Inbox):
    """The database refuses the write that marks the event done, once (after the action ran)."""

    failed = False

    def complete(self, event_id: int, result: str) -> None:
        if not self.failed:
            self.failed = True
            raise OperationalError("UPDATE webhook_inbox", {}, Exception("database is locked"))
        super().complete(event_id, result)


def test_a_failed_inbox_write_after_the_post_does_not_post_again(slack: FakeSlack, db_url: str) -> None:
    inbox = FailsOnceToRecord(db_url, lease=LEASE)
    event_id = _store(inbox)
    with pytest.raises(OperationalError):
        InboxWorker(inbox, CONFIG, client_factory=lambda: None).drain()
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert inbox.get(event_id).status == EventStatus.PROCESSING  # not recorded: the lease will hand it out again

    time.sleep(LEASE)
    assert InboxWorker(inbox, CONFIG, client_factory=lambda: None).drain() == 1
    row = inbox.get(event_id)
    assert row.status == EventStatus.DONE and row.attempts == 2
    (post,) = slack.calls_to("chat.postMessage")
    assert "not posted again" in (row.result or "") and post.response["ts"] in (row.result or "")

    inbox.replay(event_id)  # a person replays the event on purpose: the notice is still there, not posted again
    assert InboxWorker(inbox, CONFIG, client_factory=lambda: None).drain() == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert inbox.get(event_id).status == EventStatus.DONE


def test_a_worker_killed_after_the_post_leaves_one_slack_message(slack: FakeSlack, db_url: str) -> None:
    inbox = Inbox(db_url, lease=LEASE)
    event_id = _store(inbox)
    script = DIES_BEFORE_RECORDING.replace("LEASE", repr(LEASE))
    proc = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True, timeout=60, env=os.environ)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert inbox.get(event_id).status == EventStatus.PROCESSING

    time.sleep(LEASE)
    assert InboxWorker(inbox, CONFIG, client_factory=lambda: None).drain() == 1
    assert inbox.get(event_id).status == EventStatus.DONE
    (post,) = slack.calls_to("chat.postMessage")
    assert "Invoice" in post.args["text"] and "inv-1" in post.args["text"]


def test_an_interrupted_post_is_repeated_and_says_so(slack: FakeSlack, db_url: str) -> None:
    """Died between Slack's answer and recording its ts: the next attempt cannot know, so it posts, marked."""
    inbox = Inbox(db_url, lease=LEASE)
    event_id = _store(inbox)
    key = f"slack-notice:{inbox.get(event_id).to_event().key}"
    assert EffectLog(db_url).begin(key) is None  # the intent an interrupted attempt left
    assert InboxWorker(inbox, CONFIG, client_factory=lambda: None).drain() == 1
    (post,) = slack.calls_to("chat.postMessage")
    assert "may have posted this notice already" in post.args["text"]
    effect = EffectLog(db_url).get(key)
    assert effect is not None and effect.done and effect.outcome == {"channel": "C0INVOICES", "ts": post.response["ts"]}


def test_a_refused_post_is_retried_clean(slack: FakeSlack, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack refused the post (invalid_auth): nothing was posted, so the retry is not marked as a repeat."""
    inbox = Inbox(db_url, lease=LEASE)
    event_id = _store(inbox)
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", "xoxb-wrong")
    worker = InboxWorker(inbox, CONFIG, client_factory=lambda: None)
    assert worker.drain() == 1
    assert inbox.get(event_id).status == EventStatus.PENDING and "invalid_auth" in (
        inbox.get(event_id).last_error or ""
    )
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", slack.token)
    inbox.replay(event_id)
    assert worker.drain() == 1
    (post,) = [c for c in slack.calls_to("chat.postMessage") if c.response.get("ok")]
    assert "may have posted" not in post.args["text"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def effects_url(request: pytest.FixtureRequest, db_url: str) -> str:
    if request.param == "sqlite":
        return db_url
    return str(request.getfixturevalue("postgres_schema_url"))


def test_effect_log_records_intent_outcome_and_abandon(effects_url: str) -> None:
    log = EffectLog(effects_url)
    assert log.begin("mail:inv-1") is None  # first attempt: go ahead
    unfinished = log.begin("mail:inv-1")  # a re-run before the outcome was recorded
    assert unfinished is not None and not unfinished.done and unfinished.attempts == 1
    assert log.get("mail:inv-1").attempts == 2  # type: ignore[union-attr]
    log.finish("mail:inv-1", {"message_id": "<1@x>"})
    done = log.begin("mail:inv-1")
    assert done is not None and done.done and done.outcome == {"message_id": "<1@x>"}
    log.abandon("mail:inv-1")  # a finished effect is never forgotten
    assert log.get("mail:inv-1") is not None

    assert log.begin("mail:inv-2") is None
    log.abandon("mail:inv-2")  # refused by the remote side: the next attempt starts clean
    assert log.get("mail:inv-2") is None and log.begin("mail:inv-2") is None
