"""Deciding a request: the one place that checks approvers, resumes the flow run, updates Slack and audits.

Used by the Slack receiver (clicks, modal submissions, the expiry/reminder sweep) and by the waiting flow itself
(its own expiry timer, decisions that came through the Prefect UI, a pause that timed out). Every state change
goes through `ApprovalStore.claim` first, so exactly one of them wins.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from lexflow.approvals import messages
from lexflow.approvals.models import DecisionRequest
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore, PendingApproval, State, utcnow
from lexflow.operations import Operations

log = logging.getLogger("lexflow.approvals")

EXPIRED_BY = "lexflow-expiry"  # `approver` of a decision made by expiry; decision.py (Prefect-facing) imports it
#: Operations-ledger kind of a decision request asked under a business key (`Decider.earlier`).
APPROVAL = "approval"
#: `DecisionRequest.kind` of a question (lexflow.approvals.clarify): its buttons are answers, not a yes or no.
CLARIFICATION = "clarification"

Status = Literal["decided", "modal", "not_approver", "already_decided", "expired", "not_found", "error"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    text: str
    approval: PendingApproval | None = None


def _fmt(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d %H:%M UTC") if ts else "?"


class Decider:
    """Decisions for requests in one store, with an optional Slack client (None: Prefect UI only)."""

    def __init__(self, settings: SlackApprovalSettings, store: ApprovalStore | None = None, slack: Any = None) -> None:
        self.settings = settings
        self.store = store or ApprovalStore(settings.database_url)
        if slack is None and settings.slack_configured:
            slack = settings.web_client()
        self.slack = slack
        self._groups: dict[str, tuple[float, set[str]]] = {}
        self._audit: Any = None
        self._audit_lock = threading.Lock()
        self._ops: Operations | None = None

    # ----------------------------------------------------------------------------------------------- approvers
    def group_members(self, group_id: str) -> set[str]:
        """Members of a Slack user group (`usergroups.users.list`), cached for a minute."""
        cached = self._groups.get(group_id)
        if cached and time.monotonic() - cached[0] < 60:
            return cached[1]
        if self.slack is None:
            return set()
        resp = self.slack.usergroups_users_list(usergroup=group_id)
        members = set(resp.get("users") or [])
        self._groups[group_id] = (time.monotonic(), members)
        return members

    def is_approver(self, user: str, approvers: list[str]) -> bool:
        if user in approvers:
            return True
        for group in (a for a in approvers if a.startswith("S")):
            try:
                if user in self.group_members(group):
                    return True
            except Exception as exc:  # Slack down: refuse rather than let anyone through
                log.warning("could not read members of user group %s: %s", group, type(exc).__name__)
        return False

    # ------------------------------------------------------------------------------------------------- audit
    def audit(self, action: str, p: PendingApproval, *, actor: str, outcome: str = "ok", **data: Any) -> None:
        """Record through `lexflow.audit`; an audit failure is logged loudly but never loses a decision."""
        try:
            from lexflow.audit import Actor, AuditRecord, AuditTrail

            with self._audit_lock:
                if self._audit is None:
                    self._audit = AuditTrail(self.store.url)
            if actor.startswith("flow:"):
                who = Actor.flow(p.flow_run_id or "?", name=actor.removeprefix("flow:"), ui_url=p.ui_url)
            elif actor.startswith("slack:"):
                who = Actor.user(actor)
            else:
                who = Actor(kind="user", name=actor)
            self._audit.record(
                AuditRecord(
                    actor=who,
                    action=f"approval.{p.kind}.{action}",
                    input={"request_id": p.id, "subject": p.subject, "pause_key": p.pause_key, **data},
                    resource_ids=[p.flow_run_id] if p.flow_run_id else [],
                    outcome=outcome,  # type: ignore[arg-type]
                    approval_ref=p.id,
                    duration_ms=float(data.get("latency_s", 0.0)) * 1000,
                )
            )
        except Exception:
            log.exception("audit record for approval %s (%s) failed", p.id, action)

    # ------------------------------------------------------------------------------------------------- slack
    def _update(self, p: PendingApproval, headline: str, detail: str = "") -> None:
        if self.slack is None or not (p.channel and p.ts):
            return
        text, blocks = messages.outcome_message(p.request, ui_url=p.ui_url, headline=headline, detail=detail)
        try:
            self.slack.chat_update(channel=p.channel, ts=p.ts, text=text, blocks=blocks)
        except Exception as exc:
            log.warning("chat.update for approval %s failed: %s", p.id, type(exc).__name__)

    def ephemeral(self, channel: str | None, user: str, text: str) -> None:
        if self.slack is None or not channel:
            return
        try:
            self.slack.chat_postEphemeral(channel=channel, user=user, text=text)
        except Exception as exc:
            log.warning("chat.postEphemeral failed: %s", type(exc).__name__)

    def post(self, p: PendingApproval) -> PendingApproval:
        """Post the question; remembers channel and ts for chat.update."""
        channel = p.request.channel or self.settings.channel
        if self.slack is None or not channel:
            return p
        text, blocks = messages.request_message(
            p.request, p.id, approvers=p.approvers, expires_at=p.expires_at, ui_url=p.ui_url
        )
        resp = self.slack.chat_postMessage(channel=channel, text=text, blocks=blocks)
        self.store.set_message(p.id, resp["channel"], resp["ts"])
        return self.store.get(p.id) or p

    # ------------------------------------------------------------------------------------------- business keys
    @property
    def ops(self) -> Operations:
        """The operations ledger next to the requests: which request was asked under which business key."""
        if self._ops is None:
            self._ops = Operations(self.store.url)
        return self._ops

    def earlier(self, business_key: str, digest: str) -> PendingApproval | None:
        """The request an earlier run asked under `business_key` for the same data, if it still decides something:
        pending (wait for it again), or decided while no run waited (its decision is the answer), or approved and
        still usable. None: ask anew; a pending request for other data is superseded first (its message says so)."""
        op = self.ops.get(APPROVAL, business_key)
        if op is None or op.state == "failed":
            return None
        p = self.store.get(str(op.request.get("approval_ref", "")))
        if p is not None and op.digest != digest:
            self.supersede(p, "the request changed (other data under the same key); decide the new message")
            self.ops.fail(APPROVAL, business_key, f"superseded: request {p.id} was for other data")
            return None
        if p is not None and p.state == "deciding":
            p = self.settled(p)
        usable = p is not None and (
            p.state == "pending"
            or (p.state == "approved" and utcnow() <= (p.decided_at or p.created_at) + p.request.use_within)
            or (p.state == "rejected" and op.pending)  # a "no" that no run received yet
        )
        if p is None or not usable:
            self.ops.fail(APPROVAL, business_key, f"request {p.id if p else '?'} is {p.state if p else 'gone'}")
            return None
        return p

    def settled(self, p: PendingApproval, timeout: float = 30.0) -> PendingApproval:
        """`p` once nobody is deciding it any more (a click resumes the run first and records the outcome next)."""
        deadline = time.monotonic() + timeout
        while (fresh := self.store.get(p.id)) is not None and fresh.state == "deciding":
            if time.monotonic() > deadline:
                raise RuntimeError(f"approval {p.id} is still being decided after {timeout:.0f} s; rerun the flow")
            time.sleep(0.05)
        return fresh or p

    def reattach(self, p: PendingApproval, flow_run_id: str, ui_url: str | None) -> PendingApproval:
        """Let `flow_run_id` wait for the pending request `p` (its run died): clicks resume that run from now on.
        The message keeps its buttons; its Prefect link points to the new run. Returns `p` as it is now (decided
        meanwhile, if a click came first)."""
        moved = self.store.reattach(p.id, flow_run_id=flow_run_id, ui_url=ui_url)
        if moved is None:
            return self.settled(p)
        if self.slack is not None and moved.channel and moved.ts:
            text, blocks = messages.request_message(
                moved.request, moved.id, approvers=moved.approvers, expires_at=moved.expires_at, ui_url=ui_url
            )
            try:
                self.slack.chat_update(channel=moved.channel, ts=moved.ts, text=text, blocks=blocks)
            except Exception as exc:
                log.warning("chat.update for approval %s failed: %s", p.id, type(exc).__name__)
        self.audit("reattached", moved, actor="lexflow", from_flow_run=p.flow_run_id, flow_run_id=flow_run_id)
        return moved

    def supersede(self, p: PendingApproval, why: str) -> None:
        """End a pending request that a newer one replaces: nothing can be approved through it any more."""
        if not self.store.claim(p.id):
            return
        done = self.store.finish(p.id, "failed", decided_by="lexflow", reason=f"superseded: {why}")
        self._update(done, "Superseded: this request can no longer be decided", why)
        self.audit("superseded", done, actor="lexflow", reason=why)

    # ---------------------------------------------------------------------------------------------- decisions
    def _already(self, p: PendingApproval) -> Outcome:
        by = f" by <@{p.decided_by}>" if p.decided_by and p.decided_by != EXPIRED_BY else ""
        state = "being decided" if p.state == "deciding" else p.state
        when = f" at {_fmt(p.decided_at)}" if p.decided_at else ""
        return Outcome("already_decided", f"Already decided: {state}{by}{when}.", p)

    def check(self, request_id: str, user: str) -> Outcome | None:
        """None if `user` may decide `request_id` now; otherwise why not (already told to the user)."""
        p = self.store.get(request_id)
        if p is None:
            return Outcome("not_found", "This request is unknown to lexflow (was the database reset?).")
        if p.state != "pending":
            return self._already(p)
        if utcnow() >= p.expires_at:
            return self.expire(p)
        if not self.is_approver(user, p.approvers):
            self.audit("refused", p, actor=f"slack:{user}", outcome="denied", user=user)
            return Outcome("not_approver", "You are not an approver of this request; nothing was changed.", p)
        return None

    def decide(
        self, request_id: str, user: str, choice_id: str, reason: str = "", *, user_name: str | None = None
    ) -> Outcome:
        """A person's decision from Slack: check, claim, resume the flow run, update the message, audit."""
        refusal = self.check(request_id, user)
        if refusal is not None:
            return refusal
        p = self.store.get(request_id)
        assert p is not None
        try:
            choice = p.request.choice(choice_id)
        except KeyError as exc:
            return Outcome("error", str(exc), p)
        if choice.asks_reason and not reason.strip():
            return Outcome("error", "Please give a reason.", p)
        if not self.store.claim(p.id):
            return self._already(self.store.get(p.id) or p)
        problem = self._resume(p, resume_input(p, user, reason.strip(), choice=choice))
        if problem is not None:
            return problem
        state: State = "approved" if choice.approves else "rejected"
        done = self.store.finish(p.id, state, decided_by=user, reason=reason.strip() or None)
        self._update(done, messages.decided_headline(choice, user, done.decided_at or utcnow()), reason.strip())
        latency = ((done.decided_at or utcnow()) - p.created_at).total_seconds()
        self.audit(
            "decided",
            done,
            actor=f"slack:{user}",
            approved=choice.approves,
            choice=choice.id,
            approver=user,
            approver_name=user_name,
            reason=reason.strip(),
            via="slack",
            latency_s=round(latency, 3),
        )
        return Outcome("decided", f"{state.capitalize()}.", done)

    def _resume(self, p: PendingApproval, run_input: dict[str, Any]) -> Outcome | None:
        from prefect.exceptions import FlowPauseTimeout

        from lexflow.prefect.pausing import RunNotPaused

        fresh = self.store.get(p.id) or p  # a rerun may have taken the request over (`reattach`) since `p` was read
        if fresh.flow_run_id is None:
            return None
        try:
            self._resume_when_paused(fresh.flow_run_id, run_input)
        except RunNotPaused:
            done = self.store.finish(p.id, "failed", reason="the flow run was no longer paused")
            self._update(done, "Could not be applied: the flow run is no longer paused", "")
            return Outcome("error", "The flow run is no longer paused; nothing was changed.", done)
        except FlowPauseTimeout:
            return self._expired(p, resumed=False)
        except Exception as exc:
            self.store.release(p.id)
            log.warning("resuming flow run %s failed: %s", p.flow_run_id, exc)
            return Outcome("error", f"Could not resume the flow run ({type(exc).__name__}); try again.", p)
        return None

    @staticmethod
    def _resume_when_paused(flow_run_id: str, run_input: dict[str, Any], wait: float = 15.0) -> None:
        """Resume; if the run is still on its way into the pause (the message goes out just before it pauses),
        retry for a few seconds instead of calling a fast click a failure."""
        from lexflow.prefect.pausing import RunNotPausedYet, resume_run

        deadline = time.monotonic() + wait
        while True:
            try:
                resume_run(flow_run_id, run_input)
                return
            except RunNotPausedYet:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    # ---------------------------------------------------------------------------------------- expiry, reminder
    def expire(self, p: PendingApproval) -> Outcome:
        """Scheduled rejection: resume the run with approved=False so it ends cleanly, message → expired."""
        if not self.store.claim(p.id):
            return self._already(self.store.get(p.id) or p)
        reason = f"expired: no decision by {_fmt(p.expires_at)}"
        problem = self._resume(p, resume_input(p, EXPIRED_BY, reason))
        if problem is not None and problem.status != "expired":
            return problem
        return self._expired(p, resumed=problem is None)

    def _expired(self, p: PendingApproval, *, resumed: bool) -> Outcome:
        done = self.store.finish(p.id, "expired", decided_by=EXPIRED_BY, reason="no decision in time")
        self._update(done, f"Expired at {_fmt(p.expires_at)}: nothing was created", "")
        self.audit("expired", done, actor="lexflow-expiry", resumed=resumed, expires_at=p.expires_at.isoformat())
        return Outcome("expired", "This request has expired; nothing was created.", done)

    def after_pause_timeout(self, p: PendingApproval) -> None:
        """The pause timed out before anyone (or the timer) answered: mark it expired, the run ends Failed."""
        if self.store.claim(p.id):
            self._expired(p, resumed=False)

    def remind(self, p: PendingApproval) -> bool:
        """One reminder in the message's thread at half time."""
        if not self.store.mark_reminded(p.id):
            return False
        if self.slack is not None and p.channel and p.ts:
            try:
                self.slack.chat_postMessage(
                    channel=p.channel,
                    thread_ts=p.ts,
                    text=messages.reminder_text(p.request, p.approvers, p.expires_at),
                )
            except Exception as exc:
                log.warning("reminder for approval %s failed: %s", p.id, type(exc).__name__)
        self.audit("reminded", p, actor="lexflow-expiry")
        return True

    def sweep(self, now: datetime | None = None) -> dict[str, int]:
        """Expire what is due and remind at half time; the receiver runs this every few seconds."""
        now = now or utcnow()
        expired = reminded = 0
        for p in self.store.pending():
            if now >= p.expires_at:
                expired += self.expire(p).status == "expired"
            elif self.settings.reminder and p.reminded_at is None and now >= p.half_time:
                reminded += self.remind(p)
        return {"expired": expired, "reminded": reminded}

    # ----------------------------------------------------------------------------------------- the UI path
    def settle_from_flow(self, p: PendingApproval, decision: Any) -> None:
        """The run resumed: if nobody here claimed it, the decision came from the Prefect UI (or the API)."""
        if not self.store.claim(p.id):
            return
        approved = bool(decision.approved)
        state: State = "approved" if approved else "rejected"
        done = self.store.finish(p.id, state, decided_by=decision.approver, reason=decision.reason or None)
        verb = "Approved" if approved else "Rejected"
        self._update(
            done, f"{verb} by {decision.approver} in the Prefect UI at {_fmt(done.decided_at)}", decision.reason
        )
        latency = ((done.decided_at or utcnow()) - p.created_at).total_seconds()
        self.audit(
            "decided",
            done,
            actor=str(decision.approver),
            approved=approved,
            approver=decision.approver,
            reason=decision.reason,
            via="prefect-ui",
            latency_s=round(latency, 3),
        )


def resume_input(p: PendingApproval, user: str, reason: str, *, choice: Any = None) -> dict[str, Any]:
    """What the waiting run is resumed with: a decision (`ApprovalDecision`), or for a question
    (`kind="clarification"`) the answer (`ClarificationAnswer`): the chosen option's full text, else the words typed.
    No choice: the request expired."""
    if p.kind == CLARIFICATION:
        options = {f.label: f.value for f in p.request.summary.fields}
        picked = options.get(f"Option {choice.id.removeprefix('opt-')}") if choice is not None else None
        return {"answer": reason or picked or "(no answer)", "answered_by": user}
    return {"approved": bool(choice is not None and choice.approves), "approver": user, "reason": reason}


def audit_clarification(
    what: str,
    question: str,
    options: list[str],
    *,
    by: Any,
    flow_run_id: str | None = None,
    url: str | None = None,
    **data: Any,
) -> None:
    """A question to a person (`approval.clarification.requested`) or its answer (`.answered`) in the audit trail.
    `by`: an `Actor`, or the name of the person who answered."""
    from lexflow.audit import Actor, AuditRecord, redact, shared_trail

    actor = by if isinstance(by, Actor) else Actor.user(str(by))
    shared_trail(url).record(
        AuditRecord(
            actor=actor,
            action=f"approval.clarification.{what}",
            input=redact({"question": question, "options": options, **data}),
            resource_ids=[flow_run_id] if flow_run_id else [],
        )
    )


def request_record(request: DecisionRequest, flow_run_id: str | None) -> dict[str, Any]:
    """What the audit keeps of a request (no secrets: the request carries none)."""
    return {
        "flow_run_id": flow_run_id,
        "approvers": request.approvers,
        "choices": [c.id for c in request.choices],
        "expires_in_s": request.expires_in.total_seconds(),
    }
