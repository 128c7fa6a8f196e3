"""Xero client limits: 4 workers on 2 processes writing invoices for one tenant against a Xero sandbox that enforces
Xero's per-tenant minute, concurrency and daily limits server-side.

    .venv/bin/python bench/xero_rate_limit.py                        # 150 s at Xero's 60/min -> bench/results/xero_rate_limit.json
    .venv/bin/python bench/xero_rate_limit.py --daily 40 --out bench/results/xero_daily_budget.json

The sandbox runs in its own process (`python -m lexflow.xero.sandbox`: 60 calls per rolling minute, 5 in flight and
5,000 per rolling 24 h per tenant, 429 with `Retry-After` and `X-Rate-Limit-Problem`). Two worker processes, two
threads each, each process with its own OAuth connection and `XeroClient` at Xero's full limits (no share per
process): the transport's machine-wide limiter (`LEXFLOW_RATE_LIMIT_DIR`, a fresh directory per run) is all that
keeps them together. Each write is `create_invoice` with its own business key; every 10th key is written twice, as
a rerun would (its `Idempotency-Key` must return the first invoice). `--daily N` sets the client's daily budget
(XERO_DAILY_LIMIT) below the sandbox's, to show the refusal happens client-side before anything is sent.
`--isolated` is the control run: each process gets a limit directory of its own (limits per process, as before the
transport's machine-wide limiter), so the two together go over Xero's limits.
Figures: calls/minute over the run / 60 (goal >= 0.95), 429s (goal 0 after the first minute), failed writes and
duplicated invoices (goal 0), calls the sandbox counted against the daily budget.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lexflow.sandbox.gateway import free_port  # noqa: E402
from lexflow.transport.base import CallRecord  # noqa: E402
from lexflow.transport.limits import DailyBudgetExhausted  # noqa: E402
from lexflow.transport.retry import RetryPolicy  # noqa: E402
from lexflow.xero.client import XeroClient, XeroOAuth, authorise_programmatically, sandbox_settings  # noqa: E402
from lexflow.xero.errors import XeroError  # noqa: E402
from lexflow.xero.models import Contact, ContactRef, Invoice, LineItem  # noqa: E402
from lexflow.xero.sandbox.config import DEFAULT_TENANTS  # noqa: E402

LIMIT = 60
TENANT = DEFAULT_TENANTS[0].tenant_id


def connect(root: str, daily: int) -> XeroClient:
    oauth = XeroOAuth(sandbox_settings(root, daily_limit=daily), httpx.Client(timeout=60))
    authorise_programmatically(oauth)
    # retries on: a minute 429 is waited out (and counted); failed = a write that raised in the end
    return XeroClient(oauth, TENANT, retry=RetryPolicy(max_attempts=4, backoff_base=0.2, backoff_cap=5.0))


def worker_process(
    root: str, contact_id: str, seconds: float, proc: int, threads: int, daily: int, isolated: bool, queue: object
) -> None:
    if isolated:
        os.environ["LEXFLOW_RATE_LIMIT_DIR"] = tempfile.mkdtemp(prefix=f"lexflow-bench-xero-{proc}-")
    client = connect(root, daily)
    lock = threading.Lock()
    start = time.monotonic()
    calls: list[tuple[float, int | None]] = []
    results = {"ok": 0, "failed": 0, "refused_by_budget": 0, "keys": [], "errors": []}

    def listen(record: CallRecord) -> None:
        with lock:
            calls.append((time.time(), record.status))  # wall clock: comparable between the processes

    client.add_call_listener(listen)

    def run(thread: int) -> None:
        n = 0
        while time.monotonic() - start < seconds:
            n += 1
            key = f"bench-{proc}-{thread}-{n}"
            for _ in range(2 if n % 10 == 0 else 1):
                invoice = Invoice(
                    type="ACCREC",
                    contact=ContactRef(contact_id=contact_id),
                    due_date="2026-12-31",
                    status="AUTHORISED",
                    line_items=[
                        LineItem(description="Work", unit_amount=Decimal(n), account_code="200", tax_type="OUTPUT2")
                    ],
                )
                try:
                    client.create_invoice(invoice, business_key=key)
                    outcome = "ok"
                except DailyBudgetExhausted:
                    outcome = "refused_by_budget"
                except XeroError as exc:
                    outcome = "failed"
                    with lock:
                        results["errors"].append(str(exc)[:200])  # type: ignore[attr-defined]
                with lock:
                    results[outcome] += 1  # type: ignore[operator]
                    if outcome == "ok" and key not in results["keys"]:  # type: ignore[operator]
                        results["keys"].append(key)  # type: ignore[attr-defined]
                if outcome == "refused_by_budget":
                    return

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results["elapsed"] = time.monotonic() - start
    results["calls"] = calls
    queue.put(results)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--daily", type=int, default=5000, help="the client's daily budget (XERO_DAILY_LIMIT)")
    parser.add_argument("--isolated", action="store_true", help="control: limits per process, not per machine")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/xero_rate_limit.json")
    args = parser.parse_args()
    os.environ["LEXFLOW_RATE_LIMIT_DIR"] = tempfile.mkdtemp(prefix="lexflow-bench-xero-")  # inherited by workers
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lexflow.xero.sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(root + "/connections")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        # the setup client shares the tenant's machine-wide limits with the workers (same directory)
        setup = connect(root, 5000)
        contact = setup.create_contact(Contact(name="Bench Ltd"))
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(
                target=worker_process,
                args=(root, contact.contact_id, args.seconds, p, 2, args.daily, args.isolated, queue),
            )
            for p in range(2)
        ]
        started = time.monotonic()
        for p in procs:
            p.start()
        parts = [queue.get(timeout=args.seconds + 300) for _ in procs]
        for p in procs:
            p.join()
        wall = time.monotonic() - started
        references = Counter(
            i.reference
            for i in setup.list_invoices(statuses=["AUTHORISED"])
            if (i.reference or "").startswith("bench-")
        )
        day_remaining = int(
            setup.http.get(
                f"{root}/api.xro/2.0/Organisation",
                headers={"Authorization": f"Bearer {setup.oauth.access_token()}", "xero-tenant-id": TENANT},
            ).headers["X-DayLimit-Remaining"]
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    stamps = sorted(c for p in parts for c in p["calls"])
    first = stamps[0][0] if stamps else 0.0
    calls = [(t - first, status) for t, status in stamps]  # seconds since the first call of any worker
    answered = [t for t, status in calls if status == 200]
    refused = [t for t, status in calls if status == 429]
    span = answered[-1] if len(answered) > 1 else 1.0  # first to last answered call: (n - 1) intervals
    after = [t for t in answered if t >= 60]
    keys = {k for p in parts for k in p["keys"]}
    result = {
        "seconds": args.seconds,
        "workers": "2 processes x 2 threads, one tenant",
        "limits_shared_by": "each process alone (control)" if args.isolated else "the machine",
        "limit_per_minute": LIMIT,
        "client_daily_budget": args.daily,
        "calls": len(calls),
        "answered_calls": len(answered),
        "calls_per_minute": round((len(answered) - 1) / (span / 60), 1),
        "ratio_to_limit": round((len(answered) - 1) / (span / 60) / LIMIT, 3),
        "calls_per_minute_after_first_minute": (
            round((len(after) - 1) / ((after[-1] - after[0]) / 60), 1) if len(after) > 10 else None
        ),
        "max_calls_in_any_rolling_minute": max(
            (sum(1 for u in answered if t <= u < t + 60) for t in answered), default=0
        ),
        "status_429": len(refused),
        "status_429_after_first_minute": sum(1 for t in refused if t >= 60),
        "successful_writes": sum(p["ok"] for p in parts),
        "business_keys_written": len(keys),
        "failed_writes": sum(p["failed"] for p in parts),
        "refused_by_daily_budget_before_sending": sum(p["refused_by_budget"] for p in parts),
        "invoices_in_sandbox": sum(references.values()),
        "duplicated_invoices": sum(references.values()) - len(keys),
        "sandbox_day_calls_used": 5000 - day_remaining,
        "errors": [e for p in parts for e in p["errors"]][:5],
        "wall_seconds": round(wall, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
