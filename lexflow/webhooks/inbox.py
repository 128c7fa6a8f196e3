"""The durable inbox: every verified event is stored before the receiver answers, then drained by a worker.

One inbox for every provider: Lexware's own payloads and the neutral `ProviderEvent`s of Xero, QuickBooks and
pollers (`Inbox.store(event, body)`; a poller passes `event.model_dump_json().encode()` as the body, see
docs/webhooks.md#feeding-the-inbox-from-a-poller).

Why a table and not a queue: the receiver must answer Lexware within 5 s, an accepted event must survive a crash,
and redeliveries (same organisation, type, resource and date) must be recognised. One unique key and a lease per
claimed row give all three on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CursorResult,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.db import Base, open_database
from lexflow.webhooks.events import ProviderEvent, WebhookEvent, parse_stored


class EventStatus(enum.StrEnum):
    PENDING = "pending"  # stored, waiting for (another) attempt
    PROCESSING = "processing"  # claimed by a worker until `lease_until`
    DONE = "done"  # the mapped action ran (or there was none)
    PARKED = "parked"  # failed `max_attempts` times or permanently; needs a person (`lexflow webhooks replay`)


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every timestamp in the inbox is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class InboxEvent(Base):
    """One received event (redeliveries only bump `deliveries`)."""

    __tablename__ = "webhook_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(400), unique=True, index=True)
    provider: Mapped[str] = mapped_column(String(32), default="lexware", server_default="lexware")
    resource_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    organization_id: Mapped[str] = mapped_column(String(64))  # the tenant: Lexware organisation, Xero tenant, realm
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    event_date: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), index=True, default=EventStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # bumped by replay: a new run, not a retry
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    parked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def to_event(self) -> WebhookEvent | ProviderEvent:
        return parse_stored(self.body)


@dataclass(frozen=True)
class StoreResult:
    id: int
    duplicate: bool


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts; after `max_attempts` failures the event is parked."""

    max_attempts: int = 6
    base_delay: float = 2.0
    max_delay: float = 600.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1)))


class Inbox:
    """Store, claim, complete, fail, park and replay webhook events."""

    def __init__(
        self, database_url: str | None = None, *, lease: float = 120.0, retry: RetryPolicy | None = None
    ) -> None:
        self.database_url, self.engine, self._sessions = open_database(database_url)
        self.lease = timedelta(seconds=lease)
        self.retry = retry or RetryPolicy()

    def store(self, event: WebhookEvent | ProviderEvent, body: bytes | None = None) -> StoreResult:
        """Insert the event, or count a redelivery of one already stored. Raises only if the database fails.

        `body`: what the worker reads back: Lexware's raw payload; for a `ProviderEvent` its own JSON (the default).
        """
        row = _row(event, body)
        with self._sessions() as session:
            session.add(row)
            try:
                session.commit()
                return StoreResult(row.id, duplicate=False)
            except IntegrityError:
                session.rollback()
        with self._sessions.begin() as session:
            existing = session.execute(select(InboxEvent).where(InboxEvent.event_key == event.key)).scalar_one()
            existing.deliveries += 1
            return StoreResult(existing.id, duplicate=True)

    def store_batch(self, events: Sequence[ProviderEvent]) -> list[StoreResult]:
        """Store a delivery's events in one transaction (one commit, not one per event: Intuit waits only 3 s).

        Same outcome as `store` for each: new ones inserted, redelivered ones (also twice in one batch) counted. If
        another receiver inserts one of them meanwhile, the batch falls back to `store` event by event.
        """
        unique: dict[str, ProviderEvent] = {}
        repeats: dict[str, int] = {}
        for event in events:
            if event.key in unique:
                repeats[event.key] = repeats.get(event.key, 0) + 1
            unique.setdefault(event.key, event)
        try:
            with self._sessions.begin() as session:
                found = {
                    row.event_key: row
                    for row in session.execute(select(InboxEvent).where(InboxEvent.event_key.in_(list(unique))))
                    .scalars()
                    .all()
                }
                new = {key: _row(event) for key, event in unique.items() if key not in found}
                for key, row in found.items():
                    row.deliveries += 1 + repeats.get(key, 0)
                for key, row in new.items():
                    row.deliveries += repeats.get(key, 0)
                session.add_all(new.values())
                session.flush()
                ids = {key: StoreResult(row.id, duplicate=False) for key, row in new.items()}
                ids |= {key: StoreResult(row.id, duplicate=True) for key, row in found.items()}
        except IntegrityError:
            return [self.store(event) for event in events]
        seen: set[str] = set()
        results = []
        for event in events:
            first = ids[event.key]
            results.append(first if event.key not in seen else StoreResult(first.id, duplicate=True))
            seen.add(event.key)
        return results

    def claim(self, limit: int = 10) -> list[InboxEvent]:
        """Lease up to `limit` due events. A row whose lease ran out (its worker died) is due again."""
        now = utcnow()
        due = or_(InboxEvent.lease_until.is_(None), InboxEvent.lease_until < now)
        claimable = InboxEvent.status.in_((EventStatus.PENDING.value, EventStatus.PROCESSING.value))
        with self._sessions() as session:
            ids = (
                session.execute(
                    select(InboxEvent.id)
                    .where(claimable, InboxEvent.next_attempt_at <= now, due)
                    .order_by(InboxEvent.next_attempt_at, InboxEvent.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        claimed: list[InboxEvent] = []
        for event_id in ids:
            with self._sessions.begin() as session:
                # Compare-and-set: only one worker wins a row, on SQLite and PostgreSQL alike.
                result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(InboxEvent)
                    .where(InboxEvent.id == event_id, claimable, due)
                    .values(
                        status=EventStatus.PROCESSING.value,
                        lease_until=now + self.lease,
                        attempts=InboxEvent.attempts + 1,
                    )
                )
                won = result.rowcount
            if won == 1:
                claimed.append(self.get(event_id))
        return claimed

    def extend(self, event_id: int) -> None:
        """Renew the lease of an event still being processed (a long action must not be taken over)."""
        with self._sessions.begin() as session:
            session.execute(
                update(InboxEvent)
                .where(InboxEvent.id == event_id, InboxEvent.status == EventStatus.PROCESSING.value)
                .values(lease_until=utcnow() + self.lease)
            )

    def complete(self, event_id: int, result: str) -> None:
        self._set(
            event_id,
            status=EventStatus.DONE.value,
            result=result,
            completed_at=utcnow(),
            lease_until=None,
            last_error=None,
        )

    def fail(self, event_id: int, error: str, *, permanent: bool = False) -> EventStatus:
        """Schedule another attempt with backoff, or park the event with its reason."""
        row = self.get(event_id)
        if permanent or row.attempts >= self.retry.max_attempts:
            reason = error if permanent else f"gave up after {row.attempts} attempts: {error}"
            self._set(
                event_id, status=EventStatus.PARKED.value, parked_reason=reason, last_error=error, lease_until=None
            )
            return EventStatus.PARKED
        self._set(
            event_id,
            status=EventStatus.PENDING.value,
            last_error=error,
            lease_until=None,
            next_attempt_at=utcnow() + self.retry.delay(row.attempts),
        )
        return EventStatus.PENDING

    def replay(self, event_id: int) -> InboxEvent:
        """Queue an event again (parked or done) with a fresh attempt budget."""
        self.get(event_id)
        self._set(
            event_id,
            status=EventStatus.PENDING.value,
            attempts=0,
            generation=InboxEvent.generation + 1,
            next_attempt_at=utcnow(),
            lease_until=None,
            parked_reason=None,
        )
        return self.get(event_id)

    def get(self, event_id: int) -> InboxEvent:
        with self._sessions() as session:
            row = session.get(InboxEvent, event_id)
        if row is None:
            raise KeyError(f"no webhook event with id {event_id} in the inbox (see `lexflow webhooks inbox`)")
        return row

    def list(self, status: EventStatus | None = None, limit: int = 50) -> Sequence[InboxEvent]:
        query = select(InboxEvent).order_by(InboxEvent.id.desc()).limit(limit)
        if status is not None:
            query = query.where(InboxEvent.status == status.value)
        with self._sessions() as session:
            return session.execute(query).scalars().all()

    def counts(self) -> dict[str, int]:
        with self._sessions() as session:
            rows = session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()
        return {status.value: 0 for status in EventStatus} | {str(s): int(n) for s, n in rows}

    def next_due(self) -> datetime | None:
        """When the earliest waiting event becomes due (lets an idle worker sleep exactly that long)."""
        with self._sessions() as session:
            pending = session.execute(
                select(func.min(InboxEvent.next_attempt_at)).where(InboxEvent.status == EventStatus.PENDING.value)
            ).scalar()
            leased = session.execute(
                select(func.min(InboxEvent.lease_until)).where(InboxEvent.status == EventStatus.PROCESSING.value)
            ).scalar()
        times = [t for t in (pending, leased) if t is not None]
        return min(times) if times else None

    def _set(self, event_id: int, **values: object) -> None:
        with self._sessions.begin() as session:
            session.execute(update(InboxEvent).where(InboxEvent.id == event_id).values(**values))


def _row(event: WebhookEvent | ProviderEvent, body: bytes | None = None) -> InboxEvent:
    if body is None:
        if not isinstance(event, ProviderEvent):
            raise TypeError("a Lexware event is stored with the raw body it was signed over")
        body = event.model_dump_json().encode()
    now = utcnow()
    return InboxEvent(
        event_key=event.key,
        provider=event.provider,
        resource_type=event.resource_type,
        organization_id=event.organization_id,
        event_type=event.event_type,
        resource_id=event.resource_id,
        event_date=event.event_date,
        body=body,
        received_at=now,
        deliveries=1,
        status=EventStatus.PENDING.value,
        attempts=0,
        generation=0,
        next_attempt_at=now,
    )
