"""Rows for a Prefect table artifact summarising the actions of one flow run (no Prefect import here)."""

from __future__ import annotations

from typing import Any

from lexflow.audit.store import AuditTrail, shared_trail


def flow_run_rows(flow_run_id: str, trail: AuditTrail | None = None) -> list[dict[str, Any]]:
    """One row per audited action of the run, already redacted, for `create_table_artifact(rows)`."""
    trail = trail or shared_trail()
    rows = []
    for rec in trail.list(flow_run_id=str(flow_run_id)):
        rows.append(
            {
                "#": rec.seq,
                "time": rec.time.strftime("%Y-%m-%d %H:%M:%S"),
                "action": rec.action,
                "outcome": rec.outcome,
                "profile": rec.profile,
                "lexware ids": ", ".join(rec.resource_ids),
                "calls": len(rec.http_calls),
                "approval": rec.approval_ref or "",
                "error": (rec.error or "")[:200],
            }
        )
    return rows
