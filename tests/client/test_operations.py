"""Every documented operation (docs/lexware.md#operations) through LexwareClient against the in-process sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lexflow.lexware.client import LexwareClient
from lexflow.lexware.models import (
    ActionResult,
    Article,
    Contact,
    Country,
    CreditNote,
    Invoice,
    Page,
    Payment,
    PostingCategory,
    Profile,
    Voucher,
    VoucherListItem,
)
from lexflow.transport import errors
from tests.sandbox.helpers import invoice_body, line

INCOME_CATEGORY = "8f8664a0-fd86-11e1-a21f-0800200c9a66"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(params=["in-process", "http"])
def client(request: pytest.FixtureRequest) -> Iterator[LexwareClient]:
    """Each operation runs twice: in-process (ASGI) and over real HTTP against the served sandbox (uvicorn)."""
    if request.param == "in-process":
        yield request.getfixturevalue("sandbox_client")
        return
    served = request.getfixturevalue("served_sandbox")
    served.control.reset()
    with LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0) as client:
        yield client


def customer(client: LexwareClient, name: str = "Musterkunde GmbH", email: str = "kunde@example.org") -> str:
    body = {
        "roles": {"customer": {}},
        "company": {"name": name},
        "addresses": {"billing": [{"street": "Hauptstr. 1", "zip": "10115", "city": "Berlin", "countryCode": "DE"}]},
        "emailAddresses": {"business": [email]},
    }
    return client.contacts.create(body).id


def doc(contact_id: str, **extra: object) -> dict:
    return invoice_body(contact_id, items=[line(qty=2)], **extra)


def test_profile_and_master_data(client: LexwareClient) -> None:
    assert isinstance(client.profile.get(), Profile)
    countries = client.countries.list()
    assert any(isinstance(c, Country) and c.country_code == "DE" for c in countries)
    cats = client.posting_categories.list()
    assert any(isinstance(c, PostingCategory) and c.id == INCOME_CATEGORY for c in cats)
    assert client.payment_conditions.list()
    assert client.print_layouts.list()


def test_contacts_create_get_list_page_update(client: LexwareClient) -> None:
    cid = customer(client, "Johnson & Partner", "jp@example.org")
    c = client.contacts.get(cid)
    assert isinstance(c, Contact) and c.company is not None and c.company.name == "Johnson & Partner"
    # & must reach the server HTML-encoded (docs/lexware.md#query-encoding) and still match
    assert [x.id for x in client.contacts.list(name="Johnson & Partner")] == [cid]
    assert [x.id for x in client.contacts.list(email="jp@example.org")] == [cid]
    page = client.contacts.page(size=1, customer=True)
    assert isinstance(page, Page) and page.total_elements >= 1
    result = client.contacts.update(cid, {"note": "VIP"})
    assert isinstance(result, ActionResult) and result.version == (c.version + 1)
    after = client.contacts.get(cid)
    assert after.note == "VIP" and after.email_addresses is not None  # untouched fields kept


def test_contact_search_too_short_is_refused_before_sending(client: LexwareClient) -> None:
    calls = []
    client.add_call_listener(calls.append)
    with pytest.raises(errors.InvalidRequest, match="at least 3 characters"):
        list(client.contacts.list(name="ab"))
    assert calls == []


def test_contact_write_rules_checked_before_sending(client: LexwareClient) -> None:
    with pytest.raises(errors.InvalidRequest) as exc:
        client.contacts.create({"company": {"name": "A"}, "person": {"lastName": "B"}, "roles": {}})
    assert "roles" in exc.value.fields


def test_update_with_function_keeps_unknown_fields(client: LexwareClient) -> None:
    cid = customer(client)

    def change(c: Contact) -> None:
        c.note = "changed by function"

    client.contacts.update(cid, change)
    assert client.contacts.get(cid).note == "changed by function"


def test_articles_crud(client: LexwareClient) -> None:
    body = {
        "title": "Schraube",
        "type": "PRODUCT",
        "unitName": "Stück",
        "articleNumber": "S-1",
        "price": {"leadingPrice": "GROSS", "grossPrice": 11.90, "taxRate": 19},
    }
    aid = client.articles.create(body).id
    a = client.articles.get(aid)
    assert isinstance(a, Article) and a.price is not None and float(a.price.net_price or 0) == 10.0
    assert [x.id for x in client.articles.list(article_number="S-1")] == [aid]
    assert client.articles.page(size=25).total_elements >= 1
    client.articles.update(aid, {"title": "Schraube M4"})
    assert client.articles.get(aid).title == "Schraube M4"
    client.articles.delete(aid)
    with pytest.raises(errors.NotFound):
        client.articles.get(aid)


def test_invoice_finalize_document_file_and_payments(client: LexwareClient) -> None:
    cid = customer(client)
    iid = client.invoices.create(doc(cid), finalize=True).id
    inv = client.invoices.get(iid)
    assert isinstance(inv, Invoice) and inv.voucher_status == "open"
    assert inv.total_price is not None and float(inv.total_price.total_gross_amount or 0) == 238.0
    file_id = client.invoices.document(iid)
    assert file_id
    pdf = client.invoices.file(iid)
    assert pdf.media_type == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.files.download(file_id, accept="application/pdf").content.startswith(b"%PDF")
    with pytest.raises(errors.NotFound):
        client.invoices.file(iid, accept="application/xml")  # not an XRechnung
    pay = client.payments.get(iid)
    assert isinstance(pay, Payment) and float(pay.open_amount or 0) == 238.0
    rows = list(client.voucherlist.iter(voucher_type="invoice", voucher_status="open"))
    assert any(isinstance(r, VoucherListItem) and r.id == iid for r in rows)


def test_draft_rules(client: LexwareClient) -> None:
    cid = customer(client)
    iid = client.invoices.create(doc(cid)).id
    with pytest.raises(errors.LexwareError) as exc:
        client.invoices.file(iid)
    assert exc.value.status == 409
    with pytest.raises(errors.ValidationFailed):
        client.invoices.document(iid)
    with pytest.raises(errors.ValidationFailed):
        client.payments.get(iid)


def test_pursue_credit_note_and_dunning(client: LexwareClient) -> None:
    cid = customer(client)
    iid = client.invoices.create(doc(cid), finalize=True).id
    dun = client.dunnings.create(doc(cid), preceding_sales_voucher_id=iid)
    assert client.dunnings.get(dun.id).voucher_status == "draft"
    body = doc(cid)
    body.pop("shippingConditions")
    cn = client.credit_notes.create(body, finalize=True, preceding_sales_voucher_id=iid)
    note = client.credit_notes.get(cn.id)
    assert isinstance(note, CreditNote) and note.voucher_status == "paidoff"
    assert client.credit_notes.file(cn.id).content.startswith(b"%PDF")
    assert client.invoices.get(iid).voucher_status == "paid"
    with pytest.raises(errors.UnsupportedByApi):
        client.dunnings.create(doc(cid), preceding_sales_voucher_id=iid, finalize=True)
    with pytest.raises(errors.InvalidRequest):
        client.dunnings.create(doc(cid))


def test_quotation_order_confirmation_delivery_note(client: LexwareClient) -> None:
    cid = customer(client)
    q = client.quotations.create(doc(cid, expirationDate="2026-04-01T00:00:00.000+02:00"), finalize=True)
    assert client.quotations.get(q.id).voucher_status == "open"
    assert client.quotations.file(q.id).content.startswith(b"%PDF")
    assert client.quotations.document(q.id)
    oc = client.order_confirmations.create(doc(cid), finalize=True, preceding_sales_voucher_id=q.id)
    assert client.order_confirmations.get(oc.id).voucher_status == "open"
    assert client.order_confirmations.file(oc.id).content.startswith(b"%PDF")
    assert client.order_confirmations.document(oc.id)
    dn = client.delivery_notes.create(doc(cid), finalize=True, preceding_sales_voucher_id=oc.id)
    assert client.delivery_notes.get(dn.id).voucher_status == "open"
    assert client.delivery_notes.file(dn.id).content.startswith(b"%PDF")
    assert client.delivery_notes.document(dn.id)
    with pytest.raises(errors.UnsupportedByApi):
        client.delivery_notes.file(dn.id, accept="application/xml")


def test_non_eur_is_unsupported(client: LexwareClient) -> None:
    cid = customer(client)
    body = doc(cid, totalPrice={"currency": "USD"})
    with pytest.raises(errors.UnsupportedByApi, match="only EUR"):
        client.invoices.create(body)


def test_bad_timestamp_refused_client_side(client: LexwareClient) -> None:
    cid = customer(client)
    with pytest.raises(errors.InvalidRequest) as exc:
        client.invoices.create(doc(cid, voucherDate="2026-03-02"))
    assert exc.value.fields == ["voucherDate"]


def _voucher(number: str) -> dict:
    return {
        "type": "salesinvoice",
        "voucherNumber": number,
        "voucherDate": "2026-03-02",
        "totalGrossAmount": 119.0,
        "totalTaxAmount": 19.0,
        "taxType": "gross",
        "useCollectiveContact": True,
        "voucherItems": [{"amount": 119.0, "taxAmount": 19.0, "taxRatePercent": 19, "categoryId": INCOME_CATEGORY}],
    }


def test_vouchers_files_and_update_keeps_files(client: LexwareClient) -> None:
    vid = client.vouchers.create(_voucher("RE-100")).id
    v = client.vouchers.get(vid)
    assert isinstance(v, Voucher) and v.voucher_number == "RE-100"
    found = client.vouchers.find_by_number("RE-100")
    assert found is not None and found.id == vid
    assert client.vouchers.find_by_number("nope-404") is None
    up = client.vouchers.upload_file(vid, PDF, "beleg.pdf")
    assert up.id
    client.vouchers.update(vid, {"remark": "geprüft"})
    after = client.vouchers.get(vid)
    assert after.remark == "geprüft" and after.files == [up.id]  # the attachment survived the PUT
    assert client.files.download(up.id).content == PDF


def test_file_upload_creates_voucher_and_checks_before_sending(client: LexwareClient) -> None:
    up = client.files.upload(PDF, "receipt.pdf")
    assert up.voucher_id
    again = client.files.upload(PDF, "receipt.pdf")
    assert again.id == up.id  # server dedup by checksum
    with pytest.raises(errors.InvalidRequest, match=r"type \.gif"):
        client.files.upload(b"GIF89a", "x.gif")
    with pytest.raises(errors.InvalidRequest, match="5 MiB"):
        client.files.upload(b"0" * (5 * 1024 * 1024 + 1), "big.pdf")


def test_event_subscriptions(client: LexwareClient) -> None:
    sub = client.event_subscriptions.create("invoice.created", "http://127.0.0.1:9/hook")
    got = client.event_subscriptions.get(sub.id)
    assert got.event_type == "invoice.created"
    assert [s.subscription_id for s in client.event_subscriptions.list()] == [sub.id]
    with pytest.raises(errors.LexwareError) as exc:
        client.event_subscriptions.create("invoice.created", "http://127.0.0.1:9/hook")
    assert exc.value.status == 409
    client.event_subscriptions.delete(sub.id)
    assert client.event_subscriptions.list() == []


def test_transaction_assignment_hint_needs_opt_in(client: LexwareClient) -> None:
    with pytest.raises(errors.UnsupportedByApi, match="partner"):
        client.transaction_assignment_hints.create("x", "y")


def test_recurring_templates_and_down_payment_invoices_after_seed(served_sandbox) -> None:
    pytest.importorskip("lexflow.lexware.sandbox.seed")
    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=60, seed=7)
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as client:
        templates = list(client.recurring_templates.list())
        if templates:
            assert client.recurring_templates.get(templates[0].id).id == templates[0].id
        assert client.recurring_templates.page(size=5).size == 5
        rows = list(client.voucherlist.iter(voucher_type="downpaymentinvoice", voucher_status="any"))
        for row in rows[:1]:
            assert client.down_payment_invoices.get(row.id).id == row.id
        with pytest.raises(errors.NotFound):
            client.down_payment_invoices.get("00000000-0000-4000-8000-000000000000")


def test_update_function_can_clear_a_field_and_keeps_the_rest(client: LexwareClient) -> None:
    cid = customer(client)
    client.contacts.update(cid, {"note": "temporary"})

    def clear(c: Contact) -> None:
        c.note = None

    client.contacts.update(cid, clear)
    after = client.contacts.get(cid)
    assert after.note is None
    assert after.email_addresses is not None and after.addresses is not None


def test_xrechnung_accept_negotiation(client: LexwareClient) -> None:
    cid = client.contacts.create(
        {
            "roles": {"customer": {}},
            "company": {"name": "Behörde XY"},
            "xRechnung": {"buyerReference": "04011000-12345-03", "vendorNumberAtCustomer": "V-1"},
            "addresses": {"billing": [{"street": "Amtsweg 1", "zip": "10115", "city": "Berlin", "countryCode": "DE"}]},
        }
    ).id
    iid = client.invoices.create(doc(cid), finalize=True).id
    assert client.invoices.get(iid).electronic_document_profile == "XRechnung"
    anything = client.invoices.file(iid, accept="*/*")
    # */* -> XML (docs/lexware.md#downloads)
    assert anything.media_type == "application/xml" and anything.content.startswith(b"<?xml")
    assert client.invoices.file(iid, accept="application/xml").filename.endswith(".xml")  # type: ignore[union-attr]
    preview = client.invoices.file(iid, accept="application/pdf")
    assert preview.media_type == "application/pdf" and preview.content.startswith(b"%PDF")
