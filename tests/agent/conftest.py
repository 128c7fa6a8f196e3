"""The agent's offline world: the embedded Lexware sandbox (in process), a fresh lexflow database per test (audit
trail and approvals store), and scripted models that read real tool results from the message history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from lexflow.actions import Profile, registry, run
from lexflow.audit import Actor, AuditTrail
from tests.approvals.conftest import approvals_db, fake_slack, receiver_url, slack_settings  # noqa: F401  (Slack)
from tests.flows.conftest import prefect_flows  # noqa: F401  (the session Prefect harness + result storage)

models.ALLOW_MODEL_REQUESTS = False  # no test here may reach a real model

INVOICE = "create_invoice"
AGENT = Profile(name="agent", scopes=["*:read", "contacts:write", "invoices:write"], approval_for=["irreversible"])


@dataclass
class Books:
    client: Any
    control: Any
    url: str

    def invoices(self) -> list[dict]:
        items = self.client.voucherlist.iter(voucher_type="invoice", voucher_status="any")
        return [i.model_dump(mode="json", by_alias=True) for i in items]

    def audit(self) -> list[Any]:
        return AuditTrail(self.url).list(limit=1000)

    def writes(self) -> list[Any]:
        """Audit records of calls that changed the books (ok outcome, an effect other than read)."""
        out = []
        for r in self.audit():
            if r.action in registry and r.outcome == "ok":
                action = registry.get(r.action)
                if action.effect != "read":
                    out.append(r)
        return out

    def customer(self, name: str, email: str) -> str:
        made = run("create_customer", {"name": name, "email": email}, actor=Actor.user("seed"),
                   profile=Profile(name="seed", scopes=["*"]), client=self.client, trail=AuditTrail(self.url))  # fmt: skip
        return str(made.customer.id)


@pytest.fixture
def books(sandbox_app, tmp_path, monkeypatch) -> Iterator[Books]:
    from starlette.testclient import TestClient

    from lexflow.lexware.client import LexwareClient, RetryPolicy
    from lexflow.lexware.sandbox import DEFAULT_API_KEY
    from lexflow.settings import get_settings
    from lexflow.testing.sandbox_control import SandboxControl
    from lexflow.transport.bridge import SyncASGITransport

    url = f"sqlite:///{tmp_path}/lexflow.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    monkeypatch.delenv("LEXFLOW_SLACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEXFLOW_PROVIDER", "lexware")
    get_settings.cache_clear()
    transport = SyncASGITransport(sandbox_app)
    fast = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05)
    with (
        TestClient(sandbox_app, base_url="http://sandbox.test") as http,
        LexwareClient(
            api_key=DEFAULT_API_KEY,
            base_url="http://sandbox.test",
            rate_limit=0,
            transport=transport,
            retry=fast,
            settle_delay=0,
        ) as client,  # fmt: skip
    ):
        yield Books(client, SandboxControl(http, DEFAULT_API_KEY), url)
    transport.close()


# ------------------------------------------------------------------------------------------------ scripted models
class History:
    """What a scripted model reads: the latest result of each tool, and what the person said."""

    def __init__(self, messages: list[ModelMessage]) -> None:
        self.messages = messages

    def results(self, tool: str) -> list[Any]:
        names = {p.tool_call_id: p.tool_name for m in self.messages for p in m.parts if isinstance(p, ToolCallPart)}
        return [p.content for m in self.messages for p in m.parts
                if isinstance(p, ToolReturnPart) and names.get(p.tool_call_id) == tool]  # fmt: skip

    def last(self, tool: str) -> Any:
        found = self.results(tool)
        return found[-1] if found else None

    def text(self) -> str:
        return json.dumps([str(p) for m in self.messages for p in m.parts], default=str)


Step = Callable[[History], "str | list[tuple[str, dict]]"]


def script(*steps: Step, seen: list[AgentInfo] | None = None) -> FunctionModel:
    """A model that plays `steps` in order: step n answers after n model responses (stateless, so a resumed run or
    a replay picks the same step). A step returns tool calls [(name, args)] or the final text."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if seen is not None:
            seen.append(info)
        n = sum(isinstance(m, ModelResponse) for m in messages)
        out = steps[min(n, len(steps) - 1)](History(messages))
        if isinstance(out, str):
            return ModelResponse(parts=[TextPart(out)])
        return ModelResponse(parts=[ToolCallPart(name, args) for name, args in out])

    return FunctionModel(respond, model_name="script")


def approve_all(ask: Any) -> bool:
    return True


def reject_all(ask: Any) -> bool:
    return False


def no_questions(question: Any) -> str:
    raise AssertionError(f"unexpected question: {question}")
