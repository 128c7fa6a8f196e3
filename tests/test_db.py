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
