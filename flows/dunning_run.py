"""Dunning run: unpaid invoices → payments the bank statements showed → one reminder per overdue invoice still owed
→ summary artifact (+ Slack note). The same on every provider; what a reminder is follows the capability `dunning`:

- the provider keeps dunning documents (Lexware, sevDesk): a dunning draft there, which a person reviews and sends
  (docs/flows.md#dunning-run);
- it does not (Xero, QuickBooks): lexflow e-mails its own reminder with the invoice PDF to the customer's address
  (SMTP: `smtp_url`, `smtp_secret` or LEXFLOW_SMTP_URL, checked before anything is read).

Before reminding, the run asks the match ledger of `reconcile-payments` what arrived for each invoice: a payment the
accounting system does not show yet (matched, hinted, waiting for a person) means no reminder, a part payment a
reminder for the rest (`lexflow.banking.dunning`). The table says for each invoice what was done and why.
Each reminder is keyed by invoice and day in the operations ledger (docs/reliability.md): a rerun never reminds
twice, and one whose outcome is unknown is shown as "possibly created"/"possibly sent" instead of repeated.

No `from __future__ import annotations` here: `serve()` ships the flow to its run process with cloudpickle, and a
parameter annotation left as a string (`SmtpUrl`) could not be resolved there.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.banking.dunning import ageing, part_payment_introduction, plan_dunning, reminder_mail
from lexflow.formatting import eur
from lexflow.operations import OutcomeUnknown
from lexflow.prefect.artifacts import audit_artifact, bar_chart, markdown_artifact, table_artifact
from lexflow.prefect.flow import SmtpUrl, lexflow_flow
from lexflow.prefect.flow import smtp_url as smtp_url_for
from lexflow.prefect.notify import notify_slack
from tasks.audit import audit
from tasks.common import business_key, current_provider, run_logger
from tasks.dunning import create_dunning, reminder_content, unpaid_invoices
from tasks.mail import send_document_mail


@task(name="payments-seen", cache_policy=NO_CACHE, persist_result=False)
def payments_seen(database_url: str | None = None) -> dict[str, Any]:
    """What the match ledger saw arrive per invoice (exact/partial matches the accounting system may not show yet)."""
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
    smtp_url: SmtpUrl | None = None,
    smtp_secret: str | None = None,
    sender: str = "rechnung@localhost",
) -> list[dict[str, Any]]:
    """Remind the customers of invoices at least `min_days_overdue` days overdue (once per invoice and day), except
    those the bank statements show paid; part-paid ones are reminded for the remaining amount only.

    A reminder an earlier run possibly created or sent (it died between sending and recording) is listed as
    "possibly created"/"possibly sent" and not repeated; after checking, `recreate_unknown=true` repeats the missing
    ones. `fee` is a line of the dunning document where the provider keeps one (a reminder mail carries no fee)."""
    log = run_logger()
    day = (as_of or date.today()).isoformat()
    provider = current_provider(profile)
    where = provider.capabilities.display_name
    documents = provider.capabilities.supports("dunning")
    mail_server = None if documents else smtp_url_for(smtp_url, smtp_secret)  # fails before anything is read
    items = unpaid_invoices(day, profile=profile)
    overdue = [i for i in items if i["days_overdue"] >= min_days_overdue]
    decisions = plan_dunning(overdue, payments_seen(database_url))
    contacts = {i["id"]: i.get("contact_id") for i in items}
    rows: list[dict[str, Any]] = []
    reminded_amount = Decimal("0")
    reminded = 0
    for d in decisions:
        link = ""
        action = "skipped" if d.action == "skip" else "reminded"
        if d.action == "remind" and reminded >= max_dunnings:
            action, d.why = "not yet", f"{d.why}; over max_dunnings={max_dunnings} this run"
        elif d.action == "remind":
            try:
                if documents:
                    made = create_dunning(
                        d.invoice_id, as_of=day, fee=str(fee), profile=profile,
                        introduction=part_payment_introduction(d), database_url=database_url,
                        recreate_unknown=recreate_unknown,
                    )  # fmt: skip
                    link = made.get("view_url") or made["dunning_id"]
                else:
                    assert mail_server is not None
                    link = _mail_reminder(d, contacts.get(d.invoice_id), day, mail_server, sender, profile,
                                          database_url, recreate_unknown)  # fmt: skip
                if link:
                    reminded += 1
                    reminded_amount += d.remind_amount
                else:
                    action, d.why = "not reminded", f"{d.why}; the customer has no e-mail address in {where}"
            except OutcomeUnknown as exc:  # shown to a person, never repeated blind
                log.warning("invoice %s: %s", d.voucher_number or d.invoice_id, exc)
                action = "possibly created" if documents else "possibly sent"
                d.why = str(exc)
        rows.append(
            {
                "action": action,
                "why": d.why,
                "dunning": link,
                "invoice": d.voucher_number or d.invoice_id,
                "customer": d.contact_name or "",
                "days overdue": d.days_overdue,
                "open amount": eur(d.open_amount),
                "reminded for": eur(d.remind_amount) if action == "reminded" else "",
            }
        )
    skipped = sum(1 for r in rows if r["action"] == "skipped")
    unknown = sum(1 for r in rows if r["action"].startswith("possibly"))
    what = (
        f"{reminded} dunning draft(s) for {eur(reminded_amount)}"
        if documents
        else f"{reminded} reminder mail(s) with the invoice PDF for {eur(reminded_amount)}"
    )
    summary = (
        f"{what} (as of {day}); {skipped} overdue invoice(s) skipped because the bank statements show them paid."
        + (f" Review and send the drafts in {where}." if documents else "")
    ) + (f" {unknown} possibly reminded by an interrupted run: check them (see the table)." if unknown else "")
    warning = notify_slack(summary) if reminded or unknown else None
    if warning:
        log.warning(warning)
        summary = f"{summary} WARNING: {warning}"
    table_artifact("dunning-run", rows, summary)
    total_open, buckets = ageing(items)
    markdown_artifact(
        "receivables-ageing",
        bar_chart(f"Open receivables by days overdue, as of {day}", list(buckets.items())),
        f"Receivables ageing: {eur(total_open)} open",
    )
    audit_artifact()
    log.info(summary)
    return rows


def _mail_reminder(
    d: Any,
    customer_id: str | None,
    day: str,
    mail_server: str,
    sender: str,
    profile: str | None,
    database_url: str | None,
    resend: bool,
) -> str:
    """lexflow's own reminder where the provider keeps no dunning documents: the invoice PDF to the customer's
    e-mail, once per invoice and day (`send_document_mail`); "" when the customer has no address."""
    content = reminder_content(d.invoice_id, customer_id, profile=profile)
    if not content["to"]:
        return ""
    subject, body = reminder_mail(d)
    number = d.voucher_number or d.invoice_id
    mid = send_document_mail(
        mail_server, document_id=f"reminder-{d.invoice_id}-{day}", to=content["to"], subject=subject, body=body,
        content=content["pdf"], filename=f"Rechnung-{number}.pdf", sender=sender, database_url=database_url,
        resend=resend,
    )  # fmt: skip
    audit(
        "dunning.mail", business_key("dunning-mail", d.invoice_id, day),
        {"invoice_id": d.invoice_id, "as_of": day, "message_id": mid, "reminded_for": str(d.remind_amount)},
        [d.invoice_id], database_url=None,
    )  # fmt: skip
    return f"mail {mid}"
