"""What a person is asked to decide: a generic decision request (invoices now, reconciliation matches later).

No Prefect here: the request is plain data that the flow side (`lexflow.approvals.flow`), the Slack message
builder and the receiver all share.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_KEY = re.compile(r"[^a-z0-9]+")
#: Slack ids: users start with U or W, user groups with S.
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")


def slug(text: str, max_len: int = 40) -> str:
    """Prefect's rule for pause and artifact keys: lowercase letters, digits and dashes only (docs/prefect.md#pause-and-suspend, docs/prefect.md#artifacts)."""
    out = _KEY.sub("-", text.lower()).strip("-")[:max_len].strip("-")
    return out or "approval"


class SummaryField(BaseModel):
    """One labelled value shown in the message (customer, due date, bank reference ...)."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(min_length=1, max_length=60)
    value: str = Field(max_length=500)


class SummaryLine(BaseModel):
    """One position of the document (or a candidate of a match)."""

    model_config = ConfigDict(frozen=True)

    description: str = Field(max_length=300)
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = Field(default=None, description="Line total as shown to the approver.")


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    net: Decimal
    tax: Decimal
    gross: Decimal
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217, as the invoice has it.")


class Summary(BaseModel):
    """What the approver needs to see to decide: fields, lines, totals."""

    model_config = ConfigDict(frozen=True)

    fields: list[SummaryField] = Field(default_factory=list)
    lines: list[SummaryLine] = Field(default_factory=list)
    totals: Totals | None = None
    due_date: date | None = None


class Choice(BaseModel):
    """One button. `approves` decides what `ApprovalDecision.approved` becomes when it is chosen."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    label: str = Field(min_length=1, max_length=75, description="Slack limits button text to 75 characters.")
    approves: bool
    style: Literal["primary", "danger"] | None = None
    asks_reason: bool = Field(default=False, description="Open a modal that asks why (for rejections).")


APPROVE = Choice(id="approve", label="Approve", approves=True, style="primary")
REJECT = Choice(id="reject", label="Reject", approves=False, style="danger", asks_reason=True)
CONFIRM = Choice(id="confirm", label="Confirm match", approves=True, style="primary")
DISMISS = Choice(id="dismiss", label="Dismiss", approves=False, style="danger", asks_reason=True)


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str = Field(min_length=1, max_length=75)
    url: str = Field(min_length=1, max_length=3000)


class DecisionRequest(BaseModel):
    """A question for a person: subject, what to look at, the buttons, who may answer, and for how long.

    `approvers` holds Slack user ids (`U…`/`W…`) or user-group ids (`S…`); empty means "use the configured
    approvers". `key` names the pause in Prefect (lowercase-dash); by default it is derived from the subject.
    """

    model_config = ConfigDict(frozen=True)

    subject: str = Field(min_length=1, max_length=150)
    summary: Summary = Field(default_factory=Summary)
    choices: list[Choice] = Field(default_factory=lambda: [APPROVE, REJECT], min_length=2, max_length=5)
    approvers: list[str] = Field(default_factory=list)
    expires_in: timedelta = Field(default=timedelta(hours=24), description="After this the request expires.")
    links: list[Link] = Field(default_factory=list)
    kind: str = Field(default="approval", pattern=r"^[a-z0-9_.-]+$", description="Audit action suffix, e.g. invoice.")
    key: str | None = Field(default=None, description="Pause key; lowercase letters, digits and dashes.")
    channel: str | None = Field(default=None, description="Slack channel; default: the configured channel.")
    action: str | None = Field(
        default=None, max_length=100, description="The lexflow action an approval of this request allows, if any."
    )
    args_digest: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the exact normalised input the approval allows (`lexflow.actions.approval_digest`).",
    )
    use_within: timedelta = Field(
        default=timedelta(hours=1), description="How long after the decision the approval can be used (once)."
    )

    @field_validator("approvers")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _SLACK_ID.match(v)]
        if bad:
            raise ValueError(
                f"approvers: {bad} are not Slack ids; use user ids like 'U012ABC' or user-group ids like 'S012ABC' "
                "(names and e-mail addresses change, ids do not)"
            )
        return value

    @field_validator("key")
    @classmethod
    def _key_rule(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9-]+", value):
            raise ValueError(
                f"key {value!r}: Prefect pause keys may only contain lowercase letters, digits and dashes; "
                f"try {slug(value)!r}"
            )
        return value

    @field_validator("expires_in", "use_within")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be positive")
        return value

    @model_validator(mode="after")
    def _choices_consistent(self) -> DecisionRequest:
        ids = [c.id for c in self.choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"choices: ids must be unique, got {ids}")
        if not any(c.approves for c in self.choices) or all(c.approves for c in self.choices):
            raise ValueError("choices: need at least one choice that approves and one that does not")
        if (self.action is None) != (self.args_digest is None):
            raise ValueError("action and args_digest: give both (bind the approval to one exact call) or neither")
        return self

    @property
    def pause_key(self) -> str:
        return self.key or slug(self.subject)

    def choice(self, choice_id: str) -> Choice:
        for c in self.choices:
            if c.id == choice_id:
                return c
        raise KeyError(f"no choice {choice_id!r} in this request (have {[c.id for c in self.choices]})")
