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


CheckpointOpt = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="File holding the head seen last time (keep it outside the database's machine or backup). Verify "
        "that the chain still contains it, then move it to the current head. Created if missing.",
    ),
]


@app.command()
def verify(
    url: UrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    checkpoint: CheckpointOpt = None,
    expect_head: Annotated[
        str | None,
        typer.Option("--expect-head", help="A head noted earlier, as SEQ:HASH (`lexflow audit checkpoint`)."),
    ] = None,
) -> None:
    """Recompute the hash chain; exit code 1 if any record was altered, removed or inserted.

    Without a checkpoint, a database whose records and head were both wiped or rewritten verifies as intact: keep
    one (`--checkpoint FILE` in the job that verifies, or `--expect-head` with a noted head)."""
    from lexflow.audit.store import Checkpoint

    try:
        expected = _expected(checkpoint, expect_head)
    except ValueError as exc:
        _console().print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    trail = _trail(url)
    result = trail.verify(expected)
    head: Checkpoint = trail.head()
    if result.ok and checkpoint is not None:
        checkpoint.write_text(head.to_json() + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "checked": result.checked, "problems": result.problems,
                               "head": f"{head.seq}:{head.hash}"}))  # fmt: skip
    elif result.ok:
        anchor = f", contains checkpoint #{expected.seq}" if expected and expected.seq else ""
        _console().print(f"[green]Audit chain intact[/green]: {result.checked} records verified{anchor}.")
        if expected is None:
            _console().print(f"Head {head.seq}:{head.hash} (keep it to detect truncation: --expect-head).")
    else:
        _console().print(f"[red]Audit chain BROKEN[/red] ({result.checked} records checked):")
        for p in result.problems:
            _console().print(f"  - {p}")
    if not result.ok:
        raise typer.Exit(1)


def _expected(checkpoint: Path | None, expect_head: str | None):  # type: ignore[no-untyped-def]
    from lexflow.audit.store import Checkpoint

    if checkpoint is not None and expect_head is not None:
        raise ValueError("give --checkpoint or --expect-head, not both")
    if expect_head is not None:
        seq, _, hash_ = expect_head.partition(":")
        if not seq.isdigit() or len(hash_) != 64:
            raise ValueError("--expect-head: use SEQ:HASH as printed by `lexflow audit checkpoint`")
        return Checkpoint(seq=int(seq), hash=hash_)
    if checkpoint is not None and checkpoint.exists():
        try:
            return Checkpoint.from_json(checkpoint.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"--checkpoint {checkpoint}: {exc}") from None
    return None


@app.command()
def checkpoint(
    url: UrlOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it to this file.")] = None,
) -> None:
    """Print (or save) the chain head: later `verify --expect-head SEQ:HASH` or `--checkpoint FILE` checks it."""
    head = _trail(url).head()
    if output:
        output.write_text(head.to_json() + "\n", encoding="utf-8")
        _console().print(f"Head {head.seq}:{head.hash} written to {output}", highlight=False)
    else:
        typer.echo(f"{head.seq}:{head.hash}")
