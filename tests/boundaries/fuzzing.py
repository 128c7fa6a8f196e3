"""Adversarial inputs shared by the fuzz tests (run(), CLI, MCP): an action's own example with one leaf replaced."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from lexflow.actions import registry

# File paths are another boundary (confinement, issue 13 item 2): the fuzz never writes or reads local files.
SKIP_KEYS = {"save_to", "path"}

NASTY: list[Any] = [
    "1e999",
    "-1e999",
    "9" * 400,
    10**400,
    -(10**30),
    "NaN",
    "Infinity",
    "-Infinity",
    -100,
    -1,
    0,
    "",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "a\ud800b",
    "x" * 300_000,
    "a." * 50_000,
    "\x00",
    "ü" * 10,
    None,
    True,
    [],
    {},
    [[[[[[[[[[[]]]]]]]]]]],
    1.5,
    "2026-02-30",
    "not-a-uuid",
]


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (dict keys and list indexes), the containers included."""
    out: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in SKIP_KEYS:
                out += leaf_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += leaf_paths(v, (*prefix, i))
    return out


def with_value(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def base_input(action_name: str) -> dict[str, Any]:
    action = registry.get(action_name)
    doc = dict(action.examples[0]) if action.examples else {}
    for key in SKIP_KEYS:
        doc.pop(key, None)
    return doc


def candidate_paths(action_name: str) -> list[tuple[Any, ...]]:
    """The example's leaves plus every top-level property of the schema (also those the example leaves out)."""
    action = registry.get(action_name)
    paths = leaf_paths(base_input(action_name))
    for prop in action.input_schema().get("properties", {}):
        if prop not in SKIP_KEYS and (prop,) not in paths:
            paths.append((prop,))
    return paths or [("unexpected",)]


@st.composite
def mutated_inputs(draw: Any, names: list[str]) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """(action, mutated path, input): one leaf of the action's example replaced by something nasty."""
    name = draw(st.sampled_from(names))
    path = draw(st.sampled_from(candidate_paths(name)))
    value = draw(st.sampled_from(NASTY) | st.text(max_size=30) | st.integers() | st.floats())
    return name, path, with_value(base_input(name), path, value)


def names_field(message: str, path: tuple[Any, ...], data: dict[str, Any] | None = None) -> bool:
    """A refusal names the field: a key on the mutated path (or, for a check across fields such as
    `expected_total_gross`, another key of the input) appears in the message."""
    keys = [str(p) for p in path if isinstance(p, str)] + list(data or {})
    low = message.lower()
    return not keys or any(k.lower() in low or _snake(k) in low for k in keys)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
