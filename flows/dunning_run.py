"""Dunning run: overdue invoices → payments the bank statements showed → one dunning draft per invoice still owed
→ summary artifact (+ Slack note).

Dunnings are drafts in the API (docs/lexware.md#dunnings): lexflow prepares them; sending them stays with the web app or a mail flow.
Before drafting, the run asks the match ledger of `reconcile-payments` what arrived for each invoice: a payment
Lexware does not show yet (matched, hinted, waiting for a person) means no reminder, a part payment a reminder for
the rest (`lexflow.banking.dunning`). The table says for each invoice what was done and why.
Each draft is keyed by invoice and day in the operations ledger (docs/reliability.md): a rerun never creates a
second one, and one whose creation may have happened unseen is shown as "possibly created" instead of repeated.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.formatting import eur
from lexflow.operations import OutcomeUnknown
from lexflow.prefect.artifacts import audit_artifact, bar_chart, markdown_artifact, table_artifact
from lexflow.prefect.flow import lexflow_flow
from lexflow.prefect.notify import notify_slack
from tasks.common import run_logger
from tasks.dunning import create_dunning, open_items


@task(name="payments-seen", cache_policy=NO_CACHE, persist_result=False)
def payments_seen(database_url: str | None = None) -> dict[str, Any]:
    """What the match ledger saw arrive per invoice (exact/partial matches Lexware may not show yet)."""
    from lexflow.banking.ledger import MatchLedger

    return MatchLedger(database_url).payments_seen()


@lexflow_flow(name="dunning-run", persist_result=True)
def dunning_run(
    as_of: date | None = None,
    min_days_overdue: int = 1,
    fee: Decimal = Decimal("0"),
    max_dunnings: int = 50,
    profile: str | None = None,
    database_url: str | None = None,
    recreate_unknown: bool = False,
) -> list[dict[str, Any]]:
    """Create dunning drafts for invoices at least `min_days_overdue` days overdue (once per invoice and day),
    except those the bank statements show paid; part-paid ones are reminded for the remaining amount only.

    A draft an earlier run possibly created (it died between sending and recording) is listed as "possibly created"
    and not repeated; after checking the invoice in Lexware Office, `recreate_unknown=true` creates the missing ones."""
    from lexflow.banking.dunning import part_payment_introduction, plan_dunning

    log = run_logger()
    day = (as_of or date.today()).isoformat()
    receivables = open_items(day, profile=profile)
    items = receivables["items"]
    overdue = [i for i in items if i["days_overdue"] >= min_days_overdue]
    decisions = plan_dunning(overdue, payments_seen(database_url))
    rows: list[dict[str, Any]] = []
    reminded = Decimal("0")
    drafted = 0
    for d in decisions:
        link = ""
        action = "skipped" if d.action == "skip" else "reminded"
        if d.action == "remind" and drafted >= max_dunnings:
            action, d.why = "not yet", f"{d.why}; over max_dunnings={max_dunnings} this run"
        elif d.action == "remind":
            try:
                made = create_dunning(
                    d.invoice_id, as_of=day, fee=str(fee), profile=profile, introduction=part_payment_introduction(d),
                    database_url=database_url, recreate_unknown=recreate_unknown,
                )  # fmt: skip
                link = made.get("view_url") or made["dunning_id"]
                drafted += 1
                reminded += d.remind_amount
            except OutcomeUnknown as exc:  # shown to a person, never repeated blind
                log.warning("invoice %s: %s", d.voucher_number or d.invoice_id, exc)
                action, d.why = "possibly created", str(exc)
        rows.append(
            {
                "action": action,
                "why": d.why,
                "dunning": link,
                "invoice": d.voucher_number or d.invoice_id,
                "customer": d.contact_name or "",
                "days overdue": d.days_overdue,
                "open in Lexware": eur(d.open_amount),
                "reminded for": eur(d.remind_amount) if action == "reminded" else "",
            }
        )
    skipped = sum(1 for r in rows if r["action"] == "skipped")
    unknown = sum(1 for r in rows if r["action"] == "possibly created")
    summary = (
        f"{drafted} dunning draft(s) for {eur(reminded)} (as of {day}); {skipped} overdue invoice(s) skipped because "
        "the bank statements show them paid. Review and send the drafts in Lexware Office."
    ) + (f" {unknown} possibly created by an interrupted run: check them (see the table)." if unknown else "")
    warning = notify_slack(summary) if drafted or unknown else None
    if warning:
        log.warning(warning)
        summary = f"{summary} WARNING: {warning}"
    table_artifact("dunning-run", rows, summary)
    markdown_artifact(
        "receivables-ageing",
        bar_chart(f"Open receivables by days overdue, as of {day}", list(receivables["buckets"].items())),
        f"Receivables ageing: {eur(receivables['total_open'])} open",
    )
    audit_artifact()
    log.info(summary)
    return rows
