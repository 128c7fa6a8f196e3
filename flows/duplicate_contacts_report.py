"""Duplicate customers report: groups by normalised e-mail and similar name, with links and what to do.

Read-only on every provider: lexflow never merges or deletes customers (several APIs cannot, and which record to keep
is a person's decision), so the report is advice for a person in the accounting system.
"""

from __future__ import annotations

from typing import Any

from lexflow.prefect.artifacts import audit_artifact, markdown_artifact, table_artifact
from lexflow.prefect.flow import lexflow_flow
from tasks.common import current_provider, run_logger
from tasks.contacts import find_duplicate_contacts

ADVICE = (
    "lexflow does not merge or delete customers. For each group: open the customers in {system}, keep the one "
    "with the invoices (or the older customer number), move missing data to it, and archive or deactivate the other "
    "one there. Re-run this report afterwards."
)


@lexflow_flow(name="duplicate-contacts-report", persist_result=True)
def duplicate_contacts_report(threshold: int = 90, profile: str | None = None) -> list[dict[str, Any]]:
    """One row per customer in a duplicate group; a markdown artifact explains the manual fix."""
    provider = current_provider(profile)
    found = find_duplicate_contacts(threshold, profile=profile)
    rows = []
    for n, group in enumerate(found.groups, start=1):
        for c in group.customers:
            rows.append(
                {
                    "group": n,
                    "open": provider.view_url("customer", c.id) or f"{c.id} (no web link)",
                    "name": c.name,
                    "reason": group.reason.replace("_", " "),
                    "emails": ", ".join(c.emails),
                    "customer number": c.number,
                    "score": group.score,
                }
            )
    system = provider.capabilities.display_name
    table_artifact("duplicate-contacts", rows, f"{len(found.groups)} groups among {found.scanned} customers")
    audit_artifact()
    markdown_artifact("duplicate-contacts-advice", f"## What to do\n\n{ADVICE.format(system=system)}", "Manual merge")
    run_logger().info("%d duplicate groups among %d customers", len(found.groups), found.scanned)
    return rows
