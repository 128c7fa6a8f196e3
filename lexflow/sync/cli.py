"""`lexflow sync`: the history sync from the command line, with a rich progress bar and optional export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer


def sync_command(
    database_url: str = typer.Option(None, help="Store URL (default LEXFLOW_DATABASE_URL)."),
    full: bool = typer.Option(False, help="Ignore the checkpoint and list everything again."),
    export_dir: Path = typer.Option(None, help="Also write CSV and Parquet files here."),
    formats: str = typer.Option("csv,parquet", help="Export formats."),
    reset: bool = typer.Option(False, help="Forget everything synced before (implies --full)."),
) -> None:
    """Sync contacts and documents of the accounting system (--provider / LEXFLOW_PROVIDER) into the local store, by
    its own change mechanism (no Prefect server needed)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lexflow.cli_support import reported_errors
    from lexflow.core.errors import CoreError
    from lexflow.providers import get_provider
    from lexflow.sync import HistorySync, MixedHistories, SyncStore, export_store

    console = Console()
    started = time.monotonic()
    with reported_errors(CoreError, MixedHistories), _connected(get_provider, console) as client:
        # a wrong key: one line, exit code 1, no traceback
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


@contextmanager
def _connected(get_provider: Callable[[], Any], console: Any) -> Iterator[Any]:
    """The configured provider's adapter over its default connection; the first line names the backend."""
    provider = get_provider()
    connection = getattr(provider, "client", provider)
    backend = getattr(provider, "backend_description", None) or getattr(connection, "backend_description", None)
    console.print(f"backend: {backend or provider.capabilities.display_name}", highlight=False, markup=False)
    try:
        yield provider
    finally:
        close = getattr(provider, "close", None) or getattr(connection, "close", None)
        if close is not None:
            close()
