"""Solvers by `--model` name: the oracle, the adversarial oracle, and lexflow's agent (`lexflow.agent.solve`)."""

from __future__ import annotations

from typing import Any

from bench.agent.harness import PROFILE, Person, Solver, Transcript, adversarial, oracle
from bench.agent.model import Task
from bench.agent.world import World

AGENT_MAX_REQUESTS = 20


def solver_for(model: str) -> Solver:
    if model == "oracle":
        return oracle
    if model == "adversarial":
        return adversarial
    if model in ("scripted", "scripted-adversary"):
        from bench.agent import scripted

        return agent_solver(scripted.scripted_model if model == "scripted" else scripted.adversary_model)
    return agent_solver(lambda task, world: model)


def agent_solver(model_for: Any) -> Solver:
    """lexflow's agent on the task's prompt: its tools run in the task's world (client, audit trail, approvals), the
    person's answers and approvals come from the task. `model_for(task, world)` is the model (a name or object)."""

    def solve(task: Task, world: World, person: Person) -> Transcript:
        try:
            from lexflow.agent import solve as agent_solve  # the agent's entry point (issue 21)
        except ImportError as exc:
            raise ValueError(
                f"lexflow's agent is not available here ({exc}); --model oracle and adversarial work"
            ) from None
        result = agent_solve(
            task.prompt_for(world),
            model=model_for(task, world),
            profile=PROFILE,
            decide=person.decide,
            answer=person.answer,
            client_factory=lambda: world.client,
            max_requests=AGENT_MAX_REQUESTS,
        )
        return Transcript(
            answer=_answer_text(result),
            model_requests=int(getattr(result, "model_requests", 0) or 0),
            tool_calls=int(getattr(result, "tool_calls", 0) or 0),
        )

    return solve


def _answer_text(result: Any) -> str:
    """The agent's final words to the person, whatever the result calls them."""
    for name in ("answer", "summary", "text", "output", "message"):
        value = getattr(result, name, None)
        if isinstance(value, str) and value:
            return value
    return ""
