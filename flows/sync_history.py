"""History sync as a flow: what changed since the last run (contacts and documents, by the provider's own change
mechanism), then the details the lists do not carry, in batches, with a progress artifact.

Each step is a task over `lexflow.sync.HistorySync` (plain Python) and runs unchanged on every provider: how a
provider lists changes is its `changes_since` (docs/flows.md#sync-history). The store itself is the checkpoint: a
crashed run leaves the stored pages and batches in place, and the rerun fetches only the details still pending;
the cursor moves only after a run finished completely. The reads are audited as this flow run, one record per page
or batch (`lexflow.sync.audit`), in the same trail as the other flows' actions.
"""

from __future__ import annotations

import time
from typing import Any, cast
from uuid import UUID

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.prefect.artifacts import table_artifact
from lexflow.prefect.flow import lexflow_flow
from lexflow.sync import HistorySync, SyncAudit, SyncReport, SyncStore, export_store
from tasks.common import FLOW_PROFILE, current_provider, flow_actor, run_logger


def _engine(database_url: str | None) -> HistorySync:
    audit = SyncAudit(flow_actor(), profile=FLOW_PROFILE.name)
    return HistorySync(current_provider(), SyncStore(database_url), audit=audit)


@task(name="sync-changes", cache_policy=NO_CACHE)
def sync_changes(report: SyncReport, database_url: str | None) -> tuple[SyncReport, str | None]:
    eng = _engine(database_url)
    eng.sync_changes(report)
    return report, eng.newest


@task(name="sync-details", cache_policy=NO_CACHE)
def sync_details(ids: list[tuple[str, str, str | None]], report: SyncReport, database_url: str | None) -> SyncReport:
    _engine(database_url).fetch_details(ids, report)
    return report


@lexflow_flow(name="sync-history", persist_result=True)
def sync_history(
    database_url: str | None = None,
    full: bool = False,
    batch_size: int = 100,
    export_dir: str | None = None,
    formats: list[str] | None = None,
) -> dict[str, Any]:
    """Sync into the store (LEXFLOW_DATABASE_URL by default); optionally export CSV/Parquet afterwards."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact

    started = time.monotonic()
    log = run_logger()
    store = SyncStore(database_url)
    eng = _engine(database_url)
    report = eng.plan(full)
    log.info("sync mode %s (%s since %s)", report.mode, eng.provider.capabilities.display_name, report.updated_from)
    progress = cast(UUID, create_progress_artifact(0.0, key="sync-history-progress", description="Sync progress"))
    report, newest = sync_changes(report, database_url)
    update_progress_artifact(progress, 20.0)
    pending = store.pending_documents()
    for i in range(0, len(pending), batch_size):
        report = sync_details(pending[i : i + batch_size], report, database_url)
        update_progress_artifact(progress, 20.0 + 80.0 * min(i + batch_size, len(pending)) / len(pending))
    eng.newest = newest
    eng.finish(report)
    update_progress_artifact(progress, 100.0, description=f"{report.mode} sync done")
    out = report.as_dict()
    if export_dir:
        out["exported"] = [str(p) for p in export_store(store, export_dir, formats or ["csv", "parquet"])]
    table_artifact(
        "sync-history",
        report.summary_rows(time.monotonic() - started),
        f"{report.mode.capitalize()} sync of {eng.provider.capabilities.display_name} done: {report.contacts:,} "
        f"contacts, {report.vouchers_listed:,} documents listed, {report.details_fetched:,} details fetched.",
    )
    log.info("sync done: %s", {k: v for k, v in out.items() if k != "details_missing"})
    return out
