"""What an audit record says: who did what, for whom, with which calls, approval and outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal[
    "ok",
    "error",
    "denied",
    "approval_required",
    "approval_refused",
    "capability_missing",
    "clarification",
    "invalid_input",
]


class Actor(BaseModel):
    """Who acted: a person at the CLI, an agent (over MCP), or a Prefect flow run (with its UI link)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "agent", "flow"] = "user"
    name: str = Field(min_length=1, description="User name, agent name or flow name.")
    flow_run_id: str | None = None
    url: str | None = Field(default=None, description="Prefect UI link of the flow run, when known.")
    on_behalf_of: str | None = Field(default=None, description="The person an agent or flow acts for, if any.")

    @classmethod
    def user(cls, name: str) -> Actor:
        return cls(kind="user", name=name)

    @classmethod
    def agent(cls, name: str, on_behalf_of: str | None = None) -> Actor:
        return cls(kind="agent", name=name, on_behalf_of=on_behalf_of)

    @classmethod
    def flow(cls, flow_run_id: str, name: str = "flow", ui_url: str | None = None) -> Actor:
        """A flow run. `ui_url` defaults to `{PREFECT_UI_URL}/runs/flow-run/{id}` when the env var is set."""
        if ui_url is None:
            from lexflow.settings import runtime_settings

            base = runtime_settings().prefect_ui_url
            ui_url = f"{base.rstrip('/')}/runs/flow-run/{flow_run_id}" if base else None
        return cls(kind="flow", name=name, flow_run_id=str(flow_run_id), url=ui_url)

    def label(self) -> str:
        return f"{self.kind}:{self.name}" + (f"@{self.flow_run_id}" if self.flow_run_id else "")


class HttpCall(BaseModel):
    """One HTTP attempt made on the action's behalf (from `client.add_call_listener`)."""

    method: str
    path: str
    status: int | None = None
    elapsed_ms: float = 0.0
    attempt: int = 1


def _now() -> datetime:
    return datetime.now(UTC)


class AuditRecord(BaseModel):
    """One action run. `input` must already be redacted (`lexflow.audit.redact`); `AuditTrail.record` redacts again."""

    time: datetime = Field(default_factory=_now)
    actor: Actor
    profile: str = "default"
    action: str
    input: dict[str, Any] = Field(default_factory=dict, description="Redacted copy of the input.")
    input_digest: str = ""
    resource_ids: list[str] = Field(default_factory=list, description="Lexware ids read or written.")
    http_calls: list[HttpCall] = Field(default_factory=list)
    outcome: Outcome = "ok"
    error: str | None = None
    approval_ref: str | None = None
    duration_ms: float = 0.0


class StoredRecord(AuditRecord):
    """An appended record with its position and hashes in the chain."""

    seq: int
    prev_hash: str
    hash: str
