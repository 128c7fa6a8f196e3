"""Export the sync store to CSV and Parquet (pyarrow): one file per table, flat columns plus the JSON as text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lexflow.sync.store import TABLES, SyncStore

FORMATS = ("csv", "parquet")


def export_store(store: SyncStore, out_dir: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write `{table}.{csv,parquet}` into `out_dir` and return the paths written."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    bad = sorted(set(formats) - set(FORMATS))
    if bad:
        raise ValueError(f"unknown export format(s) {bad}; choose from {list(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in TABLES:
        rows = store.rows(name)
        cols = [c.name for c in TABLES[name].__table__.columns]  # type: ignore[attr-defined]
        table = pa.Table.from_pylist(rows) if rows else pa.table({c: pa.array([], pa.string()) for c in cols})
        if "csv" in formats:
            pacsv.write_csv(table, out / f"{name}.csv")
            written.append(out / f"{name}.csv")
        if "parquet" in formats:
            pq.write_table(table, out / f"{name}.parquet")
            written.append(out / f"{name}.parquet")
    return written
