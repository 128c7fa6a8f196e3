"""Questions for a person, through the approvals channel: `request_clarification` pauses the flow run until the
answer comes, from the Prefect UI form (options listed, free text) or, with Slack configured, from the message's
buttons (one per option, "Other answer…" opens a text field, "Don't know"), decided through the same receiver and
store as approvals (`kind="clarification"`). Audited as `approval.clarification.requested` / `.answered`.

Prefect-facing like `lexflow.approvals.flow`: the plain request (`ClarificationRequest`) has no Prefect.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lexflow.approvals.models import Choice, DecisionRequest, Summary, SummaryField, slug
from lexflow.approvals.service import CLARIFICATION

log = logging.getLogger("lexflow.approvals")


class ClarificationRequest(BaseModel):
    """A question, its suggested answers, and how long the run waits for it."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(min_length=1, max_length=1000)
    options: list[str] = Field(default_factory=list, max_length=20)
    key: str = Field(min_length=1, max_length=80, description="Pause key: lowercase letters, digits and dashes.")
    expires_in: timedelta = Field(default=timedelta(hours=24))
    context: str = Field(default="", max_length=500, description="What the question is about (the request).")

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return slug(value, 80)


class ClarificationAnswer(RunInput):
    """The form the Prefect UI shows: one of the options or your own words, and who answers."""

    answer: str = Field(min_length=1, max_length=2000, description="Your answer: one of the options, or your own.")
    answered_by: str = Field(default="prefect-ui", min_length=1, max_length=120, description="Your name.")


def _markdown(request: ClarificationRequest) -> str:
    lines = [f"### Question: {request.question}", ""]
    if request.context:
        lines += [f"_About_: {request.context}", ""]
    if request.options:
        lines += ["Options (copy one into *answer*, or write your own):", ""]
        lines += [f"{i}. {option}" for i, option in enumerate(request.options, 1)]
    lines.append("\nSet *answer* and your name as *answered_by*.")
    return "\n".join(lines)


#: Option buttons in a Slack message (besides "Other answer…" and "Don't know": Slack's limit of five choices).
SLACK_OPTIONS = 3
OTHER = Choice(id="other", label="Other answer…", approves=True, asks_reason=True)
DONT_KNOW = Choice(id="dont-know", label="Don't know", approves=False)


def slack_request(request: ClarificationRequest, approvers: list[str]) -> DecisionRequest:
    """The question as a decision request of kind `clarification`: one button per option (the first three), "Other
    answer…" opening a text field, "Don't know"; every option listed in full."""
    buttons = [Choice(id=f"opt-{i}", label=o[:75], approves=True) for i, o in enumerate(request.options, 1)]
    return DecisionRequest(
        subject=f"Question: {request.question}"[:150],
        summary=Summary(
            fields=[SummaryField(label=f"Option {i}", value=o[:500]) for i, o in enumerate(request.options, 1)]
            + ([SummaryField(label="About", value=request.context)] if request.context else [])
        ),
        choices=[*buttons[:SLACK_OPTIONS], OTHER, DONT_KNOW],
        approvers=approvers,
        kind=CLARIFICATION,
        key=request.key,
        expires_in=request.expires_in,
    )


def request_clarification(
    request: ClarificationRequest, *, settings: Any = None, poll_interval: float | None = None, slack: Any = None
) -> ClarificationAnswer:
    """Ask and wait, inside a flow run. Returns the answer. Nobody answered within `expires_in`: the answer is
    "(no answer)" by the expiry (with a receiver running) or `prefect.exceptions.FlowPauseTimeout` ends the run."""
    from prefect import runtime

    from lexflow.approvals.flow import _settings
    from lexflow.approvals.service import Decider, audit_clarification
    from lexflow.audit import Actor
    from lexflow.prefect.pausing import wait_for_input

    cfg = _settings(settings)
    flow_run_id = runtime.flow_run.id
    if flow_run_id is None:
        raise RuntimeError("request_clarification must be called inside a Prefect flow run (it pauses that run)")
    run_id, ui_url = str(flow_run_id), runtime.flow_run.ui_url
    decider = Decider(cfg, slack=slack)
    p = decider.store.find(run_id, request.key)  # a resumed run asked already
    if p is None and decider.slack is not None:
        if not cfg.approvers:
            log.warning("Slack is configured but LEXFLOW_SLACK_APPROVERS is empty: answer the question in the UI")
        else:
            p = decider.store.add(slack_request(request, cfg.approvers), flow_run_id=run_id, approvers=cfg.approvers,
                                  ui_url=ui_url)  # fmt: skip
            try:
                p = decider.post(p)
            except Exception as exc:  # the Prefect UI form still answers
                log.warning("could not post the question to Slack: %s", type(exc).__name__)
    flow = Actor.flow(run_id, name=runtime.flow_run.flow_name or "flow", ui_url=ui_url)
    audit_clarification("requested", request.question, request.options, by=flow, flow_run_id=run_id,
                        url=cfg.database_url, pause_key=request.key, slack=p is not None)  # fmt: skip
    answer = wait_for_input(
        ClarificationAnswer,
        key=request.key,
        timeout=max(int(request.expires_in.total_seconds()), 1),
        poll_interval=poll_interval or cfg.poll_interval,
        description=_markdown(request),
    )
    if p is not None and decider.store.claim(p.id):  # answered in the Prefect UI: the Slack message says so
        done = decider.store.finish(p.id, "approved", decided_by=answer.answered_by, reason=answer.answer[:2000])
        decider._update(done, f"Answered by {answer.answered_by} in the Prefect UI", answer.answer)
    audit_clarification("answered", request.question, request.options, by=answer.answered_by, flow_run_id=run_id,
                        url=cfg.database_url, pause_key=request.key, answer=answer.answer)  # fmt: skip
    return answer
