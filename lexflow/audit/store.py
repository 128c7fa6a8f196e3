"""The append-only, hash-chained audit store (SQLAlchemy; SQLite by default, PostgreSQL by URL).

Every record's hash covers every stored column (derived from the table definition, so a new column cannot be
forgotten) and the previous record's hash. A one-row chain-head table serialises the appends: each append first
UPDATEs the head (a row lock in PostgreSQL, the write lock in SQLite), so concurrent appenders queue instead of
forking the chain. `verify()` recomputes the chain and compares its end with the head, so an edited, removed (also
the last) or re-ordered record is detected. Someone who can rewrite the whole database can also rewrite the whole
chain or wipe it: a `Checkpoint` (the head's seq and hash) kept outside the database detects that
(`lexflow audit verify --checkpoint FILE`).

Chain versions: records written before version 2 (`hash_version` NULL) were hashed over a fixed field list that
left out the derived columns `actor_kind`, `actor_name` and `flow_run_id`; they keep their hashes (rewriting them
would need trusting the database as it is now), and `verify()` checks those columns against the hashed
`actor_json` they are derived from instead (for every record), so both versions protect every column. Opening a
trail adds the `hash_version` column to an older table; a not yet upgraded process may keep appending version-1
records meanwhile.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Float, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.audit.records import Actor, AuditRecord, HttpCall, StoredRecord
from lexflow.audit.redact import canonical_json, digest, redact
from lexflow.db import Base, open_database

GENESIS = "0" * 64
#: The hash version new records get: 2 = every column of the table but `hash` (1 = the early fixed field list).
HASH_VERSION = 2


class AuditRow(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(40), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200), index=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    actor_json: Mapped[str] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    input_json: Mapped[str] = mapped_column(Text)
    input_digest: Mapped[str] = mapped_column(String(64))
    resource_ids: Mapped[str] = mapped_column(Text)
    http_calls: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    approval_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def _iso(ts: datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def _content_v1(row: AuditRow) -> dict[str, Any]:
    """Version 1 (records from before `hash_version`): a fixed list that missed the derived actor columns."""
    return {
        "seq": row.seq,
        "recorded_at": row.recorded_at,
        "actor": row.actor_json,
        "profile": row.profile,
        "action": row.action,
        "input": row.input_json,
        "input_digest": row.input_digest,
        "resource_ids": row.resource_ids,
        "http_calls": row.http_calls,
        "outcome": row.outcome,
        "error": row.error,
        "approval_ref": row.approval_ref,
        "duration_ms": round(row.duration_ms, 3),
        "prev_hash": row.prev_hash,
    }


#: Every column the hash covers: all of the table's but the hash itself.
HASHED_COLUMNS: tuple[str, ...] = tuple(c.key for c in AuditRow.__table__.columns if c.key != "hash")


def _content(row: AuditRow) -> dict[str, Any]:
    """Exactly the stored columns the hash covers (version 2: every column but the hash)."""
    if row.hash_version is None:
        return _content_v1(row)
    out: dict[str, Any] = {}
    for key in HASHED_COLUMNS:
        value = getattr(row, key)
        out[key] = round(value, 3) if isinstance(value, float) else value
    return out


def _hash(row: AuditRow) -> str:
    return hashlib.sha256(canonical_json(_content(row)).encode()).hexdigest()


def _derived_mismatch(row: AuditRow) -> str | None:
    """The actor columns (what `--actor` filters on) must say what the hashed `actor_json` says."""
    try:
        actor = json.loads(row.actor_json)
    except ValueError:
        return "actor_json"
    for column, key in (("actor_kind", "kind"), ("actor_name", "name"), ("flow_run_id", "flow_run_id")):
        if getattr(row, column) != actor.get(key):
            return column
    return None


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at one moment, kept outside the database: later the chain must still contain it."""

    seq: int
    hash: str

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash})

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        try:
            data = json.loads(text)
            seq, hash_ = int(data["seq"]), str(data["hash"])
        except (ValueError, KeyError, TypeError):
            raise ValueError('a checkpoint is JSON like {"seq": 12, "hash": "<64 hex digits>"}') from None
        if seq < 0 or len(hash_) != 64:
            raise ValueError("checkpoint: seq must be ≥ 0 and hash 64 hex digits")
        return cls(seq=seq, hash=hash_)


def _to_record(row: AuditRow) -> StoredRecord:
    return StoredRecord(
        seq=row.seq,
        time=datetime.fromisoformat(row.recorded_at),
        actor=Actor.model_validate_json(row.actor_json),
        profile=row.profile,
        action=row.action,
        input=json.loads(row.input_json),
        input_digest=row.input_digest,
        resource_ids=json.loads(row.resource_ids),
        http_calls=[HttpCall.model_validate(c) for c in json.loads(row.http_calls)],
        outcome=row.outcome,  # type: ignore[arg-type]
        error=row.error,
        approval_ref=row.approval_ref,
        duration_ms=row.duration_ms,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)


class AuditTrail:
    """Append and read audit records. `AuditTrail()` uses `settings.database_url`."""

    def __init__(self, url: str | None = None, *, extra_secrets: Iterable[str] = ()) -> None:
        self.url, self.engine, self._sessions = open_database(url)
        self._extra_secrets = tuple(extra_secrets)
        try:
            with self._sessions.begin() as s:
                if s.get(AuditChainHead, 1) is None:
                    s.add(AuditChainHead(id=1, seq=0, hash=GENESIS))
        except IntegrityError:  # another process created the head at the same moment: theirs is as good
            pass

    def record(self, rec: AuditRecord) -> StoredRecord:
        """Append one record (redacting its input and error again) and return it with its chain position."""
        safe_input = redact(rec.input, self._extra_secrets)
        error = redact(rec.error, self._extra_secrets) if rec.error else None
        with self._sessions.begin() as s:
            # The UPDATE comes first so the row/write lock is held before the head is read: appends serialise.
            s.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=AuditChainHead.seq + 1))
            head = s.execute(select(AuditChainHead).where(AuditChainHead.id == 1)).scalar_one()
            s.refresh(head)
            row = AuditRow(
                seq=head.seq,
                recorded_at=_iso(rec.time),
                actor_kind=rec.actor.kind,
                actor_name=rec.actor.name,
                flow_run_id=rec.actor.flow_run_id,
                actor_json=canonical_json(rec.actor.model_dump(mode="json")),
                profile=rec.profile,
                action=rec.action,
                input_json=canonical_json(safe_input),
                input_digest=rec.input_digest or digest(safe_input),
                resource_ids=canonical_json(sorted(set(rec.resource_ids))),
                http_calls=canonical_json([c.model_dump(mode="json") for c in rec.http_calls]),
                outcome=rec.outcome,
                error=error,
                approval_ref=rec.approval_ref,
                duration_ms=round(rec.duration_ms, 3),
                prev_hash=head.hash,
                hash_version=HASH_VERSION,
                hash="",
            )
            row.hash = _hash(row)
            s.add(row)
            head.hash = row.hash
        return _to_record(row)

    def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        resource_id: str | None = None,
        outcome: str | None = None,
        flow_run_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[StoredRecord]:
        """Records matching every given filter. `actor` matches the actor's name or its flow run id."""
        q = select(AuditRow)
        if since:
            q = q.where(AuditRow.recorded_at >= _iso(since))
        if until:
            q = q.where(AuditRow.recorded_at <= _iso(until))
        if actor:
            q = q.where((AuditRow.actor_name == actor) | (AuditRow.flow_run_id == actor))
        if action:
            q = q.where(AuditRow.action == action)
        if outcome:
            q = q.where(AuditRow.outcome == outcome)
        if flow_run_id:
            q = q.where(AuditRow.flow_run_id == str(flow_run_id))
        if resource_id:
            q = q.where(AuditRow.resource_ids.contains(f'"{resource_id}"'))
        q = q.order_by(AuditRow.seq.desc() if newest_first else AuditRow.seq)
        if limit:
            q = q.limit(limit)
        with self._sessions() as s:
            return [_to_record(r) for r in s.execute(q).scalars()]

    def get(self, seq: int) -> StoredRecord | None:
        with self._sessions() as s:
            row = s.get(AuditRow, seq)
            return _to_record(row) if row else None

    def head(self) -> Checkpoint:
        """The current head, to keep outside the database (`lexflow audit checkpoint`)."""
        with self._sessions() as s:
            head = s.get(AuditChainHead, 1)
            return Checkpoint(seq=head.seq, hash=head.hash) if head else Checkpoint(seq=0, hash=GENESIS)

    def verify(self, checkpoint: Checkpoint | None = None) -> VerifyResult:
        """Recompute the whole chain. Any edit of any column, deletion (also of the newest record) or insertion is a
        problem; with a `checkpoint`, so is a chain that no longer contains it (truncated, wiped or rewritten)."""
        problems: list[str] = []
        prev, expected_seq, checked = GENESIS, 1, 0
        anchored = checkpoint is None or checkpoint.seq == 0
        with self._sessions() as s:
            head = s.get(AuditChainHead, 1)
            for row in s.execute(select(AuditRow).order_by(AuditRow.seq)).scalars():
                checked += 1
                if row.seq != expected_seq:
                    problems.append(f"record {expected_seq} is missing (next present is {row.seq})")
                if row.prev_hash != prev:
                    problems.append(f"record {row.seq}: prev_hash does not match the hash of the record before it")
                if _hash(row) != row.hash:
                    problems.append(f"record {row.seq}: content was altered (hash mismatch)")
                if (column := _derived_mismatch(row)) is not None:
                    problems.append(f"record {row.seq}: {column} was altered (does not match the recorded actor)")
                if checkpoint is not None and row.seq == checkpoint.seq:
                    anchored = row.hash == checkpoint.hash
                    if not anchored:
                        problems.append(f"record {row.seq} is not the one the checkpoint names (chain rewritten)")
                prev, expected_seq = row.hash, row.seq + 1
            if head is None:
                problems.append("chain head is missing")
            else:
                if head.seq != expected_seq - 1:
                    problems.append(f"chain head says {head.seq} records, found up to {expected_seq - 1}")
                if head.hash != prev:
                    problems.append("the newest record does not match the chain head (removed or altered)")
        if checkpoint is not None and not anchored and checkpoint.seq >= expected_seq:
            problems.append(
                f"the checkpoint names record {checkpoint.seq}, but the chain has only {expected_seq - 1} records "
                "(truncated or wiped)"
            )
        elif checkpoint is not None and not anchored and not problems:
            problems.append(f"record {checkpoint.seq}, which the checkpoint names, is missing")
        return VerifyResult(ok=not problems, checked=checked, problems=problems)


@lru_cache(maxsize=8)
def _shared(url: str) -> AuditTrail:
    return AuditTrail(url)


def shared_trail(url: str | None = None) -> AuditTrail:
    """The process-wide trail for a URL (default `LEXFLOW_DATABASE_URL`), for writers that append often.

    Opening a trail checks the tables and the chain head (a write transaction), so runs, tasks and the sync share
    one per URL instead of opening one per record.
    """
    if url is None:
        from lexflow.settings import get_settings

        url = get_settings().database_url
    return _shared(url)


EXPORT_FIELDS = [
    "seq",
    "time",
    "actor",
    "flow_run_id",
    "actor_url",
    "profile",
    "action",
    "outcome",
    "resource_ids",
    "approval_ref",
    "http_calls",
    "duration_ms",
    "error",
    "input_digest",
    "hash",
]


def flat_row(rec: StoredRecord) -> dict[str, Any]:
    """A flat, string-friendly view of a record (CSV export, tables)."""
    return {
        "seq": rec.seq,
        "time": rec.time.isoformat(),
        "actor": rec.actor.label(),
        "flow_run_id": rec.actor.flow_run_id or "",
        "actor_url": rec.actor.url or "",
        "profile": rec.profile,
        "action": rec.action,
        "outcome": rec.outcome,
        "resource_ids": " ".join(rec.resource_ids),
        "approval_ref": rec.approval_ref or "",
        "http_calls": "; ".join(f"{c.method} {c.path} {c.status} {c.elapsed_ms:.0f}ms" for c in rec.http_calls),
        "duration_ms": rec.duration_ms,
        "error": rec.error or "",
        "input_digest": rec.input_digest,
        "hash": rec.hash,
    }


def export_csv(records: Iterable[StoredRecord]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for rec in records:
        writer.writerow(flat_row(rec))
    return buf.getvalue()


def export_json(records: Iterable[StoredRecord]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in records], indent=2, ensure_ascii=False)
