"""The fake Slack Web API answers the real slack-sdk client like Slack does (for what lexflow uses)."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from lexflow.testing.fake_slack import FakeSlack


def test_real_web_client_against_the_fake(fake_slack: FakeSlack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    start = len(httpx.get(fake_slack.url + "/_fake/calls").json())
    assert client.auth_test()["user_id"] == "U0BOT"
    posted = client.chat_postMessage(channel="#invoices", text="hello", blocks=[{"type": "divider"}])
    channel, ts = posted["channel"], posted["ts"]
    assert channel.startswith("C") and fake_slack.message(channel, ts)["blocks"] == [{"type": "divider"}]
    client.chat_update(channel=channel, ts=ts, text="changed", blocks=[])
    assert fake_slack.message(channel, ts)["text"] == "changed"
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel=channel, ts="0.000000", text="x")
    assert client.chat_postEphemeral(channel=channel, user="U1", text="psst")["ok"]
    view = client.views_open(trigger_id="t-1", view={"type": "modal", "callback_id": "cb"})["view"]
    assert view["callback_id"] == "cb" and view["id"].startswith("V")
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S0NOPE")
    calls = httpx.get(fake_slack.url + "/_fake/calls").json()
    assert [c["method"] for c in calls[start:]] == [
        "auth.test", "chat.postMessage", "chat.update", "chat.update", "chat.postEphemeral", "views.open",
        "usergroups.users.list",
    ]  # fmt: skip


def test_fake_checks_the_token_and_sinks_response_urls(fake_slack: FakeSlack):
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    httpx.post(fake_slack.response_url("h1"), json={"replace_original": True, "text": "done"}).raise_for_status()
    assert fake_slack.responses[-1] == {"hook": "h1", "replace_original": True, "text": "done"}
