"""`lexflow-ask`: describe the outcome; the agent picks the calls, asks when unclear, and checks the result.

Each model request and each tool call is a Prefect task (pydantic-ai's `PrefectDurability`); irreversible calls
wait for an approval (Slack buttons or the Prefect UI form) bound to the exact arguments; questions wait for the
clarification form. The result (actions, questions, approvals, checks) is the run's return value and artifact.
docs/agent.md.

No `from __future__ import annotations`: Prefect reads the parameter types for the deployment's form.
"""

from typing import Any

from pydantic import Field

from lexflow.prefect.asking import run_ask
from lexflow.prefect.flow import lexflow_flow


@lexflow_flow(name="lexflow-ask", log_prints=False)
def lexflow_ask(
    request: str = Field(min_length=1, max_length=4000, description="What you want done, in your own words."),
    profile: str | None = Field(
        default=None, description="Profile to act under (default: LEXFLOW_AGENT_PROFILE, else agent)."
    ),
    model: str | None = Field(default=None, description="pydantic-ai model string (default: LEXFLOW_AGENT_MODEL)."),
    max_requests: int = Field(default=20, ge=1, le=200, description="Model requests at most."),
) -> dict[str, Any]:
    """Describe the outcome: an agent picks the calls, asks when unclear, and checks the result."""
    return run_ask(request, profile=profile, model=model, max_requests=max_requests).model_dump(mode="json")
