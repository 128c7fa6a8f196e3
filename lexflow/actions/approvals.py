"""Approval references, verified: an irreversible call runs only with an approval from the approvals store that
was given for this action and exactly these (normalised) arguments, is unexpired and unused; using it consumes it.

`approval_digest` is what a request binds to (`DecisionRequest.args_digest`); `StoreApprovals` is what `run()`
checks references against by default.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from pydantic import BaseModel

from lexflow.actions.inputs import parse_input
from lexflow.actions.registry import Action, registry


class ApprovalVerifier(Protocol):
    """Checks and consumes an approval reference for one call; `release` gives it back when nothing was written."""

    def consume(self, ref: str, action: Action, data: BaseModel) -> None:
        """Raise `ApprovalUnusable` (lexflow.approvals.store) with the reason, or consume the approval."""

    def release(self, ref: str) -> None: ...


def _normal(value: Any) -> Any:
    """Numbers by value (100, 100.0 and "100.00" as a Decimal field are one amount), everything else as JSON."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        d = Decimal(str(value))
        return format(d.normalize(), "f") if d.is_finite() else str(d)
    return value


def input_digest(action: Action, data: BaseModel) -> str:
    """sha256 of the action name and the validated input (by alias, without unset optionals, sorted keys)."""
    body = {"action": action.name, "input": _normal(data.model_dump(by_alias=True, exclude_none=True))}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def approval_digest(name: str, input: Any) -> str:
    """The digest an approval for `run(name, input)` must be bound to (the input is validated first, so equivalent
    spellings of the same call, e.g. `"100"` and `100.0` for an amount, get the same digest)."""
    action = registry.get(name)
    return input_digest(action, parse_input(action, input))


def grant(
    name: str,
    input: Any,
    *,
    approver: str,
    reason: str | None = None,
    use_within: timedelta = timedelta(hours=1),
    url: str | None = None,
) -> str:
    """Approve one exact call now (a person's decision made outside Slack) and return its reference.

    Audited as `approval.action.granted`. Whoever can call this can approve: the database is the trust boundary."""
    from lexflow.approvals.models import DecisionRequest
    from lexflow.approvals.service import Decider
    from lexflow.approvals.settings import SlackApprovalSettings

    bound = approval_digest(name, input)
    request = DecisionRequest(
        subject=f"{name} approved by {approver}"[:150],
        kind="action",
        action=name,
        args_digest=bound,
        use_within=use_within,
    )
    settings = SlackApprovalSettings(bot_token=None, database_url=url or _default_url())
    decider = Decider(settings)
    p = decider.store.grant(request, approver=approver, reason=reason)
    decider.audit("granted", p, actor=approver, action_name=name, args_digest=bound, reason=reason or "")
    return p.id


def _default_url() -> str:
    from lexflow.approvals.settings import SlackApprovalSettings
    from lexflow.settings import get_settings

    return SlackApprovalSettings().database_url or get_settings().database_url


class StoreApprovals:
    """Approvals in the lexflow approvals store (`LEXFLOW_SLACK_DATABASE_URL`, else `LEXFLOW_DATABASE_URL`)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def _store(self) -> Any:
        return _store(self.url or _default_url())

    def consume(self, ref: str, action: Action, data: BaseModel) -> None:
        self._store().consume(ref, action=action.name, args_digest=input_digest(action, data))

    def release(self, ref: str) -> None:
        self._store().unuse(ref)

    def still_usable(self, ref: str) -> bool:
        """Whether `ref` allows one more call now: approved, not used, within its `use_within` (a rerun whose
        earlier attempt provably wrote nothing reuses it instead of asking the person again)."""
        from lexflow.approvals.store import utcnow

        p = self._store().get(ref) if 0 < len(ref) <= 36 else None
        if p is None or p.state != "approved":
            return False
        return bool(utcnow() <= (p.decided_at or p.created_at) + p.request.use_within)


@lru_cache(maxsize=8)
def _store(url: str) -> Any:
    from lexflow.approvals.store import ApprovalStore

    return ApprovalStore(url)
