"""The audit trail: one hash-chained record per action run, with redacted input, calls, outcome and approval."""

from lexflow.audit.artifacts import flow_run_rows
from lexflow.audit.calls import attach, collect_calls
from lexflow.audit.records import Actor, AuditRecord, HttpCall, Outcome, StoredRecord
from lexflow.audit.redact import (
    REDACTED,
    digest,
    fingerprint,
    install_log_redaction,
    redact,
    redact_secrets,
    redact_text,
)
from lexflow.audit.store import AuditTrail, VerifyResult, export_csv, export_json, flat_row, shared_trail

__all__ = [
    "REDACTED",
    "Actor",
    "AuditRecord",
    "AuditTrail",
    "HttpCall",
    "Outcome",
    "StoredRecord",
    "VerifyResult",
    "attach",
    "collect_calls",
    "digest",
    "export_csv",
    "export_json",
    "fingerprint",
    "flat_row",
    "flow_run_rows",
    "install_log_redaction",
    "redact",
    "redact_secrets",
    "redact_text",
    "shared_trail",
]
