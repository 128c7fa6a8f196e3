"""The typed answer a paused flow run waits for. Prefect-facing: the Slack receiver and the Prefect UI form
(which renders this model's JSON schema) both resume the run with exactly these fields."""

from __future__ import annotations

from prefect.input import RunInput
from pydantic import Field, PrivateAttr

from lexflow.approvals.service import EXPIRED_BY  # `approver` of decisions made by expiry, not by a person


class ApprovalDecision(RunInput):
    """approved: go ahead or not; approver: Slack user id (or the name typed in the Prefect UI); reason: why."""

    approved: bool = Field(description="Go ahead with the irreversible step?")
    approver: str = Field(min_length=1, max_length=120, description="Who decided (Slack user id or your name).")
    reason: str = Field(default="", max_length=2000, description="Why (required in Slack when rejecting).")
    _request_id: str | None = PrivateAttr(default=None)

    @property
    def approval_ref(self) -> str | None:
        """The approvals-store id of the request: pass it as `approval_ref` to the one call it approved."""
        return self._request_id

    @property
    def expired(self) -> bool:
        """True when nobody decided in time and the request was rejected by expiry."""
        return self.approver == EXPIRED_BY
