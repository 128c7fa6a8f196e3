"""Baseline: lexflow's tables as they stood when the schema came under Alembic.

Revision ID: 0001
Revises:
Create Date: 2026-12-07

Databases from before then hold any subset of these tables (each store created its own on first use), so the
baseline creates only those that are missing (and their missing indexes) and keeps the others with their rows;
`lexflow.migrations` first adds the columns the old hand migrations added (`LEGACY_COLUMNS`). Frozen here: later
changes to the tables are later revisions, never edits of this file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_tables = sa.MetaData()

sa.Table(
    "approval_requests",
    _tables,
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("flow_run_id", sa.String(length=36), nullable=True),
    sa.Column("pause_key", sa.String(length=80), nullable=False),
    sa.Column("kind", sa.String(length=40), nullable=False),
    sa.Column("subject", sa.String(length=150), nullable=False),
    sa.Column("request_json", sa.Text(), nullable=False),
    sa.Column("approvers_json", sa.Text(), nullable=False),
    sa.Column("channel", sa.String(length=80), nullable=True),
    sa.Column("ts", sa.String(length=40), nullable=True),
    sa.Column("ui_url", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("state", sa.String(length=12), nullable=False),
    sa.Column("decided_by", sa.String(length=80), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_approval_requests_expires_at", "expires_at"),
    sa.Index("ix_approval_requests_flow_run_id", "flow_run_id"),
    sa.Index("ix_approval_requests_state", "state"),
)

sa.Table(
    "audit_chain_head",
    _tables,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "audit_records",
    _tables,
    sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("recorded_at", sa.String(length=40), nullable=False),
    sa.Column("actor_kind", sa.String(length=16), nullable=False),
    sa.Column("actor_name", sa.String(length=200), nullable=False),
    sa.Column("flow_run_id", sa.String(length=64), nullable=True),
    sa.Column("actor_json", sa.Text(), nullable=False),
    sa.Column("profile", sa.String(length=100), nullable=False),
    sa.Column("action", sa.String(length=100), nullable=False),
    sa.Column("input_json", sa.Text(), nullable=False),
    sa.Column("input_digest", sa.String(length=64), nullable=False),
    sa.Column("resource_ids", sa.Text(), nullable=False),
    sa.Column("http_calls", sa.Text(), nullable=False),
    sa.Column("outcome", sa.String(length=32), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("approval_ref", sa.String(length=200), nullable=True),
    sa.Column("duration_ms", sa.Float(), nullable=False),
    sa.Column("prev_hash", sa.String(length=64), nullable=False),
    sa.Column("hash_version", sa.Integer(), nullable=True),
    sa.Column("hash", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("hash"),
    sa.Index("ix_audit_records_action", "action"),
    sa.Index("ix_audit_records_actor_name", "actor_name"),
    sa.Index("ix_audit_records_flow_run_id", "flow_run_id"),
    sa.Index("ix_audit_records_outcome", "outcome"),
    sa.Index("ix_audit_records_recorded_at", "recorded_at"),
)

sa.Table(
    "bank_known_ibans",
    _tables,
    sa.Column("fingerprint", sa.String(length=48), nullable=False),
    sa.Column("contact_id", sa.String(length=64), nullable=False),
    sa.Column("learned_from", sa.String(length=80), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("fingerprint"),
)

sa.Table(
    "bank_matches",
    _tables,
    sa.Column("transaction_id", sa.String(length=80), nullable=False),
    sa.Column("statement", sa.String(length=255), nullable=False),
    sa.Column("booking_date", sa.Date(), nullable=False),
    sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column("counterparty", sa.String(length=140), nullable=False),
    sa.Column("iban_fp", sa.String(length=48), nullable=True),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("confidence", sa.Numeric(precision=4, scale=2), nullable=False),
    sa.Column("status", sa.String(length=24), nullable=False),
    sa.Column("action", sa.String(length=24), nullable=False),
    sa.Column("reasons", sa.JSON(), nullable=False),
    sa.Column("candidates", sa.JSON(), nullable=False),
    sa.Column("links", sa.JSON(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("decided_by", sa.String(length=128), nullable=True),
    sa.Column("flow_run_id", sa.String(length=64), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("transaction_id"),
    sa.Index("ix_bank_matches_kind", "kind"),
    sa.Index("ix_bank_matches_status", "status"),
)

sa.Table(
    "bank_payment_terms",
    _tables,
    sa.Column("voucher_id", sa.String(length=64), nullable=False),
    sa.Column("terms", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("voucher_id"),
)

sa.Table(
    "ledger_crm_contacts",
    _tables,
    sa.Column("crm_source", sa.String(length=64), nullable=False),
    sa.Column("crm_id", sa.String(length=128), nullable=False),
    sa.Column("contact_id", sa.String(length=64), nullable=True),
    sa.Column("email", sa.String(length=320), nullable=True),
    sa.Column("status", sa.String(length=32), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("crm_source", "crm_id"),
    sa.Index("ix_ledger_crm_contacts_contact_id", "contact_id"),
    sa.Index("ix_ledger_crm_contacts_email", "email"),
)

sa.Table(
    "ledger_operations",
    _tables,
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("digest", sa.String(length=64), nullable=False),
    sa.Column("target", sa.String(length=200), nullable=False),
    sa.Column("state", sa.String(length=12), nullable=False),
    sa.Column("request", sa.JSON(), nullable=False),
    sa.Column("result", sa.JSON(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("sent_at", sa.DateTime(), nullable=True),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("kind", "key"),
    sa.Index("ix_ledger_operations_state", "state"),
)

sa.Table(
    "ledger_sent_invoices",
    _tables,
    sa.Column("request_key", sa.String(length=128), nullable=False),
    sa.Column("invoice_id", sa.String(length=64), nullable=False),
    sa.Column("voucher_number", sa.String(length=64), nullable=True),
    sa.Column("contact_id", sa.String(length=64), nullable=True),
    sa.Column("approver", sa.String(length=128), nullable=False),
    sa.Column("recipient", sa.String(length=320), nullable=True),
    sa.Column("message_id", sa.String(length=255), nullable=True),
    sa.Column("flow_run_id", sa.String(length=64), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("extra", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("request_key"),
    sa.Index("ix_ledger_sent_invoices_invoice_id", "invoice_id"),
)

sa.Table(
    "sync_checkpoints",
    _tables,
    sa.Column("stream", sa.String(length=64), nullable=False),
    sa.Column("updated_from", sa.String(length=10), nullable=True),
    sa.Column("completed_runs", sa.Integer(), nullable=False),
    sa.Column("last_completed_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("stream"),
)

sa.Table(
    "sync_contacts",
    _tables,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("name", sa.String(length=512), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=True),
    sa.Column("customer_number", sa.Integer(), nullable=True),
    sa.Column("vendor_number", sa.Integer(), nullable=True),
    sa.Column("archived", sa.Boolean(), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("synced_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "sync_documents",
    _tables,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("voucher_type", sa.String(length=32), nullable=False),
    sa.Column("updated_date", sa.String(length=40), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("synced_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "sync_vouchers",
    _tables,
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("voucher_type", sa.String(length=32), nullable=False),
    sa.Column("voucher_status", sa.String(length=32), nullable=True),
    sa.Column("voucher_number", sa.String(length=64), nullable=True),
    sa.Column("voucher_date", sa.String(length=40), nullable=True),
    sa.Column("due_date", sa.String(length=40), nullable=True),
    sa.Column("updated_date", sa.String(length=40), nullable=True),
    sa.Column("contact_id", sa.String(length=64), nullable=True),
    sa.Column("contact_name", sa.String(length=512), nullable=True),
    sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column("open_amount", sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("synced_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_sync_vouchers_updated_date", "updated_date"),
    sa.Index("ix_sync_vouchers_voucher_type", "voucher_type"),
)

sa.Table(
    "webhook_effects",
    _tables,
    sa.Column("key", sa.String(length=480), nullable=False),
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    sa.Column("outcome", sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint("key"),
)

sa.Table(
    "webhook_inbox",
    _tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("event_key", sa.String(length=400), nullable=False),
    sa.Column("provider", sa.String(length=32), server_default="lexware", nullable=False),
    sa.Column("resource_type", sa.String(length=32), nullable=True),
    sa.Column("organization_id", sa.String(length=64), nullable=False),
    sa.Column("event_type", sa.String(length=64), nullable=False),
    sa.Column("resource_id", sa.String(length=64), nullable=False),
    sa.Column("event_date", sa.String(length=64), nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Column("received_at", sa.DateTime(), nullable=False),
    sa.Column("deliveries", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("generation", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
    sa.Column("lease_until", sa.DateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("parked_reason", sa.Text(), nullable=True),
    sa.Column("result", sa.Text(), nullable=True),
    sa.Column("completed_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_webhook_inbox_event_key", "event_key", unique=True),
    sa.Index("ix_webhook_inbox_event_type", "event_type"),
    sa.Index("ix_webhook_inbox_next_attempt_at", "next_attempt_at"),
    sa.Index("ix_webhook_inbox_status", "status"),
)

sa.Table(
    "webhook_waiters",
    _tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("event_type", sa.String(length=64), nullable=False),
    sa.Column("resource_id", sa.String(length=64), nullable=False),
    sa.Column("flow_run_id", sa.String(length=64), nullable=False),
    sa.Column("registered_at", sa.DateTime(), nullable=False),
    sa.Column("resolved_at", sa.DateTime(), nullable=True),
    sa.Column("outcome", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_webhook_waiters_event_type", "event_type"),
    sa.Index("ix_webhook_waiters_resource_id", "resource_id"),
)

sa.Table(
    "bank_match_items",
    _tables,
    sa.Column("transaction_id", sa.String(length=80), nullable=False),
    sa.Column("voucher_id", sa.String(length=64), nullable=False),
    sa.Column("voucher_number", sa.String(length=64), nullable=True),
    sa.Column("contact_id", sa.String(length=64), nullable=True),
    sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column("cash_discount", sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column("open_amount", sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column("closed_at", sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(["transaction_id"], ["bank_matches.transaction_id"]),
    sa.PrimaryKeyConstraint("transaction_id", "voucher_id"),
    sa.Index("ix_bank_match_items_voucher_id", "voucher_id"),
)

sa.Table(
    "bank_match_progress",
    _tables,
    sa.Column("transaction_id", sa.String(length=80), nullable=False),
    sa.Column("planned", sa.String(length=16), nullable=False),
    sa.Column("claimed_by", sa.String(length=160), nullable=False),
    sa.Column("claimed_at", sa.DateTime(), nullable=False),
    sa.Column("shown_at", sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(["transaction_id"], ["bank_matches.transaction_id"]),
    sa.PrimaryKeyConstraint("transaction_id"),
)


def upgrade() -> None:
    bind = op.get_bind()
    _tables.create_all(bind, checkfirst=True)  # the tables an older lexflow never created
    for table in _tables.tables.values():  # and the indexes of those it created before an index was declared
        for index in table.indexes:
            index.create(bind, checkfirst=True)


def downgrade() -> None:
    _tables.drop_all(op.get_bind())
