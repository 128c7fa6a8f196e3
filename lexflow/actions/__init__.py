"""The action catalogue: every Lexware operation and the business actions, one registry for Python, CLI and MCP.

from lexflow.actions import run, Actor
run("upsert_customer", {"name": "Muster GmbH", "email": "info@muster.de"}, actor=Actor.agent("claude"))
"""

from lexflow.actions.errors import (
    ActionError,
    ApprovalRefused,
    ApprovalRequired,
    InvalidInput,
    PolicyDenied,
    UnknownAction,
)
from lexflow.actions.operations import OPERATIONS, register_operations
from lexflow.actions.policy import Profile, load_profiles, resolve_profile
from lexflow.actions.registry import Action, Effect, Registry, registry
from lexflow.actions.runner import run
from lexflow.audit import Actor

register_operations(registry)

from lexflow.actions import business as _business  # noqa: E402  (registers the business actions)

_business.register(registry)

from lexflow.actions import neutral as _neutral  # noqa: E402  (the provider-neutral business actions)

_neutral.register(registry)

__all__ = [
    "OPERATIONS",
    "Action",
    "ActionError",
    "Actor",
    "ApprovalRefused",
    "ApprovalRequired",
    "Effect",
    "InvalidInput",
    "PolicyDenied",
    "Profile",
    "Registry",
    "UnknownAction",
    "load_profiles",
    "registry",
    "resolve_profile",
    "run",
]
