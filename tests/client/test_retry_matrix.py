"""Each row of the retry matrix (docs/client.md), over real HTTP against the served sandbox's fault injection,
plus the header variants the sandbox does not produce (429 without Retry-After, Retry-After as an HTTP date)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from lexflow.lexware.client import CallRecord, LexwareClient, RetryPolicy
from lexflow.transport import errors
from tests.client.test_operations import customer, doc

FAST = RetryPolicy(max_attempts=4, backoff_base=0.05, backoff_cap=0.2)


@pytest.fixture
def served(served_sandbox):
    control = served_sandbox.control
    control.reset()
    yield served_sandbox
    control.clear_faults()


@pytest.fixture
def client(served) -> Iterator[LexwareClient]:
    with LexwareClient(
        api_key=served.api_key, base_url=served.url, rate_limit=0, retry=FAST, settle_delay=0, timeout=10
    ) as c:
        yield c


def _records(client: LexwareClient) -> list[CallRecord]:
    records: list[CallRecord] = []
    client.add_call_listener(records.append)
    return records


# ---------------------------------------------------------------------------------------------- 429
def test_429_with_retry_after_is_honoured(served, client: LexwareClient) -> None:
    served.control.faults("GET /v1/profile", "429", count=1)
    records = _records(client)
    start = time.monotonic()
    assert client.profile.get().company_name
    assert time.monotonic() - start >= 0.95  # the sandbox sends Retry-After: 1
    assert [(r.status, r.attempt) for r in records] == [(429, 1), (200, 2)]


def test_429_on_post_is_retried_without_duplicate(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/contacts", "429", count=1)
    cid = customer(client)
    assert [c.id for c in client.contacts.list(name="Musterkunde GmbH")] == [cid]


def _mock_client(handler) -> LexwareClient:
    return LexwareClient(
        api_key="k", base_url="http://mock", rate_limit=0, transport=httpx.MockTransport(handler), retry=FAST
    )


def test_429_without_retry_after_backs_off_then_gives_up() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        return httpx.Response(429, json={"message": "Too Many Requests"})

    with _mock_client(handler) as c, pytest.raises(errors.RateLimited, match="2 requests per second"):
        c.profile.get()
    assert len(calls) == FAST.max_attempts
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(g >= 0.02 for g in gaps)  # jittered exponential backoff, never a hot loop


def test_retry_after_http_date() -> None:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
            return httpx.Response(429, headers={"Retry-After": when}, json={"message": "slow down"})
        return httpx.Response(200, json={"companyName": "X"})

    start = time.monotonic()
    with _mock_client(handler) as c:
        assert c.profile.get().company_name == "X"
    assert time.monotonic() - start >= 0.9  # the HTTP date (whole seconds) was waited for


# ---------------------------------------------------------------------------------------------- idempotent methods
def test_503_then_success_on_get(served, client: LexwareClient) -> None:
    served.control.faults("GET /v1/profile", "503", count=2)
    records = _records(client)
    assert client.profile.get().organization_id
    assert [r.status for r in records] == [503, 503, 200]


def test_dropped_connection_on_put_is_retried(served, client: LexwareClient) -> None:
    cid = customer(client)
    served.control.faults("PUT /v1/contacts/{id}", "drop", count=1)
    client.contacts.update(cid, {"note": "after a drop"})
    assert client.contacts.get(cid).note == "after a drop"


def test_lost_put_answer_does_not_apply_a_change_twice(served, client: LexwareClient) -> None:
    """The PUT commits, its answer is a 504, the retried PUT conflicts on the version: the record already holds the
    change, so an appending function must not run against it again."""
    cid = customer(client)
    served.control.faults("PUT /v1/contacts/{id}", "504_after_commit", count=1)
    records = _records(client)

    def append(contact) -> None:
        contact.note = (contact.note or "") + "[paid]"

    result = client.contacts.update(cid, append)
    stored = client.contacts.get(cid)
    assert stored.note == "[paid]"
    assert result.version == stored.version
    assert [r.method for r in records if r.path == f"/v1/contacts/{cid}"].count("PUT") == 2  # the retry, no third


def test_get_gives_up_with_server_error(served, client: LexwareClient) -> None:
    served.control.faults("GET /v1/profile", "500", count=10)
    with pytest.raises(errors.ServerError):
        client.profile.get()


# ---------------------------------------------------------------------------------------------- POST
def _count_invoices(client: LexwareClient) -> int:
    return len(list(client.voucherlist.iter(voucher_type="invoice", voucher_status="any")))


def test_504_after_commit_on_post_is_settled_by_lookup(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/contacts", "504_after_commit", count=1)
    records = _records(client)
    cid = customer(client, "Settled GmbH", "settled@example.org")
    assert [c.id for c in client.contacts.list(email="settled@example.org")] == [cid]  # exactly one: no duplicate
    assert [r.method for r in records if r.path == "/v1/contacts"][:2] == ["POST", "GET"]  # the lookup, no re-POST


def test_504_on_subscription_in_mixed_case_is_settled_by_lookup(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/event-subscriptions", "504_after_commit", count=1)
    created = client.event_subscriptions.create("Contact.Changed", "http://127.0.0.1:9/hook")
    subs = client.event_subscriptions.list()
    assert [(s.subscription_id, s.event_type) for s in subs] == [(created.id, "contact.changed")]  # no duplicate


def test_504_on_document_settled_by_correlation_ref(served, client: LexwareClient) -> None:
    cid = customer(client)
    served.control.faults("POST /v1/invoices", "504_after_commit", count=1)
    result = client.invoices.create(doc(cid, remark="Order SHOP-4711"), finalize=True, correlation_ref="SHOP-4711")
    assert client.invoices.get(result.id).remark == "Order SHOP-4711"
    assert _count_invoices(client) == 1


def test_504_on_document_without_reference_is_ambiguous_and_not_repeated(served, client: LexwareClient) -> None:
    cid = customer(client)
    served.control.faults("POST /v1/invoices", "504_after_commit", count=1)
    with pytest.raises(errors.AmbiguousWrite, match="NOT repeated") as exc:
        client.invoices.create(doc(cid), finalize=True)
    assert "voucher list" in str(exc.value)
    assert _count_invoices(client) == 1  # it did happen once, and was not duplicated


def test_500_on_post_lookup_finds_nothing_then_one_retry(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/vouchers", "500", count=1)
    from tests.client.test_operations import _voucher

    vid = client.vouchers.create(_voucher("RE-500")).id
    assert client.vouchers.find_by_number("RE-500").id == vid  # type: ignore[union-attr]


def test_dropped_post_is_looked_up_but_never_repeated(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/event-subscriptions", "drop", count=1)
    records = _records(client)
    with pytest.raises(errors.AmbiguousWrite, match="lookup did not settle it"):
        client.event_subscriptions.create("contact.changed", "http://127.0.0.1:9/x")
    # the write may still be in flight after a dropped connection: a miss proves nothing, so no second POST
    assert [r.method for r in records] == ["POST", "GET"]
    assert client.event_subscriptions.list() == []


def test_upload_is_retried_because_the_server_deduplicates(served, client: LexwareClient) -> None:
    served.control.faults("POST /v1/files", "503", count=1)
    up = client.files.upload(b"%PDF-1.4 retry\n%%EOF", "r.pdf")
    assert up.voucher_id


# ---------------------------------------------------------------------------------------------- optimistic locking
def test_contact_version_conflict_retried_once(served, client: LexwareClient) -> None:
    cid = customer(client)
    other = LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0)
    state = {"calls": 0}

    def change(c) -> None:
        state["calls"] += 1
        if state["calls"] == 1:  # a concurrent writer bumps the version between our GET and PUT
            other.contacts.update(cid, {"note": "theirs"})
        c.company.name = "Ours GmbH"

    records = _records(client)
    client.contacts.update(cid, change)
    final = client.contacts.get(cid)
    assert final.company is not None and final.company.name == "Ours GmbH" and final.note == "theirs"
    assert [r.status for r in records if r.method == "PUT"] == [406, 200]  # contacts answer a stale version with 406
    other.close()


def test_article_conflict_twice_raises(served, client: LexwareClient) -> None:
    aid = client.articles.create(
        {
            "title": "A",
            "type": "SERVICE",
            "unitName": "h",
            "price": {"leadingPrice": "NET", "netPrice": 1, "taxRate": 19},
        }
    ).id
    other = LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0)

    def always_race(a) -> None:
        other.articles.update(aid, {"description": f"theirs {time.monotonic()}"})
        a.title = "ours"

    records = _records(client)
    with pytest.raises(errors.VersionConflict, match="current version"):
        client.articles.update(aid, always_race)
    assert [r.status for r in records if r.method == "PUT"] == [409, 409]
    other.close()


def test_listener_never_sees_query_or_auth(served, client: LexwareClient) -> None:
    records = _records(client)
    list(client.contacts.list(email="secret@example.org"))
    assert records and all("?" not in r.path and "secret" not in repr(r) for r in records)
    assert served.api_key not in repr(records)


# ---------------------------------------------------------------------------------------------- error bodies, live
def test_error_bodies_from_the_sandbox(served, client: LexwareClient) -> None:
    bad = LexwareClient(api_key="wrong-key", base_url=served.url, rate_limit=0)
    with pytest.raises(errors.Unauthorized, match="LEXWARE_API_KEY"):  # gateway {message}
        bad.profile.get()
    bad.close()
    with pytest.raises(errors.ValidationFailed) as legacy:  # IssueList (contacts)
        client.contacts.create(
            {"roles": {"customer": {}}, "company": {"name": "Xyz"}, "addresses": {"billing": [{"countryCode": "XX"}]}}
        )
    assert legacy.value.fields == ["addresses.billing[0].countryCode"]
    body = doc("00000000-0000-4000-8000-000000000000")
    with pytest.raises(errors.ValidationFailed) as regular:  # regular {details}
        client.invoices.create(body)
    assert regular.value.fields == ["address.contactId"] and regular.value.status == 406
    with pytest.raises(errors.ValidationFailed, match="250") as query:
        client.voucherlist.page(size=500)
    assert query.value.status == 400
    partner = LexwareClient(api_key=served.api_key, base_url=served.url, rate_limit=0, allow_partner_endpoints=True)
    with pytest.raises(errors.Forbidden, match="permission"):  # a plain key on the partner endpoint
        partner.transaction_assignment_hints.create("00000000-0000-4000-8000-000000000000", "pp-1")
    partner.close()


def test_504_on_dunning_settled_through_the_invoice(served, client: LexwareClient) -> None:
    cid = customer(client)
    iid = client.invoices.create(doc(cid), finalize=True).id
    served.control.faults("POST /v1/dunnings", "504_after_commit", count=1)
    result = client.dunnings.create(
        doc(cid, remark="Mahnung M-77"), preceding_sales_voucher_id=iid, correlation_ref="M-77"
    )
    assert client.dunnings.get(result.id).remark == "Mahnung M-77"
    related = client.invoices.get(iid).related_vouchers or []
    assert [r.id for r in related if (r.voucher_type or "").lower() == "dunning"] == [result.id]  # exactly one
