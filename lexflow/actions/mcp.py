"""`lexflow mcp`: the action registry as an MCP server (official `mcp` SDK, low-level Server), stdio or HTTP.

Every tool call goes through `lexflow.actions.run`, so policy, approvals and the audit trail apply to agents
exactly as to people. Tools carry annotations (readOnlyHint, destructiveHint, idempotentHint); `only` and
`read_only` shrink the list for agents with small contexts. Nothing is printed to stdout (it is the wire).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server

from lexflow.actions.errors import ActionError
from lexflow.actions.export import tool_description, tool_input_schema
from lexflow.actions.io import FileOutput
from lexflow.actions.limits import raw_problems
from lexflow.actions.policy import Profile, resolve_profile
from lexflow.actions.registry import Action, registry
from lexflow.actions.runner import client_for, run
from lexflow.audit import Actor, redact_text

#: Inputs that name a file on the server to write: agents get the file in the result instead.
SERVER_ONLY = ("save_to", "overwrite", "include_content")


def _returns_file(action: Action) -> bool:
    return issubclass(action.output_model, FileOutput)


def _input_schema(action: Action) -> dict[str, Any]:
    schema = tool_input_schema(action)
    if _returns_file(action):
        props = {k: v for k, v in schema.get("properties", {}).items() if k not in SERVER_ONLY}
        schema = {**schema, "properties": props}
    return schema


def _file_result(data: dict[str, Any]) -> types.CallToolResult:
    """The file itself as an embedded resource (base64 blob), its metadata as structured content: no server path."""
    blob = data.pop("content_base64", None) or ""
    data.pop("saved_to", None)
    name = data.get("filename") or "document"
    resource = types.BlobResourceContents(
        uri=f"lexflow://files/{data['sha256']}/{name}", mime_type=data.get("media_type"), blob=blob
    )
    return types.CallToolResult(
        content=[
            types.TextContent(text=json.dumps(data, ensure_ascii=False)),
            types.EmbeddedResource(resource=resource),
        ],
        structured_content=data,
    )


def _tool(action: Action) -> types.Tool:
    hints = action.annotations()
    return types.Tool(
        name=action.name,
        description=tool_description(action),
        input_schema=_input_schema(action),
        output_schema=action.output_schema(),
        annotations=types.ToolAnnotations(
            title=action.name.replace("_", " "),
            read_only_hint=hints["readOnlyHint"],
            destructive_hint=hints["destructiveHint"],
            idempotent_hint=hints["idempotentHint"],
            open_world_hint=hints["openWorldHint"],
        ),
    )


def create_server(
    *,
    only: list[str] | None = None,
    read_only: bool = False,
    profile: Profile | str | None = None,
    agent: str = "mcp-agent",
    client: Any = None,
    audit_url: str | None = None,
) -> Server[Any]:
    """An MCP server exposing the selected actions the profile grants. One Lexware client is shared by all calls."""
    actions = {a.name: a for a in registry.select(only, read_only)}
    prof = resolve_profile(profile)
    # Only what the profile may run is offered (an agent plans with the list); a call to any other action of the
    # selection is still refused by the policy and audited, as from the CLI.
    tools = [_tool(a) for a in actions.values() if prof.grants(a.scope)]
    state: dict[str, Any] = {"lexware": client}
    lock = threading.Lock()

    def get_client(action: Action) -> Any:
        """One client per provider: Lexware's for its own actions, the profile's provider's (else `LEXFLOW_PROVIDER`'s)
        for the neutral ones, on the profile's account (`client_for`)."""
        from lexflow.providers import provider_name

        key = provider_name(prof.provider) if action.group == "neutral" else "lexware"
        with lock:
            if state.get(key) is None:
                state[key] = client_for(prof, action)
            return state[key]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        action = actions.get(params.name)
        if action is None:
            return _error(f"Unknown tool {params.name!r}; this server exposes: {', '.join(actions)}.")
        args = dict(params.arguments or {})
        approval_ref = args.pop("approval_ref", None)
        if _returns_file(action):
            if given := [k for k in SERVER_ONLY if k in args]:
                return _error(
                    f"invalid_input: {', '.join(given)} is not offered over MCP (it would name a file on the server); "
                    "the file comes back in the result as an embedded resource."
                )
            args["include_content"] = True

        def call() -> Any:
            return run(
                action.name,
                args,
                actor=Actor.agent(agent),
                profile=prof,
                client_factory=lambda: get_client(action),
                approval_ref=approval_ref,
                audit_url=audit_url,
            )

        try:
            output = await anyio.to_thread.run_sync(call)
        except ActionError as exc:
            return _error(f"{exc.code}: {exc}")
        except Exception as exc:  # Lexware errors and the like: tell the agent, it can often correct itself
            secrets = [prof.api_key.get_secret_value()] if prof.api_key else []
            return _error(redact_text(f"{type(exc).__name__}: {exc}", secrets))
        data = output.model_dump(mode="json", by_alias=True)
        if isinstance(output, FileOutput):
            return _file_result(data)
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(data, ensure_ascii=False))], structured_content=data
        )

    return Server(
        "lexflow",
        version="0.1.0",
        instructions=(
            "Bookkeeping actions on the configured accounting system (Lexware Office, sevDesk, Xero or QuickBooks). "
            "Prefer the provider-neutral business actions (upsert_customer, preview_invoice, create_invoice, "
            "list_invoices, ...) over Lexware's raw <resource>_<operation> tools. Irreversible tools may need an "
            "approval_ref. What a system's API cannot do fails with capability_missing, saying what to do instead."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


class _CheckedLines:
    """stdin lines for the MCP stdio transport, minus the ones the SDK cannot parse but a person could answer.

    The SDK drops a line its JSON-RPC model refuses (a lone surrogate such as `"\\ud800"` in an argument is valid
    JSON but not valid Unicode), so the agent would wait forever. Such a request is answered here instead: a tool
    call gets an error result naming the field, anything else a JSON-RPC "invalid params" error.
    """

    def __init__(self, lines: Any) -> None:
        self.lines = lines
        self.write: Any = None
        self.ready = anyio.Event()

    async def __aiter__(self) -> Any:
        from mcp.shared.message import SessionMessage

        async for line in self.lines:
            try:
                types.jsonrpc_message_adapter.validate_json(line, by_name=False)
            except Exception:
                answer = _answer_unparseable(line)
                if answer is not None:
                    await self.ready.wait()
                    await self.write.send(SessionMessage(answer))
                    continue
            yield line


def _answer_unparseable(line: str) -> Any:
    """The reply to a request the SDK cannot parse, or None (not a request: let the SDK log it)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict) or "id" not in message or not isinstance(message.get("id"), int | str):
        return None
    params: dict[str, Any] = message["params"] if isinstance(message.get("params"), dict) else {}
    problems = raw_problems(params.get("arguments") if "arguments" in params else params)
    text = "; ".join(problems) or "the request is not valid JSON-RPC for MCP"
    if message.get("method") == "tools/call":
        result = _error(f"invalid_input: {text}").model_dump(by_alias=True, exclude_none=True, mode="json")
        return types.JSONRPCResponse(jsonrpc="2.0", id=message["id"], result=result)
    return types.JSONRPCError(
        jsonrpc="2.0", id=message["id"], error=types.ErrorData(code=types.INVALID_PARAMS, message=text)
    )


def serve_stdio(server: Server[Any]) -> None:
    import sys
    from io import TextIOWrapper

    from mcp.server.stdio import stdio_server

    async def main() -> None:
        lines = _CheckedLines(anyio.wrap_file(TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")))
        async with stdio_server(stdin=lines) as (read, write):  # type: ignore[arg-type]
            lines.write = write
            lines.ready.set()
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


def serve_http(server: Server[Any], host: str = "127.0.0.1", port: int = 8765, path: str = "/mcp") -> None:
    import uvicorn

    app = server.streamable_http_app(streamable_http_path=path, host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")
