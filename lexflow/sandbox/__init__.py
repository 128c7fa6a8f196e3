"""Embedded Lexware Office sandbox: a stateful local implementation of the public API (issue 2, docs/sandbox.md).

from lexflow.sandbox import create_app, SandboxConfig
app = create_app(SandboxConfig(rate_limit=0))   # ASGI app; app.state.sandbox is the SandboxState
"""

from lexflow.sandbox.app import create_app, sandbox_state
from lexflow.sandbox.config import ALL_SCOPES, DEFAULT_API_KEY, DEFAULT_ORGANIZATION_ID, ApiKeySpec, SandboxConfig
from lexflow.sandbox.errors import ApiError, Issue
from lexflow.sandbox.state import SandboxEvent, SandboxState

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_API_KEY",
    "DEFAULT_ORGANIZATION_ID",
    "ApiError",
    "ApiKeySpec",
    "Issue",
    "SandboxConfig",
    "SandboxEvent",
    "SandboxState",
    "create_app",
    "sandbox_state",
]
