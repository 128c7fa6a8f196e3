"""Pending decision requests in the lexflow database, so a receiver restart keeps working.

One row per request: which flow run waits under which pause key, where the Slack message is (channel, ts), who may
decide, when it expires, and what happened. State changes are compare-and-set (`UPDATE … WHERE state='pending'`), so
two clicks at once, a click racing the expiry sweep, or two receivers never decide twice.

A request bound to an action call (`DecisionRequest.action` and `.args_digest`) is also the approval that call
needs: `consume()` checks it and moves it approved → used in one compare-and-set, so it allows exactly one call.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import DateTime, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.approvals.models import DecisionRequest
from lexflow.db import Base, open_database
from lexflow.errors import LexflowError

State = Literal["pending", "deciding", "approved", "rejected", "expired", "failed", "used"]
FINAL: tuple[str, ...] = ("approved", "rejected", "expired", "failed", "used")


class ApprovalUnusable(LexflowError):
    """An approval reference that does not allow this call; the message says which rule failed and what to do."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything here is UTC.
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts


class ApprovalRow(Base):
    __tablename__ = "approval_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    pause_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(150))
    request_json: Mapped[str] = mapped_column(Text)
    approvers_json: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(80))
    ts: Mapped[str | None] = mapped_column(String(40))
    ui_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), index=True, default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class PendingApproval:
    """A snapshot of one row (plain data, safe to pass between threads)."""

    id: str
    flow_run_id: str | None
    pause_key: str
    kind: str
    subject: str
    request: DecisionRequest
    approvers: list[str]
    channel: str | None
    ts: str | None
    ui_url: str | None
    created_at: datetime
    expires_at: datetime
    reminded_at: datetime | None
    state: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None

    @property
    def half_time(self) -> datetime:
        return self.created_at + (self.expires_at - self.created_at) / 2


def _snap(row: ApprovalRow) -> PendingApproval:
    return PendingApproval(
        id=row.id,
        flow_run_id=row.flow_run_id,
        pause_key=row.pause_key,
        kind=row.kind,
        subject=row.subject,
        request=DecisionRequest.model_validate_json(row.request_json),
        approvers=json.loads(row.approvers_json),
        channel=row.channel,
        ts=row.ts,
        ui_url=row.ui_url,
        created_at=_aware(row.created_at) or utcnow(),
        expires_at=_aware(row.expires_at) or utcnow(),
        reminded_at=_aware(row.reminded_at),
        state=row.state,
        decided_by=row.decided_by,
        decided_at=_aware(row.decided_at),
        reason=row.reason,
    )


class ApprovalStore:
    """The table of pending and past decision requests."""

    def __init__(self, url: str | None = None) -> None:
        self.url, self.engine, self._sessions = open_database(url)

    def add(
        self,
        request: DecisionRequest,
        *,
        flow_run_id: str | None,
        approvers: list[str],
        ui_url: str | None,
        created_at: datetime | None = None,
    ) -> PendingApproval:
        now = created_at or utcnow()
        row = ApprovalRow(
            id=str(uuid.uuid4()),
            flow_run_id=flow_run_id,
            pause_key=request.pause_key,
            kind=request.kind,
            subject=request.subject,
            request_json=request.model_dump_json(),
            approvers_json=json.dumps(approvers),
            channel=None,
            ts=None,
            ui_url=ui_url,
            created_at=now,
            expires_at=now + request.expires_in,
            state="pending",
        )
        with self._sessions.begin() as s:
            s.add(row)
        return _snap(row)

    def set_message(self, request_id: str, channel: str, ts: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(ApprovalRow).where(ApprovalRow.id == request_id).values(channel=channel, ts=ts))

    def get(self, request_id: str) -> PendingApproval | None:
        with self._sessions() as s:
            row = s.get(ApprovalRow, request_id)
            return _snap(row) if row else None

    def find(self, flow_run_id: str, pause_key: str) -> PendingApproval | None:
        """The request a (re-started, suspended) flow run already made under this key, if any."""
        with self._sessions() as s:
            row = s.execute(
                select(ApprovalRow)
                .where(ApprovalRow.flow_run_id == flow_run_id, ApprovalRow.pause_key == pause_key)
                .order_by(ApprovalRow.created_at.desc())
            ).scalar()
            return _snap(row) if row else None

    def reattach(self, request_id: str, *, flow_run_id: str, ui_url: str | None) -> PendingApproval | None:
        """pending → pending, now waited for by `flow_run_id` (a rerun whose earlier run died while waiting).

        Compare-and-set on the state: a request being decided right now is left to its decider (None)."""
        with self._sessions.begin() as s:
            res = s.execute(
                update(ApprovalRow)
                .where(ApprovalRow.id == request_id, ApprovalRow.state == "pending")
                .values(flow_run_id=flow_run_id, ui_url=ui_url)
            )
            if not res.rowcount:  # type: ignore[attr-defined]
                return None
        return self.get(request_id)

    def claim(self, request_id: str) -> bool:
        """pending → deciding, for exactly one caller. False: someone else decided (or is deciding) already."""
        with self._sessions.begin() as s:
            res = s.execute(
                update(ApprovalRow)
                .where(ApprovalRow.id == request_id, ApprovalRow.state == "pending")
                .values(state="deciding")
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def release(self, request_id: str) -> None:
        """deciding → pending (the resume failed for a reason worth retrying)."""
        with self._sessions.begin() as s:
            s.execute(
                update(ApprovalRow)
                .where(ApprovalRow.id == request_id, ApprovalRow.state == "deciding")
                .values(state="pending")
            )

    def finish(
        self,
        request_id: str,
        state: State,
        *,
        decided_by: str | None = None,
        reason: str | None = None,
        decided_at: datetime | None = None,
    ) -> PendingApproval:
        with self._sessions.begin() as s:
            row = s.get(ApprovalRow, request_id)
            if row is None:
                raise KeyError(f"no approval request {request_id}")
            row.state = state
            row.decided_by = decided_by
            row.decided_at = decided_at or utcnow()
            row.reason = reason
            return _snap(row)

    def grant(
        self,
        request: DecisionRequest,
        *,
        approver: str,
        reason: str | None = None,
        flow_run_id: str | None = None,
        decided_at: datetime | None = None,
    ) -> PendingApproval:
        """Record a decision a person made outside Slack (`lexflow approvals grant`): approved at once."""
        if request.action is None:
            raise ValueError("grant: the request must name the action and args_digest it approves")
        p = self.add(request, flow_run_id=flow_run_id, approvers=[], ui_url=None, created_at=decided_at)
        if not self.claim(p.id):  # pragma: no cover - a fresh row is always pending
            raise RuntimeError(f"approval {p.id} changed while being granted")
        return self.finish(p.id, "approved", decided_by=approver, reason=reason, decided_at=decided_at)

    def consume(self, ref: str, *, action: str, args_digest: str, now: datetime | None = None) -> PendingApproval:
        """Use approval `ref` for one call of `action` with input digest `args_digest`, or raise `ApprovalUnusable`.

        Accepted only if it exists, was approved, is bound to this action and exactly these arguments, is within
        its `use_within` after the decision, and was not used yet. approved → used is one compare-and-set, so of
        two concurrent uses exactly one passes."""
        now = now or utcnow()
        p = self.get(ref) if len(ref) <= 36 else None
        if p is None:
            raise ApprovalUnusable(f"approval {ref!r} is unknown: no such request in the approvals store")
        if p.request.action is None or p.request.args_digest is None:
            raise ApprovalUnusable(f"approval {ref!r} is not bound to an action call (it approves {p.kind!r})")
        if p.request.action != action:
            raise ApprovalUnusable(f"approval {ref!r} was given for action {p.request.action!r}, not {action!r}")
        if p.request.args_digest != args_digest:
            raise ApprovalUnusable(
                f"approval {ref!r} was given for different arguments of {action!r} (digest "
                f"{p.request.args_digest[:12]}…, this call {args_digest[:12]}…); ask for an approval of exactly this call"
            )
        if p.state == "used":
            raise ApprovalUnusable(f"approval {ref!r} was already used; an approval allows one call")
        if p.state != "approved":
            raise ApprovalUnusable(f"approval {ref!r} is {p.state}, not approved")
        decided = p.decided_at or p.created_at
        if now > decided + p.request.use_within:
            raise ApprovalUnusable(
                f"approval {ref!r} expired at {decided + p.request.use_within:%Y-%m-%d %H:%M} UTC "
                f"({p.request.use_within} after the decision); ask again"
            )
        with self._sessions.begin() as s:
            res = s.execute(
                update(ApprovalRow).where(ApprovalRow.id == ref, ApprovalRow.state == "approved").values(state="used")
            )
            if not res.rowcount:  # type: ignore[attr-defined]
                raise ApprovalUnusable(f"approval {ref!r} was already used; an approval allows one call")
        return p

    def unuse(self, ref: str) -> None:
        """used → approved: the call it was consumed for provably wrote nothing (refused before any write)."""
        with self._sessions.begin() as s:
            s.execute(
                update(ApprovalRow).where(ApprovalRow.id == ref, ApprovalRow.state == "used").values(state="approved")
            )

    def mark_reminded(self, request_id: str) -> bool:
        with self._sessions.begin() as s:
            res = s.execute(
                update(ApprovalRow)
                .where(ApprovalRow.id == request_id, ApprovalRow.reminded_at.is_(None))
                .values(reminded_at=utcnow())
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def pending(self) -> list[PendingApproval]:
        with self._sessions() as s:
            rows = s.execute(select(ApprovalRow).where(ApprovalRow.state == "pending")).scalars().all()
            return [_snap(r) for r in rows]

    def list(self, limit: int = 50) -> list[PendingApproval]:
        with self._sessions() as s:
            rows = s.execute(select(ApprovalRow).order_by(ApprovalRow.created_at.desc()).limit(limit)).scalars().all()
            return [_snap(r) for r in rows]
