"""The MCP server over its real stdio transport (issue 13, items 4 and 7): a lone surrogate gets an answer, a long
call does not block `tools/list`, and nasty arguments end in error results naming the field, never silence."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from typing import Any

import pytest

from lexflow.lexware.sandbox import SandboxConfig
from lexflow.testing.sandbox_control import SandboxControl
from lexflow.testing.served import serve_in_thread
from tests.boundaries.fuzzing import NASTY, base_input, candidate_paths, names_field, with_value

pytestmark = pytest.mark.timeout(180)


class RawMCP:
    """Newline-delimited JSON-RPC to `lexflow mcp` (raw, so the test can send what a strict client could not)."""

    def __init__(self, env: dict[str, str], cwd: str, only: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lexflow.cli", "mcp", "--only", only, "--agent", "boundary-test"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self.waiting: dict[Any, dict[str, Any]] = {}
        self.request(
            1,
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        )
        assert self.answer(1, 60)["result"]["serverInfo"]["name"] == "lexflow"
        self.send('{"jsonrpc": "2.0", "method": "notifications/initialized"}')

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def request(self, id_: int, method: str, params: dict[str, Any] | None = None) -> None:
        self.send(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params or {}}))

    def answer(self, id_: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while id_ not in self.waiting:
            left = deadline - time.monotonic()
            assert left > 0, f"no answer to request {id_} within {timeout} s"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                line = self.proc.stdout.readline()  # type: ignore[union-attr]
                assert line, "the server closed its stdout"
                msg = json.loads(line)
                self.waiting[msg.get("id")] = msg
        return self.waiting.pop(id_)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def slow_backend():
    served = serve_in_thread(SandboxConfig(rate_limit=0, ocr_delay_seconds=None))
    yield served
    served.stop()


@pytest.fixture
def mcp_env(tmp_path, slow_backend):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEXWARE_", "LEXOFFICE_"))}
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.agent]\nscopes = ["*"]\napproval_for = []\n')
    env.update(
        LEXWARE_API_KEY=slow_backend.api_key,
        LEXWARE_BASE_URL=slow_backend.url,
        LEXWARE_RATE_LIMIT="0",
        LEXFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/audit.db",
        LEXFLOW_PROFILES_FILE=str(profiles),
        LEXFLOW_PROFILE="agent",
    )
    return env


def _text(msg: dict[str, Any]) -> str:
    return msg["result"]["content"][0]["text"]


def test_a_lone_surrogate_gets_an_error_answer_naming_the_field(mcp_env, tmp_path):
    mcp = RawMCP(mcp_env, str(tmp_path), "contacts_list,profile_get")
    try:
        # valid JSON, invalid Unicode: the SDK used to drop it and the agent waited forever
        mcp.send(
            '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"contacts_list","arguments":{"name":"a\\ud800b"}}}'
        )
        got = mcp.answer(2, 10)
        assert got["result"]["isError"] and "name" in _text(got) and "surrogate" in _text(got)
        mcp.request(3, "tools/list")
        assert len(mcp.answer(3, 10)["result"]["tools"]) == 2
    finally:
        mcp.close()


def test_tools_list_answers_promptly_while_a_long_call_runs(mcp_env, tmp_path, slow_backend):
    control = SandboxControl(slow_backend.url, slow_backend.api_key)
    control.reset()
    control.faults("GET /v1/contacts", "latency", count=1, latency_ms=4000)
    mcp = RawMCP(mcp_env, str(tmp_path), "contacts_list,upsert_customer,profile_get")
    try:
        started = time.monotonic()
        mcp.request(2, "tools/call", {"name": "contacts_list", "arguments": {}})
        mcp.request(3, "tools/call", {"name": "upsert_customer", "arguments": {"name": "a." * 100_000}})
        mcp.request(4, "tools/list")
        assert len(mcp.answer(4, 10)["result"]["tools"]) == 3
        listed = time.monotonic() - started
        long_arg = mcp.answer(3, 10)
        assert long_arg["result"]["isError"] and "name" in _text(long_arg)
        slow = mcp.answer(2, 30)
        assert not slow["result"].get("isError"), slow
        assert listed < 2.0 <= time.monotonic() - started, "tools/list waited for the slow call"
    finally:
        mcp.close()
        control.clear_faults()
        control.close()


NAMES = ["upsert_customer", "preview_invoice", "lexware_create_expense", "contacts_get", "open_items", "files_upload"]


def test_nasty_arguments_over_mcp_end_in_answers_naming_the_field(mcp_env, tmp_path):
    mcp = RawMCP(mcp_env, str(tmp_path), ",".join(NAMES))
    cases = []
    for i, name in enumerate(NAMES):
        paths = candidate_paths(name)
        for j, value in enumerate(NASTY[:: max(1, len(NASTY) // 6)]):
            path = paths[(i + j) % len(paths)]
            cases.append((name, path, with_value(base_input(name), path, value)))
    try:
        for n, (name, _path, data) in enumerate(cases, start=10):
            mcp.request(n, "tools/call", {"name": name, "arguments": data})
        for n, (name, path, data) in enumerate(cases, start=10):
            got = mcp.answer(n, 30)
            assert "result" in got, got
            if got["result"].get("isError"):
                text = _text(got)
                assert "Traceback" not in text
                if text.startswith("invalid_input"):
                    assert names_field(text, path, data), (name, path, text)
        assert mcp.proc.poll() is None
    finally:
        mcp.close()
