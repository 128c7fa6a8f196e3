"""Business actions end to end against the in-process sandbox, through `run()` (policy + audit included)."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from lexflow.actions import Profile, run
from lexflow.audit import Actor, AuditTrail

ALL = Profile(name="dev", scopes=["*"], approval_for=[])


@pytest.fixture
def trail(tmp_path) -> AuditTrail:
    return AuditTrail(f"sqlite:///{tmp_path}/audit.db")


@pytest.fixture
def act(sandbox_client, trail):
    """Run an action against the sandbox as a test agent with every scope."""

    def _act(name: str, data: dict, **kw):
        kw.setdefault("profile", ALL)
        return run(name, data, actor=Actor.agent("pytest"), client=sandbox_client, trail=trail, **kw)

    return _act


def test_upsert_customer_creates_then_matches_email_in_other_case(act, trail):
    first = act("lexware_upsert_customer", {"name": "Muster GmbH", "email": "Info@Muster.de"})
    assert first.status == "created" and first.contact_id
    again = act("lexware_upsert_customer", {"name": "Muster GmbH", "email": "info@MUSTER.de"})
    assert again.status == "unchanged" and again.contact_id == first.contact_id and again.matched_by == "email"
    moved = act(
        "lexware_upsert_customer",
        {
            "name": "Muster GmbH",
            "email": "INFO@muster.de",
            "address": {"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin"},
        },
    )
    assert moved.status == "updated" and "addresses" in moved.changed_fields
    records = trail.list(action="lexware_upsert_customer")
    assert [r.outcome for r in records] == ["ok", "ok", "ok"]
    assert first.contact_id in records[0].resource_ids
    assert any(c.method == "POST" and c.path == "/v1/contacts" for c in records[0].http_calls)
    assert all(c.status and c.elapsed_ms >= 0 for r in records for c in r.http_calls)
    assert "Info@Muster.de".lower() not in records[0].model_dump_json().lower()


def test_upsert_customer_name_only_match(act):
    created = act("lexware_upsert_customer", {"name": "Beispiel Handel AG"})
    found = act("lexware_upsert_customer", {"name": "beispiel  handel ag", "email": "kontakt@beispiel.de"})
    assert found.status == "updated" and found.matched_by == "name" and found.contact_id == created.contact_id
    assert "emailAddresses" in found.changed_fields


def test_upsert_customer_two_candidates_ask_for_clarification(act, sandbox_client, trail):
    for _ in range(2):
        sandbox_client.contacts.create({"version": 0, "roles": {"customer": {}}, "company": {"name": "Doppel GmbH"}})
    before = len(list(sandbox_client.contacts.list(name="Doppel GmbH")))
    out = act("lexware_upsert_customer", {"name": "Doppel GmbH", "email": "neu@doppel.de"})
    assert out.status == "clarification" and out.contact_id is None
    assert len(out.candidates) == 2 and {c.name for c in out.candidates} == {"Doppel GmbH"}
    assert len(list(sandbox_client.contacts.list(name="Doppel GmbH"))) == before
    assert trail.list(action="lexware_upsert_customer")[-1].outcome == "clarification"
    chosen = act(
        "lexware_upsert_customer", {"name": "Doppel GmbH", "email": "neu@doppel.de", "contact_id": out.candidates[1].id}
    )
    assert chosen.status == "updated" and chosen.contact_id == out.candidates[1].id


def test_upsert_customer_after_ambiguous_write_does_not_duplicate(act, sandbox_client, sandbox_http, trail):
    r = sandbox_http.post(
        "/_sandbox/faults", json={"route": "POST /v1/contacts", "kind": "504_after_commit", "count": 1}
    )
    assert r.status_code < 300, r.text
    data = {"name": "Zeitüberschreitung KG", "email": "ops@timeout.example"}
    try:
        out = act("lexware_upsert_customer", data)
    except Exception as exc:  # the action may also surface the ambiguity; the retry below must not duplicate
        assert type(exc).__name__ == "AmbiguousWrite"
        out = act("lexware_upsert_customer", data)
    retry = act("lexware_upsert_customer", data)
    assert retry.contact_id == out.contact_id and retry.status in ("unchanged", "updated")
    assert len(list(sandbox_client.contacts.list(email="ops@timeout.example"))) == 1
    calls = [c for r in trail.list(action="lexware_upsert_customer") for c in r.http_calls]
    assert [c.status for c in calls if c.method == "POST"] == [504]  # the fault fired, and only one POST was made


DRAFT = {
    "recipient_name": "Einmalkunde",
    "voucher_date": date.today().isoformat(),
    "line_items": [
        {"name": "Beratung", "quantity": "1", "unit_price": "13.40", "tax_rate": "19", "discount_percentage": "0"},
        {"name": "Fachbuch", "quantity": "1", "unit_price": "8.32", "tax_rate": "7"},
    ],
}


def test_preview_matches_what_the_sandbox_creates(act, sandbox_client):
    preview = act("lexware_preview_invoice", DRAFT)
    assert preview.totals.total_net == Decimal("21.72")
    assert preview.totals.total_tax == Decimal("3.13")  # 2.546 -> 2.55 and 0.5824 -> 0.58 (docs/lexware.md#totals)
    assert preview.totals.total_gross == Decimal("24.85")
    created = act(
        "lexware_create_invoice", {**DRAFT, "finalize": True, "expected_total_gross": str(preview.totals.total_gross)}
    )
    assert created.voucher_status == "open" and created.voucher_number
    assert Decimal(str(created.total_gross)) == preview.totals.total_gross


def test_create_invoice_refuses_a_changed_total(act, trail):
    from lexflow.actions import InvalidInput

    with pytest.raises(InvalidInput, match="differs"):
        act("lexware_create_invoice", {**DRAFT, "finalize": True, "expected_total_gross": "20.00"})
    assert trail.list()[-1].outcome == "invalid_input"


def test_cancel_invoice_with_linked_credit_note(act, sandbox_client):
    """On Lexware the neutral cancel_invoice is the credit note the business action made before: paid off, linked,
    the invoice settled; a second call returns it instead of failing on Lexware's one-credit-note rule."""
    created = act("lexware_create_invoice", {**DRAFT, "finalize": True})
    out = act("cancel_invoice", {"invoice_id": created.invoice_id, "reason": "Doppelt berechnet"})
    assert out.cancellation.method == "credit_note" and not out.already_existed
    note = sandbox_client.credit_notes.get(out.cancellation.credit_note_id)
    assert note.voucher_status == "paidoff"
    assert created.invoice_id in [v.id for v in note.related_vouchers or []]
    status = act("lexware_payment_status", {"voucher_id": created.invoice_id})
    assert status.open_amount == 0
    again = act("cancel_invoice", {"invoice_id": created.invoice_id, "reason": "nochmal"})
    assert again.already_existed and again.cancellation == out.cancellation


def test_invoice_document_open_items_and_dunning(act, folders):
    created = act("lexware_create_invoice", {**DRAFT, "finalize": True})
    doc = act("lexware_invoice_document", {"invoice_id": created.invoice_id, "save_to": str(folders[1])})
    assert doc.media_type.startswith("application/pdf") and doc.size > 100
    assert Path(doc.saved_to).read_bytes()[:4] == b"%PDF"
    items = act("open_items", {})
    assert created.invoice_id in {i.id for i in items.items}
    assert items.total_open >= Decimal("24.85")
    dunning = act("create_dunning", {"invoice_id": created.invoice_id, "fee": "5.00"})
    assert dunning.dunning_id and dunning.invoice_number == created.voucher_number
    assert not dunning.already_existed


def test_a_repeated_reminder_is_the_same_reminder(act, sandbox_client):
    """The invoice and the day are the reminder's business key: a retry (or an agent repeating itself) gets the
    first one back; another day is another reminder."""
    created = act("lexware_create_invoice", {**DRAFT, "finalize": True})
    first = act("create_dunning", {"invoice_id": created.invoice_id})
    again = act("create_dunning", {"invoice_id": created.invoice_id, "fee": "5.00"})
    assert again.already_existed and again.dunning_id == first.dunning_id
    later = act(
        "create_dunning",
        {"invoice_id": created.invoice_id, "voucher_date": (date.today() + timedelta(days=14)).isoformat()},
    )
    assert not later.already_existed and later.dunning_id != first.dunning_id
    related = sandbox_client.invoices.get(created.invoice_id).model_dump(by_alias=True)["relatedVouchers"]
    assert sorted(r["id"] for r in related if r["voucherType"] == "dunning") == sorted(
        [first.dunning_id, later.dunning_id]
    )


def test_create_expense(act):
    pdf = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
    out = act(
        "lexware_create_expense",
        {
            "receipt": {"filename": "beleg.pdf", "content_base64": pdf},
            "voucher_number": "LIEF-2026-7",
            "voucher_date": date.today().isoformat(),
            "supplier_name": "Bürobedarf AG",
            "items": [{"amount": "119.00", "tax_rate": "19", "category": "bürobedarf"}],
        },
    )
    assert out.total_gross == Decimal("119.00") and out.total_tax == Decimal("19.00")
    assert out.voucher_status in ("open", "unchecked")


def test_create_invoice_with_reference_survives_a_504_and_a_retry(act, sandbox_client, sandbox_http, trail):
    r = sandbox_http.post(
        "/_sandbox/faults", json={"route": "POST /v1/invoices", "kind": "504_after_commit", "count": 1}
    )
    assert r.status_code < 300, r.text
    data = {**DRAFT, "finalize": True, "reference": "ORDER-4711"}
    first = act("lexware_create_invoice", data)
    retry = act("lexware_create_invoice", data)
    assert retry.invoice_id == first.invoice_id and retry.already_existed and not first.already_existed
    rows = list(sandbox_client.voucherlist.iter(voucher_type="invoice", voucher_status="any"))
    assert len(rows) == 1
    posts = [
        c.status for rec in trail.list(action="lexware_create_invoice") for c in rec.http_calls if c.method == "POST"
    ]
    assert posts == [504]


def test_create_expense_completes_an_uploaded_voucher_without_a_second_upload(act, trail):
    pdf = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% uploaded once\n").decode()
    receipt = {"filename": "once.pdf", "content_base64": pdf}
    up = act("files_upload", receipt).model_dump(mode="json", by_alias=True)["result"]
    data = {
        "receipt": receipt,
        "voucher_number": "LIEF-2026-8",
        "voucher_date": date.today().isoformat(),
        "items": [{"amount": "59.50", "tax_rate": "19", "category": "bürobedarf"}],
        "file_id": up["id"],
        "voucher_id": up["voucherId"],
    }
    out = act("lexware_create_expense", data)
    assert (out.voucher_id, out.file_id, out.total_gross) == (up["voucherId"], up["id"], Decimal("59.50"))
    (rec,) = trail.list(action="lexware_create_expense")
    assert not [c for c in rec.http_calls if c.method == "POST" and "/files" in c.path]
    with pytest.raises(Exception, match="file_id and voucher_id together"):
        act("lexware_create_expense", {**data, "file_id": None})
