"""The neutral actions the customer and invoice flows stand on (`upsert_customer`, `find_duplicate_contacts`,
`preview_invoice`, `invoice_document`), through `run()` on every built provider's sandbox (`world`)."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from lexflow.actions import InvalidInput, Profile, run
from lexflow.audit import Actor, AuditTrail
from lexflow.core.models import CustomerDraft, CustomerUpdate, InvoiceDraft

ALL = Profile(name="dev", scopes=["*"], approval_for=[])


@pytest.fixture
def act(world, tmp_path):
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")

    def _act(name: str, data: dict, **kw):
        return run(name, data, actor=Actor.agent("pytest"), profile=ALL, client=world.provider, trail=trail, **kw)

    return _act


def test_upsert_finds_by_email_then_by_name_and_changes_only_what_differs(act, world):
    made = act("upsert_customer", {"name": "Alpha GmbH", "email": "info@alpha.de"})
    assert made.status == "created" and made.customer.provider == world.provider.name
    cid = made.customer.id
    same = act("upsert_customer", {"name": "Alpha GmbH", "email": "INFO@alpha.de"})
    assert (same.status, same.matched_by, same.customer.id) == ("unchanged", "email", cid)
    moved = act(
        "upsert_customer",
        {"name": "Alpha GmbH", "email": "info@alpha.de", "phone": "+49 30 1234",
         "address": {"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"}},
    )  # fmt: skip
    assert moved.status == "updated" and moved.changed_fields == ["address", "phone"]
    got = world.provider.get_customer(cid)
    assert got.phone == "+49 30 1234" and got.address is not None and got.address.city == "Berlin"
    # another spelling of the same name, without an e-mail: found by name, never a second customer
    spelled = act("upsert_customer", {"name": "Alpha G.m.b.H."})
    assert (spelled.status, spelled.matched_by, spelled.customer.id) == ("unchanged", "name", cid)
    # a new e-mail for the customer found by name is written to it
    mailed = act("upsert_customer", {"name": "alpha gmbh", "email": "buchhaltung@alpha.de"})
    assert mailed.status == "updated" and mailed.changed_fields == ["email"] and mailed.customer.id == cid
    assert "buchhaltung@alpha.de" in world.provider.get_customer(cid).emails
    assert [c.id for c in world.provider.list_customers()] == [cid]


def test_upsert_asks_instead_of_guessing_between_two_matches(act, world):
    a = act("create_customer", {"name": "Beta AG"}).customer
    b = act("create_customer", {"name": "Beta Aktiengesellschaft"}).customer  # the same name, spelled out
    asked = act("upsert_customer", {"name": "Beta AG", "phone": "0301111"})
    assert asked.status == "clarification" and asked.customer is None
    assert {c.id for c in asked.candidates} == {a.id, b.id}
    assert all(c.phone is None for c in world.provider.list_customers())  # nothing was changed
    picked = act("upsert_customer", {"name": "Beta AG", "phone": "0301111", "customer_id": b.id})
    assert (picked.status, picked.matched_by, picked.customer.id) == ("updated", "customer_id", b.id)
    assert world.provider.get_customer(b.id).phone == "0301111" and world.provider.get_customer(a.id).phone is None


def test_duplicate_report_groups_same_email_and_similar_names(act, world):
    delta = act("create_customer", {"name": "Delta GmbH", "email": "info@delta.de"}).customer
    delta2 = act("create_customer", {"name": "Delta", "email": "office@delta.de"}).customer
    echo = act("create_customer", {"name": "Echo Handel KG", "email": "echo@echo.de"}).customer
    other = act("create_customer", {"name": "Zulu Werkstatt"}).customer
    world.provider.update_customer(other.id, CustomerUpdate(email="ECHO@echo.de"))  # a second customer, same e-mail
    act("create_customer", {"name": "Foxtrott Logistik"})
    out = act("find_duplicate_contacts", {"threshold": 90})
    assert out.scanned == 5
    groups = {(g.reason, frozenset(c.id for c in g.customers)) for g in out.groups}
    assert groups == {
        ("same_email", frozenset({echo.id, other.id})),
        ("similar_name", frozenset({delta.id, delta2.id})),
    }


def test_preview_totals_are_the_created_invoices(act, world):
    """Three lines of 0.35 at the standard rate: rounded per line the tax is 3 x 0.07, per tax rate 0.20. The preview
    must round as this provider does, so the approved total is the invoice's total."""
    cid = act("create_customer", {"name": "Rundung GmbH"}).customer.id
    rate, reduced = world.provider.tax.resolve("standard").rate, world.provider.tax.resolve("reduced").rate
    line = {"name": "Schraube", "quantity": "1", "unit_price": "0.35", "tax": "standard"}
    draft = {"customer_id": cid, "lines": [line, line, line, {**line, "tax": "reduced", "unit_price": "8.32"}]}
    preview = act("preview_invoice", draft)
    assert preview.total_net == Decimal("9.37") and preview.warnings == []
    assert preview.total_gross == preview.total_net + preview.total_tax
    assert {t.tax.rate: t.net for t in preview.taxes} == {rate: Decimal("1.05"), reduced: Decimal("8.32")}
    with pytest.raises(InvalidInput, match="expected_total_gross"):
        act("create_invoice", {**draft, "finalize": True, "expected_total_gross": str(preview.total_gross + 1)})
    assert list(world.provider.list_invoices(customer_id=cid)) == []
    made = act("create_invoice", {**draft, "finalize": True, "expected_total_gross": str(preview.total_gross)})
    got = world.provider.get_invoice(made.invoice.id)
    assert got.total_gross is not None and got.total_gross.amount == preview.total_gross
    assert got.total_tax is not None and got.total_tax.amount == preview.total_tax


def test_invoice_pdf_of_a_final_invoice(act, world):
    cid = act("create_customer", {"name": "Druck GmbH"}).customer.id
    draft = {"customer_id": cid, "finalize": True, "lines": [{"name": "A", "unit_price": "10", "tax": "standard"}]}
    inv = act("create_invoice", draft).invoice
    doc = act("invoice_document", {"invoice_id": inv.id, "include_content": True})
    pdf = base64.b64decode(doc.content_base64 or "")
    assert doc.media_type == "application/pdf" and pdf.startswith(b"%PDF") and doc.size == len(pdf)


def test_an_invoice_read_back_from_its_json_drops_the_derived_overdue(world):
    """The operations ledger stores a created invoice as JSON; reading it back must not refuse `overdue`."""
    from lexflow.actions.neutral.invoices import CreateInvoiceOutput

    cid = world.provider.create_customer(CustomerDraft(name="Json GmbH")).id
    draft = InvoiceDraft(customer_id=cid, finalize=True, lines=[{"name": "A", "unit_price": "10", "tax": "standard"}])
    out = CreateInvoiceOutput(invoice=world.provider.create_invoice(draft))
    assert CreateInvoiceOutput.model_validate(out.model_dump(mode="json")) == out
