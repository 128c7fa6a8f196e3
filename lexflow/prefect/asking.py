"""`lexflow ask` on Prefect: the agent made durable, its approvals and questions through Slack / the Prefect UI.

`PrefectDurability` (pydantic-ai's Prefect integration) records each model request and each tool call as a Prefect
task (model requests retry, tool calls never: a write is settled by its business key, not repeated blind).
Approvals are `lexflow.approvals.request_approval` bound to the exact arguments (the request is the approval `run()`
verifies) under the business key `ask:<digest>`, so the rerun of a run killed while it waited takes over the request
already asked; questions are `request_clarification`. The flow itself is `flows/ask.py`; `ask_command` is
`lexflow ask` (`--terminal`: the same agent in this process, asking in the terminal, without Prefect).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import typer

from lexflow.agent.models import Approval, ApprovalAsk, AskResult, Question

#: How long a person has to decide an approval or answer a question before the run ends without writing.
WAIT = timedelta(hours=24)


def durability() -> Any:
    """Model requests retry twice (a provider hiccup); tool calls never (a write is settled by its business key)."""
    from pydantic_ai.durable_exec.prefect import PrefectDurability, TaskConfig

    return PrefectDurability(
        model_task_config=TaskConfig(retries=2, retry_delay_seconds=[2, 8]),
        tool_task_config=TaskConfig(retries=0),
    )


class FlowPeople:
    """Approvals and questions of a flow run, through the approvals channel (Slack when configured, the Prefect UI
    form always). `poll_interval`: how often the paused run looks for the answer."""

    def __init__(self, poll_interval: float | None = None, wait: timedelta = WAIT) -> None:
        self.poll_interval, self.wait = poll_interval, wait

    def approve(self, ask: ApprovalAsk, key: str) -> Approval:
        from lexflow.approvals import request_approval

        decision = request_approval(
            decision_request(ask, key, self.wait),
            poll_interval=self.poll_interval,
            business_key=f"ask:{ask.digest}",
            mode="pause",  # the run keeps its process while it waits (suspend + durable replay is not tested yet)
        )
        return Approval(ask=ask, approved=decision.approved, approval_ref=decision.approval_ref,
                        approver=decision.approver)  # fmt: skip

    def answer(self, question: Question, key: str) -> str:
        from lexflow.approvals.clarify import ClarificationRequest, request_clarification

        request = ClarificationRequest(question=question.text, options=question.options, key=f"ask-q-{key}",
                                       expires_in=self.wait)  # fmt: skip
        return request_clarification(request, poll_interval=self.poll_interval).answer


def decision_request(ask: ApprovalAsk, key: str, wait: timedelta = WAIT) -> Any:
    """The approval request a person sees: lexflow's preview of exactly the call that will run."""
    from lexflow.approvals import DecisionRequest, Summary, SummaryField, SummaryLine, Totals
    from lexflow.approvals.models import slug

    p = ask.preview
    fields = [SummaryField(label=k[:60], value=v[:500]) for k, v in list(p.fields.items())[:30]]
    totals = None
    if p.gross is not None and p.currency == "EUR":
        totals = Totals(net=p.net or Decimal(0), tax=p.tax or Decimal(0), gross=p.gross)
    elif p.gross is not None:
        fields.append(SummaryField(label="Total", value=f"{p.gross} {p.currency}"))
    return DecisionRequest(
        subject=f"lexflow ask wants to run {ask.action}"[:150],
        summary=Summary(
            fields=fields, lines=[SummaryLine(description=line[:300]) for line in p.lines[:50]], totals=totals
        ),
        kind="agent",
        key=slug(f"ask-{key}"),
        action=ask.action,
        args_digest=ask.digest,
        expires_in=wait,
    )


def run_ask(
    request: str,
    *,
    profile: Any = None,
    model: Any = None,
    max_requests: int = 20,
    client_factory: Callable[[], Any] | None = None,
    people: Any = None,
) -> AskResult:
    """The body of the `lexflow-ask` flow (call inside a flow run): build, drive, check, leave an artifact."""
    from prefect import runtime

    from lexflow.agent import build_agent, drive, model_from_settings, session_for

    resolved = model_from_settings(model)
    session = session_for(profile, resolved, client_factory=client_factory, flow_run_id=str(runtime.flow_run.id))
    agent = build_agent(resolved, session, capabilities=[durability()])
    result = drive(agent, request, session=session, people=people or FlowPeople(), max_requests=max_requests)
    result_artifact(request, result)
    return result


def result_markdown(request: str, result: AskResult) -> str:
    lines = [f"### {request[:300]}", "", result.summary or "(no answer)", ""]
    if result.stopped:
        lines += [f"**Stopped**: {result.stopped}", ""]
    lines += ["| action | ok | error | resource |", "|---|---|---|---|"]
    lines += [f"| {a.name} | {'yes' if a.ok else 'no'} | {a.error_kind or ''} | {a.resource_id or ''} |"
              for a in result.actions]  # fmt: skip
    for q in result.questions:
        lines.append(f"\n**Asked**: {q.question.text} → **{q.answer}**")
    for a in result.approvals:
        verdict = "approved" if a.approved else "rejected"
        lines.append(f"\n**Approval** {a.ask.action} ({a.ask.preview.gross or ''} {a.ask.preview.currency}): "
                     f"{verdict} by {a.approver or '?'} (ref {a.approval_ref or '-'})")  # fmt: skip
    lines += ["", "| check | ok | detail |", "|---|---|---|"]
    lines += [f"| {c.name} | {'yes' if c.ok else '**NO**'} | {c.detail} |" for c in result.checks]
    lines.append(f"\n{result.model_requests} model requests, {result.tool_calls} tool calls.")
    return "\n".join(lines)


def result_artifact(request: str, result: AskResult) -> None:
    from lexflow.prefect.artifacts import audit_artifact, markdown_artifact

    checks = "all checks passed" if result.checks_ok else "A CHECK FAILED"
    markdown_artifact("lexflow-ask", result_markdown(request, result), f"lexflow ask: {checks}")
    audit_artifact()


def ask_command(
    request: str = typer.Argument(..., help='What you want done, e.g. "invoice ACME for 3 days at 950 EUR net".'),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile to act under (default LEXFLOW_AGENT_PROFILE, else agent)."
    ),
    model: str | None = typer.Option(None, "--model", help="pydantic-ai model string (default LEXFLOW_AGENT_MODEL)."),
    max_requests: int = typer.Option(20, "--max-requests", min=1, max=200, help="Model requests at most."),
    terminal: bool = typer.Option(
        False, "--terminal", help="Run here without Prefect: approvals and questions are asked in this terminal."
    ),
) -> None:
    """Describe the outcome: an agent picks the calls, asks when unclear, and checks the result."""
    from importlib import import_module

    from rich.console import Console

    from lexflow.actions.policy import resolve_profile
    from lexflow.agent import AgentNotConfigured, model_from_settings
    from lexflow.agent.agent import DEFAULT_PROFILE
    from lexflow.settings import runtime_settings

    console = Console()
    try:  # before Prefect starts: an unset model or an unknown profile is a one-line error
        resolved = model_from_settings(model)
        chosen = resolve_profile(profile or runtime_settings().agent_profile or DEFAULT_PROFILE)
    except (AgentNotConfigured, ValueError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if terminal:
        outcome = _in_terminal(request, resolved, chosen, max_requests, console)
    else:
        flow = import_module(
            "flows.ask"
        ).lexflow_ask  # the flow lives above this edge; loaded by name like `lexflow serve`
        raw = flow(request=request, profile=profile, model=model, max_requests=max_requests)
        outcome = AskResult.model_validate(raw)
    console.print(outcome.summary)
    for c in outcome.checks:
        console.print(f"  {'ok ' if c.ok else 'FAILED'} {c.name}: {c.detail}")
    if not outcome.checks_ok:
        raise typer.Exit(1)


def _in_terminal(request: str, model: Any, profile: Any, max_requests: int, console: Any) -> AskResult:
    """`lexflow ask --terminal`: the person at the keyboard approves and answers (approvals are still recorded in
    the approvals store and verified by `run()`)."""
    from lexflow.agent import solve

    def decide(ask: ApprovalAsk) -> bool:
        p = ask.preview
        console.print(f"\n[bold]Approve {ask.action}?[/bold]")
        for key, value in p.fields.items():
            console.print(f"  {key}: {value}")
        for line in p.lines:
            console.print(f"  - {line}")
        if p.gross is not None:
            console.print(f"  net {p.net} · tax {p.tax} · [bold]gross {p.gross} {p.currency}[/bold]")
        return typer.confirm("Approve exactly this?", default=False)

    def answer(question: Question) -> str:
        console.print(f"\n[bold]{question.text}[/bold]")
        for i, option in enumerate(question.options, 1):
            console.print(f"  {i}. {option}")
        raw = str(typer.prompt("Answer (a number or your own words)")).strip()
        if raw.isdigit() and 1 <= int(raw) <= len(question.options):
            return question.options[int(raw) - 1]
        return raw

    return solve(request, model=model, profile=profile, decide=decide, answer=answer, max_requests=max_requests)
