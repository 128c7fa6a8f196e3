"""Side effects of webhook actions, recorded in the database so that a re-run of the action does not repeat them.

The worker records an event as done only after its action returned. If that write fails or the process dies in
between, the lease runs out and the action runs again (and `lexflow webhooks replay` runs it again on purpose).
An action whose effect is outside the database (a Slack message, a mail) therefore records it itself, keyed by
the event (or a business key):

    effects = EffectLog(database_url)
    earlier = effects.begin(f"slack-notice:{event.key}")   # the intent, committed before the effect
    if earlier is not None and earlier.done:
        return earlier.outcome                             # it happened: do not repeat it
    ts = post(...)                                         # the effect
    effects.finish(key, {"ts": ts})                        # the outcome, committed right after

`earlier` that is not `done` means an attempt started the effect and never recorded how it ended (it crashed in
that window, or the call failed ambiguously): the effect may have happened. The action decides: repeat it and say
so, or check the outside system. An effect that certainly did not happen (the remote side refused it) is
`abandon`ed, so the next attempt starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.db import Base, open_database
from lexflow.webhooks.inbox import utcnow


class WebhookEffect(Base):
    """One side effect of a webhook action: the intent (started_at) and, once known, its outcome."""

    __tablename__ = "webhook_effects"

    key: Mapped[str] = mapped_column(String(480), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


@dataclass(frozen=True)
class Effect:
    """What an earlier attempt recorded: `done` with its `outcome`, or started and never finished."""

    key: str
    started_at: datetime
    attempts: int
    outcome: dict[str, Any] | None

    @property
    def done(self) -> bool:
        return self.outcome is not None


class EffectLog:
    """The `webhook_effects` table of one database (the webhook worker passes its inbox's `database_url`)."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url, self.engine, self._sessions = open_database(database_url)

    def begin(self, key: str) -> Effect | None:
        """Commit the intent to cause effect `key`. None: the first attempt, go ahead; else what an earlier one left."""
        with self._sessions() as session:
            session.add(WebhookEffect(key=key, started_at=utcnow(), attempts=1))
            try:
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
        with self._sessions.begin() as session:
            row = session.execute(select(WebhookEffect).where(WebhookEffect.key == key)).scalar_one()
            earlier = Effect(row.key, row.started_at, row.attempts, row.outcome)
            if not earlier.done:
                row.attempts += 1
            return earlier

    def finish(self, key: str, outcome: dict[str, Any]) -> None:
        """Commit how the effect ended (e.g. the Slack message's channel and ts): later attempts find it."""
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookEffect).where(WebhookEffect.key == key).values(outcome=outcome, finished_at=utcnow())
            )

    def abandon(self, key: str) -> None:
        """The effect certainly did not happen (the remote side refused it): forget the intent."""
        with self._sessions.begin() as session:
            row = session.get(WebhookEffect, key)
            if row is not None and row.outcome is None:
                session.delete(row)

    def get(self, key: str) -> Effect | None:
        with self._sessions() as session:
            row = session.get(WebhookEffect, key)
            return None if row is None else Effect(row.key, row.started_at, row.attempts, row.outcome)
