"""`lexflow actions stats` and the frequent-mistake hints: rates per action and error kind from real audit records."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from lexflow.actions import InvalidInput, Profile, registry, run
from lexflow.actions.export import export_tool, tool_description
from lexflow.actions.hints import HintsFile, load_hints, override, propose, write_hints
from lexflow.audit import Actor, AuditTrail
from lexflow.audit.stats import action_stats, field_problems, parse_since, report
from lexflow.cli import app

OPS = Profile(name="ops", scopes=["*"])
GOOD = {"name": "Muster GmbH", "email": "info@muster.example"}


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/lexflow.db"


@pytest.fixture
def calls(sandbox_client, db):
    """Four good customer writes, three with a malformed e-mail and one read, by an agent; one by a user."""

    def act(name, data, actor=None):
        with contextlib.suppress(InvalidInput):
            run(name, data, actor=actor or Actor.agent("bot"), profile=OPS, client=sandbox_client, trail=AuditTrail(db))

    for i in range(4):
        act("create_customer", {**GOOD, "email": f"info{i}@muster.example"})
    for bad in ("not-an-address", "still wrong", "x@y"):
        act("create_customer", {**GOOD, "email": bad})
    act("search_customers", {"name": "Muster"})
    act("create_customer", {"name": "", "email": "a@b.example"}, actor=Actor.user("dana"))
    return db


def test_rates_per_action_and_error_kind(calls):
    rows = {r.action: r for r in report(AuditTrail(calls)).actions}
    customer = rows["create_customer"]
    assert (customer.calls, customer.succeeded) == (8, 4)
    assert customer.success_rate == 0.5 and customer.error_rate == 0.5
    assert customer.outcomes == {"ok": 4, "invalid_input": 4}
    kinds = {k.kind: k for k in customer.error_kinds}
    assert kinds["invalid_input email"].count == 3 and kinds["invalid_input email"].field == "email"
    assert kinds["invalid_input name"].count == 1
    assert rows["search_customers"].success_rate == 1.0 and rows["search_customers"].error_kinds == []


def test_actor_kind_and_since_filter(calls):
    agent = {r.action: r for r in report(AuditTrail(calls), actor_kind="agent").actions}
    assert agent["create_customer"].calls == 7  # the user's call is left out
    later = report(AuditTrail(calls), since=datetime.now(UTC) + timedelta(minutes=1))
    assert later.records == 0 and later.actions == []


def test_parse_since():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="30d"):
        parse_since("last week", now)


def test_field_problems_group_list_indexes():
    message = (
        "Invalid input for 'create_invoice': lines.0.tax: Field required; lines.12.unit_price: Input should be "
        "a valid decimal. `lexflow actions schema create_invoice` shows the schema."
    )
    assert field_problems(message) == [
        ("lines.*.tax", "Field required"),
        ("lines.*.unit_price", "Input should be a valid decimal"),
    ]


def test_cli_stats_json_and_table(calls):
    result = CliRunner().invoke(app, ["actions", "stats", "--url", calls, "--json", "--since", "1h", "--hints"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["records"] == 9
    assert doc["hints"]["create_customer"][0].startswith("email: ")
    assert "(3 of 8 calls)" in doc["hints"]["create_customer"][0]
    table = CliRunner().invoke(app, ["actions", "stats", "--url", calls], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "create_customer" in table.output and "50%" in table.output


def test_cli_stats_refuses_a_bad_window(calls):
    result = CliRunner().invoke(app, ["actions", "stats", "--url", calls, "--since", "yesterday"])
    assert result.exit_code == 2 and "--since" in result.output


def test_hints_need_frequency(calls):
    rows = report(AuditTrail(calls)).actions
    assert propose(rows, min_count=4) == {}  # the e-mail was refused 3 times only
    assert list(propose(rows)) == ["create_customer"]  # the name (1 of 8) is too rare


def test_hints_reach_every_exposed_description(calls, tmp_path):
    action = registry.get("create_customer")
    plain = tool_description(action)
    hints = propose(report(AuditTrail(calls)).actions)
    with override(hints):
        described = tool_description(action)
        assert described.startswith(plain) and "Frequent mistakes: email: " in described
        assert "Frequent mistakes" in export_tool(action, "openai")["function"]["description"]
        assert "Frequent mistakes" not in tool_description(registry.get("search_customers"))
    assert tool_description(action) == plain
    path = write_hints(hints, "test", tmp_path / "hints.json")
    assert HintsFile.model_validate_json(path.read_text()).hints == hints
    assert load_hints(path) == hints


def test_shipped_hints_file_is_valid():
    """The file `tool_description` reads must parse and name only existing actions."""
    assert set(load_hints()) <= set(registry.names())


def test_stats_skip_event_records():
    from lexflow.audit import StoredRecord

    def rec(action: str, outcome: str) -> StoredRecord:
        return StoredRecord(actor=Actor.agent("a"), action=action, outcome=outcome, seq=1, prev_hash="", hash="")  # type: ignore[arg-type]

    rows = action_stats([rec("approval.invoice.requested", "ok"), rec("open_items", "error")])
    assert [r.action for r in rows] == ["open_items"] and rows[0].error_kinds[0].kind == "error"
