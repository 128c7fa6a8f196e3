"""The sync engine's bookkeeping rules over a small in-memory stand-in for the client's read surface."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow.parquet as pq
import pytest

from lexflow.sync import HistorySync, SyncStore, export_store


@pytest.fixture(autouse=True)
def audit_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sync audits its reads in the configured trail: a fresh one per test, never the working directory's."""
    from lexflow.settings import get_settings

    url = f"sqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same rules on SQLite and PostgreSQL (the upsert is dialect-specific)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/s.db"
    url = str(request.getfixturevalue("postgres_url"))
    SyncStore(url).reset()
    return url


class _Reads:
    """Only the read calls the sync makes; counts them like the request counter of the benchmark does."""

    def __init__(self, contacts: int, vouchers: int) -> None:
        self.calls = 0
        self.contacts_data = [
            {
                "id": str(uuid.uuid4()),
                "version": 1,
                "company": {"name": f"Firma {i}"},
                "roles": {"customer": {"number": 10000 + i}},
            }
            for i in range(contacts)
        ]
        self.rows = {
            str(uuid.uuid4()): {
                "voucherType": "invoice",
                "voucherStatus": "open",
                "updatedDate": "2026-11-01T10:00:00.000+01:00",
            }
            for _ in range(vouchers)
        }
        outer = self
        self.contacts = SimpleNamespace(page=self._contact_page)
        self.voucherlist = SimpleNamespace(iter=self._iter)
        self.invoices = SimpleNamespace(get=lambda vid: outer._get(vid))

    def _contact_page(self, page: int, size: int) -> dict[str, Any]:
        self.calls += 1
        chunk = self.contacts_data[page * size : (page + 1) * size]
        return {"content": chunk, "last": (page + 1) * size >= len(self.contacts_data)}

    def _iter(self, voucher_type: str, voucher_status: str, updated_date_from: Any = None) -> Any:
        for vid, row in self.rows.items():
            if updated_date_from is None or row["updatedDate"][:10] >= updated_date_from.isoformat():
                yield {"id": vid, **row}

    def _get(self, vid: str) -> dict[str, Any]:
        self.calls += 1
        if vid == getattr(self, "crash_on", None):
            raise RuntimeError("simulated crash")
        return {
            "id": vid,
            "voucherStatus": self.rows[vid]["voucherStatus"],
            "updatedDate": self.rows[vid]["updatedDate"],
        }


def test_full_then_incremental_fetches_only_changed(store_url: str) -> None:
    store = SyncStore(store_url)
    api = _Reads(contacts=30, vouchers=40)
    first = HistorySync(api, store).run(batch=7)
    assert (first.mode, first.contacts, first.vouchers_listed, first.details_fetched) == ("full", 30, 40, 40)
    assert store.checkpoint("history:lexware").updated_from == "2026-11-01"
    changed = list(api.rows)[:5]
    for vid in changed:
        api.rows[vid] = {**api.rows[vid], "voucherStatus": "paid", "updatedDate": "2026-11-03T09:00:00.000+01:00"}
    api.calls = 0
    second = HistorySync(api, store).run()
    assert second.mode == "incremental" and second.details_fetched == 5
    assert api.calls == 1 + 5  # one contacts page + the five changed details
    assert store.checkpoint("history:lexware").updated_from == "2026-11-03"


def test_crash_mid_details_resumes_without_gaps(store_url: str) -> None:
    store = SyncStore(store_url)
    api = _Reads(contacts=3, vouchers=25)
    api.crash_on = sorted(api.rows)[12]
    with pytest.raises(RuntimeError):
        HistorySync(api, store).run(batch=5)
    assert store.checkpoint("history:lexware") is None  # not moved by an incomplete run
    assert len(store.pending_documents()) == 25 - 10  # two batches of five were stored before the crash
    api.crash_on = None
    again = HistorySync(api, store).run(batch=5)
    assert again.mode == "full" and again.details_fetched == 15
    assert store.pending_documents() == [] and store.count("documents") == 25


def test_export_csv_and_parquet(tmp_path: Path) -> None:
    store = SyncStore(f"sqlite:///{tmp_path}/s.db")
    HistorySync(_Reads(contacts=2, vouchers=3), store).run()
    paths = export_store(store, tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(
        f"{t}.{f}" for t in ("contacts", "vouchers", "documents") for f in ("csv", "parquet")
    )
    assert pq.read_table(tmp_path / "out" / "vouchers.parquet").num_rows == 3
    assert (tmp_path / "out" / "contacts.csv").read_text().count("\n") == 3


def test_lexflow_sync_command_names_backend_and_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_url: str
) -> None:
    from typer.testing import CliRunner

    from lexflow.cli import app
    from lexflow.settings import get_settings

    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    get_settings.cache_clear()
    try:
        db = f"sqlite:///{tmp_path}/store.db"
        result = CliRunner().invoke(app, ["sync", "--database-url", db, "--export-dir", str(tmp_path / "out")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("backend: embedded sandbox")
    assert (tmp_path / "out" / "vouchers.parquet").exists() and SyncStore(db).checkpoint("history:lexware") is not None
    from lexflow.audit import AuditTrail

    trail = AuditTrail(audit_url)
    reads = [r for r in trail.list() if r.action.startswith("sync.")]
    assert reads and all(r.actor.kind == "user" and r.input["effect"] == "read" for r in reads) and trail.verify().ok
