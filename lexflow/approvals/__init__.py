"""Human decisions before irreversible steps: Slack buttons (or the Prefect UI form) resume a paused flow run.

Plain-data parts (`DecisionRequest`, settings, the store, the fake Slack) import no Prefect, so `lexflow.banking`
can build requests; the Prefect-facing names (`ApprovalDecision`, `request_approval`, `create_receiver_app`) load
on first use. The settings' Prefect Block is `lexflow.prefect.blocks.SlackApprovalBlock`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexflow.approvals.models import (
    APPROVE,
    CONFIRM,
    DISMISS,
    REJECT,
    Choice,
    DecisionRequest,
    Link,
    Summary,
    SummaryField,
    SummaryLine,
    Totals,
)
from lexflow.approvals.settings import SlackApprovalSettings

if TYPE_CHECKING:
    from lexflow.approvals.decision import ApprovalDecision
    from lexflow.approvals.flow import request_approval
    from lexflow.approvals.receiver import create_receiver_app

__all__ = [
    "APPROVE",
    "CONFIRM",
    "DISMISS",
    "REJECT",
    "ApprovalDecision",
    "Choice",
    "DecisionRequest",
    "Link",
    "SlackApprovalSettings",
    "Summary",
    "SummaryField",
    "SummaryLine",
    "Totals",
    "create_receiver_app",
    "request_approval",
]

_LAZY = {
    "ApprovalDecision": "lexflow.approvals.decision",
    "request_approval": "lexflow.approvals.flow",
    "create_receiver_app": "lexflow.approvals.receiver",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lexflow.approvals' has no attribute {name!r}")
