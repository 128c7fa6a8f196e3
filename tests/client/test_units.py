"""Pure parts of the client: encoding, error bodies, retry-after, token bucket, models, write rules, links."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lexflow.lexware.client import deeplinks
from lexflow.lexware.client.paging import split_range
from lexflow.lexware.client.signature import verify_webhook_signature
from lexflow.lexware.models import Contact, Invoice, Payment, Voucher, format_timestamp
from lexflow.lexware.models.write import check_write, non_eur_fields
from lexflow.transport import errors
from lexflow.transport.base import encode_query
from lexflow.transport.limits import TokenBucket, account_key, shared_bucket
from lexflow.transport.retry import parse_retry_after
from tests.sandbox.helpers import invoice_body


# ---------------------------------------------------------------------- query encoding (docs/lexware.md#query-encoding)
def test_text_search_is_html_encoded_then_url_encoded() -> None:
    assert encode_query({"name": "johnson & partner"}) == "name=johnson%20%26amp%3B%20partner"
    assert encode_query({"email": "<a>@b.de"}) == "email=%26lt%3Ba%26gt%3B%40b.de"


def test_other_params_are_only_url_encoded_and_none_dropped() -> None:
    q = encode_query(
        {"articleNumber": "A&B", "customer": True, "page": 0, "vendor": None, "voucherType": ["invoice", "creditnote"]}
    )
    assert q == "articleNumber=A%26B&customer=true&page=0&voucherType=invoice%2Ccreditnote"


# -------------------------------------------------------------------------------- error bodies (docs/lexware.md#errors)
def _resp(status: int, body: object, method: str = "GET", path: str = "/v1/x") -> httpx.Response:
    req = httpx.Request(method, f"https://api.lexware.io{path}")
    if isinstance(body, bytes | str) and not isinstance(body, str):
        return httpx.Response(status, content=body, request=req)
    return httpx.Response(status, json=body, request=req)


def test_gateway_body() -> None:
    err = errors.error_from_response(_resp(401, {"message": "Unauthorized"}))
    assert isinstance(err, errors.Unauthorized)
    assert err.message == "Unauthorized" and "LEXWARE_API_KEY" in str(err)


def test_legacy_issue_list_with_field_paths() -> None:
    body = {"IssueList": [{"i18nKey": "missing_entity", "source": "company.name", "type": "validation_failure"}]}
    err = errors.error_from_response(_resp(406, body, "POST", "/v1/contacts"))
    assert isinstance(err, errors.ValidationFailed)
    assert err.fields == ["company.name"]
    assert err.issues[0].code == "missing_entity"
    assert "company.name" in str(err) and "Fix the fields" in str(err)


def test_legacy_version_issue_is_a_version_conflict() -> None:
    body = {"IssueList": [{"i18nKey": "invalid_value", "source": "version", "type": "validation_failure"}]}
    err = errors.error_from_response(_resp(406, body, "PUT", "/v1/contacts/1"))
    assert isinstance(err, errors.VersionConflict)


def test_regular_details_body() -> None:
    body = {
        "status": 406,
        "message": "Validation failed for request.",
        "details": [
            {
                "violation": "NOTNULL",
                "field": "lineItems[0].unitPrice.taxRatePercentage",
                "message": "darf nicht leer sein",
            }
        ],
    }
    err = errors.error_from_response(_resp(406, body, "POST", "/v1/invoices"))
    assert isinstance(err, errors.ValidationFailed)
    assert err.fields == ["lineItems[0].unitPrice.taxRatePercentage"]
    assert err.issues[0].code == "NOTNULL"


def test_flattened_file_issue_and_bare_string() -> None:
    err = errors.error_from_response(_resp(406, {"i18nKey": "max_file_size_exceeded", "source": "file"}))
    assert err.issues[0].code == "max_file_size_exceeded"
    err2 = errors.error_from_response(_resp(400, "Invalid or missing upload type."))
    assert isinstance(err2, errors.ValidationFailed) and "upload type" in err2.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (402, errors.PaymentRequired),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (429, errors.RateLimited),
        (503, errors.ServerError),
    ],
)
def test_status_mapping(status: int, cls: type) -> None:
    assert isinstance(errors.error_from_response(_resp(status, {"message": None})), cls)


def test_rate_limited_carries_retry_after() -> None:
    req = httpx.Request("GET", "https://api.lexware.io/v1/profile")
    err = errors.error_from_response(
        httpx.Response(429, headers={"Retry-After": "3"}, json={"message": "x"}, request=req)
    )
    assert isinstance(err, errors.RateLimited) and err.retry_after == 3.0


def test_409_on_put_is_version_conflict_but_not_on_get() -> None:
    assert isinstance(errors.error_from_response(_resp(409, {"message": "conflict"}, "PUT")), errors.VersionConflict)
    assert not isinstance(errors.error_from_response(_resp(409, {"message": "draft"}, "GET")), errors.VersionConflict)


# ------------------------------------------------------------------------------------------ retry-after
def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# ------------------------------------------------------------------------------------------ token bucket
def test_bucket_spaces_requests_across_threads() -> None:
    bucket = TokenBucket(rate=50, capacity=1)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    # 40 tokens at 50/s with a burst of 1: at least 39/50 s
    assert elapsed >= 39 / 50 - 0.02
    assert elapsed < 1.5


async def test_bucket_is_shared_by_asyncio_tasks() -> None:
    bucket = TokenBucket(rate=40, capacity=1)
    start = time.monotonic()
    await asyncio.gather(*(bucket.aacquire() for _ in range(20)))
    assert time.monotonic() - start >= 19 / 40 - 0.02


def test_shared_bucket_per_account_and_key_not_stored() -> None:
    a = shared_bucket("https://api.lexware.io", "secret-key-1", 2)
    assert shared_bucket("https://api.lexware.io/", "secret-key-1", 2) is a
    assert shared_bucket("https://api.lexware.io", "secret-key-2", 2) is not a
    assert "secret-key-1" not in account_key("https://api.lexware.io", "secret-key-1")


# ------------------------------------------------------------------------------------------ models
def test_unknown_fields_and_enum_values_survive_round_trip() -> None:
    raw = {
        "id": "c1",
        "version": 4,
        "roles": {"customer": {"number": 10001}},
        "company": {"name": "ACME", "futureField": {"x": 1}},
        "brandNewTopLevel": [1, 2],
        "archived": False,
    }
    c = Contact.model_validate(raw)
    c.note = "changed"
    out = c.to_api()
    assert out["company"]["futureField"] == {"x": 1}
    assert out["brandNewTopLevel"] == [1, 2]
    assert out["note"] == "changed" and out["version"] == 4


def test_numbers_as_strings_and_unknown_status() -> None:
    p = Payment.model_validate({"openAmount": "1337.00", "paymentStatus": "somethingNew", "paymentItems": []})
    assert str(p.open_amount) == "1337.00"
    assert p.to_api()["openAmount"] == 1337.0
    assert p.payment_status == "somethingNew"


def test_timestamp_and_plain_date_inputs() -> None:
    inv = Invoice(voucher_date=date(2026, 3, 1))
    assert inv.voucher_date == "2026-03-01T00:00:00.000+01:00"
    assert format_timestamp(datetime(2026, 7, 1, 12, 30, tzinfo=UTC)) == "2026-07-01T12:30:00.000+00:00"
    assert Voucher(voucher_date=date(2026, 3, 1)).voucher_date == "2026-03-01"


# ------------------------------------------------------------------------------------------ write rules
def test_valid_invoice_passes() -> None:
    assert check_write("invoice", invoice_body()) == []


@pytest.mark.parametrize(
    "bad", ["2026-03-01", "2026-03-01T00:00:00", "2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000+0100"]
)
def test_sales_timestamps_need_millis_and_offset(bad: str) -> None:
    problems = check_write("invoice", invoice_body(voucherDate=bad))
    assert [p[0] for p in problems] == ["voucherDate"]


def test_missing_required_and_lengths() -> None:
    body = invoice_body(title="x" * 26)
    del body["shippingConditions"]
    fields = {p[0] for p in check_write("invoice", body)}
    assert fields == {"shippingConditions", "title"}


def test_contact_rules() -> None:
    fields = {
        p[0] for p in check_write("contact", {"company": {"name": "A"}, "person": {"lastName": "B"}, "roles": {}})
    }
    assert {"company", "roles"} <= fields
    many = {"company": {"name": "A"}, "roles": {"customer": {}}, "addresses": {"billing": [{}, {}]}}
    assert [p[0] for p in check_write("contact", many)] == ["addresses.billing"]


def test_voucher_plain_dates() -> None:
    body = {
        "type": "purchaseinvoice",
        "taxType": "gross",
        "voucherNumber": "R-1",
        "voucherDate": "2026-03-01T00:00:00",
        "totalGrossAmount": 119,
        "totalTaxAmount": 19,
        "useCollectiveContact": True,
        "voucherItems": [{"amount": 119, "taxAmount": 19, "taxRatePercent": 19, "categoryId": "x"}],
    }
    assert [p[0] for p in check_write("voucher", body)] == ["voucherDate"]
    body["voucherDate"] = "2026-03-01"
    assert check_write("voucher", body) == []


def test_non_eur_is_found_anywhere() -> None:
    body = invoice_body(totalPrice={"currency": "USD"})
    body["lineItems"][0]["unitPrice"]["currency"] = "CHF"
    assert non_eur_fields(body) == ["lineItems[0].unitPrice.currency", "totalPrice.currency"]


# ------------------------------------------------------------------------------------------ paging helpers
def test_split_range() -> None:
    assert split_range("2026-01-01", "2026-01-10") == [("2026-01-01", "2026-01-05"), ("2026-01-06", "2026-01-10")]
    assert split_range("2026-01-01", "2026-01-01") is None


# ------------------------------------------------------------------------------------------ deeplinks
def test_deeplinks() -> None:
    assert deeplinks.view_url("invoices", "abc") == "https://app.lexware.de/permalink/invoices/view/abc"
    assert deeplinks.edit_url("credit_notes", "x") == "https://app.lexware.de/permalink/credit-notes/edit/x"
    assert deeplinks.view_url("downpaymentinvoice", "d").endswith("/permalink/invoices/view/d")
    assert deeplinks.view_url("recurring_templates", "r").endswith("/permalink/recurring-templates/edit/r")
    with pytest.raises(errors.UnsupportedByApi):
        deeplinks.edit_url("contacts", "c")


# ------------------------------------------------------------------------------------------ webhook signature
def test_signature_sha512_pkcs1v15() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = b'{"organizationId":"o","eventType":"invoice.created","resourceId":"r","eventDate":"x"}'
    sig = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA512())).decode()
    assert verify_webhook_signature(body, sig, pem)
    assert not verify_webhook_signature(body + b" ", sig, pem)
    assert not verify_webhook_signature(body, "not base64!", pem)
    sha256 = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
    assert not verify_webhook_signature(body, sha256, pem)


# ------------------------------------------------------------------------------------------ update never drops fields
def test_update_puts_back_unknown_fields_with_current_version() -> None:
    import json

    from lexflow.lexware.client import LexwareClient

    record = {
        "id": "v1",
        "version": 7,
        "type": "purchaseinvoice",
        "voucherStatus": "unchecked",
        "voucherNumber": "R-1",
        "voucherDate": "2026-03-01T00:00:00.000+01:00",
        "totalGrossAmount": 119,
        "totalTaxAmount": 19,
        "taxType": "gross",
        "useCollectiveContact": True,
        "voucherItems": [{"amount": 119, "taxAmount": 19, "taxRatePercent": 19, "categoryId": "c"}],
        "files": ["f1", "f2"],
        "someFutureField": {"keep": True},
    }
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=record)
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"id": "v1", "version": 8})

    with LexwareClient(api_key="k", base_url="http://m", rate_limit=0, transport=httpx.MockTransport(handler)) as c:
        assert c.vouchers.update("v1", {"remark": "checked"}).version == 8
        c.vouchers.update("v1", lambda v: setattr(v, "remark", "via function"))
    for body in sent:
        assert body["someFutureField"] == {"keep": True}
        assert body["files"] == ["f1", "f2"]  # attachments kept (a missing id would delete the file)
        assert body["version"] == 7
        assert "voucherStatus" not in body  # echoing it is refused unless it is "open"
        assert body["voucherDate"] == "2026-03-01"  # vouchers take plain dates on write
    assert [b["remark"] for b in sent] == ["checked", "via function"]


def test_in_flight_gate_caps_concurrent_sends() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lexflow.lexware.client import LexwareClient

    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json={"companyName": "X"})

    clients = [
        LexwareClient(
            api_key="gate-key", base_url="http://gate", rate_limit=1000, transport=httpx.MockTransport(handler)
        )
        for _ in range(4)
    ]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: clients[i % 4].profile.get(), range(40)))
    assert state["peak"] == 2  # the account's clients share one gate of 2 (the server's burst)


def test_links_to_the_web_app_only_for_the_real_api():
    """A sandbox id in a permalink would open a "not found" page in the real web app: no link there."""
    from types import SimpleNamespace

    from lexflow.lexware.client.deeplinks import link_for

    real = SimpleNamespace(base_url="https://api.lexware.io")
    assert link_for(real, "invoices", "abc") == "https://app.lexware.de/permalink/invoices/view/abc"
    for sandbox in ("http://sandbox.local", "http://127.0.0.1:8484", "http://localhost:9000"):
        assert link_for(SimpleNamespace(base_url=sandbox), "invoices", "abc") is None
