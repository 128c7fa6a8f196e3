"""lexflow's database schema under Alembic: bring any database to the newest revision (docs/database.md).

`lexflow.db.init_db` calls `upgrade` for every engine once per process. A database at the newest revision costs one
read of the version table; anything else is migrated under a lock that every lexflow process of that database
takes (SQLite: `BEGIN IMMEDIATE` on the file; PostgreSQL: a transaction-scoped advisory lock), inside one
transaction, so processes opening a new database at the same moment wait for each other instead of failing, and
a crash mid-way leaves the schema as it was.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool

from lexflow.errors import LexflowError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

#: Where env.py, the script template and versions/ live (shipped inside the package: no alembic.ini needed).
SCRIPTS = Path(__file__).parent
#: lexflow's own version table, so a database shared with another Alembic user (Prefect's, say) keeps both apart.
VERSION_TABLE = "lexflow_alembic_version"
#: Any number, the same in every lexflow process: the PostgreSQL advisory lock the migrations run under.
_PG_LOCK_KEY = 0x6C6578666C6F77  # "lexflow"

#: The columns pre-Alembic lexflow added by hand (ALTER TABLE on first open) to tables it had created earlier:
#: table → [(column, DDL)]. A pre-Alembic database gets those it lacks; the baseline revision then adds the tables
#: it lacks and records the revision, and the later revisions follow.
LEGACY_COLUMNS: dict[str, list[tuple[str, str]]] = {
    # audit chain version 2: NULL marks the version-1 records, which keep their old hashes
    "audit_records": [("hash_version", "INTEGER")],
    # the webhook inbox before the other providers came: its rows are Lexware's
    "webhook_inbox": [("provider", "VARCHAR(32) NOT NULL DEFAULT 'lexware'"), ("resource_type", "VARCHAR(32)")],
}


class SchemaError(LexflowError, RuntimeError):
    """The database's schema cannot be brought to this lexflow's revision (says why and what to do)."""


_upgraded: weakref.WeakSet[Engine] = weakref.WeakSet()
_one_at_a_time = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Bring the engine's database to the newest revision; after the first call per engine and process, free."""
    if engine in _upgraded:
        return
    with _one_at_a_time:
        if engine not in _upgraded:
            revision = current(engine)
            if revision != head():
                _known(revision)
                with _migrating(engine) as conn:
                    _upgrade(conn)
            _upgraded.add(engine)


def current(engine: Engine) -> str | None:
    """The database's revision (None: not under Alembic yet, a new or a pre-Alembic database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(SCRIPTS))


def head() -> str:
    """The newest revision shipped with this lexflow."""
    heads = _scripts().get_heads()
    if len(heads) != 1:  # two branches each added a revision on the same parent (docs/database.md)
        raise SchemaError(f"lexflow's migrations have {len(heads)} heads {heads}: join them with a merge revision")
    return heads[0]


def _known(revision: str | None) -> None:
    """A database a newer lexflow has upgraded cannot be run by this one: say so before touching it."""
    from alembic.util import CommandError

    if revision is None:
        return
    try:
        _scripts().get_revision(revision)
    except CommandError:
        raise SchemaError(
            f"the database is at schema revision {revision}, which this lexflow does not know (its newest is "
            f"{head()}): a newer lexflow has upgraded it; run that version, or upgrade lexflow"
        ) from None


def config(connection: Connection | None = None, target_metadata: MetaData | None = None) -> Config:
    """Alembic's configuration, built in code: the scripts inside the package, lexflow's version table."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes.update(connection=connection, target_metadata=target_metadata, version_table=VERSION_TABLE)
    return cfg


def _upgrade(conn: Connection) -> None:
    """Adopt a pre-Alembic database, then upgrade, all on `conn` (which holds the lock and the transaction)."""
    from alembic import command

    if not inspect(conn).has_table(VERSION_TABLE):
        _adopt(conn)
    command.upgrade(config(conn), "head")


def _adopt(conn: Connection) -> None:
    """A database from before Alembic (or a new one): add the columns the old hand migrations added. The baseline
    then creates only the tables it lacks, so whatever subset of tables an old lexflow created is kept, rows and
    all."""
    present = set(inspect(conn).get_table_names())
    for table, columns in LEGACY_COLUMNS.items():
        if table not in present:
            continue
        have = {c["name"] for c in inspect(conn).get_columns(table)}
        for name, ddl in columns:
            if name not in have:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction that no other lexflow process migrates beside."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        locked = _sqlite_immediate(engine)
        try:
            with locked.begin() as conn:
                yield conn
        finally:
            locked.dispose()
    else:  # a private in-memory database: nobody else can see it
        with engine.begin() as conn:
            yield conn


def _sqlite_immediate(engine: Engine) -> Engine:
    """An engine of its own on the same file whose transactions start with `BEGIN IMMEDIATE`: the file's write lock
    is taken first (others wait up to the busy timeout), and DDL stays inside the transaction (Python's sqlite3
    would otherwise manage transactions itself and leave DDL outside them)."""
    locked = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(locked, "connect")
    def _own_transactions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout=60000")

    @event.listens_for(locked, "begin")
    def _immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return locked
