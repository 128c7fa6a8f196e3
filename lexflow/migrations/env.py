"""Alembic's environment for lexflow: runs on the connection `lexflow.migrations` hands over (which holds the lock
and the transaction), never from an alembic.ini (docs/database.md)."""

from __future__ import annotations

from alembic import context

from lexflow.migrations import SchemaError


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise SchemaError(
            "lexflow's migrations run through `lexflow db upgrade` (or lexflow.db.init_db), not alembic.ini"
        )
    context.configure(
        connection=connection,
        target_metadata=context.config.attributes.get("target_metadata"),
        version_table=context.config.attributes["version_table"],
        render_as_batch=True,  # SQLite alters a table by copying it; batch mode writes migrations that do
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # Alembic is running this file (a plain import, as a test's module walk does, is not)
    run()
