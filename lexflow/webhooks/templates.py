"""Parameter templates of webhook routes: `{resourceId}`, `{resource[voucherStatus]}`, `{event}`, ...

A value that is exactly one placeholder keeps its type (a dict stays a dict for a flow parameter); anything else
is formatted into a string.
"""

from __future__ import annotations

import json
import string
from typing import Any

from lexflow.webhooks.errors import PermanentFailure


def render(template: Any, context: dict[str, Any]) -> Any:
    """Fill a parameter template. `"{resource}"` alone keeps the object; `"id={resourceId}"` becomes a string."""
    if isinstance(template, dict):
        return {k: render(v, context) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, context) for v in template]
    if not isinstance(template, str):
        return template
    parsed = list(string.Formatter().parse(template))
    if len(parsed) == 1 and parsed[0][0] == "" and parsed[0][1] is not None and not parsed[0][2] and not parsed[0][3]:
        return _lookup(parsed[0][1], context)
    out = []
    for literal, field, spec, _conversion in parsed:
        out.append(literal)
        if field is not None:
            value = _lookup(field, context)
            value = json.dumps(value) if isinstance(value, dict | list) else value
            out.append(format("" if value is None else value, spec or ""))
    return "".join(out)


def _lookup(field: str, context: dict[str, Any]) -> Any:
    try:
        value, _ = string.Formatter().get_field(field, (), context)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        if field.split("[", 1)[0].split(".", 1)[0] == "resource" and context.get("resource") is None:
            return None  # deleted resources, drafts on payment.changed: the field is simply absent
        raise PermanentFailure(f"parameter placeholder {{{field}}} cannot be filled: {exc!r} is missing") from None
    return value


def placeholders(template: Any) -> set[str]:
    if isinstance(template, dict):
        return set().union(*(placeholders(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(placeholders(v) for v in template)) if template else set()
    if not isinstance(template, str):
        return set()
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split("[", 1)[0].split(".", 1)[0])
    return names
