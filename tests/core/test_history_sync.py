"""The history sync on every provider's own change mechanism (`Provider.changes_since`), over its sandbox: a full
run stores everything, an incremental run reads only what changed (the payment), a run with nothing changed fetches
no details; a second provider's history is refused in the same database."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft
from lexflow.sync import HistorySync, MixedHistories, SyncAudit, SyncStore, stream_of


@pytest.fixture(autouse=True)
def audit_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from lexflow.settings import get_settings

    url = f"sqlite:///{tmp_path}/audit.db"
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def _invoices(provider, n: int) -> list[str]:
    customer = provider.create_customer(CustomerDraft(name="Sync Kunde GmbH", email="sync@kunde.test")).id
    line = InvoiceLineDraft(name="Wartung", unit_price=Decimal("100.00"), tax="standard")
    return [
        provider.create_invoice(
            InvoiceDraft(customer_id=customer, lines=[line], payment_term_days=14, finalize=True)
        ).id
        for _ in range(n)
    ]


def _reads(report) -> int:
    return report.vouchers_listed + report.details_fetched


def test_full_then_incremental_reads_only_the_change(world, tmp_path: Path) -> None:
    p = world.provider
    p.cursor_margin = 1  # the sandbox runs on this machine's clock: a second of margin is enough here
    ids = _invoices(p, 3)
    time.sleep(2.1)  # the cursor is whole seconds less the margin: the setup lies before the first run's cursor
    store = SyncStore(f"sqlite:///{tmp_path}/history.db")
    full = HistorySync(p, store, audit=SyncAudit()).run()
    assert full.mode == "full" and full.pending_after == 0 and full.contacts >= 1
    stored = {r["id"]: r for r in store.rows("vouchers")}
    assert set(ids) <= set(stored) and store.count("documents") == store.count("vouchers")
    assert store.checkpoint(stream_of(p)) is not None

    world.pay(ids[0], Decimal("119.00"))
    incremental = HistorySync(p, store, audit=SyncAudit()).run()
    assert incremental.mode == "incremental" and incremental.pending_after == 0
    assert 1 <= incremental.details_fetched + incremental.vouchers_listed < _reads(full)
    paid = {r["id"]: r for r in store.rows("vouchers")}[ids[0]]
    assert paid["data"] != stored[ids[0]]["data"]  # the payment reached the store

    quiet = HistorySync(p, store, audit=SyncAudit()).run()
    assert quiet.mode == "incremental" and quiet.details_fetched == 0


def test_a_second_providers_history_is_refused(world, tmp_path: Path) -> None:
    store = SyncStore(f"sqlite:///{tmp_path}/history.db")
    store.complete("history:someother", "1796000000")
    with pytest.raises(MixedHistories, match="someother"):
        HistorySync(world.provider, store, audit=SyncAudit()).plan()
