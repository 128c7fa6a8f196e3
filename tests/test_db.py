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
