"""OAuth2 authorization-code flow of the partner API (§1.3): authorize, token (with refresh rotation), revoke."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lexflow.sandbox.state import SandboxState


def connection_of_token(state: SandboxState, token: str) -> str | None:
    """The OAuth connection an access token belongs to (None for plain API keys)."""
    return None


def revoke_connection(state: SandboxState, connection_id: str) -> bool:
    return False


def install(app: Any, state: SandboxState) -> None:
    """Mount /oauth2/* (filled in below)."""
