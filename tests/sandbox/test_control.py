"""The control API and its Python wrapper: clock, UI-only actions, key revocation, auth; statement export."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import mt940
import pytest
from starlette.testclient import TestClient

from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
from lexflow.testing.sandbox_control import SandboxControl, SandboxControlError

from .helpers import create, invoice_body


@pytest.fixture
def http() -> Iterator[TestClient]:
    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None))
    with TestClient(app, base_url="http://sandbox.test", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as c:
        yield c


@pytest.fixture
def control(http: TestClient) -> SandboxControl:
    return SandboxControl(http, DEFAULT_API_KEY)


def test_control_needs_the_key_and_is_never_rate_limited() -> None:
    limited = create_app(SandboxConfig(rate_limit=2.0, rate_burst=1))
    with TestClient(limited, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        assert http.get("/_sandbox/clock", headers={"Authorization": "Bearer wrong"}).status_code == 401
        control = SandboxControl(http, DEFAULT_API_KEY)
        assert all(control.clock()["offsetDays"] == 0 for _ in range(10))  # 10 calls at a 2 req/s limit
        assert [http.get("/v1/profile").status_code for _ in range(3)].count(429) >= 1


def test_clock_moves_invoices_to_overdue(http: TestClient, control: SandboxControl) -> None:
    now = control.clock()["now"]
    body = invoice_body(voucherDate=now, shippingConditions={"shippingType": "delivery", "shippingDate": now})
    invoice = create(http, "/v1/invoices", body, finalize="true")
    params = {"voucherType": "invoice", "voucherStatus": "overdue"}
    assert http.get("/v1/voucherlist", params=params).json()["totalElements"] == 0
    assert control.clock_advance(days=60)["offsetDays"] == 60
    assert [r["id"] for r in http.get("/v1/voucherlist", params=params).json()["content"]] == [invoice["id"]]


def test_payments_partial_then_cash_discount(http: TestClient, control: SandboxControl) -> None:
    invoice = create(http, "/v1/invoices", invoice_body(), finalize="true")
    gross = Decimal(str(invoice["totalPrice"]["totalGrossAmount"]))  # 119.00
    part = control.assign_payment(invoice["id"], amount="19.00", on="2026-03-05", kind="manual")
    assert part["voucherStatus"] == "open" and Decimal(str(part["openAmount"])) == gross - 19
    done = control.assign_payment(invoice["id"], cash_discount_percentage=2)
    assert done["voucherStatus"] == "paid" and done["openAmount"] == 0
    kinds = [p["paymentItemType"] for p in http.get(f"/v1/payments/{invoice['id']}").json()["paymentItems"]]
    assert kinds == ["manualPayment", "partPaymentFinancialTransaction", "cashDiscount"]
    with pytest.raises(SandboxControlError) as err:
        control.assign_payment(invoice["id"], amount=1)
    assert err.value.status == 409


def test_void_quotation_and_draft_actions(http: TestClient, control: SandboxControl) -> None:
    invoice = create(http, "/v1/invoices", invoice_body(), finalize="true")
    assert control.void(invoice["id"])["voucherStatus"] == "voided"
    quote = dict(invoice_body(), expirationDate="2026-04-01T00:00:00.000+02:00")
    quote.pop("shippingConditions")
    q = create(http, "/v1/quotations", quote, finalize="true")
    assert control.accept_quotation(q["id"])["voucherStatus"] == "accepted"
    draft = create(http, "/v1/invoices", invoice_body())
    control.delete_draft("invoices", draft["id"])
    assert http.get(f"/v1/invoices/{draft['id']}").status_code == 404
    with pytest.raises(SandboxControlError) as err:
        control.delete_draft("invoices", invoice["id"])
    assert err.value.status == 409


def test_revoke_key(http: TestClient, control: SandboxControl) -> None:
    assert control.revoke_key(DEFAULT_API_KEY)["revoked"] is True
    assert http.get("/v1/profile").status_code == 401


def test_validation_errors_name_the_field(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as err:
        control.seed(vouchers=50_000)
    assert err.value.status == 400 and err.value.body["details"][0]["field"] == "vouchers"


# ------------------------------------------------------------------------------------------------ statements
def _seeded() -> tuple[TestClient, SandboxControl]:
    http = TestClient(create_app(SandboxConfig(rate_limit=0)), headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
    control = SandboxControl(http, DEFAULT_API_KEY)
    control.seed(vouchers=400, seed=11)
    return http, control


def _open_invoices(http: TestClient) -> dict[str, Any]:
    rows = http.get("/v1/voucherlist", params={"voucherType": "invoice", "voucherStatus": "open", "size": 250}).json()
    return {r["id"]: r for r in rows["content"]}


def test_camt053_without_noise_pays_every_open_invoice_exactly() -> None:
    http, control = _seeded()
    open_invoices = _open_invoices(http)
    out = control.bank_statement(format="camt053", noise=False)
    root = ET.fromstring(out["statement"].encode())
    entries = root.findall(".//{*}Ntry")
    truth = out["groundTruth"]
    assert len(entries) == len(truth) == len(open_invoices)
    for t in truth:
        (inv,) = t["invoiceIds"]
        assert t["class"] == "exact" and t["amounts"] == [open_invoices[inv]["openAmount"]]
        assert open_invoices[inv]["voucherNumber"] in str(ET.tostring(root, encoding="unicode"))


def test_mt940_with_noise_parses_and_ground_truth_matches() -> None:
    http, control = _seeded()
    open_invoices = _open_invoices(http)
    out = control.bank_statement(format="mt940", noise=True, seed=3, unrelated=6)
    assert control.bank_statement(format="mt940", noise=True, seed=3, unrelated=6) == out  # deterministic
    parsed = mt940.models.Transactions()
    parsed.parse(out["statement"])
    amounts = [Decimal(str(t.data["amount"].amount)) for t in parsed]
    truth = out["groundTruth"]
    assert amounts == [Decimal(str(t["amount"])) for t in truth]
    from lexflow.banking.readers import parse_statement

    read = parse_statement(out["statement"].encode())
    assert [t.transaction_id for t in read] == [t["transactionId"] for t in truth]  # joinable with matcher output
    classes = {t["class"] for t in truth}
    assert classes == {"exact", "partial", "none"}
    assert sum(1 for t in truth if t["class"] == "none" and t["amount"] < 0) >= 1
    assert any(len(t["invoiceIds"]) > 1 for t in truth)  # several invoices in one transfer
    paid_ids = [i for t in truth for i in t["invoiceIds"]]
    assert len(paid_ids) == len(set(paid_ids)) and set(paid_ids) <= set(open_invoices)
    assert len(paid_ids) < len(open_invoices)  # some stay unpaid
    for t in truth:
        for inv, amount in zip(t["invoiceIds"], t["amounts"], strict=True):
            due = open_invoices[inv]["openAmount"]
            assert (amount == due) if t["class"] == "exact" else (0 < amount < due)
        if t["invoiceIds"]:
            assert Decimal(str(t["amount"])) == sum(Decimal(str(a)) for a in t["amounts"])


def test_state_reset_also_clears_faults_webhook_queue_and_oauth_tokens(
    http: TestClient, control: SandboxControl
) -> None:
    from lexflow.lexware.sandbox import sandbox_state
    from lexflow.lexware.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from lexflow.lexware.sandbox.webhooks import dispatcher

    state = sandbox_state(http.app)
    dispatcher(state).time_scale = 1.0
    control.faults(route="GET /v1/profile", kind="503", count=5)
    http.post("/v1/event-subscriptions", json={"eventType": "contact.created", "callbackUrl": "http://127.0.0.1:9/x"})
    http.post("/v1/contacts", json={"version": 0, "roles": {"vendor": {}}, "company": {"name": "Reset GmbH"}})
    redirect = "https://partner.example/cb"
    auth = http.get("/oauth2/authorize", params={"client_id": DEFAULT_CLIENT_ID, "redirect_uri": redirect,
                                                 "response_type": "code"}, follow_redirects=False)  # fmt: skip
    code = auth.headers["location"].split("code=")[1].split("&")[0]
    token = http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code},
                      auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)).json()["access_token"]  # fmt: skip
    state.reset()  # what the served_sandbox fixture does
    assert http.get("/v1/profile").status_code == 200
    assert control.list_faults()["content"] == []
    assert http.get("/_sandbox/webhooks/deliveries").json() == {"content": [], "pending": 0, "timeScale": 1.0}
    assert http.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_finish_ocr(http: TestClient, control: SandboxControl) -> None:
    files = {"file": ("beleg.pdf", b"%PDF-1.4 sandbox", "application/pdf")}
    upload = http.post("/v1/files", files=files, data={"type": "voucher"})
    assert upload.status_code == 202, upload.text
    voucher_id = upload.json()["voucherId"]
    assert http.get(f"/v1/vouchers/{voucher_id}").json()["voucherStatus"] == "blank"
    done = control.finish_ocr(upload.json()["id"], voucherNumber="ER-77", totalGrossAmount=119.0)
    assert done["voucherStatus"] == "unchecked" and done["voucherNumber"] == "ER-77"
