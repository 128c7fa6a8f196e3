"""The same server over streamable HTTP (uvicorn on 127.0.0.1, a free port), as `lexflow mcp --transport http` runs it."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from mcp import Client

from lexflow.actions.mcp import create_server
from lexflow.audit import AuditTrail


@pytest.fixture
def mcp_url(tmp_path):
    url_db = f"sqlite:///{tmp_path}/audit.db"
    server = create_server(read_only=True, agent="http-agent", audit_url=url_db)
    app = server.streamable_http_app(host="127.0.0.1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "MCP HTTP server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/mcp", url_db
    uv.should_exit = True
    thread.join(timeout=10)


async def test_streamable_http_read_only(mcp_url):
    url, audit_url = mcp_url
    async with Client(url) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert (
            "lexware_preview_invoice" in tools
            and "lexware_create_invoice" not in tools
            and "upsert_customer" not in tools
        )
        draft = {"recipient_name": "HTTP Kunde", "line_items": [{"name": "A", "unit_price": "8.32", "tax_rate": "7"}]}
        result = await client.call_tool("lexware_preview_invoice", draft)
        assert not result.is_error and result.structured_content["totals"]["total_gross"] == "8.90"
        hidden = await client.call_tool("lexware_create_invoice", {**draft, "finalize": True})
        assert hidden.is_error and "Unknown tool" in hidden.content[0].text
    (rec,) = AuditTrail(audit_url).list()
    assert rec.action == "lexware_preview_invoice" and rec.actor.name == "http-agent"
