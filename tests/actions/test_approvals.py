"""Approval references are verified against the approvals store: one rule per test (issue 13, item 1).

An irreversible call runs only with an approval that exists, is approved, is for that action and a digest of
exactly its arguments, is unexpired and unused; using it consumes it atomically.
"""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from mcp import Client
from typer.testing import CliRunner

from lexflow.actions import Profile, run
from lexflow.actions.approvals import StoreApprovals, approval_digest
from lexflow.actions.errors import ApprovalRefused, ApprovalRequired
from lexflow.approvals.models import DecisionRequest
from lexflow.approvals.store import ApprovalStore, ApprovalUnusable, utcnow
from lexflow.audit import Actor, AuditTrail

#: Every scope, and approvals for irreversible actions (the default of `approval_for`).
OPS = Profile(name="ops", scopes=["*"])
DRAFT = {
    "recipient_name": "Einmalkunde",
    "voucher_date": date.today().isoformat(),
    "line_items": [{"name": "Beratung", "quantity": "1", "unit_price": "100.00", "tax_rate": "19"}],
    "finalize": True,
}


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/lexflow.db"


@pytest.fixture
def store(db) -> ApprovalStore:
    return ApprovalStore(db)


@pytest.fixture
def act(sandbox_client, db):
    def _act(name: str, data: dict, ref: str | None):
        return run(
            name, data, actor=Actor.agent("pytest"), profile=OPS, client=sandbox_client, approval_ref=ref,
            trail=AuditTrail(db), verify_approval=StoreApprovals(db),
        )  # fmt: skip

    return _act


def grant(store: ApprovalStore, action: str, data: dict, decided_at=None, **kw) -> str:
    request = DecisionRequest(subject=f"{action} test", kind="action", action=action,
                              args_digest=approval_digest(action, data), **kw)  # fmt: skip
    return store.grant(request, approver="alice", decided_at=decided_at).id


def invoices(sandbox_client) -> list:
    return list(sandbox_client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))


def refused(act, db, name: str, data: dict, ref: str | None, match: str) -> None:
    with pytest.raises(ApprovalRefused, match=match):
        act(name, data, ref)
    rec = AuditTrail(db).list()[-1]
    assert rec.outcome == "approval_refused" and rec.approval_ref == ref and match in (rec.error or "")


def test_forged_reference_is_refused_and_audited(act, db, sandbox_client):
    """The reproduction from the issue: `approval_ref="test:1"` created an open invoice."""
    refused(act, db, "lexware_create_invoice", DRAFT, "test:1", "unknown")
    assert invoices(sandbox_client) == [] and AuditTrail(db).verify().ok


def test_approved_reference_allows_exactly_one_call(act, db, store, sandbox_client):
    ref = grant(store, "lexware_create_invoice", DRAFT)
    out = act("lexware_create_invoice", DRAFT, ref)
    assert out.voucher_status == "open"
    assert store.get(ref).state == "used"  # type: ignore[union-attr]
    refused(act, db, "lexware_create_invoice", DRAFT, ref, "already used")
    assert len(invoices(sandbox_client)) == 1


def test_wrong_action_is_refused(act, db, store, sandbox_client):
    ref = grant(store, "cancel_invoice", {"invoice_id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f", "reason": "doppelt"})
    refused(act, db, "lexware_create_invoice", DRAFT, ref, "was given for action 'cancel_invoice'")
    assert store.get(ref).state == "approved"  # type: ignore[union-attr]  # a refusal does not consume it


def test_altered_amount_is_refused(act, db, store, sandbox_client):
    ref = grant(store, "lexware_create_invoice", DRAFT)
    dearer = {**DRAFT, "line_items": [{**DRAFT["line_items"][0], "unit_price": "1000.00"}]}
    refused(act, db, "lexware_create_invoice", dearer, ref, "different arguments")
    assert invoices(sandbox_client) == []


def test_equivalent_spelling_has_the_same_digest():
    """The digest is over the validated input, so "100.00" and 100 are the same call."""
    same = {**DRAFT, "line_items": [{**DRAFT["line_items"][0], "unit_price": 100, "quantity": 1}]}
    assert approval_digest("lexware_create_invoice", same) == approval_digest("lexware_create_invoice", DRAFT)
    assert approval_digest("lexware_create_invoice", {**DRAFT, "finalize": False}) != approval_digest(
        "lexware_create_invoice", DRAFT
    )


def test_expired_approval_is_refused(act, db, store):
    ref = grant(store, "lexware_create_invoice", DRAFT, use_within=timedelta(minutes=30),
                decided_at=utcnow() - timedelta(hours=1))  # fmt: skip
    refused(act, db, "lexware_create_invoice", DRAFT, ref, "expired")


@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_not_approved_is_refused(act, db, store, state):
    request = DecisionRequest(subject="create_invoice test", action="lexware_create_invoice",
                              args_digest=approval_digest("lexware_create_invoice", DRAFT))  # fmt: skip
    p = store.add(request, flow_run_id=None, approvers=["U0ALICE"], ui_url=None)
    if state == "rejected":
        store.claim(p.id)
        store.finish(p.id, "rejected", decided_by="U0ALICE", reason="no")
    refused(act, db, "lexware_create_invoice", DRAFT, p.id, f"is {state}, not approved")


def test_unbound_approval_is_refused(act, db, store):
    """A decision request that names no action (e.g. a bank match) approves no action call."""
    p = store.add(DecisionRequest(subject="match"), flow_run_id=None, approvers=[], ui_url=None)
    store.claim(p.id)
    store.finish(p.id, "approved", decided_by="U0ALICE")
    refused(act, db, "lexware_create_invoice", DRAFT, p.id, "not bound")


def test_missing_reference_still_required(act, db):
    with pytest.raises(ApprovalRequired, match="approval_ref"):
        act("lexware_create_invoice", DRAFT, None)
    assert AuditTrail(db).list()[-1].outcome == "approval_required"


def test_concurrent_uses_one_passes(store):
    digest = approval_digest("lexware_create_invoice", DRAFT)
    ref = grant(store, "lexware_create_invoice", DRAFT)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        try:
            store.consume(ref, action="lexware_create_invoice", args_digest=digest)
            results.append("ok")
        except ApprovalUnusable:
            results.append("refused")

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["refused"] * 7


def test_call_refused_before_any_write_gives_the_approval_back(act, db, store, sandbox_client):
    """A call that fails before any write request (here: the total check) did nothing, so the approval stays."""
    from lexflow.actions import InvalidInput

    wrong = {**DRAFT, "expected_total_gross": "1.00"}
    ref = grant(store, "lexware_create_invoice", wrong)
    with pytest.raises(InvalidInput, match="differs"):
        act("lexware_create_invoice", wrong, ref)
    assert store.get(ref).state == "approved"  # type: ignore[union-attr]
    assert invoices(sandbox_client) == []


# ------------------------------------------------------------------------------------ every caller verifies
@pytest.fixture
def env_db(db, monkeypatch, tmp_path):
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", db)
    monkeypatch.delenv("LEXFLOW_SLACK_DATABASE_URL", raising=False)
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.ops]\nscopes = ["*"]\n')
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_cli_refuses_a_forged_reference_and_grant_binds_the_call(env_db):
    from lexflow.cli import app

    runner = CliRunner(env={"COLUMNS": "250"})
    args = ["actions", "run", "lexware_create_invoice", "--input", json.dumps(DRAFT), "--profile", "ops"]
    out = runner.invoke(app, [*args, "--approval-ref", "test:1"])
    assert out.exit_code == 2 and "approval_refused" in out.output and "unknown" in out.output
    assert AuditTrail(env_db).list()[-1].outcome == "approval_refused"
    granted = runner.invoke(
        app, ["approvals", "grant", "lexware_create_invoice", "--input", json.dumps(DRAFT), "--by", "bob"]
    )
    assert granted.exit_code == 0, granted.output
    ref = granted.output.strip()
    p = ApprovalStore(env_db).get(ref)
    assert p is not None and p.state == "approved" and p.decided_by == "bob"
    assert p.request.args_digest == approval_digest("lexware_create_invoice", DRAFT)
    assert AuditTrail(env_db).list()[-1].action == "approval.action.granted"


async def test_mcp_refuses_a_forged_reference(env_db):
    from lexflow.actions.mcp import create_server

    server = create_server(only=["lexware_create_invoice"], profile="ops", agent="agent-x")
    async with Client(server) as client:
        result = await client.call_tool("lexware_create_invoice", {**DRAFT, "approval_ref": "test:1"})
    assert result.is_error and "approval_refused" in result.content[0].text
    rec = AuditTrail(env_db).list()[-1]
    assert rec.outcome == "approval_refused" and rec.actor.name == "agent-x" and rec.approval_ref == "test:1"
