"""Parsing an action's input: below the runner and the approvals, which both bind to the parsed input."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from lexflow.actions.errors import InvalidInput
from lexflow.actions.limits import MAX_DEPTH, MAX_INPUT_BYTES, raw_problems, validated_problems
from lexflow.actions.registry import Action

__all__ = ["parse_input", "refuse_input"]


def parse_input(action: Action, data: Any) -> BaseModel:
    """Accept a model, a dict or a JSON string; name the failing fields on error.

    Besides the model's own rules, `lexflow.actions.limits` bounds size, depth, text and numbers, so a long or
    strange value is refused here with its field named instead of failing (or hanging) somewhere deeper.
    """
    if isinstance(data, action.input_model):
        return data
    try:
        if isinstance(data, str | bytes):
            if len(data) > MAX_INPUT_BYTES:
                refuse_input(action, [f"(input): {len(data)} bytes is more than the limit of {MAX_INPUT_BYTES}"])
            try:
                data = json.loads(data or "{}")
            except ValueError as exc:
                refuse_input(action, [f"(input): not valid JSON ({exc})"])
        if isinstance(data, BaseModel):
            data = data.model_dump(by_alias=True, exclude_unset=True)
        if problems := raw_problems(data):
            refuse_input(action, problems)
        model = action.input_model.model_validate(data or {})
    except ValidationError as exc:
        refuse_input(
            action,
            [f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}" for e in exc.errors(include_url=False)],
        )
    except RecursionError:
        refuse_input(action, [f"(input): nested deeper than {MAX_DEPTH} levels"])
    if problems := validated_problems(model.model_dump(by_alias=True)):
        refuse_input(action, problems)
    return model


def refuse_input(action: Action, problems: list[str]) -> NoReturn:
    raise InvalidInput(
        f"Invalid input for {action.name!r}: {'; '.join(problems)}. "
        f"`lexflow actions schema {action.name}` shows the schema."
    ) from None
