"""Look-alike references (issue 12, item 2): a stored reference is matched exactly, never as a substring, both by
`create_invoice`'s duplicate check and by the client's lookup after a lost answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from lexflow.actions import Profile, run
from lexflow.audit import Actor, AuditTrail
from lexflow.lexware.client import LexwareClient, RetryPolicy
from lexflow.lexware.models import carries_reference
from lexflow.transport import errors
from tests.client.test_operations import customer, doc

ALL = Profile(name="dev", scopes=["*"], approval_for=[])


@pytest.mark.parametrize(
    ("text", "ref", "found"),
    [
        ("Referenz: AUFTRAG-1", "AUFTRAG-1", True),
        ("Danke.\nReferenz: AUFTRAG-1\n", "AUFTRAG-1", True),
        ("Referenz: AUFTRAG-10", "AUFTRAG-1", False),
        ("Referenz: AUFTRAG-1-B", "AUFTRAG-1", False),
        ("Referenz: XAUFTRAG-1", "AUFTRAG-1", False),
        ("Referenz: AUFTRAG-1/2", "AUFTRAG-1", False),
        ("Order 4711 (a.b)", "(a.b)", True),  # regex characters in a reference are literal
        ("Order 4711 (axb)", "(a.b)", False),
        ("", "AUFTRAG-1", False),
    ],
)
def test_a_reference_is_a_whole_token(text: str, ref: str, found: bool) -> None:
    assert carries_reference(text, ref) is found


@pytest.fixture
def act(sandbox_client: LexwareClient, tmp_path: Any) -> Any:
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")

    def _act(name: str, data: dict[str, Any]) -> Any:
        return run(name, data, actor=Actor.agent("pytest"), client=sandbox_client, trail=trail, profile=ALL)

    return _act


def test_create_invoice_for_auftrag_1_is_not_answered_with_auftrag_10(act: Any, sandbox_client: Any) -> None:
    cid = customer(sandbox_client)
    draft = {"contact_id": cid, "voucher_date": date.today().isoformat(), "finalize": True,
             "line_items": [{"name": "Beratung", "unit_price": "100.00"}]}  # fmt: skip
    ten = act("lexware_create_invoice", {**draft, "reference": "AUFTRAG-10"})
    # same customer, same total: only the ref differs
    one = act("lexware_create_invoice", {**draft, "reference": "AUFTRAG-1"})
    assert not one.already_existed and one.invoice_id != ten.invoice_id
    again = act("lexware_create_invoice", {**draft, "reference": "AUFTRAG-1"})
    assert again.already_existed and again.invoice_id == one.invoice_id
    assert len(list(sandbox_client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))) == 2


@pytest.fixture
def served_client(served_sandbox: Any) -> Iterator[tuple[Any, LexwareClient]]:
    served_sandbox.control.reset()
    fast = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05)
    with LexwareClient(
        api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0, retry=fast, settle_delay=0
    ) as client:
        yield served_sandbox, client
    served_sandbox.control.clear_faults()


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_lost_answer_for_auftrag_2_never_returns_auftrag_20(served_client: Any, fault: str) -> None:
    served, client = served_client
    cid = customer(client)
    twenty = client.invoices.create(
        doc(cid, remark="Referenz: AUFTRAG-20"), finalize=True, correlation_ref="AUFTRAG-20"
    )
    served.control.faults("POST /v1/invoices", fault, count=1)  # the POST does not happen; its answer is lost
    try:
        two = client.invoices.create(doc(cid, remark="Referenz: AUFTRAG-2"), finalize=True, correlation_ref="AUFTRAG-2")
    except errors.AmbiguousWrite:
        two = None  # reported to the caller: acceptable; answering with AUFTRAG-20's id is not
    if two is not None:
        assert two.id != twenty.id and client.invoices.get(two.id).remark == "Referenz: AUFTRAG-2"
    ids = [r.id for r in client.voucherlist.iter(voucher_type="invoice", voucher_status="any")]
    assert ids.count(twenty.id) == 1 and len(ids) == (2 if two is not None else 1)


def test_correlation_ref_must_stand_as_a_word_of_its_own(served_client: Any) -> None:
    _, client = served_client
    cid = customer(client)
    with pytest.raises(errors.InvalidRequest, match="word of its own"):
        client.invoices.create(doc(cid, remark="Referenz: AUFTRAG-20"), finalize=True, correlation_ref="AUFTRAG-2")
