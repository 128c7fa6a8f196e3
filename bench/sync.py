"""Benchmark: `sync_history` over a sandbox seeded with 12,000 vouchers, and Prefect's per-task overhead; with
`--provider`, the request count of a full and an incremental sync on that provider's own change mechanism.

    .venv/bin/python bench/sync.py            # writes bench/results/sync.json
    .venv/bin/python bench/sync.py --vouchers 2000 --out /tmp/sync.json   # a quicker look
    .venv/bin/python bench/sync.py --provider sevdesk     # writes bench/results/sync-sevdesk.json (xero, quickbooks)

`--provider` (sevdesk, xero, quickbooks): the sandbox served by uvicorn is seeded with `--customers` customers and
`--invoices` invoices through its own API (Xero: its control API), the sync engine runs (`HistorySync`, the steps
the flow runs as tasks; the flow adds no request), then `--changed` invoices get a payment and the sync runs again.
Every HTTP request of the client is counted by an httpx event hook and compared with the fewest requests any sync
needs on that API (see `provider_minimum`). For Xero the run is also set against the daily budget (5,000 per
tenant and day): how many full syncs of this size fit in a day, and that no request was refused (429).

The sync runs as the real Prefect flow (session-style test harness) against the sandbox served by uvicorn on
127.0.0.1, with the rate limit OFF (client and sandbox), so the run takes minutes, not hours. Every HTTP attempt is
counted through `client.add_call_listener`. The time at 2 req/s is DERIVED, not measured: requests / 2 s, which
is exact for a strictly rate-limited client whose requests each take less than 0.5 s. The floor is the minimum
number of requests any sync needs (contact pages + voucher-list pages + one detail per voucher) at 2 req/s.

Audit: the sync's reads leave one record per page or batch in the configured trail (here a fresh SQLite file in the
temp folder). The benchmark counts them, checks that every counted request is in exactly one record (so the audit
made no request of its own), times each append, and verifies the chain.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

RATE = 2.0  # requests per second of a Lexware Office account


class Counting:
    """Counts HTTP attempts by kind (method + path template) through the client's call listener."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, rec: Any) -> None:
        parts = str(rec.path).split("?")[0].strip("/").split("/")
        kind = "/".join(p if len(p) != 36 else "{id}" for p in parts)
        self.calls[f"{rec.method} /{kind}"] += 1

    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> dict[str, int]:
        out = dict(self.calls)
        self.calls.clear()
        return out


def minimum_requests(contacts: int, rows_per_list_window: list[int], details: int) -> int:
    """Contact pages + voucher-list pages (250 per page, per date window the 10,000 cap forces) + details."""
    return math.ceil(max(contacts, 1) / 250) + sum(math.ceil(max(n, 1) / 250) for n in rows_per_list_window) + details


class AppendTimer:
    """Times `AuditTrail.record` of one trail instance (the one the sync writes to)."""

    def __init__(self, trail: Any) -> None:
        self.seconds, self.count = 0.0, 0
        original = trail.record

        def timed(rec: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(rec)
            finally:
                self.seconds += time.perf_counter() - t
                self.count += 1

        trail.record = timed

    def take(self) -> dict[str, float]:
        out = {"appends": self.count, "append_seconds": round(self.seconds, 3),
               "append_ms_each": round(self.seconds / self.count * 1000, 2) if self.count else 0.0}  # fmt: skip
        self.seconds, self.count = 0.0, 0
        return out


def audit_figures(records: list[Any], requests: int, timer: AppendTimer) -> dict[str, Any]:
    calls = sum(len(r.http_calls) for r in records)
    return {
        "records": len(records),
        "records_by_action": dict(Counter(r.action for r in records)),
        "audited_http_calls": calls,
        "every_request_audited_once": calls == requests,
        **timer.take(),
    }


def prefect_overhead(n: int = 100, rounds: int = 7) -> dict[str, Any]:
    """Milliseconds per trivial task inside a flow, minus the same work as plain calls.

    Single flow runs on the test server stall for seconds now and then (its SQLite busy with the events of the
    previous run, other processes on a 2-core box), so the two flows alternate `rounds` times and the figure is
    taken from the fastest run of each (the orchestration cost without stalls); the medians are kept as well.
    """
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    def work(i: int) -> int:
        return i * 2

    small = task(work, name="small", cache_policy=NO_CACHE)

    @flow(name="overhead")
    def many() -> int:
        return sum(small(i) for i in range(n))

    @flow(name="overhead-empty")
    def none() -> int:
        return sum(work(i) for i in range(n))

    many()  # warm-up (first flow in a fresh server)
    none()
    runs, empty = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        many()
        runs.append(time.perf_counter() - t)
        t = time.perf_counter()
        none()
        empty.append(time.perf_counter() - t)
    runs.sort()
    empty.sort()
    return {
        "tasks": n,
        "rounds": rounds,
        "flow_seconds": [round(x, 3) for x in runs],
        "same_flow_without_tasks_seconds": [round(x, 3) for x in empty],
        "per_task_ms": round((runs[0] - empty[0]) / n * 1000, 2),
        "per_task_ms_from_medians": round((runs[rounds // 2] - empty[rounds // 2]) / n * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", choices=["lexware", "sevdesk", "xero", "quickbooks"], default="lexware")
    parser.add_argument("--vouchers", type=int, default=12_000, help="Lexware: vouchers the sandbox is seeded with")
    parser.add_argument("--customers", type=int, default=100, help="other providers: customers to create")
    parser.add_argument("--invoices", type=int, default=1_500, help="other providers: invoices to create")
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.provider != "lexware":
        result = provider_bench(args.provider, args.customers, args.invoices, args.changed)
        out = Path(args.out or Path(__file__).parent / "results" / f"sync-{args.provider}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result, indent=2))
        return
    args.out = args.out or str(Path(__file__).parent / "results" / "sync.json")

    import httpx
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from flows.sync_history import sync_history
    from lexflow.audit import AuditTrail, shared_trail
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.prefect.setup import ensure_rate_limit
    from lexflow.settings import get_settings
    from lexflow.sync import SyncStore
    from lexflow.testing.served import serve_in_thread
    from tasks.common import use_client

    sandbox = serve_in_thread(SandboxConfig(rate_limit=0, ocr_delay_seconds=None))
    url, key = sandbox.url, sandbox.api_key
    auth = {"Authorization": f"Bearer {key}"}
    t = time.perf_counter()
    httpx.post(
        f"{url}/_sandbox/seed", json={"vouchers": args.vouchers, "seed": 42}, headers=auth, timeout=600
    ).raise_for_status()
    seed_s = time.perf_counter() - t
    tmp = Path(tempfile.mkdtemp(prefix="lexflow-bench-"))
    db = f"sqlite:///{tmp / 'sync.db'}"
    audit_url = f"sqlite:///{tmp / 'audit.db'}"
    os.environ["LEXFLOW_DATABASE_URL"] = audit_url  # the configured trail of this run (never the working dir's)
    get_settings.cache_clear()
    timer = AppendTimer(shared_trail(audit_url))
    counter = Counting()
    result: dict[str, Any] = {"vouchers_seeded": args.vouchers, "seed_seconds": round(seed_s, 1)}

    with (
        prefect_test_harness(server_startup_timeout=90),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        result["prefect_overhead"] = prefect_overhead(100)  # first, on the fresh server
        ensure_rate_limit(10_000.0)  # "off" for the measurement; see the module docstring
        client = LexwareClient(api_key=key, base_url=url, rate_limit=0)
        client.add_call_listener(counter)
        with client, use_client(client):
            t = time.perf_counter()
            full = sync_history(database_url=db, batch_size=250)
            full_s = time.perf_counter() - t
            by_kind = counter.reset()
            store = SyncStore(db)
            contacts, vouchers = store.count("contacts"), store.count("vouchers")
            list_requests = sum(v for k, v in by_kind.items() if "voucherlist" in k)
            list_rows_per_window = [min(vouchers, 10_000)] + ([vouchers - 10_000] if vouchers > 10_000 else [])
            floor_req = minimum_requests(contacts, list_rows_per_window, vouchers)
            made = sum(by_kind.values())
            result["full"] = {
                "requests": made,
                "requests_by_kind": by_kind,
                "minimum_requests": floor_req,
                "overhead_requests": made - floor_req,
                "voucherlist_requests": list_requests,
                "contacts": contacts,
                "vouchers": vouchers,
                "documents": store.count("documents"),
                "wall_seconds_rate_limit_off": round(full_s, 1),
                "derived_seconds_at_2rps": round(made / RATE, 1),
                "floor_seconds_at_2rps": round(floor_req / RATE, 1),
                "report": {k: v for k, v in full.items() if k != "details_missing"},
                "audit": audit_figures(AuditTrail(audit_url).list(), made, timer),
            }
            seen = len(AuditTrail(audit_url).list())

            # Incremental: move the clock a day, change N invoices (a payment each: updatedDate moves), sync again.
            httpx.post(f"{url}/_sandbox/clock/advance", json={"days": 1}, headers=auth).raise_for_status()
            open_invoices = list(client.voucherlist.iter(voucher_type="invoice", voucher_status="open"))[: args.changed]
            counter.reset()
            for inv in open_invoices:
                httpx.post(
                    f"{url}/_sandbox/invoices/{inv.id}/payments",
                    json={"amount": "1.00", "kind": "manual"},  # paid on the sandbox's (advanced) today
                    headers=auth,
                ).raise_for_status()
            counter.reset()
            t = time.perf_counter()
            inc = sync_history(database_url=db)
            inc_s = time.perf_counter() - t
            inc_kind = counter.reset()
            changed = len(open_invoices)
            inc_floor = math.ceil(max(contacts, 1) / 250) + math.ceil(max(inc["vouchers_listed"], 1) / 250) + changed
            result["incremental"] = {
                "changed_vouchers": changed,
                "requests": sum(inc_kind.values()),
                "requests_by_kind": inc_kind,
                "minimum_requests": inc_floor,
                "details_fetched": inc["details_fetched"],
                "rows_listed": inc["vouchers_listed"],
                "wall_seconds_rate_limit_off": round(inc_s, 2),
                "derived_seconds_at_2rps": round(sum(inc_kind.values()) / RATE, 1),
                "audit": audit_figures(AuditTrail(audit_url).list()[seen:], sum(inc_kind.values()), timer),
            }
            t = time.perf_counter()
            verified = AuditTrail(audit_url).verify()
            result["audit_chain"] = {"ok": verified.ok, "records": verified.checked,
                                     "verify_seconds": round(time.perf_counter() - t, 2)}  # fmt: skip
    sandbox.stop()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    result["command"] = "python bench/sync.py" + ("" if args.vouchers == 12_000 else f" --vouchers {args.vouchers}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


# ------------------------------------------------------------------------------------------------ other providers
PAGE = {"sevdesk": 1000, "xero": 1000, "quickbooks": 1000}
"""The largest page each API allows, which the sync asks for."""
LISTS = {"sevdesk": ("Contact", "Invoice", "CreditNote", "Voucher"), "xero": ("Contacts", "Invoices", "CreditNotes"),
         "quickbooks": ("Customer", "Invoice", "CreditMemo", "Bill")}  # fmt: skip
"""What the sync lists on each provider (one list, at least one request, per resource)."""


def provider_minimum(name: str, sizes: dict[str, int], details: int, incremental: bool) -> int:
    """The fewest requests any sync of these records needs on this API.

    Full: every resource's pages at the largest page size (an empty resource still costs its one request), plus
    the detail reads the lists cannot spare (sevDesk: one positions read per invoice or voucher; Xero and
    QuickBooks lists carry whole documents). Incremental: sevDesk and Xero one request per resource (the changed
    records fit one page) plus sevDesk's positions of the changed invoices; QuickBooks one change-data-capture
    request for every entity."""
    if incremental and name == "quickbooks":
        return 1
    pages = sum(max(1, math.ceil(sizes.get(r, 0) / PAGE[name])) for r in LISTS[name])
    return pages + details


def _served(name: str) -> tuple[Any, Any, Any]:
    """(sandbox, adapter, the httpx.Client its requests go through) on a fresh served sandbox, pacing off."""
    if name == "sevdesk":
        from lexflow.sevdesk.adapter import SevdeskAdapter
        from lexflow.sevdesk.client import SevdeskClient
        from lexflow.sevdesk.sandbox import serve_in_thread

        sandbox = serve_in_thread()
        client = SevdeskClient(sandbox.token, sandbox.url, rate_limit=0, settle_delay=0, timeout=30)
        return sandbox, SevdeskAdapter(client), client._http
    if name == "xero":
        from lexflow.xero.adapter import XeroAdapter
        from lexflow.xero.client import TenantLimiter, XeroClient, XeroOAuth, authorise_programmatically
        from lexflow.xero.client import sandbox_settings as xero_settings
        from lexflow.xero.sandbox import serve_xero_in_thread
        from lexflow.xero.sandbox.config import DEFAULT_TENANTS

        sandbox = serve_xero_in_thread()
        http = __import__("httpx").Client(timeout=30)
        oauth = XeroOAuth(xero_settings(sandbox.url), http)
        authorise_programmatically(oauth)
        client = XeroClient(oauth, DEFAULT_TENANTS[0].tenant_id, limiter=TenantLimiter(60, 5))
        return sandbox, XeroAdapter(client), http
    from lexflow.quickbooks.adapter import QuickBooksAdapter
    from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox
    from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig, serve_in_thread

    sandbox = serve_in_thread(QuickBooksSandboxConfig(requests_per_minute=0, requests_per_second=0)).__enter__()
    client = connect_sandbox(sandbox, QuickBooksSettings(requests_per_minute=0, timeout_seconds=30))
    return sandbox, QuickBooksAdapter(client), client._http


def _seed(name: str, sandbox: Any, provider: Any, customers: int, invoices: int) -> list[str]:
    """Customers and open invoices (due in 14 days); returns the invoice ids."""
    from datetime import date
    from decimal import Decimal

    from lexflow.core.models import CustomerDraft, InvoiceDraft, InvoiceLineDraft

    if name == "xero":  # through the control API: the API's own limit (60 a minute) would take an hour to seed
        import httpx

        from lexflow.xero.sandbox.config import DEFAULT_TENANTS

        made = httpx.post(f"{sandbox.url}/_sandbox/seed", json={"tenantId": DEFAULT_TENANTS[0].tenant_id,
                          "contacts": customers, "invoices": invoices}, timeout=600)  # fmt: skip
        made.raise_for_status()
        return list(made.json()["invoices"])
    ids = [
        provider.create_customer(CustomerDraft(name=f"Bench Kunde {n}", email=f"kunde{n}@bench.test")).id
        for n in range(customers)
    ]
    line = InvoiceLineDraft(name="Wartung", unit_price=Decimal("100.00"), tax="standard")
    return [
        provider.create_invoice(
            InvoiceDraft(
                customer_id=ids[n % len(ids)],
                lines=[line],
                issue_date=date.today(),
                payment_term_days=14,
                finalize=True,
                reference=f"BENCH-{n}",
            )
        ).id
        for n in range(invoices)
    ]


def provider_bench(name: str, customers: int, invoices: int, changed: int) -> dict[str, Any]:
    from datetime import date
    from decimal import Decimal

    from lexflow.audit import Actor
    from lexflow.core.models import PaymentDraft
    from lexflow.settings import get_settings
    from lexflow.sync import HistorySync, SyncAudit, SyncStore

    tmp = Path(tempfile.mkdtemp(prefix=f"lexflow-bench-{name}-"))
    os.environ["LEXFLOW_DATABASE_URL"] = f"sqlite:///{tmp / 'audit.db'}"  # never the working directory's trail
    get_settings.cache_clear()
    sandbox, provider, http = _served(name)
    t = time.perf_counter()
    ids = _seed(name, sandbox, provider, customers, invoices)
    seed_s = time.perf_counter() - t
    counts: Counter[str] = Counter()
    refused: Counter[int] = Counter()

    def on_request(request: Any) -> None:
        path = request.url.path
        parts = (p if not (p.isdigit() or len(p) >= 16) else "{id}" for p in path.split("/"))
        counts[f"{request.method} {'/'.join(parts)}"] += 1

    def on_response(response: Any) -> None:
        if response.status_code == 429:
            refused[429] += 1

    http.event_hooks["request"].append(on_request)
    http.event_hooks["response"].append(on_response)
    provider.cursor_margin = 1  # one machine, one clock: the incremental run then lists only what changed
    time.sleep(2.1)
    store = SyncStore(f"sqlite:///{tmp / 'sync.db'}")
    audit = SyncAudit(Actor.agent("bench"))
    counts.clear()
    t = time.perf_counter()
    full = HistorySync(provider, store, audit=audit).run(batch=250)
    full_s, full_counts = time.perf_counter() - t, dict(counts)
    sizes = _sizes(name, store)
    full_min = provider_minimum(name, sizes, full.details_fetched, incremental=False)

    for invoice_id in ids[:changed]:
        currency = provider.get_invoice(invoice_id).currency  # Xero's seeded organisation books in GBP
        provider.record_payment(
            PaymentDraft(invoice_id=invoice_id, amount=Decimal("1.00"), currency=currency, paid_on=date.today())
        )
    counts.clear()
    t = time.perf_counter()
    inc = HistorySync(provider, store, audit=audit).run(batch=250)
    inc_s, inc_counts = time.perf_counter() - t, dict(counts)
    inc_min = provider_minimum(name, {}, inc.details_fetched, incremental=True)
    full_n, inc_n = sum(full_counts.values()), sum(inc_counts.values())
    result: dict[str, Any] = {
        "provider": name,
        "command": f"python bench/sync.py --provider {name} --customers {customers} --invoices {invoices} "
        f"--changed {changed}",
        "seeded": {"customers": customers, "invoices": invoices, "seconds": round(seed_s, 1)},
        "stored": sizes,
        "full": {
            "requests": full_n,
            "minimum_requests": full_min,
            "overhead_requests": full_n - full_min,
            "requests_by_kind": full_counts,
            "details_fetched": full.details_fetched,
            "wall_seconds": round(full_s, 2),
        },
        "incremental": {
            "changed_invoices": changed,
            "requests": inc_n,
            "minimum_requests": inc_min,
            "overhead_requests": inc_n - inc_min,
            "requests_by_kind": inc_counts,
            "documents_listed": inc.vouchers_listed,
            "details_fetched": inc.details_fetched,
            "wall_seconds": round(inc_s, 2),
        },
        "refused_429": sum(refused.values()),
    }
    if name == "xero":
        from lexflow.xero.capabilities import CAPABILITIES

        daily = CAPABILITIES.rate_limit.daily or 0
        result["daily_budget"] = {"per_day": daily, "full_sync_share": round(full_n / daily, 4),
                                  "full_syncs_per_day": daily // max(full_n, 1),
                                  "incremental_syncs_per_day": daily // max(inc_n, 1)}  # fmt: skip
    return result


def _sizes(name: str, store: Any) -> dict[str, int]:
    """Records per listed resource, from what the full sync stored."""
    rows = store.rows("vouchers")
    types = Counter(r["voucher_type"] for r in rows)
    contacts = store.count("contacts")
    if name == "sevdesk":
        return {"Contact": contacts, "Invoice": types["invoice"] + types["reminder"] + types["cancellation"],
                "CreditNote": types["creditnote"], "Voucher": types["purchaseinvoice"] + types["salesinvoice"]}  # fmt: skip
    if name == "xero":
        return {"Contacts": contacts, "Invoices": types["invoice"] + types["purchaseinvoice"],
                "CreditNotes": types["creditnote"] + types["purchasecreditnote"]}  # fmt: skip
    return {"Customer": contacts, "Invoice": types["invoice"], "CreditMemo": types["creditnote"],
            "Bill": types["purchaseinvoice"]}  # fmt: skip


if __name__ == "__main__":
    main()
