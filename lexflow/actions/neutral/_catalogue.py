"""`@neutral_action`: register a provider-neutral business action next to its handler.

A handler takes the `Provider` (the configured provider's adapter over the run's client) and the validated input;
input and output models come from its annotations, so each is written once.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from lexflow.actions.errors import InvalidInput
from lexflow.actions.registry import Action, Effect
from lexflow.core.errors import InvalidRecord

ACTIONS: list[Action] = []

F = TypeVar("F", bound=Callable[..., Any])


def neutral_action(
    name: str,
    *,
    description: str,
    scope: str,
    effect: Effect,
    idempotent: bool = False,
    examples: tuple[dict[str, Any], ...] = (),
    input_effect: Callable[[Any], Effect] | None = None,
) -> Callable[[F], F]:
    def register(fn: F) -> F:
        hints = typing.get_type_hints(fn)
        input_model, output_model = hints["data"], hints["return"]
        assert issubclass(input_model, BaseModel) and issubclass(output_model, BaseModel), fn

        @functools.wraps(fn)
        def handler(client: Any, data: Any) -> Any:
            from lexflow.providers import provider_of

            try:
                return fn(provider_of(client), data)
            except InvalidRecord as exc:  # caught before sending: the caller's input, named by field
                raise InvalidInput(str(exc)) from None

        ACTIONS.append(
            Action(
                name=name,
                description=description,
                input_model=input_model,
                output_model=output_model,
                scope=scope,
                effect=effect,
                handler=handler,
                examples=examples,
                idempotent=idempotent,
                group="neutral",
                input_effect=input_effect,
            )
        )
        return fn

    return register
