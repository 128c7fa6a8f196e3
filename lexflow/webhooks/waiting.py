"""Flow runs that wait for a Lexware event, and the webhook action that continues them.

`log_expense` uploads a receipt and must wait until OCR has produced the voucher (`voucher.created`). Inside the
flow, `wait_for_event("voucher.created", voucher_id)` registers the run as a waiter and pauses it; the route
`voucher.created → lexflow.webhooks.waiting:continue_waiting_runs` resumes it with the event as typed input.

Races are closed on both sides: an event that arrived before the flow asked is found in the inbox (no pause at
all), and a resume that comes before the pause fails retryably (`RunNotPausedYet`), so the inbox worker tries again
a moment later. Pausing and resuming are `lexflow.prefect.pausing`'s, shared with approvals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from lexflow.db import Base, open_database
from lexflow.prefect.pausing import RunNotPaused, RunNotPausedYet, resume_run, wait_for_input
from lexflow.webhooks.events import ProviderEvent, WebhookEvent
from lexflow.webhooks.inbox import InboxEvent, utcnow


class EventWaiter(Base):
    """A flow run waiting for one event on one resource."""

    __tablename__ = "webhook_waiters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    resource_id: Mapped[str] = mapped_column(String(64), index=True)
    flow_run_id: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)


class EventArrived(BaseModel):
    """What a waiting run receives (its fields form the Prefect run-input schema; the UI can resume by hand too)."""

    model_config = ConfigDict(extra="forbid")

    event_type: str
    resource_id: str
    event_date: str
    resource: dict[str, Any] | None = None


def _sessions(database_url: str | None) -> sessionmaker[Session]:
    return open_database(database_url)[2]


def pause_key(event_type: str, resource_id: str) -> str:
    """Prefect pause keys allow lowercase letters, digits and dashes only."""
    raw = f"lexware-{event_type}-{resource_id}".lower()
    return "".join(c if c.isalnum() or c == "-" else "-" for c in raw)


def wait_for_event(
    event_type: str,
    resource_id: str,
    *,
    timeout: int = 3600,
    poll_interval: int = 10,
    database_url: str | None = None,
) -> EventArrived:
    """Call inside a flow: returns when the event arrives; raises `prefect.exceptions.FlowPauseTimeout` after `timeout`.

    The run stays alive while paused (`pause_flow_run`), which suits minutes of OCR, not days.
    """
    from prefect.runtime import flow_run

    event_type = event_type.lower()
    sessions = _sessions(database_url)
    with sessions.begin() as session:
        arrived = session.execute(
            select(InboxEvent)
            .where(InboxEvent.event_type == event_type, InboxEvent.resource_id == resource_id)
            .order_by(InboxEvent.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        session.add(
            EventWaiter(
                event_type=event_type,
                resource_id=resource_id,
                flow_run_id=str(flow_run.id),
                registered_at=utcnow(),
                resolved_at=utcnow() if arrived else None,
                outcome="event had already arrived" if arrived else None,
            )
        )
    if arrived is not None:
        return EventArrived(event_type=event_type, resource_id=resource_id, event_date=arrived.event_date)
    return wait_for_input(
        EventArrived, key=pause_key(event_type, resource_id), timeout=timeout, poll_interval=poll_interval
    )


def has_waiters(event_type: str, resource_id: str, database_url: str | None = None) -> bool:
    """Whether a run waits for this event (checked before Prefect is imported at all)."""
    with _sessions(database_url)() as session:
        return (
            session.execute(
                select(EventWaiter.id)
                .where(
                    EventWaiter.event_type == event_type.lower(),
                    EventWaiter.resource_id == resource_id,
                    EventWaiter.resolved_at.is_(None),
                )
                .limit(1)
            ).first()
            is not None
        )


def continue_waiting_runs(
    event: WebhookEvent | ProviderEvent, resource: dict[str, Any] | None, database_url: str | None = None
) -> str:
    """Webhook action: resume every run waiting for this event. Idempotent: resolved waiters are skipped."""
    from prefect.exceptions import FlowPauseTimeout

    sessions = _sessions(database_url)
    with sessions() as session:
        waiters = (
            session.execute(
                select(EventWaiter).where(
                    EventWaiter.event_type == event.event_type,
                    EventWaiter.resource_id == event.resource_id,
                    EventWaiter.resolved_at.is_(None),
                )
            )
            .scalars()
            .all()
        )
    if not waiters:
        return "no run is waiting (a later wait_for_event finds this event in the inbox)"
    payload = EventArrived(
        event_type=event.event_type, resource_id=event.resource_id, event_date=event.event_date, resource=resource
    ).model_dump(mode="json")
    resumed: list[str] = []
    for waiter in waiters:
        sent_before = _resume_sent_at(waiter.outcome)
        sent_at = utcnow()
        # The intent, committed before the resume: a re-run after a crash between the resume and its record (below)
        # can tell "resumed, and running since" from "not paused yet", instead of waiting for a pause that is over.
        _set_outcome(sessions, waiter.id, f"{RESUME_SENT}{(sent_before or sent_at).isoformat()}")
        try:
            resume_run(waiter.flow_run_id, payload)
            outcome = "resumed"
        except FlowPauseTimeout:
            outcome = "the run stopped waiting (pause timed out)"
        except RunNotPausedYet as exc:
            state = exc.state
            if state is not None and sent_before is not None and _since(state) > sent_before and not state.is_paused():
                outcome = "resumed (by an earlier attempt that stopped before recording it)"
            else:
                _set_outcome(sessions, waiter.id, None)  # certainly not resumed: forget the intent
                raise
        except RunNotPaused as exc:
            outcome = f"run already finished ({exc.state.type.value if exc.state is not None else 'deleted'})"
        except RuntimeError:  # Prefect refused the input: not resumed, the inbox worker retries with backoff
            _set_outcome(sessions, waiter.id, None)
            raise
        with sessions.begin() as session:
            session.execute(
                update(EventWaiter).where(EventWaiter.id == waiter.id).values(resolved_at=utcnow(), outcome=outcome)
            )
        resumed.append(f"{waiter.flow_run_id}: {outcome}")
    return "; ".join(resumed)


RESUME_SENT = "resume sent at "
"""Outcome prefix of a waiter whose resume was sent (or about to be) but not recorded yet."""


def _resume_sent_at(outcome: str | None) -> datetime | None:
    if not outcome or not outcome.startswith(RESUME_SENT):
        return None
    return datetime.fromisoformat(outcome.removeprefix(RESUME_SENT))


def _since(state: Any) -> datetime:
    """When the run entered its current state, as naive UTC like the waiter table."""
    stamp: datetime = state.timestamp
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def _set_outcome(sessions: sessionmaker[Session], waiter_id: int, outcome: str | None) -> None:
    with sessions.begin() as session:
        session.execute(update(EventWaiter).where(EventWaiter.id == waiter_id).values(outcome=outcome))
