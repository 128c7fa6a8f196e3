"""Questions for a person, through the approvals channel: `request_clarification` pauses the flow run until the
Prefect UI form (choices listed, free text allowed) answers; with Slack configured the question is also posted there
with the options and the link to that form. Audited as `approval.clarification.requested` / `.answered`.

Prefect-facing like `lexflow.approvals.flow`: the plain request (`ClarificationRequest`) has no Prefect.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lexflow.approvals.models import slug

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


def _post_to_slack(request: ClarificationRequest, ui_url: str | None, settings: Any) -> None:
    """The question in the approvals channel, with the options and where to answer."""
    if not settings.slack_configured:
        return
    from lexflow.approvals.messages import esc

    options = "\n".join(f"• {esc(o)}" for o in request.options)
    where = f"<{ui_url}|Answer in the Prefect UI>" if ui_url else "Answer in the Prefect UI (flow run paused)."
    text = f"*Question from lexflow ask:* {esc(request.question)}" + (f"\n{options}" if options else "")
    try:
        settings.web_client().chat_postMessage(
            channel=settings.channel,
            text=f"Question: {request.question}"[:300],
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"{text}\n{where}"[:3000]}}],
        )
    except Exception as exc:  # the Prefect UI form still answers
        log.warning("could not post the question to Slack: %s", type(exc).__name__)


def request_clarification(
    request: ClarificationRequest, *, settings: Any = None, poll_interval: float | None = None
) -> ClarificationAnswer:
    """Ask and wait, inside a flow run. Returns the answer; raises `prefect.exceptions.FlowPauseTimeout` when
    nobody answered within `expires_in` (the run then fails, having written nothing after the question)."""
    from prefect import runtime

    from lexflow.approvals.flow import _settings
    from lexflow.approvals.service import audit_clarification
    from lexflow.audit import Actor
    from lexflow.prefect.pausing import wait_for_input

    cfg = _settings(settings)
    flow_run_id = runtime.flow_run.id
    if flow_run_id is None:
        raise RuntimeError("request_clarification must be called inside a Prefect flow run (it pauses that run)")
    ui_url = runtime.flow_run.ui_url
    run_id = str(flow_run_id)
    flow = Actor.flow(run_id, name=runtime.flow_run.flow_name or "flow", ui_url=ui_url)
    audit_clarification("requested", request.question, request.options, by=flow, flow_run_id=run_id,
                        url=cfg.database_url, pause_key=request.key)  # fmt: skip
    _post_to_slack(request, ui_url, cfg)
    answer = wait_for_input(
        ClarificationAnswer,
        key=request.key,
        timeout=max(int(request.expires_in.total_seconds()), 1),
        poll_interval=poll_interval or cfg.poll_interval,
        description=_markdown(request),
    )
    audit_clarification("answered", request.question, request.options, by=answer.answered_by, flow_run_id=run_id,
                        url=cfg.database_url, pause_key=request.key, answer=answer.answer)  # fmt: skip
    return answer
