"""`lexflow audit ...`: list, show, export and verify the audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Read and verify the hash-chained audit trail.", no_args_is_help=True)


def _console() -> Console:
    return Console()


UrlOpt = Annotated[str | None, typer.Option("--url", help="Database URL (default: LEXFLOW_DATABASE_URL).")]
SinceOpt = Annotated[datetime | None, typer.Option("--since", help="Only records at or after this time (UTC).")]
UntilOpt = Annotated[datetime | None, typer.Option("--until", help="Only records at or before this time (UTC).")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Actor name or flow run id.")]
ActionOpt = Annotated[str | None, typer.Option("--action", help="Action name, e.g. create_invoice.")]
ResourceOpt = Annotated[str | None, typer.Option("--resource", help="A Lexware id the action touched.")]
OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="ok, error, denied, approval_required, ...")]


def _trail(url: str | None):  # type: ignore[no-untyped-def]
    from lexflow.audit.store import AuditTrail

    return AuditTrail(url)


def _records(url, since, until, actor, action, resource, outcome, limit=None, newest_first=False):  # type: ignore[no-untyped-def]
    return _trail(url).list(
        since=since,
        until=until,
        actor=actor,
        action=action,
        resource_id=resource,
        outcome=outcome,
        limit=limit,
        newest_first=newest_first,
    )


@app.command("list")
def list_(
    url: UrlOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    actor: ActorOpt = None,
    action: ActionOpt = None,
    resource: ResourceOpt = None,
    outcome: OutcomeOpt = None,
    limit: Annotated[int, typer.Option(help="Newest N records.")] = 50,
) -> None:
    """Newest records first, one line each."""
    table = Table("#", "time (UTC)", "actor", "profile", "action", "outcome", "ids", "calls", "approval")
    for r in _records(url, since, until, actor, action, resource, outcome, limit, newest_first=True):
        table.add_row(
            str(r.seq),
            r.time.strftime("%Y-%m-%d %H:%M:%S"),
            r.actor.label(),
            r.profile,
            r.action,
            r.outcome,
            " ".join(i[:8] for i in r.resource_ids),
            str(len(r.http_calls)),
            r.approval_ref or "",
        )
    _console().print(table)


@app.command()
def show(seq: int, url: UrlOpt = None) -> None:
    """One record in full (JSON)."""
    rec = _trail(url).get(seq)
    if rec is None:
        _console().print(f"[red]No audit record #{seq}.[/red] `lexflow audit list` shows the existing numbers.")
        raise typer.Exit(1)
    typer.echo(rec.model_dump_json(indent=2))


@app.command()
def export(
    url: UrlOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    actor: ActorOpt = None,
    action: ActionOpt = None,
    resource: ResourceOpt = None,
    outcome: OutcomeOpt = None,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV instead of JSON.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="JSON (the default).")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export matching records as JSON (default) or CSV, oldest first."""
    from lexflow.audit.store import export_csv, export_json

    if csv_ and json_:
        raise typer.BadParameter("choose one of --csv or --json")
    records = _records(url, since, until, actor, action, resource, outcome)
    text = export_csv(records) if csv_ else export_json(records)
    if output:
        output.write_text(text, encoding="utf-8")
        _console().print(f"{len(records)} records written to {output}")
    else:
        typer.echo(text, nl=False)


@app.command()
def verify(url: UrlOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recompute the hash chain; exit code 1 if any record was altered, removed or inserted."""
    result = _trail(url).verify()
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems}))
    elif result.ok:
        _console().print(f"[green]Audit chain intact[/green]: {result.checked} records verified.")
    else:
        _console().print(f"[red]Audit chain BROKEN[/red] ({result.checked} records checked):")
        for p in result.problems:
            _console().print(f"  - {p}")
    if not result.ok:
        raise typer.Exit(1)
