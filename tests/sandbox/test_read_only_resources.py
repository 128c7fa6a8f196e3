"""Read-only resources (docs/lexware.md#read-only-documents): down payment invoices and recurring templates exist only by seeding;
the clock runs due recurring templates."""

from __future__ import annotations

from datetime import timedelta

from lexflow.lexware.sandbox import DEFAULT_ORGANIZATION_ID as ORG
from tests.sandbox.helpers import company_contact


def _template(contact_id, name, next_date, **settings):
    return {
        "address": {"contactId": contact_id, "name": name},
        "lineItems": [
            {
                "type": "custom",
                "name": "Wartungsvertrag",
                "quantity": 1,
                "unitName": "Monat",
                "unitPrice": {"currency": "EUR", "netAmount": 100.0, "grossAmount": 119.0, "taxRatePercentage": 19},
                "lineItemAmount": 100.0,
            }
        ],
        "totalPrice": {"currency": "EUR", "totalNetAmount": 100.0, "totalGrossAmount": 119.0, "totalTaxAmount": 19.0},
        "taxConditions": {"taxType": "net"},
        "paymentConditions": {"paymentTermDuration": 14, "paymentTermLabel": "14 Tage"},
        "recurringTemplateSettings": {
            "startDate": "2026-01-01",
            "executionInterval": "MONTHLY",
            "nextExecutionDate": next_date,
            "executionStatus": "ACTIVE",
            "finalize": True,
            **settings,
        },
    }


def test_down_payment_invoice_is_read_only(sandbox_http, sandbox_app):
    state = sandbox_app.state.sandbox
    doc = state.insert_document(
        ORG,
        "down-payment-invoices",
        {
            "voucherStatus": "open",
            "voucherNumber": "AR1001",
            "voucherDate": "2026-02-01T00:00:00.000+01:00",
            "address": {"name": "Bauherr Schmitt", "countryCode": "DE"},
            "lineItems": [
                {
                    "type": "custom",
                    "name": "Abschlag 1",
                    "quantity": 1,
                    "unitName": "Stück",
                    "unitPrice": {"currency": "EUR", "netAmount": 1000.0, "taxRatePercentage": 19},
                    "lineItemAmount": 1000.0,
                }
            ],
            "totalPrice": {
                "currency": "EUR",
                "totalNetAmount": 1000.0,
                "totalGrossAmount": 1190.0,
                "totalTaxAmount": 190.0,
            },
            "taxConditions": {"taxType": "net"},
            "closingInvoiceId": None,
        },
    )
    assert sandbox_http.get(f"/v1/down-payment-invoices/{doc['id']}").json()["voucherNumber"] == "AR1001"
    assert sandbox_http.post("/v1/down-payment-invoices", json={}).status_code == 403
    pdf = sandbox_http.get(f"/v1/down-payment-invoices/{doc['id']}/file", headers={"Accept": "*/*"})
    assert pdf.content.startswith(b"%PDF")
    assert sandbox_http.get(f"/v1/payments/{doc['id']}").json()["voucherType"] == "downpaymentinvoice"
    rows = sandbox_http.get("/v1/voucherlist", params={"voucherType": "downpaymentinvoice", "voucherStatus": "any"})
    assert rows.json()["totalElements"] == 1


def test_recurring_templates_list_sort_and_execution(sandbox_http, sandbox_app):
    state = sandbox_app.state.sandbox
    cid = sandbox_http.post("/v1/contacts", json=company_contact()).json()["id"]
    today = state.clock.today()
    soon = state.insert_document(
        ORG, "recurring-templates", _template(cid, "Müller", (today + timedelta(days=2)).isoformat())
    )
    later = state.insert_document(
        ORG, "recurring-templates", _template(cid, "Müller", (today + timedelta(days=40)).isoformat())
    )
    first = sandbox_http.get("/v1/recurring-templates", params={"sort": "nextExecutionDate,ASC", "size": 1}).json()
    assert first["content"][0]["id"] == soon["id"] and first["totalElements"] == 2
    assert sandbox_http.get("/v1/recurring-templates", params={"sort": "title,ASC"}).status_code == 400
    assert sandbox_http.post("/v1/recurring-templates", json={}).status_code == 403
    state.clock.advance(days=3)
    invoices = sandbox_http.get("/v1/voucherlist", params={"voucherType": "invoice", "voucherStatus": "open"}).json()
    assert invoices["totalElements"] == 1
    inv = sandbox_http.get(f"/v1/invoices/{invoices['content'][0]['id']}").json()
    assert inv["recurringTemplateId"] == soon["id"] and inv["voucherNumber"].startswith("RE")
    tpl = sandbox_http.get(f"/v1/recurring-templates/{soon['id']}").json()
    assert tpl["recurringTemplateSettings"]["lastExecutionDate"] == (today + timedelta(days=2)).isoformat()
    assert tpl["recurringTemplateSettings"]["nextExecutionDate"] > (today + timedelta(days=3)).isoformat()
    assert sandbox_http.get(f"/v1/recurring-templates/{later['id']}").json()["version"] == later["version"]


def test_a_template_past_its_end_date_is_ended_as_a_change(sandbox_app):
    state = sandbox_app.state.sandbox
    today = state.clock.today()
    tpl = state.insert_document(
        ORG,
        "recurring-templates",
        _template(None, "Müller", today.isoformat(), endDate=(today - timedelta(days=1)).isoformat()),
    )
    version = tpl["version"]
    assert state.run_recurring_templates() == []
    stored = state.store.get(ORG, "recurring-templates", tpl["id"])
    assert stored["recurringTemplateSettings"]["executionStatus"] == "ENDED"
    assert stored["version"] == version + 1
    assert ("recurring-template.changed", tpl["id"]) in [(e.event_type, e.resource_id) for e in state.events.history]
