"""`lexflow sync`: the history sync from the command line, with a rich progress bar and optional export."""

from __future__ import annotations

from pathlib import Path

import typer


def sync_command(
    database_url: str = typer.Option(None, help="Store URL (default LEXFLOW_DATABASE_URL)."),
    full: bool = typer.Option(False, help="Ignore the checkpoint and list everything again."),
    export_dir: Path = typer.Option(None, help="Also write CSV and Parquet files here."),
    formats: str = typer.Option("csv,parquet", help="Export formats."),
    reset: bool = typer.Option(False, help="Forget everything synced before (implies --full)."),
) -> None:
    """Sync contacts, the voucher list and document details into the local store (no Prefect server needed)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lexflow.cli_support import api_client, reported_errors
    from lexflow.sync import HistorySync, SyncStore, export_store

    console = Console()
    started = time.monotonic()
    with api_client() as client, reported_errors():  # a wrong key: one line, exit code 1, no traceback
        store = SyncStore(database_url)
        if reset:
            store.reset()
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int | None) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            report = HistorySync(client, store, progress).run(full=full or reset)
    table = Table("what", "value", title="history sync")
    for row in report.summary_rows(time.monotonic() - started):
        table.add_row(row["what"], row["value"])
    console.print(table)
    if export_dir:
        for p in export_store(store, export_dir, [f.strip() for f in formats.split(",") if f.strip()]):
            console.print(f"wrote {p}")
