"""Reruns after failures never write twice nor report old data as done (issue 12, items 1 and 6), end to end:
Prefect harness, the served sandbox over real HTTP with fault injection, the SMTP catcher."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexflow.operations import KeyReused
from lexflow.testing import MailCatcher
from tests.flows import test_flows_e2e as e2e
from tests.flows.paused import run_paused
from tests.flows.test_flows_e2e import _customer, _invoices, _request

pytestmark = pytest.mark.prefect
lexware, catcher = e2e.lexware, e2e.catcher  # the end-to-end fixtures: served sandbox + Prefect, SMTP catcher

APPROVE = {"approved": True, "approver": "U0APPROVER", "reason": "ok"}
FLOW = "create-approve-send-invoice"


@pytest.fixture
def never_ask(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A rerun must not ask (nor post to Slack) again: any approval request is recorded and refused."""
    import lexflow.approvals

    asked: list[Any] = []

    def refuse(request: Any, **_: Any) -> Any:
        asked.append(request)
        raise AssertionError(f"the rerun asked for approval again: {request.subject}")

    monkeypatch.setattr(lexflow.approvals, "request_approval", refuse)
    return asked


def _first_run(req: Any, catcher: MailCatcher, database_url: str) -> Any:
    from flows.create_approve_send_invoice import create_approve_send_invoice

    return run_paused(
        create_approve_send_invoice, APPROVE, FLOW, request=req, smtp_url=catcher.url, approval_poll_interval=0.2,
        database_url=database_url,
    )  # fmt: skip


def test_504_on_create_is_settled_by_the_reference_and_a_rerun_changes_nothing(
    lexware: Any, served_sandbox: Any, catcher: MailCatcher, database_url: str, never_ask: list[Any]
) -> None:
    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    req = _request()
    served_sandbox.control.faults("POST /v1/invoices", "504_after_commit", count=1)
    with pytest.MonkeyPatch.context() as undo:  # the first run asks for real
        import lexflow.approvals
        from lexflow.approvals.flow import request_approval

        undo.setattr(lexflow.approvals, "request_approval", request_approval)
        out = _first_run(req, catcher, database_url).result()
    assert out["status"] == "sent"  # the lost answer was found by the invoice's reference, not reported ambiguous
    (inv,) = _invoices(lexware)
    assert inv.id == out["invoice_id"] and f"Referenz: {req.request_id}" in str(lexware.invoices.get(inv.id).remark)
    again = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert again["invoice_id"] == out["invoice_id"] and len(_invoices(lexware)) == 1
    assert len(catcher.wait_for(1)) == 1 and not never_ask


@pytest.mark.parametrize("fault", ["500", "429"])
def test_failures_on_the_get_after_the_create_then_rerun_creates_no_second_invoice(
    lexware: Any, served_sandbox: Any, catcher: MailCatcher, database_url: str, fault: str
) -> None:
    """The POST succeeded, every attempt to read the invoice back failed: the run fails with the invoice in
    Lexware. The rerun settles the recorded intent by the reference: no second invoice, no second approval."""
    import lexflow.approvals
    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    req = _request()
    served_sandbox.control.faults("GET /v1/invoices/{id}", fault, count=3)  # = the test client's attempts
    state = _first_run(req, catcher, database_url)
    assert state.is_failed() and len(_invoices(lexware)) == 1 and catcher.messages == []
    asked: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexflow.approvals, "request_approval", lambda r, **_: asked.append(r) or 1 / 0)
        out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER" and not asked
    assert [i.id for i in _invoices(lexware)] == [out["invoice_id"]]
    assert len(catcher.wait_for(1)) == 1


def test_rerun_with_other_hours_under_the_same_request_id_is_refused(
    lexware: Any, catcher: MailCatcher, database_url: str, never_ask: list[Any]
) -> None:
    """2 h were invoiced (238.00); the rerun asks for 3 h (357.00) under the same request_id: refused, before any
    approval, and never reported as sent with the old invoice's id."""
    from flows.create_approve_send_invoice import create_approve_send_invoice

    _customer()
    req = _request()
    with pytest.MonkeyPatch.context() as undo:
        import lexflow.approvals
        from lexflow.approvals.flow import request_approval

        undo.setattr(lexflow.approvals, "request_approval", request_approval)
        first = _first_run(req, catcher, database_url).result()
    assert first["total_gross"] == "238.00"
    three = req.model_copy(update={"lines": [req.lines[0].model_copy(update={"quantity": Decimal(3)})]})
    state = create_approve_send_invoice(
        request=three, smtp_url=catcher.url, database_url=database_url, return_state=True
    )
    assert state.is_failed()
    with pytest.raises(
        KeyReused, match=f"this key was already used for another request: request_id '{req.request_id}'"
    ):
        state.result()
    assert len(_invoices(lexware)) == 1 and len(catcher.messages) == 1 and not never_ask


def test_log_expense_rerun_with_a_corrected_amount_is_refused_not_reported_booked(
    lexware: Any, tmp_path: Path, database_url: str
) -> None:
    from flows.log_expense import Receipt, log_expense
    from lexflow.lexware.sandbox.starter import sample_receipt

    path = sample_receipt(tmp_path / "beleg.pdf", number="BB-2026-118", gross="59.50")

    def receipt(gross: str) -> Receipt:
        return Receipt(path=str(path), voucher_number="BB-2026-118", total_gross=gross, category="Bürobedarf",
                       voucher_date=date.today() - timedelta(days=1))  # fmt: skip

    kw: dict[str, Any] = {"ocr_timeout_seconds": 20, "poll_interval_seconds": 0.3, "database_url": database_url}
    (first,) = log_expense([receipt("59.50")], **kw)
    assert first["outcome"] == "booked" and "59.5" in first["detail"]
    (corrected,) = log_expense([receipt("95.50")], **kw)
    assert corrected["outcome"] == "refused", corrected
    assert "this key was already used for another request" in corrected["detail"] and "59.5" not in corrected["detail"]
    (same,) = log_expense([receipt("59.50")], **kw)  # the unchanged request is still just done
    assert same["outcome"] == "booked"
    (voucher,) = lexware.voucherlist.iter(voucher_type="purchaseinvoice", voucher_status="any")
    assert str(lexware.vouchers.get(voucher.id).total_gross_amount) in ("59.5", "59.50")


def test_create_refused_by_500s_then_rerun_reuses_the_approval_and_creates_once(
    lexware: Any, served_sandbox: Any, catcher: MailCatcher, database_url: str, never_ask: list[Any]
) -> None:
    """Every POST failed with 500 (nothing created, the approval consumed by the attempt): the rerun finds no
    invoice with the reference, gives the approval back and creates exactly once, without asking again."""
    from flows.create_approve_send_invoice import create_approve_send_invoice
    from lexflow.approvals.store import ApprovalStore

    _customer()
    req = _request()
    served_sandbox.control.faults("POST /v1/invoices", "500", count=20)
    with pytest.MonkeyPatch.context() as undo:
        import lexflow.approvals
        from lexflow.approvals.flow import request_approval

        undo.setattr(lexflow.approvals, "request_approval", request_approval)
        state = _first_run(req, catcher, database_url)
    served_sandbox.control.clear_faults()
    assert state.is_failed() and _invoices(lexware) == []
    out = create_approve_send_invoice(request=req, smtp_url=catcher.url, database_url=database_url)
    assert out["status"] == "sent" and out["approver"] == "U0APPROVER" and not never_ask
    assert [i.id for i in _invoices(lexware)] == [out["invoice_id"]] and len(catcher.wait_for(1)) == 1
    (approval,) = [p for p in ApprovalStore().list() if p.request.key and req.request_id in str(p.request.summary)]
    assert approval.state == "used"  # one approval, used by the one create that wrote
