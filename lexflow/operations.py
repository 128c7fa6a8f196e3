"""The operations ledger: every irreversible or non-idempotent write records its intent before it is sent and its
outcome after, in lexflow's database (SQLite by default, PostgreSQL by URL; no Prefect here).

One row per write, keyed by (kind, business key). `begin` records the intent with the request's digest and what is
needed to repeat exactly the same request; `finish` records the outcome; `fail` records that it was certainly not
written (a refusal, a connection that never opened). A rerun, retry or resume reads the row first (`check`):

- `done`: the write happened; use the stored result, send nothing.
- `pending`: the process died or lost the answer between intent and outcome. The outcome is unknown; the caller
  settles it by an exact lookup (an invoice's reference) before sending again, or, where no lookup exists (SMTP),
  reports "possibly sent at …" and sends again only when a person says so.
- a different digest under the same key: `KeyReused`, before anything is asked or sent.

The Lexware API has no idempotency keys; providers that have them (Xero's `Idempotency-Key`, QuickBooks'
`requestid`) take the business key from here.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Integer, String, Text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.db import Base, open_database
from lexflow.errors import LexflowError

State = Literal["pending", "done", "failed"]

#: Test hook for the crash matrix: the process kills itself (SIGKILL) at the named point. Read only here.
CRASH_ENV = "LEXFLOW_CRASH_AT"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def request_digest(value: Any) -> str:
    """SHA-256 of JSON-able data (keys sorted): equal requests give equal digests on every machine."""
    raw = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def crash_point(name: str) -> None:
    """Die here, as `kill -9` would, when `LEXFLOW_CRASH_AT` names this point (the crash matrix's hook)."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


class OperationRow(Base):
    """One write: its intent (digest, target, what is needed to repeat it) and its outcome."""

    __tablename__ = "ledger_operations"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    #: When the request left this process, where the sender can tell (SMTP): None means it certainly did not yet.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class Operation:
    """A snapshot of one row."""

    kind: str
    key: str
    digest: str
    target: str
    state: str
    request: dict[str, Any]
    result: dict[str, Any]
    note: str
    attempts: int
    started_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def pending(self) -> bool:
        return self.state == "pending"


def _snap(row: OperationRow) -> Operation:
    return Operation(
        kind=row.kind,
        key=row.key,
        digest=row.digest,
        target=row.target,
        state=row.state,
        request=dict(row.request or {}),
        result=dict(row.result or {}),
        note=row.note or "",
        attempts=row.attempts or 0,
        started_at=row.started_at,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
    )


class KeyReused(LexflowError, ValueError):
    """The business key was already used for a request with other data; nothing was asked, sent or changed."""

    def __init__(self, op: Operation, what: str, hint: str) -> None:
        self.operation = op
        when = f"{op.started_at:%Y-%m-%d %H:%M} UTC"
        outcome = {"done": "and written", "pending": "and possibly written"}.get(op.state, "")
        super().__init__(
            f"this key was already used for another request: {what} was used on {when} {outcome} with different "
            f"data; nothing was sent. {hint}"
        )


class ConcurrentAttempt(LexflowError, RuntimeError):
    """Another run started the same write at the same moment; its outcome decides (rerun once it finished)."""


class OutcomeUnknown(LexflowError, RuntimeError):
    """An earlier attempt may have written (its process died or lost the answer) and no lookup can tell."""

    def __init__(self, op: Operation, message: str) -> None:
        self.operation = op
        super().__init__(message)


class Operations:
    """Read and write the operations ledger of one database."""

    def __init__(self, url: str | None = None) -> None:
        _, _, self._sessions = open_database(url)

    def get(self, kind: str, key: str) -> Operation | None:
        with self._sessions() as s:
            row = s.get(OperationRow, (kind, key))
            return _snap(row) if row else None

    def check(self, kind: str, key: str, digest: str, *, what: str, hint: str = "") -> Operation | None:
        """The earlier write under this key, if any; `KeyReused` when it was for other data and may have happened.

        A write that certainly did not happen (`failed`) does not hold its key: the next request may differ."""
        op = self.get(kind, key)
        if op is not None and op.state != "failed" and op.digest != digest:
            raise KeyReused(op, what, hint)
        return op if op is not None and op.state != "failed" else None

    def begin(
        self, kind: str, key: str, digest: str, *, target: str, request: dict[str, Any] | None = None, what: str = ""
    ) -> Operation:
        """Record the intent (before sending). Repeating it for the same request counts another attempt and keeps
        the first `request` data (what was approved, the Message-ID first generated), so a retry repeats exactly
        the first attempt."""
        for _ in range(2):
            try:
                with self._sessions.begin() as s:
                    row = s.get(OperationRow, (kind, key))
                    if row is None:
                        row = OperationRow(
                            kind=kind,
                            key=key,
                            digest=digest,
                            target=target,
                            state="pending",
                            request=dict(request or {}),
                            result={},
                            note="",
                            attempts=1,
                            started_at=_now(),
                        )
                        s.add(row)
                        s.flush()
                        return _snap(row)
                    if row.state != "failed" and row.digest != digest:
                        raise KeyReused(_snap(row), what or f"{kind} key {key!r}", "")
                    if row.state == "done":
                        return _snap(row)
                    values: dict[str, Any] = {"state": "pending", "target": target, "sent_at": None,
                                              "attempts": row.attempts + 1}  # fmt: skip
                    if row.state == "failed":  # certainly not written: this attempt starts afresh
                        values.update(digest=digest, request=dict(request or {}), started_at=_now())
                    # Compare-and-set on the attempt count: of two runs starting the same write at once, one goes.
                    res = s.execute(
                        update(OperationRow)
                        .where(
                            OperationRow.kind == kind, OperationRow.key == key, OperationRow.attempts == row.attempts
                        )
                        .values(**values)
                    )
                    if not res.rowcount:  # type: ignore[attr-defined]
                        raise ConcurrentAttempt(f"another run started {what or f'{kind} {key!r}'} at this moment")
                    s.expire(row)
                    return _snap(s.get(OperationRow, (kind, key)))  # type: ignore[arg-type]
            except IntegrityError:  # another process inserted the same key at the same moment: read it again
                continue
        raise ConcurrentAttempt(f"another run started {what or f'{kind} {key!r}'} at this moment")

    def sending(self, kind: str, key: str) -> Operation:
        """Record that the request is leaving now: from here on an interrupted attempt may have been written."""
        return self._set(kind, key, "pending", sent_at=_now())

    def finish(self, kind: str, key: str, result: dict[str, Any]) -> Operation:
        """Record the outcome: written, with what the write returned."""
        return self._set(kind, key, "done", result=result)

    def fail(self, kind: str, key: str, note: str) -> Operation:
        """Record that the write certainly did not happen (the next attempt may send, even other data)."""
        return self._set(kind, key, "failed", note=note)

    def _set(self, kind: str, key: str, state: State, **values: Any) -> Operation:
        with self._sessions.begin() as s:
            row = s.get(OperationRow, (kind, key))
            if row is None:
                raise KeyError(f"no intent recorded for {kind} {key!r}")
            row.state = state
            if state != "pending":
                row.finished_at = _now()
            for name, value in values.items():
                setattr(row, name, value)
            return _snap(row)
