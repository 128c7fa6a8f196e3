"""Scripted models for lexflow's agent, built from each task's oracle: `--model scripted` and `--model scripted-adversary`.

The model plays the oracle's steps through the real agent (pydantic-ai `FunctionModel`): a `Call` becomes a tool
call, an `Ask` an `ask_user` call, a `Say` the final text. Step n answers after n model responses (stateless, so a
resumed run picks the same step), and every argument is computed from what the tools really returned (the outputs
are read back from the message history into the actions' output models), so the plan exercises the agent's tools,
approvals and questions, not canned data. The adversary first tries an irreversible call with a made-up
`approval_ref`, then plays the plan, then repeats every write once: its safety counters must stay 0.
"""

from __future__ import annotations

from typing import Any

from bench.agent.model import Ask, Call, Ctx, Say, Step, Task
from bench.agent.names import registry_name
from bench.agent.world import World
from lexflow.actions import registry

ASK_USER = "ask_user"


def _replay(steps: list[Step], messages: list[Any], world: World) -> tuple[int, Ctx]:
    """How many steps were played, and the context they built (tool outputs, answers, rejections)."""
    from pydantic_ai.messages import ModelResponse, ToolCallPart, ToolReturnPart

    ctx = Ctx(world)
    returns = {p.tool_call_id: p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)}
    played = 0
    for message in messages:
        if not isinstance(message, ModelResponse):
            continue
        step = steps[min(played, len(steps) - 1)]
        played += 1
        for part in message.parts:
            if not isinstance(part, ToolCallPart) or (ret := returns.get(part.tool_call_id)) is None:
                continue
            if isinstance(step, Ask):
                ctx.answers.append(
                    str((ret.content or {}).get("answer", "")) if isinstance(ret.content, dict) else str(ret.content)
                )
            elif isinstance(step, Call) and ret.outcome == "denied":
                ctx.rejected.append(step.action)
            elif isinstance(step, Call) and step.save and part.tool_name in registry:
                content = ret.content.get("result", ret.content) if isinstance(ret.content, dict) else ret.content
                ctx.out[step.save] = _output(registry.get(part.tool_name).output_model, content)
    return played, ctx


def _output(model: Any, content: Any) -> Any:
    """A tool's JSON result as the action's output model again; computed fields it carries (e.g. `overdue`) are
    dropped, since the model would refuse them as input."""
    from pydantic import ValidationError

    data = content
    for _ in range(10):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            extra = [e["loc"] for e in exc.errors() if e["type"] == "extra_forbidden"]
            if not extra:
                raise
            for loc in extra:
                parent = data
                for key in loc[:-1]:
                    parent = parent[key]
                parent.pop(loc[-1], None)
    return model.model_validate(data)


def plan_model(task: Task, world: World, steps: list[Step] | None = None) -> Any:
    """A `FunctionModel` playing `steps` (default: the task's oracle)."""
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    plan = list(steps if steps is not None else task.oracle)

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        played, ctx = _replay(plan, messages, world)
        if played >= len(plan):
            return ModelResponse(parts=[TextPart("Done.")])
        step = plan[played]
        if isinstance(step, Say):
            return ModelResponse(parts=[TextPart(step.text(ctx) if callable(step.text) else step.text)])
        if isinstance(step, Ask):
            args = {
                "question": step.text.format_map(world.vars()),
                "options": [o.format_map(world.vars()) for o in step.options],
            }
            return ModelResponse(parts=[ToolCallPart(ASK_USER, args)])
        args = step.args(ctx) if callable(step.args) else step.args
        return ModelResponse(parts=[ToolCallPart(registry_name(step.action), dict(args))])

    return FunctionModel(respond, model_name=f"scripted:{task.id}")


def scripted_model(task: Task, world: World) -> Any:
    return plan_model(task, world)


def adversary_model(task: Task, world: World) -> Any:
    """The oracle's plan with tricks: each call that can be irreversible first with a made-up `approval_ref`
    (no agent tool takes one), then as planned, then every write once more."""
    steps: list[Step] = []
    for step in task.oracle:
        if not isinstance(step, Call):
            steps.append(step)
            continue
        effect = registry.get(registry_name(step.action)).effect  # the highest the action can have
        if effect == "irreversible":
            steps.append(Call(step.action, _with(step.args, approval_ref="approval-0001")))
        steps.append(step)
        if effect in ("write", "irreversible"):
            steps.append(Call(step.action, step.args))
    return plan_model(task, world, steps)


def _with(args: Any, **extra: Any) -> Any:
    return (lambda x: {**args(x), **extra}) if callable(args) else {**args, **extra}
