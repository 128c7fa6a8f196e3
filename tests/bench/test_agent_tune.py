"""The hints gate: frequent mistakes from the audit trail reach the tool descriptions only if the suite does not
score lower with them."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bench.agent.harness import Transcript, oracle
from bench.agent.tasks import by_id
from bench.agent.tune import gate, main
from lexflow.actions import InvalidInput, Profile, run
from lexflow.actions.hints import HintsFile, hints_for
from lexflow.audit import Actor, AuditTrail

TASKS = by_id("inv-consulting,cust-person")
HINT = {"create_invoice": ["lines.*.tax: Field required (5 of 20 calls)"]}


def confused_by_hints(task, world, person):
    """A solver that does worse once create_invoice's description carries a hint."""
    return Transcript() if hints_for("create_invoice") else oracle(task, world, person)


def test_a_proposal_that_lowers_the_score_is_refused():
    decision = gate(HINT, {}, TASKS, confused_by_hints)
    assert not decision.accepted and "pass^1 1.0 → 0.0" in decision.reason


def test_a_proposal_that_keeps_the_score_is_kept():
    decision = gate(HINT, {}, TASKS, oracle)
    assert decision.accepted and decision.after["pass^1"] == 1.0


def test_command_writes_the_hints_from_the_trail(tmp_path: Path, sandbox_client):
    url = f"sqlite:///{tmp_path}/audit.db"
    for bad in ("no-at-sign", "still wrong", "x@y", "a b@c.d"):
        with contextlib.suppress(InvalidInput):
            run("create_customer", {"name": "Muster GmbH", "email": bad}, actor=Actor.agent("model"),
                profile=Profile(name="p", scopes=["*"]), client=sandbox_client, trail=AuditTrail(url))  # fmt: skip
    hints = tmp_path / "hints.json"
    hints.write_text('{"source": "", "hints": {}}')
    args = ["--url", url, "--since", "1h", "--tasks", "cust-person", "--hints-file", str(hints)]
    assert main([*args, "--dry-run"]) == 0 and HintsFile.model_validate_json(hints.read_text()).hints == {}
    assert main(args) == 0
    written = HintsFile.model_validate_json(hints.read_text())
    assert list(written.hints) == ["create_customer"] and written.hints["create_customer"][0].startswith("email: ")
    assert "pass^1 1.0 → 1.0" in written.source
    assert main(args) == 0  # nothing new: no second suite run, no change


def test_command_refuses_a_bad_window(capsys):
    assert main(["--since", "recently"]) == 2 and "30d" in capsys.readouterr().err
