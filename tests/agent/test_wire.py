"""The real OpenAI and Anthropic SDKs, over real sockets to a scripted fake on loopback: every tool the agent can
offer (profile `*`) is serialized and accepted, a tool call runs against the sandbox, the result goes back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic_ai import models

from lexflow.actions import Profile
from lexflow.actions.export import export_tools
from lexflow.agent import select_actions, solve
from lexflow.testing.fake_models import serve_fake_models
from tests.agent.conftest import approve_all, no_questions

EVERYTHING = Profile(name="all", scopes=["*"])


def _turns() -> list[Any]:
    def answer(results: list[str]) -> str:
        found = json.loads(results[-1])["items"]
        return f"Found {len(found)} customer(s): {found[0]['name']}."

    return [[("search_customers", {"name": "ACME"})], answer]


@pytest.fixture
def fake():
    with serve_fake_models(_turns()) as server:
        yield server


def _model(wire: str, url: str) -> Any:
    if wire == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        return OpenAIChatModel("gpt-test", provider=OpenAIProvider(base_url=f"{url}/v1", api_key="test-key"))
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    return AnthropicModel("claude-test", provider=AnthropicProvider(base_url=url, api_key="test-key"))


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
def test_every_tool_schema_crosses_the_wire_and_a_call_comes_back(wire, fake, books):
    books.customer("ACME GmbH", "billing@acme.example")
    with models.override_allow_model_requests(True):
        result = solve("Who is ACME?", model=_model(wire, fake.url), profile=EVERYTHING, decide=approve_all,
                       answer=no_questions, client_factory=lambda: books.client)  # fmt: skip
    assert fake.refused == []
    offered = {a.name for a in select_actions(EVERYTHING, "lexware")} | {"ask_user"}
    assert len(offered) > 20 and [set(s.tools) for s in fake.seen] == [offered, offered]
    assert {s.wire for s in fake.seen} == {wire}
    assert result.summary == "Found 1 customer(s): ACME GmbH." and result.model_requests == 2
    assert [r.outcome for r in books.audit() if r.action == "search_customers"] == ["ok"]


def test_an_openai_compatible_server_is_chosen_by_base_url(fake, books, monkeypatch):
    """LEXFLOW_AGENT_MODEL as a model string; `openai-chat:` (Chat Completions) and OPENAI_BASE_URL
    reach any OpenAI-compatible server."""
    books.customer("ACME GmbH", "billing@acme.example")
    monkeypatch.setenv("LEXFLOW_AGENT_MODEL", "openai-chat:local-model")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with models.override_allow_model_requests(True):
        result = solve("Who is ACME?", model=None, profile=EVERYTHING, decide=approve_all, answer=no_questions,
                       client_factory=lambda: books.client)  # fmt: skip
    assert result.summary.startswith("Found 1 customer") and fake.seen[0].wire == "openai"


@pytest.mark.parametrize("fmt", ["openai", "anthropic"])
def test_the_exported_catalogue_is_accepted_as_it_is(fmt, fake):
    """`lexflow actions export` output (for other agent frameworks) passes the same acceptance check."""
    import httpx

    tools = export_tools(fmt)  # type: ignore[arg-type]
    path, body = (
        ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools})
        if fmt == "openai"
        else ("/v1/messages", {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],
                               "tools": tools})
    )  # fmt: skip
    response = httpx.post(fake.url + path, json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert fake.refused == [] and len(fake.seen[0].tools) == len(tools)


def test_a_tool_the_providers_would_refuse_is_refused(fake):
    import httpx

    bad = [{"type": "function", "function": {"name": "has space", "parameters": {"type": "object"}}}]
    response = httpx.post(fake.url + "/v1/chat/completions", json={"model": "m", "messages": [], "tools": bad})
    assert response.status_code == 400 and "has space" in response.text
