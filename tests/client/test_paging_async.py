"""Paging past the 10,000-entry window, the async client, and `connect()` to the embedded sandbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from lexflow.lexware.client import AsyncLexwareClient, LexwareClient, connect, connect_async
from lexflow.settings import LexflowSettings
from lexflow.transport import errors


class FakeVoucherlist:
    """A voucherlist that behaves like the API's: 10,000-entry window, totals capped, yyyy-MM-dd filters."""

    def __init__(self, n: int, days: int = 400) -> None:
        start = date(2025, 1, 1)
        self.rows = [
            {
                "id": str(uuid.UUID(int=i)),
                "voucherType": "invoice",
                "voucherStatus": "open",
                "voucherDate": (start + timedelta(days=i % days)).isoformat(),
            }
            for i in range(n)
        ]
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        q = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        assert q["voucherType"] == "invoice" and q["voucherStatus"] == "open"
        lo, hi = q.get("voucherDateFrom", "0000-00-00"), q.get("voucherDateTo", "9999-99-99")
        rows = sorted((r for r in self.rows if lo <= r["voucherDate"] <= hi), key=lambda r: (r["voucherDate"], r["id"]))
        page, size = int(q.get("page", 0)), int(q.get("size", 25))
        if (page + 1) * size > 10_000:
            return httpx.Response(400, json={"status": 400, "message": "Maximum search window size exceeded"})
        content = rows[page * size : (page + 1) * size]
        total = min(len(rows), 10_000)
        last = (page + 1) * size >= total
        return httpx.Response(
            200,
            json={
                "content": content,
                "totalElements": total,
                "totalPages": -(-total // size),
                "number": page,
                "size": size,
                "numberOfElements": len(content),
                "first": page == 0,
                "last": last,
            },
        )


def test_voucherlist_iter_splits_the_date_range_past_the_window() -> None:
    fake = FakeVoucherlist(25_000)
    with LexwareClient(api_key="k", base_url="http://fake", rate_limit=0, transport=httpx.MockTransport(fake)) as c:
        ids = [row.id for row in c.voucherlist.iter(voucher_type="invoice", voucher_status="open")]
    assert len(ids) == 25_000 and len(set(ids)) == 25_000
    assert fake.requests < 25_000 / 250 + 40  # probes for splitting stay few


def test_plain_pages_stop_at_the_window_with_a_clear_error() -> None:
    fake = FakeVoucherlist(12_000)
    with LexwareClient(api_key="k", base_url="http://fake", rate_limit=0, transport=httpx.MockTransport(fake)) as c:
        with pytest.raises(errors.ValidationFailed, match="Narrow the filters"):
            c.voucherlist.page(voucher_type="invoice", voucher_status="open", page=40, size=250)


def test_voucherlist_filters_need_plain_dates() -> None:
    with LexwareClient(
        api_key="k", base_url="http://fake", rate_limit=0, transport=httpx.MockTransport(FakeVoucherlist(1))
    ) as c:
        rows = list(
            c.voucherlist.iter(voucher_type="invoice", voucher_status="open", voucher_date_from=date(2025, 1, 1))
        )
        assert len(rows) == 1
        with pytest.raises(errors.InvalidRequest, match="yyyy-MM-dd"):
            c.voucherlist.page(voucher_type="invoice", voucher_status="open", voucher_date_from="2025-01-01T00:00:00")
        with pytest.raises(errors.InvalidRequest, match="overdue"):
            c.voucherlist.page(voucher_status="open,overdue")


def test_paging_past_10000_against_the_sandbox(served_sandbox) -> None:
    pytest.importorskip("lexflow.lexware.sandbox.seed")
    served_sandbox.control.reset()
    counts = served_sandbox.control.seed(vouchers=10_400, seed=3)
    with LexwareClient(api_key=served_sandbox.api_key, base_url=served_sandbox.url, rate_limit=0) as c:
        first = c.voucherlist.page(voucher_type="any", voucher_status="any", size=1)
        assert first.total_elements == 10_000  # capped by the window
        ids = [r.id for r in c.voucherlist.iter(voucher_type="any", voucher_status="any")]
    assert len(ids) == len(set(ids)) > 10_000, counts


# ---------------------------------------------------------------------------------------------- async
async def test_async_client_shares_the_implementation(sandbox_app) -> None:
    from lexflow.lexware.sandbox import DEFAULT_API_KEY

    async with AsyncLexwareClient(
        api_key=DEFAULT_API_KEY,
        base_url="http://sandbox.test",
        rate_limit=0,
        transport=httpx.ASGITransport(app=sandbox_app),
    ) as c:
        profile = await c.profile.get()
        assert profile.company_name
        body = {"roles": {"customer": {}}, "person": {"firstName": "Erika", "lastName": "Mustermann"}}
        results = await asyncio.gather(*(c.contacts.create(body) for _ in range(3)))
        assert len({r.id for r in results}) == 3
        names = [x.display_name async for x in c.contacts.list(name="Mustermann")]
        assert names == ["Erika Mustermann"] * 3
        await c.contacts.update(results[0].id, {"note": "async"})
        assert (await c.contacts.get(results[0].id)).note == "async"
        with pytest.raises(errors.NotFound):
            await c.invoices.get(str(uuid.uuid4()))


# ---------------------------------------------------------------------------------------------- connect()
def test_connect_without_key_uses_the_embedded_sandbox_with_persistent_state(tmp_path: Path) -> None:
    settings = LexflowSettings(LEXFLOW_SANDBOX_DB=tmp_path / "sb.db")
    assert settings.api_key is None
    with connect(settings) as c:
        assert "embedded sandbox" in c.backend_description
        cid = c.contacts.create({"roles": {"vendor": {}}, "company": {"name": "Persist AG"}}).id
    with connect(settings) as c:  # a new process-like client sees the same state
        assert c.contacts.get(cid).company.name == "Persist AG"  # type: ignore[union-attr]


def test_connect_with_key_targets_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = LexflowSettings(LEXWARE_API_KEY="secret-test-key", LEXWARE_BASE_URL="https://api.lexware.io")
    with connect(settings) as c:
        assert c.backend_description == "Lexware Office API at https://api.lexware.io"
        assert "secret-test-key" not in repr(c.api_key)
        assert "secret-test-key" not in repr(vars(c))  # the account's limits are keyed by a digest, not the key


def test_sync_bridge_is_thread_safe(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with connect(LexflowSettings(LEXFLOW_SANDBOX_DB=tmp_path / "t.db")) as c:
        with ThreadPoolExecutor(4) as pool:
            names = list(pool.map(lambda _: c.profile.get().company_name, range(20)))
    assert len(set(names)) == 1 and names[0]


async def test_connect_async_sandbox(tmp_path: Path) -> None:
    async with connect_async(LexflowSettings(LEXFLOW_SANDBOX_DB=tmp_path / "a.db")) as c:
        assert "embedded sandbox" in c.backend_description
        assert await c.countries.list()
