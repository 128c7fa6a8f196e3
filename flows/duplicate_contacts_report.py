"""Duplicate contacts report: groups by normalised e-mail and similar name, with deeplinks and what to do.

The API cannot merge, archive or delete contacts (docs/lexware.md#contacts), so the report is advice for a person in Lexware Office.
"""

from __future__ import annotations

from typing import Any

from lexflow.prefect.artifacts import audit_artifact, markdown_artifact, table_artifact
from lexflow.prefect.flow import lexflow_flow
from tasks.common import run_logger
from tasks.contacts import find_duplicate_contacts

ADVICE = (
    "The Lexware Office API cannot merge, archive or delete contacts. For each group: open the contacts in "
    "Lexware Office, keep the one with the vouchers (or the older customer number), move missing data to it, "
    "and archive the other one there. Re-run this report afterwards."
)


def _link(contact_id: str) -> str:
    """The contact's page in Lexware Office; on the sandbox (no web app) the id, saying so."""
    from lexflow.client.deeplinks import link_for
    from tasks.common import get_client

    return link_for(get_client(), "contacts", contact_id) or f"sandbox contact {contact_id} (no web app)"


@lexflow_flow(name="duplicate-contacts-report", persist_result=True)
def duplicate_contacts_report(
    threshold: int = 90, customers_only: bool = False, profile: str | None = None
) -> list[dict[str, Any]]:
    """One row per contact in a duplicate group; a markdown artifact explains the manual fix."""
    found = find_duplicate_contacts(threshold, customers_only, profile=profile)
    rows = []
    for n, group in enumerate(found["groups"], start=1):
        for c in group["contacts"]:
            rows.append(
                {
                    "group": n,
                    "open in Lexware Office": _link(c["id"]),
                    "name": c["name"],
                    "reason": group["reason"].replace("_", " "),
                    "emails": ", ".join(c.get("emails") or []),
                    "customer number": c.get("customer_number"),
                    "score": group["score"],
                }
            )
    table_artifact("duplicate-contacts", rows, f"{len(found['groups'])} groups among {found['scanned']} contacts")
    audit_artifact()
    markdown_artifact("duplicate-contacts-advice", f"## What to do\n\n{ADVICE}", "Manual merge in Lexware Office")
    run_logger().info("%d duplicate groups among %d contacts", len(found["groups"]), found["scanned"])
    return rows
