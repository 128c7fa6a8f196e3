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

    def save_contacts(self, contacts: Iterable[dict[str, Any]]) -> int:
        rows = []
        for c in contacts:
            roles = c.get("roles") or {}
            company, person = c.get("company") or {}, c.get("person") or {}
            name = company.get("name") or " ".join(x for x in (person.get("firstName"), person.get("lastName")) if x)
            emails = c.get("emailAddresses") or {}
            first = next((v[0] for v in emails.values() if v), None) if isinstance(emails, dict) else None
            rows.append(
                {
                    "id": str(c["id"]),
                    "version": c.get("version"),
                    "name": name or "",
                    "email": first,
                    "customer_number": (roles.get("customer") or {}).get("number"),
                    "vendor_number": (roles.get("vendor") or {}).get("number"),
                    "archived": c.get("archived"),
                    "data": c,
                    "synced_at": _now(),
                }
            )
        self._upsert(SyncedContact, rows)
        return len(rows)

    def save_vouchers(self, items: Iterable[dict[str, Any]]) -> int:
        rows = [
            {
                "id": str(v["id"]),
                "voucher_type": v.get("voucherType") or "",
                "voucher_status": v.get("voucherStatus"),
                "voucher_number": v.get("voucherNumber"),
                "voucher_date": v.get("voucherDate"),
                "due_date": v.get("dueDate"),
                "updated_date": v.get("updatedDate"),
                "contact_id": v.get("contactId"),
                "contact_name": v.get("contactName"),
                "total_amount": v.get("totalAmount"),
                "open_amount": v.get("openAmount"),
                "data": v,
                "synced_at": _now(),
            }
            for v in items
        ]
        self._upsert(SyncedVoucher, rows)
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

    def count(self, stream: str) -> int:
        with self._sessions() as s:
            return int(s.execute(select(func.count()).select_from(TABLES[stream])).scalar_one())

    def checkpoint(self, stream: str) -> SyncCheckpoint | None:
        with self._sessions() as s:
            return s.get(SyncCheckpoint, stream)

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
