"""Local files: read only from the inbox, written only into the export folder, never overwritten unasked, and
writing one is a `write` the read-only profile may not do (issue 13, item 2)."""

from __future__ import annotations

import base64
import os
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from mcp import Client

from lexflow.actions import InvalidInput, PolicyDenied, Profile, run
from lexflow.actions.localfiles import MAX_FILE_BYTES, LocalFileError, read_inbox_file
from lexflow.audit import Actor, AuditTrail

ALL = Profile(name="dev", scopes=["*"], approval_for=[])
READER = Profile(name="reader", scopes=["*:read"])  # the default profile's scopes
EXPORTER = Profile(name="exporter", scopes=["*:read", "local_files:write"])
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DRAFT = {
    "recipient_name": "Einmalkunde",
    "voucher_date": date.today().isoformat(),
    "line_items": [{"name": "Beratung", "quantity": "1", "unit_price": "10.00", "tax_rate": "19"}],
    "finalize": True,
}


@pytest.fixture
def trail(tmp_path) -> AuditTrail:
    return AuditTrail(f"sqlite:///{tmp_path}/audit.db")


@pytest.fixture
def act(sandbox_client, trail, folders):
    def _act(name: str, data: dict, profile: Profile = ALL):
        return run(name, data, actor=Actor.agent("pytest"), profile=profile, client=sandbox_client, trail=trail)

    return _act


@pytest.fixture
def invoice_id(act) -> str:
    return act("lexware_create_invoice", DRAFT).invoice_id


@pytest.fixture
def precious(tmp_path) -> Path:
    """A user's file outside both folders (think: the lexflow database)."""
    path = tmp_path / "precious.db"
    path.write_bytes(b"ledgers and audit trail")
    return path


# ------------------------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize(
    ("name", "key"), [("invoice_document", "invoice_id"), ("invoices_file", "id"), ("files_download", "id")]
)
def test_read_only_profile_may_not_write_a_local_file(act, trail, invoice_id, folders, name, key):
    """The reproduction: through the default read-only profile `save_to` replaced a user's file."""
    with pytest.raises(PolicyDenied, match="local_files:write"):
        act(name, {key: invoice_id, "save_to": "out.pdf"}, READER)
    assert list(folders[1].iterdir()) == []
    rec = trail.list()[-1]
    assert rec.outcome == "denied" and rec.action == name


def test_reading_without_save_to_stays_a_read(act, trail, invoice_id, folders):
    doc = act("invoice_document", {"invoice_id": invoice_id, "include_content": True}, READER)
    assert base64.b64decode(doc.content_base64 or "")[:4] == b"%PDF" and doc.saved_to is None
    assert list(folders[1].iterdir()) == []


def test_save_to_writes_inside_the_export_folder(act, invoice_id, folders):
    doc = act("invoice_document", {"invoice_id": invoice_id, "save_to": "rechnungen/"}, EXPORTER)
    saved = Path(doc.saved_to or "")
    assert saved.parent == folders[1] / "rechnungen" and saved.read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlinked folder", "symlinked file"])
def test_save_to_outside_the_export_folder_is_refused(act, invoice_id, folders, precious, where):
    export = folders[1]
    if where == "absolute":
        save_to = str(precious)
    elif where == "dotdot":
        save_to = f"../{precious.name}"
    elif where == "symlinked folder":
        (export / "link").symlink_to(precious.parent, target_is_directory=True)
        save_to = f"link/{precious.name}"
    else:
        (export / "innocent.pdf").symlink_to(precious)
        save_to = "innocent.pdf"
    with pytest.raises(InvalidInput, match="save_to"):
        act("invoice_document", {"invoice_id": invoice_id, "save_to": save_to, "overwrite": True}, EXPORTER)
    assert precious.read_bytes() == b"ledgers and audit trail"


def test_existing_file_is_kept_unless_overwrite(act, invoice_id, folders):
    target = folders[1] / "rechnung.pdf"
    target.write_bytes(b"mine")
    with pytest.raises(InvalidInput, match="overwrite=true"):
        act("invoice_document", {"invoice_id": invoice_id, "save_to": "rechnung.pdf"}, EXPORTER)
    assert target.read_bytes() == b"mine"
    act("invoice_document", {"invoice_id": invoice_id, "save_to": "rechnung.pdf", "overwrite": True}, EXPORTER)
    assert target.read_bytes()[:4] == b"%PDF"


# -------------------------------------------------------------------------------------------------- inputs
def test_upload_path_outside_the_inbox_is_refused(act, trail, folders, precious):
    for path in (str(precious), f"../{precious.name}"):
        with pytest.raises(InvalidInput, match=r"path.*outside the inbox"):
            act("files_upload", {"filename": "x.pdf", "path": path})
    (folders[0] / "beleg.pdf").symlink_to(precious)  # a link in the inbox to a private file
    with pytest.raises(InvalidInput, match="outside the inbox"):
        act("files_upload", {"filename": "x.pdf", "path": "beleg.pdf"})
    assert all(r.outcome == "invalid_input" and not r.http_calls for r in trail.list())


def test_upload_from_the_inbox(act, folders):
    (folders[0] / "beleg.pdf").write_bytes(PDF)
    out = act("files_upload", {"filename": "beleg.pdf", "path": "beleg.pdf"})
    assert out.model_dump(mode="json", by_alias=True)["result"]["id"]


def test_a_300_mb_file_is_refused_without_reading_it(folders):
    big = folders[0] / "huge.pdf"
    with open(big, "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    try:
        with pytest.raises(LocalFileError, match="at most 5242880 bytes"):
            read_inbox_file("huge.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_FILE_BYTES  # nothing close to the file was read into memory


def test_fifo_and_folder_are_refused_without_hanging(folders):
    os.mkfifo(folders[0] / "pipe.pdf")
    (folders[0] / "dir.pdf").mkdir()
    for name in ("pipe.pdf", "dir.pdf"):
        with pytest.raises(LocalFileError, match="not a regular file"):
            read_inbox_file(name)


def test_inline_content_over_5_mib_is_refused_before_decoding(act):
    big = "A" * (4 * (MAX_FILE_BYTES // 3) + 8)
    with pytest.raises(InvalidInput, match="content_base64"):
        act("files_upload", {"filename": "x.pdf", "content_base64": big})


# ----------------------------------------------------------------------------------------------------- MCP
async def test_mcp_gets_the_file_not_a_server_path(sandbox_client, invoice_id, folders, tmp_path, monkeypatch):
    from lexflow.actions.mcp import create_server

    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/mcp.db")
    server = create_server(only=["invoice_document"], profile=READER, client=sandbox_client)
    async with Client(server) as client:
        (tool,) = (await client.list_tools()).tools
        assert "save_to" not in tool.input_schema["properties"] and tool.annotations.read_only_hint
        refused = await client.call_tool("invoice_document", {"invoice_id": invoice_id, "save_to": "x.pdf"})
        assert refused.is_error and "save_to" in refused.content[0].text
        result = await client.call_tool("invoice_document", {"invoice_id": invoice_id})
    assert not result.is_error
    text, resource = result.content
    assert base64.b64decode(resource.resource.blob)[:4] == b"%PDF"
    assert resource.resource.uri.startswith("lexflow://files/")
    assert "saved_to" not in text.text and "content_base64" not in text.text
    assert list(folders[1].iterdir()) == []
