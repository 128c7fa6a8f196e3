"""Requests asked under a business key (`Decider.earlier`): what a rerun finds after its earlier run died."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lexflow.approvals import DecisionRequest
from lexflow.approvals.service import APPROVAL, Decider
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import utcnow
from lexflow.testing.fake_slack import FakeSlack

KEY = "lexflow-invoice-order-4711"
A, B = "a" * 64, "b" * 64


@pytest.fixture
def decider(tmp_path: Path, fake_slack: FakeSlack) -> Decider:
    settings = SlackApprovalSettings(bot_token=fake_slack.token, channel="C0INV", base_url=fake_slack.api_url,
                                     database_url=f"sqlite:///{tmp_path}/lexflow.db")  # fmt: skip
    return Decider(settings)


def _ask(decider: Decider, digest: str = A, **kw: Any) -> Any:
    """What `request_approval` does for a new keyed request: the row, the intent, the message."""
    request = DecisionRequest(subject="Invoice for Kunde GmbH", kind="invoice", action="create_invoice",
                              args_digest=digest, approvers=["U0ALICE"], **kw)  # fmt: skip
    p = decider.store.add(request, flow_run_id="run-1", approvers=["U0ALICE"], ui_url=None)
    decider.ops.begin(APPROVAL, KEY, digest, target="slack:C0INV", request={"approval_ref": p.id})
    return decider.post(p)


def test_a_pending_request_for_the_same_data_is_found_and_reattached(decider: Decider) -> None:
    p = _ask(decider)
    found = decider.earlier(KEY, A)
    assert found is not None and found.id == p.id and found.state == "pending"
    moved = decider.reattach(found, "run-2", "http://prefect/runs/run-2")
    assert moved.flow_run_id == "run-2" and moved.ts == p.ts  # the same message decides it
    assert decider.earlier(KEY, A).id == p.id


def test_a_pending_request_for_other_data_is_superseded_and_its_message_says_so(
    decider: Decider, fake_slack: FakeSlack
) -> None:
    p = _ask(decider, A)
    assert decider.earlier(KEY, B) is None  # ask anew
    old = decider.store.get(p.id)
    assert old.state == "failed" and "superseded" in (old.reason or "")
    assert "Superseded" in fake_slack.message(p.channel, p.ts)["text"]
    assert decider.ops.get(APPROVAL, KEY).state == "failed"  # the key is free for the new request
    assert decider.store.claim(p.id) is False  # a late click on the old message changes nothing


def test_a_decision_nobody_received_is_the_answer_and_an_unusable_one_is_asked_anew(decider: Decider) -> None:
    p = _ask(decider)
    decider.store.claim(p.id)
    decider.store.finish(p.id, "rejected", decided_by="U0ALICE", reason="falscher Preis")
    assert decider.earlier(KEY, A).state == "rejected"  # the "no" of a person, not asked again
    decider.ops.fail(APPROVAL, KEY, "delivered")  # a run received it: the next run asks anew
    assert decider.earlier(KEY, A) is None

    q = _ask(decider, use_within=timedelta(seconds=1))
    decider.store.claim(q.id)
    decider.store.finish(q.id, "approved", decided_by="U0ALICE", decided_at=utcnow() - timedelta(seconds=5))
    assert decider.earlier(KEY, A) is None and decider.ops.get(APPROVAL, KEY).state == "failed"  # too old to use


def test_reattach_leaves_a_request_being_decided_to_its_decider(decider: Decider) -> None:
    p = _ask(decider)
    decider.store.claim(p.id)  # a click is being applied (to the run it read)
    decider.store.finish(p.id, "approved", decided_by="U0ALICE")
    assert decider.store.reattach(p.id, flow_run_id="run-2", ui_url=None) is None
    assert decider.reattach(p, "run-2", None).state == "approved"


def test_an_approval_a_run_received_but_never_used_is_reused_while_valid(decider: Decider) -> None:
    p = _ask(decider)
    decider.store.claim(p.id)
    decider.store.finish(p.id, "approved", decided_by="U0ALICE")
    decider.ops.finish(APPROVAL, KEY, {"approval_ref": p.id, "approver": "U0ALICE"})  # delivered, then killed
    found = decider.earlier(KEY, A)
    assert found is not None and found.id == p.id and found.state == "approved"
    decider.store.consume(p.id, action="create_invoice", args_digest=A)  # the create used it
    assert decider.earlier(KEY, A) is None  # used: a new question is needed
