"""Bank lines → payment matching → payments recorded once approved, or hints, review items and questions for a
person (daily deployment). What happens depends on the accounting system's capabilities (docs/reconciliation.md):

- `record_payment` (sevDesk, Xero, QuickBooks Online): open invoices from the neutral `list_invoices`; every match
  waits for a person's approval (asked as flagged ones are), and an approved one is recorded with the neutral
  `record_payment`, once (`lexflow.banking.recording`). Where `read_bank_transactions` reads the bank's own lines
  (sevDesk), they come from the API instead of a statement file.
- no `record_payment` (Lexware Office): as below.

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
from tasks.common import client_for_profile, current_provider, flow_actor, flow_profile, run_action, run_logger

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
    profile: str | None = None,
) -> ReconcileReport:
    from prefect.runtime import flow_run

    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.reconcile import audit_recorder, reconcile

    ledger = MatchLedger(database_url)
    return reconcile(
        transactions,
        client_for_profile(flow_profile(profile)),  # the profile's account (Lexware: its client, for the hints)
        ledger=ledger,
        statement=statement,
        dry_run=dry_run,
        audit=None if dry_run else audit_recorder(flow_actor(), database_url),
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        already_listed=frozenset(already_listed or ()),
    )


@task(name="read-bank-lines", cache_policy=NO_CACHE, persist_result=False)  # counterparties never go to storage
def read_bank_lines_task(days: int, profile: str | None = None) -> list[BankTransaction]:
    """The bank's lines of the last `days` days from the accounting system's API (neutral list_bank_transactions)."""
    from lexflow.banking.recording import line_from_provider, since

    out = run_action("list_bank_transactions", {"booked_from": since(days).isoformat(), "limit": 1000}, profile=profile)
    if out.truncated:
        run_logger().warning("more than 1000 bank lines in %s days: the newest 1000 are reconciled", days)
    return [line_from_provider(line) for line in out.items]


@task(name="reconcile-for-approval", cache_policy=NO_CACHE, persist_result=False)
def reconcile_recording_task(
    transactions: list[BankTransaction],
    statement: str,
    dry_run: bool,
    database_url: str | None,
    already_listed: list[str] | None = None,
    profile: str | None = None,
) -> ReconcileReport:
    """Match against the open invoices (neutral list_invoices); matches wait for a person's approval."""
    from prefect.runtime import flow_run

    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.recording import open_items_from, reconcile_recording

    invoices = run_action("list_invoices", {"status": ["open", "partially_paid"], "limit": 1000}, profile=profile)
    if invoices.truncated:
        run_logger().warning("more than 1000 open invoices: the newest 1000 are matched")
    return reconcile_recording(
        transactions,
        current_provider(profile),
        ledger=MatchLedger(database_url),
        statement=statement,
        dry_run=dry_run,
        open_items=open_items_from(invoices.items),
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        already_listed=frozenset(already_listed or ()),
    )


@task(name="record-approved-payments", cache_policy=NO_CACHE, persist_result=False)
def record_payments_task(
    transactions: list[BankTransaction], database_url: str | None, profile: str | None = None
) -> list[dict[str, Any]]:
    """Record the payment of every approved match among these lines, once (neutral record_payment)."""
    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.recording import record_approved

    def record(draft: Any) -> Any:
        return run_action("record_payment", draft.model_dump(mode="json", exclude_none=True), profile=profile)

    done = record_approved(transactions, current_provider(profile), ledger=MatchLedger(database_url), record=record)
    return [r.model_dump() for r in done]


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
    bank_days: int = 60,
    profile: str | None = None,
) -> dict[str, Any]:
    """Match each statement against the open invoices and act once per transaction.

    Where the accounting system reads the bank's own lines (capability read_bank_transactions with statement
    lines) and no `statement_path` is given, the lines of the last `bank_days` days come from its API.

    `ask`: put flagged proposals to a person one after another (auto = only when Slack is configured);
    answers go to the ledger (a confirmation also teaches the payer's IBAN, as a fingerprint).
    `csv_mapping`: path of a TOML/YAML column mapping for a CSV layout lexflow does not know (docs/reconciliation.md).
    `accept_unbalanced`: read statements whose balances do not add up; their exact matches only go to a person.
    `profile`: whose accounting system and account to reconcile (its provider and credentials; docs/providers.md)."""
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
        "payments_recorded": 0,
        "recorded": [],
    }
    flagged: list[Any] = []
    rows: list[dict[str, str]] = []
    shown: list[str] = []
    caps = current_provider(profile).capabilities
    records = caps.supports("record_payment")
    bank = caps.read_bank_transactions
    from_api = statement_path is None and bank.available and bank.statement_lines
    files = [] if from_api else statement_files(statement_path)
    if not files and not from_api:
        log.warning("no statement files in %s", statement_path or runtime_settings().statement_dir)
    unreadable: list[dict[str, str]] = []
    sources: list[tuple[str, Any]] = [(f"{caps.display_name} bank lines", None)] if from_api else []
    sources += [(path.name, path) for path in files]
    read: list[list[BankTransaction]] = []
    for name, path in sources:
        try:
            transactions = (
                read_statement_task(str(path), csv_preset, accept_unbalanced)
                if path is not None
                else read_bank_lines_task(bank_days, profile)
            )
        except (BankingError, OSError, ValueError) as exc:  # one bad file never sinks the batch
            log.warning("%s is not reconciled: %s", name, exc)
            unreadable.append({"file": name, "why": str(exc)})
            continue
        read.append(transactions)
        if records:
            report = reconcile_recording_task(transactions, name, dry_run, database_url, shown, profile)
        else:
            report = reconcile_task(transactions, name, dry_run, database_url, shown, profile)
        log.info("%s: %s transactions, %s", name, report.transactions, report.by_kind)
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
        rows += [{**r, "statement": name} for r in summary_rows(report, only_person=True)]
        shown += [i.transaction_id for i in report.needs_person]
        flagged += [i for i in report.items if i.action == "flagged" and i.status == "needs_decision"]
    totals["unreadable_files"] = unreadable
    if unreadable:
        table_artifact(
            "reconcile-payments-unreadable-files",
            [{"action": "fix or re-export the file, then rerun", **u} for u in unreadable],
            f"{len(unreadable)} statement file(s) could not be read and were not reconciled; the others were",
        )
    what = (
        f"{totals['flagged']} matches waiting for a person's approval (approved ones are recorded in "
        f"{caps.display_name})"
        if records
        else f"{totals['review_items']} exact matches to assign in {caps.display_name}, {totals['flagged']} flagged "
        f"for a person, {totals['hints_sent']} hints sent"
    )
    table_artifact(
        "reconcile-payments",
        rows,
        f"{'DRY RUN: ' if dry_run else ''}{what}, "
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
            decision = request_approval(decision_request(item, records_in=caps.display_name if records else None))
            if decision.expired:
                totals["decisions"].append({"transaction": item.transaction_id, "decision": "expired"})
                continue
            ledger.decide(item.transaction_id, confirmed=decision.approved, by=decision.approver)
            totals["decisions"].append(
                {"transaction": item.transaction_id, "decision": "confirmed" if decision.approved else "dismissed"}
            )
    if records and not dry_run:  # approved now, by `lexflow bank decide`, or interrupted while recording
        for transactions in read:
            for done in record_payments_task(transactions, database_url, profile):
                totals["recorded"].append(done)
                if done["outcome"] == "recorded":
                    totals["payments_recorded"] += 1
                elif done["outcome"] in ("to_person", "unknown"):
                    log.warning("payment: %s", done["detail"])
                    totals["payment_notices"].append(done["detail"])
        if totals["recorded"]:
            table_artifact(
                "reconcile-payments-recorded",
                [
                    {"transaction": r["transaction_id"], "outcome": r["outcome"], "invoices": ", ".join(r["invoices"]),
                     "detail": r["detail"][:200]}
                    for r in totals["recorded"]
                ],
                f"Approved matches: {totals['payments_recorded']} payments recorded in {caps.display_name}",
            )  # fmt: skip
    return totals
