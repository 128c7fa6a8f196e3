"""Embedded Lexware Office sandbox: a stateful local implementation of the public API (issue 2, docs/sandbox.md).

from lexflow.lexware.sandbox import create_app, SandboxConfig
app = create_app(SandboxConfig(rate_limit=0))   # ASGI app; app.state.sandbox is the SandboxState
"""

from lexflow.lexware.sandbox.app import create_app, sandbox_state
from lexflow.lexware.sandbox.config import (
    ALL_SCOPES,
    DEFAULT_API_KEY,
    DEFAULT_ORGANIZATION_ID,
    ApiKeySpec,
    SandboxConfig,
)
from lexflow.lexware.sandbox.errors import ApiError, Issue
from lexflow.lexware.sandbox.state import SandboxEvent, SandboxState

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
