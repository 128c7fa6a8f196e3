"""Audit task: a flow-level record (who approved, what was created and sent) in the shared hash-chained trail."""

from __future__ import annotations

from typing import Any

from prefect import task

from lexflow.audit import AuditRecord, shared_trail
from tasks.common import FLOW_PROFILE, KEEP, flow_actor, key_from


@task(name="audit", persist_result=True, cache_key_fn=key_from("audit", "action", "key"), cache_expiration=KEEP)
def audit(
    action: str,
    key: str,
    details: dict[str, Any],
    resource_ids: list[str],
    approval_ref: str | None = None,
    database_url: str | None = None,
) -> int:
    """Append one record (once per action and business key) and return its sequence number."""
    rec = AuditRecord(
        actor=flow_actor(), profile=FLOW_PROFILE.name, action=action, input=details, resource_ids=resource_ids,
        approval_ref=approval_ref,
    )  # fmt: skip
    return shared_trail(database_url).record(rec).seq
