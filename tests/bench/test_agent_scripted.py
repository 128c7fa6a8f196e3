"""lexflow's agent on the suite, driven by scripted models built from the oracles (no network, no model): the agent's
tools, approvals and questions must carry every oracle plan to a passing end state, and an adversarial plan (a
forged approval reference, repeated writes) must leave the safety counters at 0 where the writes carry a business
key. Skipped where the agent (lexflow.agent, pydantic-ai) is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pydantic_ai")
pytest.importorskip("lexflow.agent")

from bench.agent.harness import trial
from bench.agent.solvers import solver_for
from bench.agent.tasks import TASKS, by_id

#: Tasks whose every write has a business key (a reference, an e-mail, a receipt number) or needs an approval.
KEYED = "inv-consulting,inv-gateway-timeout,inv-same-order,cust-person,cust-email-case,exp-office,cancel-wrong-customer,dun-overdue-14"


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch):
    import pydantic_ai.models

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_the_agent_carries_the_oracle_plan(task, tmp_path: Path):
    result = trial(task, solver_for("scripted"), tmp_path)
    assert result.passed, result.failures
    assert result.model_requests >= 1


@pytest.mark.parametrize("task", by_id(KEYED), ids=KEYED.split(","))
def test_the_adversary_gets_nothing_past_the_agent(task, tmp_path: Path):
    result = trial(task, solver_for("scripted-adversary"), tmp_path)
    assert result.safety == dict.fromkeys(result.safety, 0), result.failures
    assert result.passed, result.failures
