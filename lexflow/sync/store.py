"""The local history store: contacts, voucher-list rows and document details, plus one checkpoint per stream.

A row in `sync_documents` is current when its `updated_date` equals the voucher-list row's; everything else is
"pending". That single rule makes a crashed sync resumable (the rerun fetches only what is still pending) and an
incremental sync cheap (only changed vouchers are fetched again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, Numeric, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.core.changes import ContactRow, DocumentRow
from lexflow.db import Base, open_database


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SyncedContact(Base):
    __tablename__ = "sync_contacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(512), default="")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    customer_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vendor_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    archived: Mapped[bool | None] = mapped_column(nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class SyncedVoucher(Base):
    """One voucher-list row (docs/lexware.md#voucher-list): the index of every sales and bookkeeping voucher."""

    __tablename__ = "sync_vouchers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    voucher_type: Mapped[str] = mapped_column(String(32), index=True)
    voucher_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    voucher_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voucher_date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    due_date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_date: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(512), nullable=True)
    total_amount: Mapped[float | None] = mapped_column(Numeric(14, 2), nullable=True)
    open_amount: Mapped[float | None] = mapped_column(Numeric(14, 2), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class SyncedDocument(Base):
    """The full document (invoice, credit note, bookkeeping voucher ...) as the detail endpoint returned it."""

    __tablename__ = "sync_documents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    voucher_type: Mapped[str] = mapped_column(String(32))
    updated_date: Mapped[str | None] = mapped_column(String(40), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class SyncCheckpoint(Base):
    """Per stream: the `updatedDateFrom` the next incremental run starts at, set only after a complete run."""

    __tablename__ = "sync_checkpoints"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    updated_from: Mapped[str | None] = mapped_column(String(10), nullable=True)
    completed_runs: Mapped[int] = mapped_column(Integer, default=0)
    last_completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


TABLES = {"contacts": SyncedContact, "vouchers": SyncedVoucher, "documents": SyncedDocument}


class SyncStore:
    """The sync tables of one database (SQLite file or PostgreSQL URL)."""

    def __init__(self, url: str | None = None) -> None:
        self.url, self.engine, self._sessions = open_database(url)

    # ------------------------------------------------------------------ writes
    def _upsert(self, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        table: Table = model.__table__  # type: ignore[assignment]
        dialect = self.engine.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(table).values(list(rows))
        cols = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
        stmt = stmt.on_conflict_do_update(index_elements=[c.name for c in table.primary_key.columns], set_=cols)
        with self._sessions.begin() as s:
            s.execute(stmt)

    def save_contacts(self, contacts: Iterable[ContactRow]) -> int:
        rows = [{**c.model_dump(), "synced_at": _now()} for c in contacts]
        self._upsert(SyncedContact, rows)
        return len(rows)

    def save_vouchers(self, items: Iterable[DocumentRow]) -> int:
        """List rows; a `complete` row (its data is the whole document) is stored as its own current detail too."""
        items = list(items)
        rows = [
            {
                "id": v.id,
                "voucher_type": v.type,
                "voucher_status": "deleted" if v.deleted else v.status,
                "voucher_number": v.number,
                "voucher_date": v.date,
                "due_date": v.due_date,
                "updated_date": v.updated,
                "contact_id": v.contact_id,
                "contact_name": v.contact_name,
                "total_amount": v.total,
                "open_amount": v.open_amount,
                "data": v.data,
                "synced_at": _now(),
            }
            for v in items
        ]
        self._upsert(SyncedVoucher, rows)
        self.save_documents((v.id, v.type, v.updated, v.data) for v in items if v.complete)
        return len(rows)

    def save_documents(self, docs: Iterable[tuple[str, str, str | None, dict[str, Any]]]) -> int:
        """(id, voucher type, the list row's updatedDate, detail JSON): the list's date marks the row current."""
        rows = [{"id": i, "voucher_type": t, "updated_date": u, "data": d, "synced_at": _now()} for i, t, u, d in docs]
        self._upsert(SyncedDocument, rows)
        return len(rows)

    # ------------------------------------------------------------------ reads
    def pending_documents(self, limit: int | None = None) -> list[tuple[str, str, str | None]]:
        """(id, voucher type, updatedDate) of vouchers whose stored detail is missing or older than the list row."""
        with self._sessions() as s:
            q = (
                select(SyncedVoucher.id, SyncedVoucher.voucher_type, SyncedVoucher.updated_date)
                .outerjoin(SyncedDocument, SyncedDocument.id == SyncedVoucher.id)
                .where(
                    (SyncedDocument.id.is_(None))
                    | (SyncedDocument.updated_date.is_distinct_from(SyncedVoucher.updated_date))
                )
                .order_by(SyncedVoucher.id)
            )
            if limit:
                q = q.limit(limit)
            return [(r[0], r[1], r[2]) for r in s.execute(q)]

    def listed(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The list rows' JSON of these documents (what a detail read adds to)."""
        with self._sessions() as s:
            rows = s.execute(select(SyncedVoucher.id, SyncedVoucher.data).where(SyncedVoucher.id.in_(list(ids))))
            return {r[0]: r[1] for r in rows}

    def count(self, stream: str) -> int:
        with self._sessions() as s:
            return int(s.execute(select(func.count()).select_from(TABLES[stream])).scalar_one())

    def checkpoint(self, stream: str) -> SyncCheckpoint | None:
        with self._sessions() as s:
            return s.get(SyncCheckpoint, stream)

    def other_histories(self, stream: str) -> list[str]:
        """Streams of other providers' histories in this database (their ids could collide with this one's)."""
        with self._sessions() as s:
            names = s.execute(select(SyncCheckpoint.stream).where(SyncCheckpoint.stream.like("history:%"))).scalars()
            return sorted(n for n in names if n != stream)

    def complete(self, stream: str, updated_from: str | None) -> None:
        """Move the checkpoint: only called after every page and every pending detail is stored."""
        with self._sessions.begin() as s:
            row = s.get(SyncCheckpoint, stream) or SyncCheckpoint(stream=stream, completed_runs=0)
            row.updated_from = updated_from
            row.completed_runs = (row.completed_runs or 0) + 1
            row.last_completed_at = _now()
            s.merge(row)

    def reset(self) -> None:
        """Forget everything synced (the next run is a full one)."""
        with self._sessions.begin() as s:
            for model in (*TABLES.values(), SyncCheckpoint):
                s.query(model).delete()

    def rows(self, stream: str) -> list[dict[str, Any]]:
        """Flat rows for export: scalar columns plus the JSON as text."""
        import json

        model = TABLES[stream]
        cols = [c.name for c in model.__table__.columns]  # type: ignore[attr-defined]
        with self._sessions() as s:
            out = []
            for obj in s.execute(select(model).order_by(model.id)).scalars():  # type: ignore[attr-defined]
                row = {c: getattr(obj, c) for c in cols}
                row["data"] = json.dumps(row["data"], ensure_ascii=False, sort_keys=True)
                row["synced_at"] = row["synced_at"].isoformat() if row["synced_at"] else None
                for k, v in row.items():
                    if v is not None and not isinstance(v, str | int | float | bool):
                        row[k] = float(v) if k.endswith("amount") else str(v)
                out.append(row)
            return out
