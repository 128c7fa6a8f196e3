"""Flow bookkeeping tables: which CRM record became which Lexware contact, and what each flow already did.

The Lexware API has no idempotency keys and no external-id field on contacts, so lexflow keeps the mapping
itself. Plain SQLAlchemy on `lexflow.db.Base` (SQLite or PostgreSQL); no Prefect here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from lexflow.db import Base, open_database


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CrmContactLink(Base):
    """CRM id ↔ Lexware contact id, with the outcome of the last upsert."""

    __tablename__ = "ledger_crm_contacts"

    crm_source: Mapped[str] = mapped_column(String(64), primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(32))  # created | updated | unchanged | needs_review
    message: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class SentInvoice(Base):
    """One approved, finalized and e-mailed invoice: the flow's own record of what it did and for whom."""

    __tablename__ = "ledger_sent_invoices"

    request_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    voucher_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approver: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Ledger:
    """Read and write the flow bookkeeping tables of one database."""

    def __init__(self, url: str | None = None) -> None:
        _, _, self._sessions = open_database(url)

    # ------------------------------------------------------------------ CRM mapping
    def link_contact(
        self, crm_source: str, crm_id: str, contact_id: str | None, status: str, email: str | None, message: str = ""
    ) -> None:
        with self._sessions.begin() as s:
            row = s.get(CrmContactLink, (crm_source, crm_id))
            if row is None:
                row = CrmContactLink(crm_source=crm_source, crm_id=crm_id)
                s.add(row)
            if contact_id is not None or row.contact_id is None:
                row.contact_id = contact_id
            row.email, row.status, row.message, row.updated_at = email, status, message, _now()

    def contact_for(self, crm_id: str, crm_source: str | None = None) -> str | None:
        """The Lexware contact id a CRM record became, or None."""
        with self._sessions() as s:
            q = select(CrmContactLink.contact_id).where(
                CrmContactLink.crm_id == crm_id, CrmContactLink.contact_id.is_not(None)
            )
            if crm_source:
                q = q.where(CrmContactLink.crm_source == crm_source)
            return s.execute(q.limit(1)).scalar_one_or_none()

    def links(self, crm_source: str | None = None) -> list[CrmContactLink]:
        with self._sessions() as s:
            q = select(CrmContactLink).order_by(CrmContactLink.crm_source, CrmContactLink.crm_id)
            if crm_source:
                q = q.where(CrmContactLink.crm_source == crm_source)
            return list(s.execute(q).scalars())

    def links_for_contact(self, contact_id: str) -> list[CrmContactLink]:
        """Every CRM record linked to this Lexware contact (a `contact.changed` event updates them all)."""
        with self._sessions() as s:
            q = select(CrmContactLink).where(CrmContactLink.contact_id == contact_id)
            return list(s.execute(q.order_by(CrmContactLink.crm_source, CrmContactLink.crm_id)).scalars())

    # ------------------------------------------------------------------ invoices
    def record_sent_invoice(self, **fields: Any) -> None:
        with self._sessions.begin() as s:
            s.merge(SentInvoice(**fields))

    def sent_invoice(self, request_key: str) -> SentInvoice | None:
        with self._sessions() as s:
            return s.get(SentInvoice, request_key)
