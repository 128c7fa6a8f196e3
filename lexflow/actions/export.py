"""Tool schemas for agent frameworks, all from the one registry: OpenAI, Anthropic and MCP tool lists."""

from __future__ import annotations

from typing import Any, Literal

from lexflow.actions.registry import Action, registry

Format = Literal["openai", "anthropic", "mcp"]

APPROVAL_REF = {
    "type": "string",
    "description": "Id of an approval a person gave for exactly this call (this action, these arguments), e.g. "
    "from `lexflow approvals grant` or the approval flow; needed when the profile says so. Valid once.",
}


def tool_input_schema(action: Action) -> dict[str, Any]:
    """The action's input schema, plus an optional `approval_ref` for actions that may need an approval."""
    schema = action.input_schema()
    if action.effect == "irreversible":
        schema = {**schema, "properties": {**schema.get("properties", {}), "approval_ref": APPROVAL_REF}}
    return schema


def tool_description(action: Action) -> str:
    """The registry's description, scope and effect, and the frequent mistakes callers made (`hints.json`)."""
    from lexflow.actions.hints import hints_for

    reason = action.unavailable_reason()
    off = f"; unavailable: {reason}" if reason else ""
    hints = hints_for(action.name)
    mistakes = f" Frequent mistakes: {'; '.join(hints)}." if hints else ""
    return f"{action.description} [scope: {action.scope}; effect: {action.effect}{off}]{mistakes}"


def export_tool(action: Action, fmt: Format) -> dict[str, Any]:
    schema = tool_input_schema(action)
    if fmt == "openai":
        return {
            "type": "function",
            "function": {"name": action.name, "description": tool_description(action), "parameters": schema},
        }
    if fmt == "anthropic":
        return {"name": action.name, "description": tool_description(action), "input_schema": schema}
    if fmt == "mcp":
        return {
            "name": action.name,
            "description": tool_description(action),
            "inputSchema": schema,
            "outputSchema": action.output_schema(),
            "annotations": {"title": action.name.replace("_", " "), **action.annotations()},
        }
    raise ValueError(f"unknown format {fmt!r}: use openai, anthropic or mcp")


def export_tools(fmt: Format, only: list[str] | None = None, read_only: bool = False) -> list[dict[str, Any]]:
    return [export_tool(a, fmt) for a in registry.select(only, read_only)]
