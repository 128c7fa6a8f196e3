"""All 55 generated operation actions, run through `run()` against the in-process sandbox: each one succeeds,
its output validates against its exported schema, and it leaves one audit record with its HTTP calls."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import jsonschema
import pytest

from lexflow.actions import OPERATIONS, Profile, registry, run
from lexflow.audit import Actor, AuditTrail

ALL = Profile(name="dev", scopes=["*"], approval_for=[])
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
TODAY = f"{date.today().isoformat()}T00:00:00.000+01:00"
LATER = f"{(date.today() + timedelta(days=30)).isoformat()}T00:00:00.000+01:00"


def _line(price: float = 100.0) -> dict:
    return {
        "type": "custom",
        "name": "Beratung",
        "quantity": 1,
        "unitName": "Stunde",
        "unitPrice": {"currency": "EUR", "netAmount": price, "taxRatePercentage": 19},
    }


def _doc(contact_id: str, shipping: bool = True, **extra) -> dict:
    body = {
        "voucherDate": TODAY,
        "address": {"contactId": contact_id},
        "lineItems": [_line()],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": {"taxType": "net"},
        **extra,
    }
    if shipping:
        body["shippingConditions"] = {"shippingType": "none"}
    return body


def test_every_operation_runs_against_the_sandbox(sandbox_client, sandbox_app, tmp_path):
    from lexflow.lexware.sandbox import DEFAULT_ORGANIZATION_ID

    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    done: list[str] = []

    def op(name: str, data: dict):
        action = registry.get(name)
        out = run(name, data, actor=Actor.agent("ops"), profile=ALL, client=sandbox_client, trail=trail)
        jsonschema.validate(out.model_dump(mode="json", by_alias=True), action.output_schema())
        done.append(name)
        return out.model_dump(mode="json", by_alias=True)

    for name in (
        "profile_get",
        "countries_list",
        "payment_conditions_list",
        "posting_categories_list",
        "print_layouts_list",
    ):
        assert op(name, {})["result"]

    contact = {"version": 0, "roles": {"customer": {}}, "company": {"name": "Ops GmbH"}}
    cid = op("contacts_create", {"body": contact})["result"]["id"]
    assert op("contacts_get", {"id": cid})["result"]["company"]["name"] == "Ops GmbH"
    op("contacts_update", {"id": cid, "changes": {"note": "via action"}})
    assert op("contacts_list", {"name": "Ops GmbH"})["result"]["content"][0]["note"] == "via action"

    article = {
        "title": "Stunde",
        "type": "SERVICE",
        "unitName": "h",
        "price": {"netPrice": 90.0, "leadingPrice": "NET", "taxRate": 19},
    }
    aid = op("articles_create", {"body": article})["result"]["id"]
    op("articles_get", {"id": aid})
    op("articles_update", {"id": aid, "changes": {"title": "Beratungsstunde"}})
    assert op("articles_list", {})["result"]["content"][0]["title"] == "Beratungsstunde"
    op("articles_delete", {"id": aid})

    quotation = op("quotations_create", {"body": _doc(cid, shipping=False, expirationDate=LATER), "finalize": True})[
        "result"
    ]["id"]
    confirmation = op(
        "order_confirmations_create",
        {"body": _doc(cid), "finalize": True, "preceding_sales_voucher_id": quotation},
    )["result"]["id"]
    delivery = op("delivery_notes_create", {"body": _doc(cid), "finalize": True})["result"]["id"]
    invoice = op("invoices_create", {"body": _doc(cid), "finalize": True})["result"]["id"]
    second = op("invoices_create", {"body": _doc(cid), "finalize": True})["result"]["id"]
    credit = op(
        "credit_notes_create",
        {"body": _doc(cid, shipping=False), "finalize": True, "preceding_sales_voucher_id": invoice},
    )["result"]["id"]
    dunning = op("dunnings_create", {"body": _doc(cid), "preceding_sales_voucher_id": second})["result"]["id"]
    for kind, doc_id in (
        ("quotations", quotation),
        ("order_confirmations", confirmation),
        ("delivery_notes", delivery),
        ("invoices", invoice),
        ("credit_notes", credit),
        ("dunnings", dunning),
    ):
        assert op(f"{kind}_get", {"id": doc_id})["result"]["id"] == doc_id
        assert op(f"{kind}_document", {"id": doc_id})["document_file_id"]
        out = op(f"{kind}_file", {"id": doc_id, "include_content": True})
        assert base64.b64decode(out["content_base64"])[:4] == b"%PDF" and out["size"] > 100

    state = sandbox_app.state.sandbox
    dpi = state.insert_document(
        DEFAULT_ORGANIZATION_ID,
        "down-payment-invoices",
        {**_doc(cid), "voucherStatus": "open", "voucherNumber": "AR-1", "closingInvoiceId": None},
    )
    assert op("down_payment_invoices_get", {"id": dpi["id"]})["result"]["voucherNumber"] == "AR-1"
    assert op("down_payment_invoices_file", {"id": dpi["id"], "accept": "*/*"})["size"] > 100
    template = state.insert_document(
        DEFAULT_ORGANIZATION_ID,
        "recurring-templates",
        {
            **_doc(cid, shipping=False),
            "recurringTemplateSettings": {
                "startDate": "2026-01-01",
                "executionInterval": "MONTHLY",
                "nextExecutionDate": "2099-01-01",
                "executionStatus": "ACTIVE",
                "finalize": False,
            },
        },
    )
    op("recurring_templates_get", {"id": template["id"]})
    assert op("recurring_templates_list", {})["result"]["content"][0]["id"] == template["id"]

    assert op("payments_get", {"id": second})["result"]["openAmount"] == 119.0
    rows = op("voucherlist_list", {"voucher_type": "invoice", "voucher_status": "open"})["result"]["content"]
    assert second in {r["id"] for r in rows}

    sub = op("event_subscriptions_create", {"event_type": "invoice.created", "callback_url": "http://127.0.0.1:9/hook"})
    sid = sub["result"]["id"]
    op("event_subscriptions_get", {"id": sid})
    assert [s["subscriptionId"] for s in op("event_subscriptions_list", {})["result"]] == [sid]
    op("event_subscriptions_delete", {"id": sid})

    upload = op("files_upload", {"filename": "beleg.pdf", "content_base64": PDF})["result"]
    assert op("files_download", {"id": upload["id"]})["size"] > 10
    categories = op("posting_categories_list", {})["result"]
    outgo = next(c["id"] for c in categories if c["type"] == "outgo")
    voucher = {
        "type": "purchaseinvoice",
        "voucherNumber": "OPS-1",
        "voucherDate": date.today().isoformat(),
        "totalGrossAmount": 119.0,
        "totalTaxAmount": 19.0,
        "taxType": "gross",
        "useCollectiveContact": True,
        "voucherItems": [{"amount": 119.0, "taxAmount": 19.0, "taxRatePercent": 19, "categoryId": outgo}],
    }
    vid = op("vouchers_create", {"body": voucher})["result"]["id"]
    op("vouchers_get", {"id": vid})
    op("vouchers_update", {"id": vid, "changes": {"remark": "geprüft"}})
    assert op("vouchers_find_by_number", {"number": "OPS-1"})["result"]["id"] == vid
    op("vouchers_upload_file", {"voucher_id": vid, "filename": "beleg2.pdf", "content_base64": PDF})

    operation_names = {registry.get(n).name for n in done}
    from lexflow.actions.business._catalogue import ACTIONS as BUSINESS

    business = {a.name for a in BUSINESS}
    assert operation_names == {a.name for a in registry if a.group == "lexware" and a.name not in business}
    assert len(operation_names) == len(OPERATIONS) == 55
    records = trail.list()
    assert len(records) == len(done) and {r.outcome for r in records} == {"ok"}
    assert all(r.http_calls and all(c.status and c.status < 300 for c in r.http_calls) for r in records)
    assert trail.verify().ok


@pytest.mark.parametrize("name", ["contacts_get", "invoices_file"])
def test_api_errors_are_audited_with_their_status(sandbox_client, tmp_path, name):
    from lexflow.transport.errors import NotFound

    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    with pytest.raises(NotFound):
        run(name, {"id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"}, profile=ALL, client=sandbox_client, trail=trail)
    (rec,) = trail.list()
    assert rec.outcome == "error" and "NotFound" in (rec.error or "") and rec.http_calls[-1].status == 404
    assert rec.resource_ids == ["5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"]
