"""Bank statement → payment matching → hints, review items and questions for a person (daily deployment).

The Lexware Office API cannot read bank transactions or mark invoices paid (docs/lexware.md#what-the-api-cannot-do): the statement comes
from the bank (a file or a folder of files), exact matches get a transaction-assignment-hint (partner OAuth only)
or a review item with the invoice's deeplink, uncertain ones are flagged and, when Slack is configured, asked
about with Confirm / Dismiss. The ledger makes every rerun safe: a transaction is acted on once. Matched invoices
the payment sweep could not settle (a draft again, deleted, a failed /v1/payments call) are warned about in the log,
listed under `payment_notices` in the result and in the `reconcile-payments-payment-notices` artifact.
A run killed between claiming a transaction and finishing it is made good by the next run: it finishes the stuck
claims of its statements and lists again every match a person has not been shown (`shown` is recorded in the ledger
only once the table artifact exists).

No `from __future__ import annotations`: a served flow's parameter types must be real objects (see
`flows/create_approve_send_invoice.py`).
"""

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.banking.errors import BankingError
from lexflow.banking.reconcile import ReconcileReport
from lexflow.banking.transactions import BankTransaction
from lexflow.prefect.artifacts import bar_chart, markdown_artifact, table_artifact
from lexflow.prefect.flow import lexflow_flow
from lexflow.settings import runtime_settings
from tasks.common import flow_actor, get_client, run_logger

STATEMENT_SUFFIXES = {".xml", ".sta", ".mt940", ".mta", ".txt", ".940", ".csv", ".zip"}


def statement_files(path: str | None) -> list[Path]:
    """A file, or every statement file in a folder (default: LEXFLOW_STATEMENT_DIR or .lexflow/statements)."""
    target = Path(path or runtime_settings().statement_dir)
    if path is None and not target.exists():
        return []  # the daily run with an empty default inbox: nothing to do (it says so in the log)
    if target.is_file():
        return [target]
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix.lower() in STATEMENT_SUFFIXES)
    raise FileNotFoundError(
        f"statement_path {str(target)!r} is neither a file nor a folder; export a CAMT.053, "
        "MT940 or CSV statement from online banking and pass its path"
    )


@task(name="read-statement", cache_policy=NO_CACHE, persist_result=False)  # IBANs never go to result storage
def read_statement_task(
    path: str, csv_preset: str | None = None, accept_unbalanced: bool = False
) -> list[BankTransaction]:
    from lexflow.banking.readers import read_statement

    return read_statement(path, csv_mapping=csv_preset, accept_unbalanced=accept_unbalanced)


@task(name="reconcile-statement", cache_policy=NO_CACHE, persist_result=False)
def reconcile_task(
    transactions: list[BankTransaction],
    statement: str,
    dry_run: bool,
    database_url: str | None,
    already_listed: list[str] | None = None,
) -> ReconcileReport:
    from prefect.runtime import flow_run

    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.reconcile import audit_recorder, reconcile

    ledger = MatchLedger(database_url)
    return reconcile(
        transactions,
        get_client(),
        ledger=ledger,
        statement=statement,
        dry_run=dry_run,
        audit=None if dry_run else audit_recorder(flow_actor(), database_url),
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        already_listed=frozenset(already_listed or ()),
    )


def _slack_configured() -> bool:
    try:
        from lexflow.approvals.settings import SlackApprovalSettings

        return bool(SlackApprovalSettings().slack_configured)
    except Exception:
        return False


@lexflow_flow(name="reconcile-payments", log_prints=False)
def reconcile_payments(
    statement_path: str | None = None,
    dry_run: bool = False,
    ask: Literal["auto", "always", "never"] = "auto",
    max_questions: int = 10,
    csv_preset: str | None = None,
    database_url: str | None = None,
    csv_mapping: str | None = None,
    accept_unbalanced: bool = False,
) -> dict[str, Any]:
    """Match each statement against the open invoices and act once per transaction.

    `ask`: put flagged proposals to a person one after another (auto = only when Slack is configured);
    answers go to the ledger (a confirmation also teaches the payer's IBAN, as a fingerprint).
    `csv_mapping`: path of a TOML/YAML column mapping for a CSV layout lexflow does not know (docs/reconciliation.md).
    `accept_unbalanced`: read statements whose balances do not add up; their exact matches only go to a person."""
    csv_preset = csv_mapping or csv_preset
    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.reconcile import summary_rows

    log = run_logger()
    totals: dict[str, Any] = {
        "statements": 0,
        "transactions": 0,
        "hints_sent": 0,
        "review_items": 0,
        "flagged": 0,
        "skipped_already_done": 0,
        "closed_by_payment": 0,
        "recovered": 0,
        "republished": 0,
        "payment_notices": [],
        "recovery_notices": [],
        "by_kind": {},
        "decisions": [],
    }
    flagged: list[Any] = []
    rows: list[dict[str, str]] = []
    shown: list[str] = []
    files = statement_files(statement_path)
    if not files:
        log.warning("no statement files in %s", statement_path or runtime_settings().statement_dir)
    unreadable: list[dict[str, str]] = []
    for path in files:
        try:
            transactions = read_statement_task(str(path), csv_preset, accept_unbalanced)
        except (BankingError, OSError, ValueError) as exc:  # one bad file never sinks the batch
            log.warning("%s is not reconciled: %s", path.name, exc)
            unreadable.append({"file": path.name, "why": str(exc)})
            continue
        report = reconcile_task(transactions, path.name, dry_run, database_url, shown)
        log.info("%s: %s transactions, %s", path.name, report.transactions, report.by_kind)
        totals["statements"] += 1
        totals["transactions"] += report.transactions
        for key in ("hints_sent", "review_items", "flagged", "skipped_already_done"):
            totals[key] += getattr(report, key)
        totals["closed_by_payment"] += len(report.closed_by_payment)
        totals["recovered"] += len(report.recovered)
        totals["republished"] += report.republished
        for notice in report.recovery_notices:
            if notice not in totals["recovery_notices"]:
                log.warning("interrupted run: %s", notice)
                totals["recovery_notices"].append(notice)
        for notice in report.payment_notices:  # each statement's run sweeps again: one line per notice
            if notice not in totals["payment_notices"]:
                log.warning("payment check: %s", notice)
                totals["payment_notices"].append(notice)
        for kind, n in report.by_kind.items():
            totals["by_kind"][kind] = totals["by_kind"].get(kind, 0) + n
        rows += [{**r, "statement": path.name} for r in summary_rows(report, only_person=True)]
        shown += [i.transaction_id for i in report.needs_person]
        flagged += [i for i in report.items if i.action == "flagged" and i.status == "needs_decision"]
    totals["unreadable_files"] = unreadable
    if unreadable:
        table_artifact(
            "reconcile-payments-unreadable-files",
            [{"action": "fix or re-export the file, then rerun", **u} for u in unreadable],
            f"{len(unreadable)} statement file(s) could not be read and were not reconciled; the others were",
        )
    table_artifact(
        "reconcile-payments",
        rows,
        f"{'DRY RUN: ' if dry_run else ''}{totals['review_items']} exact matches "
        f"to assign in Lexware Office, {totals['flagged']} flagged for a person, {totals['hints_sent']} hints sent, "
        f"{len(totals['payment_notices'])} payment notices"
        + (f", {len(unreadable)} unreadable statement file(s) not reconciled" if unreadable else "")
        + (f", {totals['republished']} from interrupted runs" if totals["republished"] else ""),
    )
    if not dry_run and shown:  # the table exists: these reached a person (a killed run shows them next time)
        MatchLedger(database_url).mark_shown(shown)
    if rows:
        chart: dict[str, Decimal] = {}
        for r in rows:
            label = {"review": "matched, to assign", "flagged": "flagged for a person"}.get(r["action"], r["action"])
            chart[label] = chart.get(label, Decimal("0")) + abs(Decimal(r["amount"].replace(",", "")))
        markdown_artifact(
            "reconcile-payments-chart",
            bar_chart("Matched vs flagged amounts", list(chart.items())),
            "Matched vs flagged",
        )
    if totals["payment_notices"]:
        markdown_artifact(
            "reconcile-payments-payment-notices",
            "\n".join(f"- {n}" for n in totals["payment_notices"]),
            "Matched invoices the payment check could not settle: drafts, deleted vouchers, failed /payments calls",
        )
    if flagged:
        notes = "\n\n".join(
            f"**{i.booking_date} {i.amount} EUR, {i.counterparty}** ({i.kind})\n\n{i.note}" for i in flagged[:50]
        )
        markdown_artifact("reconcile-payments-notes", notes, "Drafted notes for the flagged transactions")
    if not dry_run and flagged and (ask == "always" or (ask == "auto" and _slack_configured())):
        from lexflow.approvals import request_approval
        from lexflow.banking.review import decision_request

        ledger = MatchLedger(database_url)
        ranked = sorted(flagged, key=lambda i: (-i.confidence, i.booking_date, i.transaction_id))[:max_questions]
        for item in ranked:
            decision = request_approval(decision_request(item))
            if decision.expired:
                totals["decisions"].append({"transaction": item.transaction_id, "decision": "expired"})
                continue
            ledger.decide(item.transaction_id, confirmed=decision.approved, by=decision.approver)
            totals["decisions"].append(
                {"transaction": item.transaction_id, "decision": "confirmed" if decision.approved else "dismissed"}
            )
    return totals
