"""One place for database access: SQLAlchemy engines for SQLite (default) and PostgreSQL (by URL).

Every subsystem (audit trail, ledgers, sync store, webhook inbox) declares its tables on `Base` in its own
module and calls `init_db(engine)`; nothing else creates engines by hand. The schema itself is versioned by the
migrations in `lexflow/migrations` (docs/database.md).
"""

from __future__ import annotations

import sqlite3
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base shared by all lexflow tables."""


def _normalise(url: str) -> str:
    # Plain "postgresql://" would pick psycopg2, which we do not ship; psycopg 3 is the pinned driver.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """An engine per URL, created once. SQLite files get their folder, WAL mode and a busy timeout."""
    url = _normalise(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            _wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def _wal(cur: Any) -> None:
    """Switch the file to WAL once. Two processes (or MCP calls) opening a new database at the same moment both try;
    the switch needs the file to themselves and SQLite answers "database is locked" at once instead of waiting, so
    the loser retries briefly (the winner has switched it by then)."""
    for attempt in range(50):
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02 * (1 + attempt % 5))


def init_db(engine: Engine) -> None:
    """Bring the database to the newest schema revision: a new one is built, one from before lexflow used Alembic
    is adopted, an older one is upgraded (lexflow/migrations, docs/database.md). Processes opening the same database
    at the same moment wait for each other; after the first call per engine and process this costs nothing."""
    from lexflow.migrations import upgrade

    upgrade(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, future=True)


def open_database(url: str | None = None) -> tuple[str, Engine, sessionmaker[Session]]:
    """Resolve the URL (default `LEXFLOW_DATABASE_URL`), bring the schema up to date, return URL, engine and sessions.

    The one set-up every store (audit, ledgers, sync, inbox, approvals) shares.
    """
    if url is None:
        from lexflow.settings import get_settings

        url = get_settings().database_url
    engine = get_engine(url)
    init_db(engine)
    return url, engine, session_factory(engine)
