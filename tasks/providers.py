"""An audit record for provider calls that are no registered action (the provider itself: `tasks.common.current_provider`).

Most tasks go through `run_action` (one audit record per action). A flow step on the neutral `Provider` that has no
action of its own (the dunning run's reads and its dunning document, the reminder mail's reads) is recorded the same
way by `audited`: its HTTP calls, outcome and error, as the flow run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from lexflow.audit import AuditRecord, collect_calls, redact, redact_text, shared_trail
from lexflow.core.provider import Provider
from tasks.common import flow_actor, flow_profile

T = TypeVar("T")


def audited(provider: Provider, action: str, data: dict[str, Any], ids: list[str], call: Callable[[], T]) -> T:
    """Run `call` as one record in the audit trail (its HTTP calls, outcome and error), like an action run."""
    record = AuditRecord(
        actor=flow_actor(), profile=flow_profile().name, action=action, input=redact(data), resource_ids=ids
    )
    started = time.perf_counter()
    with collect_calls(provider) as calls:
        try:
            return call()
        except Exception as exc:
            record.outcome, record.error = "error", redact_text(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            record.http_calls = list(calls)
            record.duration_ms = (time.perf_counter() - started) * 1000
            shared_trail().record(record)
