"""The history sync itself, as plain Python over a `LexwareClient` (the Prefect flow and the CLI both drive it).

Phases: contacts (the list returns full contacts, no detail calls), the voucher list (all types and statuses;
the client splits the date range past the 10,000-entry window), then the details of every voucher whose stored
detail is missing or older than its list row. A full run lists everything; an incremental run lists only rows
with `updatedDateFrom >= checkpoint` (whole days, so the checkpoint day is listed again: the updatedDate
comparison keeps that overlap from costing detail calls).

Every read leaves an audit record in the configured trail, one per page or batch (`lexflow.sync.audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from lexflow.operations import crash_point
from lexflow.sync.audit import CONTACTS_PAGE, DETAILS_BATCH, VOUCHERLIST_BATCH, SyncAudit
from lexflow.sync.store import SyncStore

#: voucherType → client attribute holding its details (docs/lexware.md#voucher-list).
DETAIL_RESOURCE = {
    "invoice": "invoices",
    "creditnote": "credit_notes",
    "orderconfirmation": "order_confirmations",
    "quotation": "quotations",
    "deliverynote": "delivery_notes",
    "downpaymentinvoice": "down_payment_invoices",
    "salesinvoice": "vouchers",
    "salescreditnote": "vouchers",
    "purchaseinvoice": "vouchers",
    "purchasecreditnote": "vouchers",
}
STREAM = "history"
Progress = Callable[[str, int, int | None], None]  # (phase, done, total or None)


def as_json(obj: Any) -> dict[str, Any]:
    """API JSON (camelCase) of a client model or a dict."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(obj)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)[:10]


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
        """`audit`: as whom and where the reads are audited; default the configured trail, as the current user."""
        self.client = client
        self.store = store
        self.progress = progress or (lambda phase, done, total: None)
        self.audit = audit or SyncAudit()
        self.newest: str | None = None  # newest updatedDate (day) listed: the next checkpoint

    def plan(self, full: bool = False) -> SyncReport:
        cp = self.store.checkpoint(STREAM)
        since = None if full or cp is None else cp.updated_from
        return SyncReport(mode="incremental" if since else "full", updated_from=since)

    def sync_contacts(self, report: SyncReport, page_size: int = 250) -> int:
        page, done = 0, 0
        while True:
            with self.audit.reading(
                self.client, CONTACTS_PAGE, operation="contacts_list", page=page, size=page_size
            ) as read:
                p = self.client.contacts.page(page=page, size=page_size)
                content = [as_json(c) for c in (p.content if hasattr(p, "content") else p["content"])]
                done += self.store.save_contacts(content)
                crash_point("sync:contacts")
                read.record((c["id"] for c in content if c.get("id")), contacts=len(content))
            report.audit_records += read.recorded
            total = getattr(p, "total_elements", None)
            self.progress("contacts", done, total)
            last = getattr(p, "last", None)
            if last is None:
                last = p.get("last", True) if isinstance(p, dict) else True
            if last or not content:
                break
            page += 1
        report.contacts = done
        return done

    def _list_rows(self, since: str | None) -> Iterator[dict[str, Any]]:
        filters: dict[str, Any] = {}
        if since:
            filters["updated_date_from"] = date.fromisoformat(since)
        for item in self.client.voucherlist.iter(voucher_type="any", voucher_status="any", **filters):
            yield as_json(item)

    def sync_voucherlist(self, report: SyncReport, batch: int = 250) -> int:
        """Store the list rows and return how many; the newest updatedDate seen is the next checkpoint."""
        buf: list[dict[str, Any]] = []
        done = 0
        newest: str | None = report.updated_from
        query = {"operation": "voucherlist_list", "voucher_type": "any", "voucher_status": "any",
                 "updated_date_from": report.updated_from}  # fmt: skip
        with self.audit.reading(self.client, VOUCHERLIST_BATCH, **query) as read:
            for row in self._list_rows(report.updated_from):
                buf.append(row)
                day = _day(row.get("updatedDate"))
                if day and (newest is None or day > newest):
                    newest = day
                if len(buf) >= batch:
                    done += self.store.save_vouchers(buf)
                    crash_point("sync:voucherlist")
                    read.record((str(r["id"]) for r in buf), rows=len(buf))
                    buf.clear()
                    self.progress("voucherlist", done, None)
            done += self.store.save_vouchers(buf)
            crash_point("sync:voucherlist")
            read.record((str(r["id"]) for r in buf), rows=len(buf))
        report.audit_records += read.recorded
        self.progress("voucherlist", done, done)
        report.vouchers_listed = done
        self.newest = newest
        return done

    def fetch_details(self, ids: list[tuple[str, str, str | None]], report: SyncReport) -> int:
        """Fetch and store the details of these pending vouchers (one batch: stored together at the end, and one
        audit record for the batch)."""
        docs = []
        operations: dict[str, int] = {}
        missing: list[str] = []
        with self.audit.reading(self.client, DETAILS_BATCH, vouchers=len(ids)) as read:
            for vid, vtype, updated in ids:
                resource = DETAIL_RESOURCE.get(vtype)
                if resource is None:
                    report.details_skipped_unsupported += 1
                    docs.append((vid, vtype, updated, {"unsupported": f"no detail endpoint for voucherType {vtype}"}))
                    continue
                operations[f"{resource}_get"] = operations.get(f"{resource}_get", 0) + 1
                try:
                    detail = as_json(getattr(self.client, resource).get(vid))
                except Exception as exc:  # NotFound (404): deleted since it was listed; anything else propagates
                    if getattr(exc, "status", None) != 404:
                        raise
                    missing.append(vid)
                    detail = {"missing": True}
                docs.append((vid, vtype, updated, detail))
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
            self.store.complete(STREAM, newest)

    def run(self, full: bool = False, batch: int = 100) -> SyncReport:
        """The whole sync in one call (the CLI and the benchmark; the flow runs the same steps as tasks)."""
        report = self.plan(full)
        self.sync_contacts(report)
        self.sync_voucherlist(report)
        pending = self.store.pending_documents()
        total, done = len(pending), 0
        self.progress("details", 0, total)
        for i in range(0, total, batch):
            done += self.fetch_details(pending[i : i + batch], report)
            self.progress("details", done, total)
        self.finish(report)
        return report
