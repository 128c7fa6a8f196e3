"""Dunning run: overdue invoices → one dunning draft pursued from each → summary artifact (+ Slack note).

Dunnings are drafts in the API (§5): lexflow prepares them; sending them stays with the web app or a mail flow.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from prefect import flow

from flows._common import audit_artifact, table_artifact
from tasks.common import run_logger
from tasks.dunning import create_dunning, open_items


def _notify_slack(text: str) -> bool:
    from lexflow.approvals.settings import SlackApprovalSettings

    cfg = SlackApprovalSettings()
    if not cfg.slack_configured:
        return False
    cfg.web_client().chat_postMessage(channel=str(cfg.channel), text=text)
    return True


@flow(name="dunning-run", persist_result=True)
def dunning_run(
    as_of: date | None = None,
    min_days_overdue: int = 1,
    fee: Decimal = Decimal("0"),
    max_dunnings: int = 50,
    profile: str | None = None,
) -> list[dict[str, Any]]:
    """Create dunning drafts for invoices at least `min_days_overdue` days overdue (once per invoice and day)."""
    log = run_logger()
    day = (as_of or date.today()).isoformat()
    items = open_items(day, profile=profile)["items"]
    overdue = [i for i in items if i["days_overdue"] >= min_days_overdue][:max_dunnings]
    rows = []
    for item in overdue:
        d = create_dunning(item["id"], as_of=day, fee=str(fee), profile=profile)
        rows.append(
            {
                "invoice": item.get("voucher_number"),
                "customer": item.get("contact_name"),
                "days overdue": item["days_overdue"],
                "open amount": str(item["open_amount"]),
                "dunning": d.get("view_url") or d["dunning_id"],
            }
        )
    total = sum((Decimal(str(i["open_amount"])) for i in overdue), Decimal("0"))
    summary = f"{len(rows)} dunning draft(s) for {total:.2f} EUR overdue (as of {day}); review and send them in Lexware Office."
    table_artifact("dunning-run", rows, summary)
    audit_artifact()
    if rows and _notify_slack(summary):
        log.info("Slack notified")
    log.info(summary)
    return rows
