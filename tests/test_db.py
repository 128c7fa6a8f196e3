from sqlalchemy import text

from lexflow.db import get_engine


def test_sqlite_file_engine_creates_folder_and_uses_wal(tmp_path):
    url = f"sqlite:///{tmp_path}/nested/dir/x.db"
    engine = get_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "nested" / "dir" / "x.db").exists()
    assert get_engine(url) is engine


def test_postgres_engine(postgres_url):
    engine = get_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1


def _init_at_once(url: str, workers: int = 8) -> list[BaseException]:
    """`workers` threads create the tables of one fresh database at the same moment (like flow runs starting)."""
    import threading

    from lexflow.db import init_db

    engine = get_engine(url)
    start, errors = threading.Barrier(workers), []

    def run() -> None:
        start.wait()
        try:
            init_db(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_tables_created_by_many_at_once_on_sqlite(tmp_path):
    import lexflow.audit
    import lexflow.ledger  # noqa: F401

    for i in range(5):
        assert _init_at_once(f"sqlite:///{tmp_path}/race{i}.db") == []


def test_tables_created_by_many_at_once_on_postgres(postgres_url):
    import lexflow.audit
    import lexflow.ledger  # noqa: F401
    from lexflow.db import Base

    engine = get_engine(postgres_url)
    with engine.begin() as conn:  # a fresh schema, so the tables really are created concurrently
        conn.execute(text("DROP SCHEMA IF EXISTS race CASCADE"))
        conn.execute(text("CREATE SCHEMA race"))
    url = postgres_url + ("&" if "?" in postgres_url else "?") + "options=-csearch_path%3Drace"
    assert _init_at_once(url) == []
    with get_engine(url).connect() as conn:
        names = set(conn.execute(text("select tablename from pg_tables where schemaname = 'race'")).scalars())
    assert set(Base.metadata.tables) <= names


def test_many_openers_of_a_new_sqlite_file_at_once_never_see_database_is_locked(tmp_path) -> None:
    """Concurrent MCP calls and processes open a fresh database together: the WAL switch and the table creation
    must wait for each other, not fail with "database is locked"."""
    import threading

    from sqlalchemy import text

    import lexflow.audit.store  # noqa: F401  (registers audit_records)
    from lexflow.db import get_engine, init_db

    for round_ in range(5):
        url = f"sqlite:///{tmp_path}/fresh-{round_}.db"
        start = threading.Barrier(8)
        errors: list[BaseException] = []

        def open_and_write(
            url: str = url, start: threading.Barrier = start, errors: list[BaseException] = errors
        ) -> None:
            try:
                engine = get_engine.__wrapped__(url)  # an engine of its own, as another process has
                start.wait()
                init_db(engine)
                with engine.begin() as conn:
                    conn.execute(text("SELECT count(*) FROM audit_records"))
                engine.dispose()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_and_write) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors[0]
