"""A scripted model server on loopback speaking two wire formats: OpenAI chat completions (`POST /v1/chat/completions`)
and Anthropic messages (`POST /v1/messages`). The real provider SDKs talk to it over real sockets, so a test proves
what they serialize (every tool schema, tool-call ids, tool results) without a network or a key.

Like the providers, it refuses a request whose tools it cannot accept (a name outside `[a-zA-Z0-9_-]{1,64}`, an
input schema that is not a JSON-Schema object) with 400. It answers from a script: turn n (n = assistant messages
so far) is a list of tool calls `[(name, args)]`, a final text, or a function of the tool results seen so far that
returns one of those. Needs the dev extra (jsonschema) for the schema check.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class Seen:
    """One request the server answered: which wire, the tool names offered, the tool results sent back."""

    wire: str
    tools: list[str]
    tool_results: list[str]


@dataclass
class FakeModelServer:
    url: str
    turns: list[Any]
    seen: list[Seen] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _server: Any = None
    _thread: Any = None

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeModelServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _schema_problem(name: str, schema: Any) -> str | None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not _NAME.match(name):
        return f"tools: name {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$"
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return f"tools.{name}: the input schema must be a JSON Schema of type object"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"tools.{name}: invalid JSON Schema: {exc.message}"
    json.dumps(schema)
    return None


def _turn(server: FakeModelServer, assistant_turns: int, results: list[str]) -> Any:
    turn = server.turns[min(assistant_turns, len(server.turns) - 1)]
    return turn(results) if callable(turn) else turn


def _openai(server: FakeModelServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    tools = [(t["function"]["name"], t["function"].get("parameters")) for t in body.get("tools") or []]
    for name, schema in tools:
        if (problem := _schema_problem(name, schema)) is not None:
            server.refused.append(problem)
            return 400, {"error": {"message": problem, "type": "invalid_request_error", "code": None, "param": "tools"}}
    messages = body.get("messages") or []
    results = [str(m.get("content")) for m in messages if m.get("role") == "tool"]
    server.seen.append(Seen("openai", [n for n, _ in tools], results))
    out = _turn(server, sum(m.get("role") == "assistant" for m in messages), results)
    n = len(server.seen)
    if isinstance(out, str):
        message: dict[str, Any] = {"role": "assistant", "content": out}
        finish = "stop"
    else:
        calls = [{"id": f"call_{n}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                 for i, (name, args) in enumerate(out)]  # fmt: skip
        message, finish = {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    return 200, {
        "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()), "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }  # fmt: skip


def _anthropic(server: FakeModelServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    tools = [(t.get("name", ""), t.get("input_schema")) for t in body.get("tools") or [] if "input_schema" in t]
    for name, schema in tools:
        if (problem := _schema_problem(name, schema)) is not None:
            server.refused.append(problem)
            return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": problem}}
    messages = body.get("messages") or []
    results: list[str] = []
    for m in messages:
        for block in m.get("content") if isinstance(m.get("content"), list) else []:
            if block.get("type") == "tool_result":
                content = block.get("content")
                text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content or [])
                results.append(text)
    server.seen.append(Seen("anthropic", [n for n, _ in tools], results))
    out = _turn(server, sum(m.get("role") == "assistant" for m in messages), results)
    n = len(server.seen)
    if isinstance(out, str):
        content, stop = [{"type": "text", "text": out}], "end_turn"
    else:
        content = [{"type": "tool_use", "id": f"toolu_{n}_{i}", "name": name, "input": args}
                   for i, (name, args) in enumerate(out)]  # fmt: skip
        stop = "tool_use"
    return 200, {
        "id": f"msg_{n}", "type": "message", "role": "assistant", "model": body.get("model"), "content": content,
        "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5},
    }  # fmt: skip


def serve_fake_models(turns: Sequence[Any], host: str = "127.0.0.1") -> FakeModelServer:
    """Start the fake on a free loopback port in a daemon thread; returns once it accepts connections.
    OpenAI clients use `base_url=<url>/v1`, Anthropic clients `base_url=<url>`."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from lexflow.sandbox.gateway import free_port

    port = free_port(host)
    server = FakeModelServer(url=f"http://{host}:{port}", turns=list(turns))

    def endpoint(answer: Callable[[FakeModelServer, dict[str, Any]], tuple[int, dict[str, Any]]]) -> Any:
        async def handle(request: Any) -> JSONResponse:
            status, body = answer(server, await request.json())
            return JSONResponse(body, status_code=status)

        return handle

    app = Starlette(routes=[Route("/v1/chat/completions", endpoint(_openai), methods=["POST"]),
                            Route("/v1/messages", endpoint(_anthropic), methods=["POST"])])  # fmt: skip

    uv = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, name="lexflow-fake-models", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake model server did not start within 10 s")
        time.sleep(0.01)
    server._server, server._thread = uv, thread
    return server
