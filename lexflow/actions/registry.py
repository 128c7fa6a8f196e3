"""The one action registry: every client operation and every business action, with schemas, scope and effect.

CLI, MCP server, tool-schema export and `run()` all read from here, so an action is described exactly once.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

Effect = Literal["read", "write", "irreversible"]
Handler = Callable[[Any, Any], Any]  # (client, validated input) -> output model or something it validates from


@functools.cache
def _schema(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    """Schema generation for the big document models takes milliseconds; the CLI and MCP list ask for all of them."""
    return model.model_json_schema(by_alias=True, mode=mode)


@dataclass(frozen=True)
class Action:
    """An agent-callable operation. `effect_for(input)` may lower the effect (a draft invoice is only a write)."""

    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    scope: str
    effect: Effect
    handler: Handler = field(repr=False)
    examples: tuple[dict[str, Any], ...] = ()
    idempotent: bool = False
    group: str = "operations"
    input_effect: Callable[[Any], Effect] | None = field(default=None, repr=False)
    uses_client: bool = True  # False: computed locally (preview_invoice), works without any backend
    unavailable: Callable[[], str | None] | None = field(default=None, repr=False)
    """Why the action cannot work right now (e.g. a switched-off partner opt-in), or None. Asked at listing time."""

    def unavailable_reason(self) -> str | None:
        return self.unavailable() if self.unavailable is not None else None

    def effect_for(self, data: BaseModel) -> Effect:
        return self.input_effect(data) if self.input_effect else self.effect

    @property
    def read_only(self) -> bool:
        return self.effect == "read"

    def input_schema(self) -> dict[str, Any]:
        return copy.deepcopy(_schema(self.input_model, "validation"))

    def output_schema(self) -> dict[str, Any]:
        return copy.deepcopy(_schema(self.output_model, "serialization"))

    def annotations(self) -> dict[str, bool]:
        """MCP tool annotation hints, derived from the effect class."""
        return {
            "readOnlyHint": self.effect == "read",
            "destructiveHint": self.effect == "irreversible",
            "idempotentHint": self.idempotent,
            "openWorldHint": True,
        }


class Registry:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def add(self, action: Action) -> Action:
        if action.name in self._actions:
            raise ValueError(f"duplicate action name {action.name!r}")
        self._actions[action.name] = action
        return action

    def get(self, name: str) -> Action:
        from lexflow.actions.errors import UnknownAction

        try:
            return self._actions[name]
        except KeyError:
            raise UnknownAction(name, list(self._actions)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions.values())

    def __len__(self) -> int:
        return len(self._actions)

    def names(self) -> list[str]:
        return list(self._actions)

    def select(
        self, only: list[str] | None = None, read_only: bool = False, include_unavailable: bool = False
    ) -> list[Action]:
        """A subset for small agent contexts: named actions only, and/or read-only ones only.

        Actions that cannot work right now (`unavailable_reason()`) are left out unless named in `only` or
        `include_unavailable` is set, so agents are not offered a tool that can only fail.
        """
        if only:
            actions = [self.get(n) for n in only]
        else:
            actions = [a for a in self if include_unavailable or a.unavailable_reason() is None]
        return [a for a in actions if not read_only or a.read_only]


registry = Registry()
