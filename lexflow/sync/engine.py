"""The history sync itself, as plain Python over a `Provider` (the Prefect flow and the CLI both drive it).

Phases: the provider's changes since the checkpoint (`Provider.changes_since`: contacts and documents, page by
page, by the API's own change mechanism, docs/flows.md#sync-history), then the details of every document whose
stored detail is missing or older than its list row (where the list does not carry the whole document). A full run
lists everything; an incremental run lists what changed since the cursor of the last complete run. The cursor
moves only after a complete run, and every store is an upsert by id: a crashed run is rerun from the same cursor
and never loses or doubles a record; stored details are not fetched again.

Every read leaves an audit record in the configured trail, one per page or batch (`lexflow.sync.audit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lexflow.core.changes import DocumentRow
from lexflow.core.provider import Provider
from lexflow.errors import LexflowError
from lexflow.operations import crash_point
from lexflow.sync.audit import CONTACTS_PAGE, DETAILS_BATCH, VOUCHERLIST_BATCH, SyncAudit
from lexflow.sync.store import SyncStore

STREAM = "history"
Progress = Callable[[str, int, int | None], None]  # (phase, done, total or None)


class MixedHistories(LexflowError, ValueError):
    """Another provider's history is in this database: ids of two systems could overwrite each other."""


def stream_of(provider: Provider) -> str:
    """The checkpoint of this provider's history (one database holds one provider's history)."""
    return f"{STREAM}:{provider.name}"


@dataclass
class SyncReport:
    mode: str  # full | incremental
    updated_from: str | None
    contacts: int = 0
    vouchers_listed: int = 0
    details_fetched: int = 0
    details_skipped_unsupported: int = 0
    details_missing: list[str] = field(default_factory=list)
    pending_after: int = 0
    audit_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def summary_rows(self, seconds: float | None = None) -> list[dict[str, str]]:
        """What a person reads after a sync (the flow's table artifact, the CLI's table): one row per figure."""
        since = f" since {self.updated_from}" if self.updated_from else ""
        rows = [
            ("sync", f"{self.mode}{since}"),
            ("contacts", f"{self.contacts:,}"),
            ("vouchers listed", f"{self.vouchers_listed:,}"),
            ("documents fetched", f"{self.details_fetched:,}"),
            ("documents the API has no endpoint for", f"{self.details_skipped_unsupported:,}"),
            ("documents gone (404)", f"{len(self.details_missing):,}"),
            ("documents still pending", f"{self.pending_after:,}"),
            ("API requests audited", f"{self.audit_records:,}"),
        ]
        if seconds is not None:
            rows.append(("duration", f"{seconds:,.1f} s"))
        return [{"what": what, "value": value} for what, value in rows]


class HistorySync:
    """One sync against one store. Each method is a resumable step: a crash loses at most the current batch."""

    def __init__(
        self, client: Any, store: SyncStore, progress: Progress | None = None, audit: SyncAudit | None = None
    ) -> None:
        """`client`: a `Provider`, or a client the configured provider's adapter wraps. `audit`: as whom and where
        the reads are audited; default the configured trail, as the current user."""
        from lexflow.providers import provider_of

        self.client = client
        self.provider = provider_of(client)
        self.store = store
        self.progress = progress or (lambda phase, done, total: None)
        self.audit = audit or SyncAudit()
        self.stream = stream_of(self.provider)
        self.newest: str | None = None  # the cursor the provider gave with its last page: the next checkpoint

    def plan(self, full: bool = False) -> SyncReport:
        others = self.store.other_histories(self.stream)
        if others:
            names = ", ".join(o.split(":", 1)[1] for o in others)
            raise MixedHistories(
                f"this database holds the history of {names}; {self.provider.capabilities.display_name}'s ids could "
                "overwrite those records. Sync each accounting system into its own database (--database-url)."
            )
        cp = self.store.checkpoint(self.stream)
        since = None if full or cp is None else cp.updated_from
        return SyncReport(mode="incremental" if since else "full", updated_from=since)

    def sync_changes(self, report: SyncReport) -> tuple[int, int]:
        """Store every changed contact and document the provider lists (one audit record per page); returns
        (contacts, documents) and keeps the provider's cursor for `finish`."""
        counts = {"contacts": 0, "documents": 0}
        pages = self.provider.changes_since(report.updated_from)
        while True:
            with self.audit.reading(self.client, VOUCHERLIST_BATCH, updated_from=report.updated_from) as read:
                page = next(pages, None)
                if page is None:
                    break
                if page.kind == "contacts":
                    counts["contacts"] += self.store.save_contacts(page.contacts)
                    crash_point("sync:contacts")
                    read.record(page.ids, action=CONTACTS_PAGE, contacts=len(page.contacts))
                else:
                    counts["documents"] += self.store.save_vouchers(page.documents)
                    crash_point("sync:voucherlist")
                    read.record(page.ids, rows=len(page.documents))
            report.audit_records += read.recorded
            if page.cursor is not None:
                self.newest = page.cursor
            self.progress(page.kind, counts[page.kind], None)
        report.contacts, report.vouchers_listed = counts["contacts"], counts["documents"]
        self.progress("documents", counts["documents"], counts["documents"])
        return report.contacts, report.vouchers_listed

    def fetch_details(self, ids: list[tuple[str, str, str | None]], report: SyncReport) -> int:
        """Fetch and store the details of these pending documents (one batch: stored together at the end, and one
        audit record for the batch)."""
        docs = []
        operations: dict[str, int] = {}
        missing: list[str] = []
        listed = self.store.listed([i[0] for i in ids])
        with self.audit.reading(self.client, DETAILS_BATCH, vouchers=len(ids)) as read:
            for vid, vtype, updated in ids:
                row = DocumentRow(id=vid, type=vtype, updated=updated, data=listed.get(vid) or {})
                detail = self.provider.document_detail(row)
                if detail.unsupported:
                    report.details_skipped_unsupported += 1
                else:
                    operations[detail.operation] = operations.get(detail.operation, 0) + 1
                if detail.missing:
                    missing.append(vid)
                docs.append((vid, vtype, updated, detail.data))
            n = self.store.save_documents(docs)
            crash_point("sync:details")
            read.record((d[0] for d in docs if "unsupported" not in d[3]), operations=operations, missing=missing)
        report.details_missing.extend(missing)
        report.details_fetched += n
        report.audit_records += read.recorded
        return n

    def finish(self, report: SyncReport) -> None:
        report.pending_after = len(self.store.pending_documents())
        if report.pending_after == 0:
            newest = self.newest or report.updated_from
            crash_point("sync:checkpoint")
            self.store.complete(self.stream, newest)

    def run(self, full: bool = False, batch: int = 100) -> SyncReport:
        """The whole sync in one call (the CLI and the benchmark; the flow runs the same steps as tasks)."""
        report = self.plan(full)
        self.sync_changes(report)
        pending = self.store.pending_documents()
        total, done = len(pending), 0
        self.progress("details", 0, total)
        for i in range(0, total, batch):
            done += self.fetch_details(pending[i : i + batch], report)
            self.progress("details", done, total)
        self.finish(report)
        return report
