"""The hash covers every stored column, and a checkpoint kept outside the database detects truncation and wipes
(issue 13, item 5)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from lexflow.audit import Actor, AuditRecord, AuditTrail, HttpCall
from lexflow.audit.cli import app
from lexflow.audit.redact import canonical_json
from lexflow.audit.store import HASHED_COLUMNS, AuditRow, Checkpoint

runner = CliRunner(env={"COLUMNS": "250"})


def _rec(name: str = "alice", **kw) -> AuditRecord:
    base = {
        "actor": Actor.flow("run-1", name=name) if name == "flow" else Actor.user(name),
        "action": "contacts_get",
        "input": {"id": "c-1"},
        "resource_ids": ["c-1"],
        "http_calls": [HttpCall(method="GET", path="/v1/contacts/c-1", status=200)],
        "approval_ref": "ref-1",
        "error": "none",
        "duration_ms": 1.5,
    }
    return AuditRecord(**{**base, **kw})


def _filled(trail: AuditTrail) -> None:
    for name in ("alice", "alice", "flow", "alice"):
        trail.record(_rec(name))
    assert trail.verify().ok


def test_every_column_but_the_hash_is_covered():
    assert set(HASHED_COLUMNS) == {c.key for c in AuditRow.__table__.columns} - {"hash"}


@pytest.mark.parametrize("column", HASHED_COLUMNS)
def test_changing_any_column_is_detected(trail: AuditTrail, column: str):
    """The reproduction from the issue was `UPDATE … SET actor_name`: `audit list --actor alice` lost records and
    verify said intact. Every stored column, present and future, is checked the same way."""
    _filled(trail)
    col = AuditRow.__table__.columns[column]
    value = 7 if column in ("seq", "hash_version") else 9.25 if column == "duration_ms" else "bob"
    with trail.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_records SET {col.name} = :v WHERE seq = 3"), {"v": value})
    result = trail.verify()
    assert not result.ok, column
    assert any("record 3" in p or "record 7" in p for p in result.problems), result.problems


def test_update_actor_name_is_reported_and_list_no_longer_lies_unnoticed(trail: AuditTrail):
    _filled(trail)
    assert len(trail.list(actor="alice")) == 3
    with trail.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor_name = 'mallory' WHERE actor_name = 'alice'"))
    assert trail.list(actor="alice") == []
    problems = trail.verify().problems
    assert {p.split(":")[0] for p in problems if "actor_name" in p or "altered" in p} == {
        "record 1",
        "record 2",
        "record 4",
    }


def test_wipe_is_detected_with_a_checkpoint(trail: AuditTrail, tmp_path):
    _filled(trail)
    kept = trail.head()
    assert kept.seq == 4 and trail.verify(kept).ok
    with trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records"))
        conn.execute(text("DELETE FROM audit_chain_head"))
    wiped = AuditTrail(trail.url)  # reopening recreates an empty head: without a checkpoint it looks intact
    assert wiped.verify().ok and wiped.verify().checked == 0
    result = wiped.verify(kept)
    assert not result.ok and "truncated or wiped" in result.problems[0]


def test_truncation_and_rewrite_are_detected_with_a_checkpoint(trail: AuditTrail):
    _filled(trail)
    kept = trail.head()
    with trail.engine.begin() as conn:  # drop the newest two and move the head back: internally consistent again
        conn.execute(text("DELETE FROM audit_records WHERE seq > 2"))
        conn.execute(text("UPDATE audit_chain_head SET seq = 2, hash = (SELECT hash FROM audit_records WHERE seq = 2)"))
    assert trail.verify().ok
    assert "truncated or wiped" in " ".join(trail.verify(kept).problems)
    trail.record(_rec())  # ... and refilled up to the same length: a different record 4
    trail.record(_rec())
    assert trail.verify().ok
    assert "chain rewritten" in " ".join(trail.verify(kept).problems)


def test_cli_checkpoint_file_and_expect_head(trail: AuditTrail, tmp_path):
    _filled(trail)
    head = runner.invoke(app, ["checkpoint", "--url", trail.url]).output.strip()
    assert head.startswith("4:")
    cp = tmp_path / "audit-head.json"
    first = runner.invoke(app, ["verify", "--url", trail.url, "--checkpoint", str(cp)])
    assert first.exit_code == 0 and Checkpoint.from_json(cp.read_text()).seq == 4
    trail.record(_rec())
    again = runner.invoke(app, ["verify", "--url", trail.url, "--checkpoint", str(cp)])
    assert again.exit_code == 0 and "contains checkpoint #4" in again.output
    assert Checkpoint.from_json(cp.read_text()).seq == 5  # moved on to the new head
    with trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records"))
        conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :g"), {"g": "0" * 64})
    plain = runner.invoke(app, ["verify", "--url", trail.url])
    assert plain.exit_code == 0 and "0 records" in plain.output  # what the issue saw
    for extra in (["--checkpoint", str(cp)], ["--expect-head", head]):
        out = runner.invoke(app, ["verify", "--url", trail.url, *extra])
        assert out.exit_code == 1 and "truncated or wiped" in out.output, extra
    assert Checkpoint.from_json(cp.read_text()).seq == 5  # a failed verify does not move the checkpoint
    bad = runner.invoke(app, ["verify", "--url", trail.url, "--expect-head", "abc"])
    assert bad.exit_code == 2 and "SEQ:HASH" in bad.output


# ------------------------------------------------------------------------------------------- older databases
_V1_TABLE = """CREATE TABLE audit_records (seq INTEGER PRIMARY KEY, recorded_at VARCHAR(40), actor_kind VARCHAR(16),
actor_name VARCHAR(200), flow_run_id VARCHAR(64), actor_json TEXT, profile VARCHAR(100), action VARCHAR(100),
input_json TEXT, input_digest VARCHAR(64), resource_ids TEXT, http_calls TEXT, outcome VARCHAR(32), error TEXT,
approval_ref VARCHAR(200), duration_ms FLOAT, prev_hash VARCHAR(64), hash VARCHAR(64) UNIQUE)"""


def _v1_database(path) -> None:
    """An audit table as lexflow wrote it before chain version 2, with two records hashed the old way."""
    con = sqlite3.connect(path)
    con.execute(_V1_TABLE)
    con.execute("CREATE TABLE audit_chain_head (id INTEGER PRIMARY KEY, seq INTEGER, hash VARCHAR(64))")
    prev = "0" * 64
    for seq in (1, 2):
        actor = canonical_json(
            {"kind": "user", "name": "alice", "flow_run_id": None, "url": None, "on_behalf_of": None}
        )
        row = {"seq": seq, "recorded_at": f"2026-01-0{seq}T00:00:00.000000+00:00", "actor": actor, "profile": "default",
               "action": "contacts_get", "input": "{}", "input_digest": "d", "resource_ids": "[]", "http_calls": "[]",
               "outcome": "ok", "error": None, "approval_ref": None, "duration_ms": 1.0, "prev_hash": prev}  # fmt: skip
        h = hashlib.sha256(canonical_json(row).encode()).hexdigest()
        con.execute(
            "INSERT INTO audit_records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (seq, row["recorded_at"], "user", "alice", None, actor, "default", "contacts_get", "{}", "d", "[]", "[]",
             "ok", None, None, 1.0, prev, h),
        )  # fmt: skip
        prev = h
    con.execute("INSERT INTO audit_chain_head VALUES (1, 2, ?)", (prev,))
    con.commit()
    con.close()


def test_old_database_is_migrated_and_old_records_still_checked(tmp_path):
    path = tmp_path / "old.db"
    _v1_database(path)
    trail = AuditTrail(f"sqlite:///{path}")  # adds hash_version; old records keep their version-1 hashes
    assert trail.verify().ok and trail.verify().checked == 2
    trail.record(_rec())
    assert trail.verify().ok and trail.verify().checked == 3
    with trail.engine.begin() as conn:  # the old hash does not cover actor_name: the hashed actor_json does
        conn.execute(text("UPDATE audit_records SET actor_name = 'mallory' WHERE seq = 1"))
    assert any("record 1: actor_name was altered" in p for p in trail.verify().problems)
    with trail.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor_name = 'alice' WHERE seq = 1"))
        conn.execute(text("UPDATE audit_records SET hash_version = NULL WHERE seq = 3"))  # pass a new one off as old
    assert any("record 3: content was altered" in p for p in trail.verify().problems)
