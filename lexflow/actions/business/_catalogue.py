"""`@business_action`: register a Lexware business action next to its handler.

A handler takes the run's client and the validated input; input and output models come from its annotations, so
each is written once.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from lexflow.actions.registry import Action, Effect

ACTIONS: list[Action] = []

F = TypeVar("F", bound=Callable[..., Any])


def business_action(
    name: str,
    *,
    description: str,
    scope: str,
    effect: Effect,
    idempotent: bool = False,
    examples: tuple[dict[str, Any], ...] = (),
    input_effect: Callable[[Any], Effect] | None = None,
    uses_client: bool = True,
) -> Callable[[F], F]:
    def register(fn: F) -> F:
        hints = typing.get_type_hints(fn)
        input_model, output_model = hints["data"], hints["return"]
        assert issubclass(input_model, BaseModel) and issubclass(output_model, BaseModel), fn
        ACTIONS.append(
            Action(
                name=name,
                description=description,
                input_model=input_model,
                output_model=output_model,
                scope=scope,
                effect=effect,
                handler=fn,
                examples=examples,
                idempotent=idempotent,
                group="lexware",
                input_effect=input_effect,
                uses_client=uses_client,
            )
        )
        return fn

    return register
