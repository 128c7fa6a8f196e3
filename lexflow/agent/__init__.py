"""`lexflow ask`: describe the outcome; an agent picks the calls, asks when unclear, and checks the result.

The tools are the actions the profile grants (nothing else), every call goes through `lexflow.actions.run` with the
agent as actor on behalf of the person, irreversible steps wait for a person's approval bound to the exact arguments,
and questions reach the person through the same channel. No Prefect here: `flows/ask.py` makes it durable.

from lexflow.agent import solve
result = solve("invoice ACME for 3 days of consulting at 950 EUR net", model=..., profile=..., decide=..., answer=...)
"""

from lexflow.agent.agent import (
    MODEL_VARIABLE,
    AgentNotConfigured,
    Callbacks,
    People,
    build_agent,
    collect_actions,
    drive,
    model_from_settings,
    session_for,
    solve,
)
from lexflow.agent.models import ActionCall, Approval, ApprovalAsk, Asked, AskResult, Check, Preview, Question
from lexflow.agent.tools import Session, select_actions, toolset

__all__ = [
    "MODEL_VARIABLE",
    "ActionCall",
    "AgentNotConfigured",
    "Approval",
    "ApprovalAsk",
    "AskResult",
    "Asked",
    "Callbacks",
    "Check",
    "People",
    "Preview",
    "Question",
    "Session",
    "build_agent",
    "collect_actions",
    "drive",
    "model_from_settings",
    "select_actions",
    "session_for",
    "solve",
    "toolset",
]
