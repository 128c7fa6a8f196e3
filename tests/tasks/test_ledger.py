"""The flow ledger on SQLite and PostgreSQL: CRM links and the invoice record that makes reruns safe."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from lexflow.ledger import Ledger


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return str(request.getfixturevalue("postgres_url"))


def test_crm_links_and_review_rows(ledger_url: str) -> None:
    ledger, source = Ledger(ledger_url), f"crm-{uuid.uuid4().hex[:6]}"
    ledger.link_contact(source, "L1", "c-1", "created", "a@b.de")
    ledger.link_contact(source, "L2", None, "needs_review", None, "invalid e-mail")
    ledger.link_contact(source, "L1", None, "unchanged", "a@b.de")  # a later run without an id keeps the link
    assert ledger.contact_for("L1", source) == "c-1" and ledger.contact_for("L2", source) is None
    assert [(x.crm_id, x.status) for x in ledger.links(source)] == [("L1", "unchanged"), ("L2", "needs_review")]


def test_sent_invoice_record_is_updated_in_place(ledger_url: str) -> None:
    ledger, key = Ledger(ledger_url), f"lexflow-invoice-{uuid.uuid4().hex}"
    assert ledger.sent_invoice(key) is None
    ledger.record_sent_invoice(request_key=key, invoice_id="i-1", voucher_number="RE1", approver="U1")
    ledger.record_sent_invoice(
        request_key=key, invoice_id="i-1", voucher_number="RE1", approver="U1", message_id="<m@x>"
    )
    row = ledger.sent_invoice(key)
    assert row is not None and (row.invoice_id, row.message_id) == ("i-1", "<m@x>")
