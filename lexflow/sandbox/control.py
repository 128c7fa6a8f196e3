"""Sandbox control (owner: sandbox-extras). `install(app, state)` is called by `create_app`."""

from __future__ import annotations

from typing import Any


def install(app: Any, state: Any) -> None:
    """Mount this part of the sandbox on the app (filled in by the sandbox-extras engineer)."""
