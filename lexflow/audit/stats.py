"""Success and error rates per action and per error kind, read from the audit trail (`lexflow actions stats`).

Every `run()` leaves exactly one audit record with its outcome and (redacted) error text, so the trail already says
which actions fail, how, and how often. `action_stats` folds the records into one row per action; the error kinds
are what a caller can act on: the input field that was refused (`invalid_input line_items.*.tax`), the exception
type of a failure (`error LexwareApiError`), or the refusal itself (`denied`, `capability_missing`, ...).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from lexflow.audit.records import StoredRecord
from lexflow.audit.store import AuditTrail

#: Outcomes that mean the call did what it was asked (a clarification is an answer: "which of these?").
SUCCESS = frozenset({"ok", "clarification"})

_INVALID = re.compile(
    r"^Invalid input for '[^']*': (?P<problems>.*?)(?:\. `lexflow actions schema [^`]*` shows the schema\.)?$", re.S
)
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)")
_DURATION = re.compile(r"^(?P<n>\d+)\s*(?P<unit>[mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ErrorKind(BaseModel):
    """One way an action failed: `kind` names it, `example` is one (redacted) message of that kind."""

    kind: str
    count: int
    field: str | None = Field(default=None, description="For invalid_input: the refused input field (indexes as *).")
    example: str | None = None


class ActionStats(BaseModel):
    action: str
    calls: int
    succeeded: int
    success_rate: float
    error_rate: float
    outcomes: dict[str, int]
    error_kinds: list[ErrorKind]
    p50_ms: float
    p95_ms: float


class StatsReport(BaseModel):
    since: datetime | None = None
    until: datetime | None = None
    actor_kind: str | None = None
    records: int
    actions: list[ActionStats]


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`30d`, `12h`, `90m`, `2w` (that long ago) or an ISO date/time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    text = value.strip()
    if m := _DURATION.match(text):
        return now - timedelta(**{_UNITS[m["unit"]]: int(m["n"])})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r}: give a duration like 30d, 12h, 2w or a date like 2026-11-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def field_problems(error: str) -> list[tuple[str, str]]:
    """(field, message) pairs of an `InvalidInput` message; list indexes become `*` so repeats group together."""
    m = _INVALID.match(error.strip())
    if not m:
        return [("(input)", error.strip())]
    out = []
    for problem in m["problems"].split("; "):
        loc, sep, msg = problem.partition(": ")
        if not sep:
            loc, msg = "(input)", problem
        out.append((_INDEX.sub("*", loc.strip()), msg.strip()))
    return out


def error_kinds(record: StoredRecord) -> list[tuple[str, str | None, str | None]]:
    """(kind, field, example message) for one record that did not succeed."""
    error = record.error or ""
    if record.outcome == "invalid_input":
        return [(f"invalid_input {f}", f, msg) for f, msg in field_problems(error)]
    if record.outcome == "error":
        name, sep, _ = error.partition(": ")
        return [(f"error {name}" if sep and name.isidentifier() else "error", None, error or None)]
    return [(record.outcome, None, error or None)]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


def action_stats(records: Iterable[StoredRecord], top: int = 5) -> list[ActionStats]:
    """One row per action (most calls first), with its `top` error kinds."""
    by_action: dict[str, list[StoredRecord]] = defaultdict(list)
    for rec in records:
        if "." in rec.action:  # approval.invoice.requested and the like: events, not action calls
            continue
        by_action[rec.action].append(rec)
    rows = []
    for name, recs in by_action.items():
        outcomes: Counter[str] = Counter(r.outcome for r in recs)
        kinds: Counter[str] = Counter()
        fields: dict[str, str | None] = {}
        examples: dict[str, str | None] = {}
        for r in recs:
            if r.outcome in SUCCESS:
                continue
            for kind, field, example in error_kinds(r):
                kinds[kind] += 1
                fields.setdefault(kind, field)
                examples.setdefault(kind, example[:300] if example else None)
        succeeded = sum(n for o, n in outcomes.items() if o in SUCCESS)
        durations = [r.duration_ms for r in recs]
        rows.append(
            ActionStats(
                action=name,
                calls=len(recs),
                succeeded=succeeded,
                success_rate=round(succeeded / len(recs), 4),
                error_rate=round(1 - succeeded / len(recs), 4),
                outcomes=dict(outcomes.most_common()),
                error_kinds=[
                    ErrorKind(kind=k, count=n, field=fields[k], example=examples[k]) for k, n in kinds.most_common(top)
                ],
                p50_ms=_percentile(durations, 50),
                p95_ms=_percentile(durations, 95),
            )
        )
    return sorted(rows, key=lambda s: (-s.calls, s.action))


def report(
    trail: AuditTrail,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_kind: str | None = None,
    action: str | None = None,
) -> StatsReport:
    """Stats over the records of an `AuditTrail` in a time window, optionally of one actor kind or action."""
    records = [
        r for r in trail.list(since=since, until=until, action=action) if not actor_kind or r.actor.kind == actor_kind
    ]
    return StatsReport(
        since=since, until=until, actor_kind=actor_kind, records=len(records), actions=action_stats(records)
    )
