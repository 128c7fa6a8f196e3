"""`request_approval`: ask, then wait for a typed decision inside a Prefect flow run.

Posts the question to Slack (when configured), records it, and pauses the run with `ApprovalDecision` as the
`wait_for_input` model, so the Slack receiver and the Prefect UI resume form answer through the same schema.
Under a deployment, long waits suspend the run instead (the process exits; results must be persisted so nothing
before the approval runs twice, docs/prefect.md#pause-and-suspend).
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import timedelta
from typing import Any, Literal

from lexflow.approvals import messages
from lexflow.approvals.decision import ApprovalDecision
from lexflow.approvals.models import DecisionRequest
from lexflow.approvals.service import APPROVAL, Decider, request_record
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import FINAL, PendingApproval, utcnow
from lexflow.operations import crash_point, request_digest

Mode = Literal["auto", "pause", "suspend"]

#: Waits longer than this suspend under a deployment (mode="auto"); shorter ones keep the process and pause.
SUSPEND_AFTER = timedelta(minutes=15)
#: How long the pause outlives the expiry, so the scheduled rejection (not a pause timeout) ends the wait.
PAUSE_GRACE = timedelta(seconds=60)


def _settings(settings: Any) -> SlackApprovalSettings:
    if settings is None:
        return SlackApprovalSettings()
    if isinstance(settings, SlackApprovalSettings):
        return settings
    to_settings = getattr(settings, "to_settings", None)  # the Prefect Block
    if callable(to_settings):
        return to_settings()
    raise TypeError(f"settings: expected SlackApprovalSettings or SlackApprovalBlock, got {type(settings).__name__}")


def choose_mode(mode: Mode, expires_in: timedelta, *, deployment_id: str | None, parent_run_id: str | None) -> str:
    """pause or suspend. Suspend needs a deployment and a top-level run (the server refuses otherwise)."""
    if mode == "suspend" and (deployment_id is None or parent_run_id is not None):
        raise ValueError(
            "mode='suspend': Prefect can only suspend top-level runs of a deployment; use mode='pause' or 'auto'"
        )
    if mode == "auto":
        long_wait = expires_in > SUSPEND_AFTER
        return "suspend" if long_wait and deployment_id and parent_run_id is None else "pause"
    return mode


def _description(request: DecisionRequest, p: PendingApproval) -> str:
    s = request.summary
    lines = [f"### {request.subject}", ""]
    lines += [f"- **{f.label}**: {f.value}" for f in s.fields]
    if s.due_date:
        lines.append(f"- **Due date**: {s.due_date.isoformat()}")
    for line in s.lines:
        lines.append(f"- {line.description}: {messages.money(line.amount)}")
    if s.totals:
        t = s.totals
        lines.append(
            f"\n**Net** {messages.money(t.net)} · **Tax** {messages.money(t.tax)} · **Gross** {messages.money(t.gross)}"
        )
    lines.append(f"\nExpires {p.expires_at:%Y-%m-%d %H:%M} UTC. Set *approved*, your name as *approver*, and a reason.")
    return "\n".join(lines)


def request_approval(
    request: DecisionRequest,
    *,
    settings: Any = None,
    poll_interval: float | None = None,
    mode: Mode = "auto",
    slack: Any = None,
    business_key: str | None = None,
) -> ApprovalDecision:
    """Ask for a decision and wait for it. Call from inside a flow run, before the irreversible step.

    `business_key` (e.g. the invoice's request key) makes a rerun ask once: if an earlier run asked under the same
    key for the same data (`args_digest`, else the whole request) and died, this run waits for that request (the
    click on the message already posted resumes it) or takes the decision made meanwhile; no second message. A
    pending request for other data under the key is superseded (its message says so) and the new one is asked.

    Returns the decision (approved or not; `decision.expired` when nobody answered in time: the request is then
    rejected by a scheduled rejection so the run ends cleanly). With no Slack configured only the Prefect UI form
    can answer, and a log line says so. `settings`: `SlackApprovalSettings`, a `SlackApprovalBlock`, or None (env).
    """
    from prefect import runtime
    from prefect.exceptions import FlowPauseTimeout
    from prefect.logging import get_run_logger

    from lexflow.prefect.pausing import wait_for_input

    cfg = _settings(settings)
    logger = get_run_logger()
    flow_run_id = runtime.flow_run.id
    if flow_run_id is None:
        raise RuntimeError("request_approval must be called inside a Prefect flow run (it pauses that run)")
    approvers = list(request.approvers or cfg.approvers)
    decider = Decider(cfg, slack=slack)
    if decider.slack is not None and not approvers:
        raise ValueError(
            "approvers: empty. Set DecisionRequest.approvers or LEXFLOW_SLACK_APPROVERS (Slack user ids U… or "
            "user-group ids S…); without approvers nobody could decide in Slack"
        )
    how = choose_mode(
        mode, request.expires_in, deployment_id=runtime.deployment.id, parent_run_id=runtime.flow_run.parent_flow_run_id
    )

    p = decider.store.find(str(flow_run_id), request.pause_key)
    digest = request.args_digest or request_digest(request.model_dump(mode="json"))
    fresh = p is None
    if p is None and business_key is not None and (p := decider.earlier(business_key, digest)) is not None:
        if p.state == "pending":  # its run died while waiting: wait here instead, for the message already posted
            old_run = p.flow_run_id
            p = decider.reattach(p, str(flow_run_id), runtime.flow_run.ui_url)
            if old_run and old_run != str(flow_run_id) and p.state == "pending":
                _retire(old_run, str(flow_run_id))
                logger.info("Waiting for the decision on %r asked by run %s (no new message).", request.subject,
                            old_run)  # fmt: skip
                _artifact(request, p)
        if p.state in FINAL:  # decided while no run waited: that decision is the answer
            return _recorded(decider, p, business_key, logger)
    post_now = p is None or (fresh and p.ts is None and decider.slack is not None)  # or its run died before posting
    if p is None:  # first time (a resumed suspended run comes back here and must not ask again)
        p = decider.store.add(
            request, flow_run_id=str(flow_run_id), approvers=approvers, ui_url=runtime.flow_run.ui_url
        )
        if business_key is not None:  # the intent, before the message leaves: a rerun finds this request
            channel = request.channel or cfg.channel
            decider.ops.begin(APPROVAL, business_key, digest, target=f"slack:{channel}" if decider.slack else "ui",
                              request={"approval_ref": p.id}, what=f"the approval request for {business_key}")  # fmt: skip
            crash_point("approval:intent")
    if post_now:
        if decider.slack is not None:
            try:
                p = decider.post(p)
                logger.info("Decision request %r posted to Slack (%s); waiting (%s).", request.subject, p.channel, how)
            except Exception as exc:  # Slack down or misconfigured: the Prefect UI can still answer
                detail = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
                logger.error(
                    "Could not post %r to Slack (%s): approve or reject it in the Prefect UI: %s",
                    request.subject,
                    detail,
                    p.ui_url,
                )
        else:
            logger.warning(
                "Slack is not configured (LEXFLOW_SLACK_BOT_TOKEN / LEXFLOW_SLACK_CHANNEL): approve or reject %r in "
                "the Prefect UI: %s",
                request.subject,
                p.ui_url,
            )
        _artifact(request, p)
        decider.audit(
            "requested",
            p,
            actor=f"flow:{runtime.flow_run.flow_name or 'flow'}",
            via=how,
            slack=decider.slack is not None,
            **request_record(request, str(flow_run_id)),
        )

    timeout = math.ceil((p.expires_at - utcnow() + PAUSE_GRACE).total_seconds())
    timers: list[threading.Timer] = []
    try:
        if how != "suspend":
            timers = _start_timers(decider, p)
        decision = wait_for_input(
            ApprovalDecision,
            key=p.pause_key,
            timeout=max(timeout, 1),
            poll_interval=None if how == "suspend" else poll_interval or cfg.poll_interval,
            suspend=how == "suspend",
            description=_description(request, p),
        )
    except FlowPauseTimeout:
        decider.after_pause_timeout(p)
        _artifact(request, p, outcome="**Expired**: nobody decided in time; nothing was done.")
        logger.error("Nobody decided %r in time; the request expired and nothing was done.", request.subject)
        raise
    finally:
        for t in timers:
            t.cancel()
    decider.settle_from_flow(p, decision)
    decision._request_id = p.id
    if decision.approved:
        decider.settled(p)
    if business_key is not None:
        _delivered(decider, business_key, decision)
    verdict = "Approved" if decision.approved else "Rejected"
    reason = f": {decision.reason}" if decision.reason else ""
    _artifact(request, p, outcome=f"**{verdict}** by {decision.approver} at {utcnow():%Y-%m-%d %H:%M} UTC{reason}")
    logger.info(
        "Decision on %r: %s by %s", request.subject, "approved" if decision.approved else "rejected", decision.approver
    )
    return decision


def _delivered(decider: Decider, business_key: str, decision: ApprovalDecision) -> None:
    """A run received the decision: approved keeps the key (a rerun reuses it while usable); a "no" or an
    expiry frees it (the next run asks anew)."""
    if decision.approved:
        decider.ops.finish(
            APPROVAL, business_key, {"approval_ref": decision.approval_ref, "approver": decision.approver}
        )
    else:
        decider.ops.fail(APPROVAL, business_key, f"not approved by {decision.approver}: {decision.reason}")


def _recorded(decider: Decider, p: PendingApproval, business_key: str, logger: Any) -> ApprovalDecision:
    """The decision an earlier run asked for and a person made while no run waited (or approved, still usable)."""
    approved = p.state == "approved"
    decision = ApprovalDecision(approved=approved, approver=p.decided_by or "unknown", reason=p.reason or "")
    decision._request_id = p.id
    logger.info("Decision on %r was made at %s: %s by %s (no new message).", p.subject,
                f"{p.decided_at:%Y-%m-%d %H:%M} UTC" if p.decided_at else "?", p.state, decision.approver)  # fmt: skip
    _delivered(decider, business_key, decision)
    verdict = "Approved" if approved else "Rejected"
    _artifact(p.request, p, outcome=f"**{verdict}** by {decision.approver} while no run waited (taken by this run)")
    return decision


def _retire(old_run: str, new_run: str) -> None:
    """Mark the dead run that asked first as crashed, so its Prefect UI form cannot answer into the void."""
    from uuid import UUID

    from prefect import get_client
    from prefect.states import Crashed

    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(old_run)).state
            if state is not None and state.is_paused():
                msg = f"its process ended while waiting for approval; flow run {new_run} waits for that decision now"
                client.set_flow_run_state(UUID(old_run), Crashed(message=msg), force=True)
    except Exception as exc:  # the takeover stands without it
        logging.getLogger("lexflow.approvals").warning("could not mark flow run %s crashed: %s", old_run, exc)


def _start_timers(decider: Decider, p: PendingApproval) -> list[threading.Timer]:
    """While the process waits (pause), it sends the half-time reminder and the scheduled rejection itself,
    so expiry works without a receiver; with one running, the store's compare-and-set lets only one act."""
    timers = []
    now = utcnow()
    if decider.settings.reminder and p.reminded_at is None:
        timers.append(threading.Timer(max((p.half_time - now).total_seconds(), 0), decider.remind, args=(p,)))

    def _expire() -> None:
        fresh = decider.store.get(p.id)
        if fresh is not None and fresh.state == "pending":
            decider.expire(fresh)

    timers.append(threading.Timer(max((p.expires_at - now).total_seconds(), 0), _expire))
    for t in timers:
        t.daemon = True
        t.start()
    return timers


def _artifact(request: DecisionRequest, p: PendingApproval, outcome: str | None = None) -> None:
    """The request as the run's artifact; with `outcome` (after the decision) a new version of the same key says
    who decided and when, so the UI no longer asks to approve a decided request."""
    try:
        from prefect.artifacts import create_markdown_artifact

        from lexflow.audit import redact_secrets

        markdown = _description(request, p)
        if outcome:
            markdown = markdown.rsplit("\nExpires ", 1)[0] + f"\n{outcome}"
        create_markdown_artifact(
            markdown=redact_secrets(markdown),
            key=f"approval-{p.pause_key}"[:100],
            description=f"Decision: {outcome.split('**')[1].lower()}" if outcome else "Decision request",
        )
    except Exception as exc:  # an artifact is a nicety; the request stands without it
        logging.getLogger("lexflow.approvals").warning("artifact for approval %s failed: %s", p.id, exc)
