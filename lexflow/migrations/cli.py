"""`lexflow db ...`: the schema's revision, upgrading a database, and writing a new migration (docs/database.md)."""

from __future__ import annotations

import tempfile
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(
    help="lexflow's database schema: show its revision, upgrade it, write a migration.", no_args_is_help=True
)

#: Every module that declares tables on `lexflow.db.Base` (a test keeps this list complete).
TABLE_MODULES = (
    "lexflow.approvals.store",
    "lexflow.audit.store",
    "lexflow.banking.ledger",
    "lexflow.ledger",
    "lexflow.operations",
    "lexflow.sync.store",
    "lexflow.webhooks.effects",
    "lexflow.webhooks.inbox",
    "lexflow.webhooks.waiting",
)

UrlOpt = Annotated[str | None, typer.Option("--url", help="Database URL (default: LEXFLOW_DATABASE_URL).")]


def schema() -> Any:
    """`Base.metadata` with every lexflow table on it: what the newest revision must build."""
    for module in TABLE_MODULES:
        import_module(module)
    from lexflow.db import Base

    return Base.metadata


def differences(engine: Any) -> list[Any]:
    """What the database's schema lacks or has beyond the tables' declarations (empty: they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from lexflow.migrations import VERSION_TABLE

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        return list(compare_metadata(context, schema()))


def _url(url: str | None) -> str:
    if url is not None:
        return url
    from lexflow.settings import get_settings

    return get_settings().database_url


@app.command()
def upgrade(url: UrlOpt = None) -> None:
    """Bring the database to the newest revision (lexflow does this itself on first use; this does it now)."""
    from sqlalchemy.exc import SQLAlchemyError

    from lexflow.cli_support import reported_errors
    from lexflow.db import get_engine, init_db
    from lexflow.migrations import SchemaError, current, head

    with reported_errors(SQLAlchemyError, SchemaError):
        engine = get_engine(_url(url))
        before = current(engine)
        init_db(engine)
    after = current(engine)
    said = "already at" if before == after else f"upgraded from {before or 'no revision'} to"
    Console().print(f"{said} revision {after} (head {head()})")


@app.command()
def current(url: UrlOpt = None) -> None:
    """Show the database's revision and the newest one this lexflow ships."""
    from sqlalchemy.exc import SQLAlchemyError

    from lexflow.cli_support import reported_errors
    from lexflow.db import get_engine
    from lexflow.migrations import current as revision_of
    from lexflow.migrations import head

    with reported_errors(SQLAlchemyError):
        revision = revision_of(get_engine(_url(url)))
    if revision is None:
        state = "no revision yet (a new database, or one from before lexflow used Alembic): `lexflow db upgrade`"
    elif revision == head():
        state = "up to date"
    else:
        state = "behind: `lexflow db upgrade`"
    Console().print(f"revision {revision or '-'}, head {head()}: {state}")


@app.command()
def revision(
    message: Annotated[
        str, typer.Option("-m", "--message", help="What the migration changes, e.g. 'add sync_invoices'.")
    ],
    empty: Annotated[bool, typer.Option("--empty", help="An empty migration to write by hand (data moves).")] = False,
) -> None:
    """Write the next migration into lexflow/migrations/versions/: the difference between the newest revision and
    the tables as the code declares them (check it, then commit it with the change to the tables)."""
    from alembic import command

    from lexflow.db import get_engine
    from lexflow.migrations import config, head, upgrade

    with tempfile.TemporaryDirectory(prefix="lexflow-revision-") as scratch:
        engine = get_engine(f"sqlite:///{Path(scratch) / 'head.db'}")  # the newest revision, built afresh
        upgrade(engine)
        with engine.begin() as conn:
            cfg = config(conn, target_metadata=schema())
            if find_spec("ruff") is not None:  # a maintainer's checkout has it: the new file comes out lint-clean
                cfg.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
                for hook, options in (("ruff_fix", "check --fix --quiet"), ("ruff_format", "format --quiet")):
                    cfg.set_section_option("post_write_hooks", f"{hook}.type", "module")
                    cfg.set_section_option("post_write_hooks", f"{hook}.module", "ruff")
                    cfg.set_section_option("post_write_hooks", f"{hook}.options", f"{options} REVISION_SCRIPT_FILENAME")
            script = command.revision(
                cfg,
                message=message,
                autogenerate=not empty,
                rev_id=f"{int(head()) + 1:04d}",
            )
        engine.dispose()
    path = getattr(script, "path", script)
    Console().print(f"wrote {path}: read it, then commit it with the tables' change (docs/database.md)")
