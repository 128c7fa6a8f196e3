"""Audit records for the history sync's reads: one per page or batch the sync stores, not one per API call.

Every other step of a flow goes through `lexflow.actions.run` and leaves one record per action. The sync reads each
voucher's details with its own GET, so a record per call would put 12,000 records into the chain for one full sync.
Instead a record covers one unit the sync stores together (a contacts page, a voucher-list batch of one API page, a
details batch): which ids were read, every HTTP attempt made for them (method, path, status; never query strings or
headers), and `effect: read`. The records go into the same hash-chained trail as the actions' (`LEXFLOW_DATABASE_URL`
unless told otherwise), so `lexflow audit list|verify|export` cover the sync too. Auditing adds no API request: the
calls are the ones the client made anyway, collected through its call listener.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lexflow.audit import Actor, AuditRecord, AuditTrail, HttpCall, collect_calls, redact_text, shared_trail

__all__ = ["CONTACTS_PAGE", "DETAILS_BATCH", "VOUCHERLIST_BATCH", "ReadBatch", "SyncAudit"]

CONTACTS_PAGE = "sync.contacts_page"
VOUCHERLIST_BATCH = "sync.voucherlist_batch"
DETAILS_BATCH = "sync.details_batch"


def _client_secret(client: Any) -> list[str]:
    key = getattr(client, "api_key", None)
    if key is None:
        return []
    return [key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)]


class ReadBatch:
    """An open read: collects the client's HTTP attempts until `record(ids)` writes them as one audit record."""

    def __init__(self, audit: SyncAudit, action: str, base: dict[str, Any], calls: list[HttpCall]) -> None:
        self._audit, self.action, self._base, self._calls = audit, action, base, calls
        self._started = time.perf_counter()
        self.recorded = 0

    def record(self, ids: Iterable[str], action: str | None = None, **details: Any) -> None:
        """One record for the calls made since the last one and the `ids` they read (nothing read: no record).
        `action`: what was read, when it is known only once the page arrived."""
        ids = [str(i) for i in ids]
        if not ids and not self._calls:
            return
        if action is not None:
            self.action = action
        self._write("ok", ids, details)

    def fail(self, exc: BaseException, secrets: Iterable[str]) -> None:
        error = redact_text(f"{type(exc).__name__}: {exc}", secrets)
        self._write("error", [], {}, error=error)

    def _write(self, outcome: str, ids: list[str], details: dict[str, Any], error: str | None = None) -> None:
        rec = AuditRecord(
            actor=self._audit.actor,
            profile=self._audit.profile,
            action=self.action,
            input={"effect": "read", **self._base, **details},
            resource_ids=ids,
            http_calls=list(self._calls),
            outcome=outcome,  # type: ignore[arg-type]
            error=error,
            duration_ms=(time.perf_counter() - self._started) * 1000,
        )
        self._audit.trail.record(rec)
        self._calls.clear()
        self._started = time.perf_counter()
        self.recorded += 1
        self._audit.records += 1


class SyncAudit:
    """Where and as whom the sync's reads are audited. `SyncAudit()`: the configured trail, as the current user."""

    def __init__(
        self,
        actor: Actor | None = None,
        *,
        profile: str = "default",
        trail: AuditTrail | None = None,
        url: str | None = None,
    ) -> None:
        if actor is None:
            from lexflow.actions.runner import default_actor

            actor = default_actor()
        if trail is None:
            trail = shared_trail(url)
        self.actor, self.profile, self.trail = actor, profile, trail
        self.records = 0  # written through this object (the sync report shows it)

    @contextmanager
    def reading(self, client: Any, action: str, **base: Any) -> Iterator[ReadBatch]:
        """Collect `client`'s calls inside the block; the caller writes records with `batch.record(ids)`.

        If the block raises, the calls not yet recorded go into one record with outcome `error` (the API key of
        the client is masked in the message), and the exception propagates.
        """
        with collect_calls(client) as calls:
            batch = ReadBatch(self, action, base, calls)
            try:
                yield batch
            except BaseException as exc:
                batch.fail(exc, _client_secret(client))
                raise
