"""What the agent hands a person and what a run returns: plain pydantic data, no Prefect, no model library."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Preview(BaseModel):
    """lexflow's own reading of a call (never the model's claim): what will be written, with totals computed here."""

    model_config = ConfigDict(frozen=True)

    title: str
    fields: dict[str, str] = Field(default_factory=dict)
    lines: list[str] = Field(default_factory=list)
    net: Decimal | None = None
    tax: Decimal | None = None
    gross: Decimal | None = Field(default=None, description="None where the provider's tax code states no rate.")
    currency: str = "EUR"


class ApprovalAsk(BaseModel):
    """An irreversible call the agent wants to make: exactly these arguments run if a person approves."""

    model_config = ConfigDict(frozen=True)

    action: str
    args: dict[str, Any]
    digest: str = Field(description="sha256 the approval is bound to (`lexflow.actions.approvals.approval_digest`).")
    preview: Preview


class Question(BaseModel):
    """A clarification for the person: free text, or one of `options` (the person may still write something else)."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=1000)
    options: list[str] = Field(default_factory=list, max_length=20)
    source: Literal["agent", "action"] = Field(
        default="agent", description="agent: the model asked; action: an action found the request ambiguous."
    )


ErrorKind = Literal[
    "invalid_input", "denied", "approval_required", "approval_refused", "rejected", "capability_missing", "error"
]


class ActionCall(BaseModel):
    """One tool call of the run, as the books saw it."""

    name: str
    args: dict[str, Any]
    ok: bool
    error_kind: ErrorKind | None = None
    error: str | None = None
    resource_id: str | None = None
    effect: Literal["read", "write", "irreversible"] = "read"


class Asked(BaseModel):
    question: Question
    answer: str


class Approval(BaseModel):
    ask: ApprovalAsk
    approved: bool
    approval_ref: str | None = None
    approver: str | None = None
    tool_call_id: str | None = None


class Check(BaseModel):
    """One post-condition: a resource the run wrote, re-read and compared with the intent."""

    name: str
    ok: bool
    detail: str = ""
    resource_id: str | None = None


class AskResult(BaseModel):
    """The outcome of `lexflow ask`: what was done, asked, approved, and whether the books now match the intent."""

    summary: str
    actions: list[ActionCall] = Field(default_factory=list)
    questions: list[Asked] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    model_requests: int = 0
    tool_calls: int = 0
    stopped: str | None = Field(default=None, description="Why the run ended early (usage limit, model error), if so.")

    @property
    def writes(self) -> list[ActionCall]:
        return [a for a in self.actions if a.ok and a.effect != "read"]

    @property
    def checks_ok(self) -> bool:
        return all(c.ok for c in self.checks)
