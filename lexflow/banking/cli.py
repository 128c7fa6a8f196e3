"""`lexflow bank ...` commands and the root-level `lexflow reconcile STATEMENT_FILE [--dry-run]`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lexflow.banking.errors import BankingError
from lexflow.banking.transactions import mask_iban
from lexflow.cli_support import api_client, fail

app = typer.Typer(
    help="Bank statements and payment reconciliation (the Lexware API cannot read bank data).", no_args_is_help=True
)
console = Console()
warnings = Console(stderr=True)  # stdout stays clean for --json
_STYLE = {
    "exact": "green",
    "partial": "yellow",
    "ambiguous": "magenta",
    "reversal": "red",
    "unmatched": "dim",
    "unrelated": "dim",
}


def _read(
    path: Path, csv_preset: str | None, csv_mapping: Path | None = None, accept_unbalanced: bool = False
) -> list[Any]:
    from lexflow.banking.readers import read_statement

    try:
        txs = read_statement(path, csv_mapping=csv_mapping or csv_preset, accept_unbalanced=accept_unbalanced)
    except BankingError as exc:
        fail(exc, code=2)  # the statement file, not the API: a usage error
    for issue, n in Counter(t.unverified for t in txs if t.unverified is not None).items():
        how = (
            ""
            if issue.difference is None
            else f"integrity check '{issue.check}' failed, read anyway (--accept-unbalanced): "
        )
        warnings.print(
            f"[yellow]{escape(issue.file)}: {escape(issue.location)}: {how}{issue.reason}; "
            f"its {n} transactions are proposals for a person only[/]"
        )
    return txs


_PRESET_HELP = "CSV layout name (normally recognised from the header; see docs/reconciliation.md)."
_MAPPING_HELP = "TOML/YAML file naming your CSV's columns, for a layout lexflow does not know (docs/reconciliation.md)."
_UNBALANCED_HELP = (
    "Read a statement whose balances do not add up instead of refusing it; its transactions are marked unverified "
    "and only proposed for a person, never acted on. The entry count is still checked."
)


@app.command("read")
def read_command(
    statement: Annotated[
        Path, typer.Argument(help="CAMT .052/.053/.054 (.xml), MT940 (.sta/.txt), bank CSV, or a ZIP of them.")
    ],
    csv_preset: Annotated[str | None, typer.Option(help=_PRESET_HELP)] = None,
    csv_mapping: Annotated[Path | None, typer.Option(help=_MAPPING_HELP)] = None,
    accept_unbalanced: Annotated[bool, typer.Option("--accept-unbalanced", help=_UNBALANCED_HELP)] = False,
    limit: int = 50,
) -> None:
    """Show the transactions of a statement file (IBANs masked)."""
    txs = _read(statement, csv_preset, csv_mapping, accept_unbalanced)
    table = Table(title=f"{statement.name}: {len(txs)} transactions")
    for col in ("booked", "amount", "counterparty", "IBAN", "text"):
        table.add_column(col, justify="right" if col == "amount" else "left")
    for t in txs[:limit]:
        table.add_row(
            t.booking_date.isoformat(),
            f"{t.amount:,.2f}",
            escape(t.counterparty_name or ""),
            mask_iban(t.counterparty_iban),
            escape(t.remittance[:60]),
        )
    console.print(table)


def reconcile_command(
    statement: Annotated[Path, typer.Argument(help="CAMT (.052/.053/.054), MT940, bank CSV, or a ZIP of them.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Propose only: no ledger entry, no hint, nothing written.")
    ] = False,
    csv_preset: Annotated[str | None, typer.Option(help=_PRESET_HELP)] = None,
    csv_mapping: Annotated[Path | None, typer.Option(help=_MAPPING_HELP)] = None,
    accept_unbalanced: Annotated[bool, typer.Option("--accept-unbalanced", help=_UNBALANCED_HELP)] = False,
    show: Annotated[str, typer.Option(help="all | person (only what needs a person) | none")] = "all",
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of a table.")] = False,
) -> None:
    """Match a bank statement against open invoices and show the proposals with their reasons.

    Exact matches become a transaction-assignment-hint (partner OAuth only) or a review item with the link that
    opens the invoice in Lexware Office; everything uncertain is flagged with a drafted note. The API cannot
    mark invoices paid: the assignment itself happens in Lexware Office.
    """
    from lexflow.actions.runner import default_actor
    from lexflow.banking.ledger import MatchLedger
    from lexflow.banking.reconcile import audit_recorder, reconcile, summary_rows
    from lexflow.transport.errors import LexwareError

    txs = _read(statement, csv_preset, csv_mapping, accept_unbalanced)
    with api_client() as client:
        audit = None if dry_run else audit_recorder(default_actor())
        try:
            report = reconcile(
                txs, client, ledger=MatchLedger(), statement=statement.name, dry_run=dry_run, audit=audit
            )
        except LexwareError as exc:  # e.g. the open items could not be read: nothing was claimed or sent yet
            fail(f"{exc} (nothing was acted on; run again)")
    shown = [i.transaction_id for i in report.needs_person] if not dry_run else []
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
        MatchLedger().mark_shown(shown)  # printed: a later run does not list them again
        return
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.by_kind.items()))
    console.print(
        f"{report.transactions} transactions against {report.open_items} open items "
        f"(matched in {report.match_seconds:.3f} s): {kinds}"
    )
    if show != "none":
        rows = summary_rows(report, only_person=show == "person")
        table = Table(title="dry run: nothing was written" if dry_run else "proposals")
        for col in ("date", "amount", "counterparty", "class", "confidence", "vouchers", "action", "why"):
            short = col in ("date", "amount", "class", "confidence", "action")
            table.add_column(
                col, justify="right" if col in ("amount", "confidence") else "left", no_wrap=short, overflow="fold"
            )
        for row in rows[:limit]:
            style = _STYLE.get(row["class"], "")
            table.add_row(
                *(escape(row[c]) for c in ("date", "amount", "counterparty")),  # bank text is not markup
                f"[{style}]{row['class']}[/{style}]",
                row["confidence"],
                escape(row["vouchers"]),
                row["action"],
                escape(row["why"]),
            )
        console.print(table)
        if len(rows) > limit:
            console.print(f"... {len(rows) - limit} more (use --limit or --json)")
        listed = [i for i in report.items if show == "all" or i.action in ("review", "flagged")][:limit]
        MatchLedger().mark_shown([i.transaction_id for i in listed if i.transaction_id in shown])
    verb = "would be" if dry_run else "were"
    console.print(
        f"{report.hints_sent} assignment hints sent, {report.review_items} exact matches {verb} put up for "
        f"assignment in Lexware Office, {report.flagged} {verb} flagged for a person, "
        f"{report.skipped_already_done} already handled by an earlier run."
    )


app.command("reconcile")(reconcile_command)


@app.command("ledger")
def ledger_command(
    status: Annotated[
        str | None,
        typer.Option(
            help="acting | hint_sent | awaiting_assignment | needs_decision | confirmed | dismissed | closed | "
            "voucher_draft | voucher_gone | no_action"
        ),
    ] = None,
    limit: int = 50,
    notes: Annotated[bool, typer.Option("--notes", help="Print each row's note (what a person should do).")] = False,
) -> None:
    """What lexflow proposed and did, newest first (`acting` rows are under way, or were interrupted: the next
    reconcile of their statement finishes them;
    `voucher_draft` / `voucher_gone` rows wait for a person in Lexware Office: see `--notes`)."""
    from lexflow.audit import redact_secrets
    from lexflow.banking.ledger import MatchLedger

    rows = MatchLedger().rows(status=status, limit=limit)
    table = Table(title=f"match ledger ({len(rows)} rows)")
    for col in ("transaction", "date", "amount", "counterparty", "class", "status", "action"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.transaction_id,
            r.booking_date.isoformat(),
            f"{r.amount:,.2f}",
            escape(r.counterparty[:30]),
            r.kind,
            r.status,
            r.action,
        )
    console.print(table)
    if notes:
        for r in rows:
            if r.note:
                # masked again on display: rows written before notes were redacted on storage
                console.print(
                    f"[bold]{escape(r.transaction_id)}[/bold] ({r.status})\n{escape(redact_secrets(r.note))}\n"
                )


@app.command("decide")
def decide_command(
    transaction_id: str,
    confirm: Annotated[bool, typer.Option("--confirm/--dismiss", help="Confirm or dismiss the proposal.")],
    by: Annotated[str, typer.Option(help="Who decided (recorded in the ledger).")],
) -> None:
    """Answer a flagged proposal without Slack. Confirming remembers the payer's IBAN (as a fingerprint)."""
    from lexflow.banking.ledger import MatchLedger

    try:
        MatchLedger().decide(transaction_id, confirmed=confirm, by=by)
    except KeyError as exc:
        fail(str(exc.args[0]), code=2)
    console.print(f"{transaction_id}: {'confirmed' if confirm else 'dismissed'} by {by}")


@app.command("confirm")
def confirm_command(voucher_id: str) -> None:
    """Ask /v1/payments/{voucher_id} and close the ledger's matches if Lexware Office shows the payment assigned
    (a draft or deleted voucher is recorded on its matches, with what to do in Lexware Office)."""
    from lexflow.banking.ledger import check_payment

    with api_client() as client:  # 429/5xx after retries, 401/403 end it there: nothing was changed in the ledger
        check = check_payment(voucher_id, client)
    console.print(f"{check.outcome}: {escape(check.message)}")


@app.command("fints")
def fints_command(
    out: Annotated[Path, typer.Argument(help="Where to write the CAMT.053 file for `lexflow reconcile`.")],
    blz: Annotated[str, typer.Option(help="Bank code (BLZ).")],
    login: Annotated[str, typer.Option(help="Online-banking login name.")],
    endpoint: Annotated[str, typer.Option(help="The bank's FinTS URL (https://…).")],
    iban: Annotated[str, typer.Option(help="IBAN of the account to fetch.")],
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="LEXFLOW_FINTS_PIN", help="PIN (prompted).")],
    days: Annotated[int, typer.Option(help="How many days back (PSD2 banks want a TAN beyond 90).")] = 30,
    product_id: Annotated[str | None, typer.Option(envvar="LEXFLOW_FINTS_PRODUCT_ID", help="FinTS product id.")] = None,
) -> None:
    """Fetch booked transactions live over FinTS (optional extra `fints`) and save them as CAMT.053.

    Not testable offline; banks that ask for a TAN are refused with a hint to export a statement file instead."""
    from datetime import date, timedelta

    from pydantic import SecretStr

    from lexflow.banking.readers.fints import FinTSConfig, fetch_fints
    from lexflow.banking.writers import write_camt053

    config = FinTSConfig(blz=blz, login=login, pin=SecretStr(pin), endpoint=endpoint, iban=iban, product_id=product_id)
    try:
        txs = fetch_fints(config, date.today() - timedelta(days=days))
    except BankingError as exc:
        fail(exc, code=2)
    out.write_bytes(write_camt053(txs, account_iban=config.iban))
    console.print(f"{len(txs)} transactions written to {out}; next: lexflow reconcile {out}")
