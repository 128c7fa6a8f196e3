"""QuickBooks client pacing: 4 workers on 2 processes writing invoices against a sandbox enforcing Intuit's limits.

    .venv/bin/python bench/quickbooks_rate_limit.py                 # 60 s -> bench/results/quickbooks_rate_limit.json
    .venv/bin/python bench/quickbooks_rate_limit.py --seconds 20    # a quick look

The sandbox runs in its own process (`python -m lexflow.quickbooks.sandbox`: 500 requests/minute, 10/second and 10
concurrent per realm, 429 with the XML body). Two worker processes, two threads each, connect through the sandbox's
OAuth flow and create invoices, each with its own business key (every 10th key is written twice, as a rerun would:
its `requestid` must return the first invoice; both calls count as writes). Each process runs at the company's full
limits (500/minute, 10 in flight): the transport's machine-wide limiter (`LEXFLOW_RATE_LIMIT_DIR`, a fresh directory
per run) is all that keeps the two processes together. Retries are off, so every 429 is a failed write. Figures:
writes/minute from the first to the last write of any worker / 500 (goal >= 0.95), 429s, failed writes, duplicated
invoices (goal 0).
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
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lexflow.quickbooks.client import QuickBooksSettings, connect_sandbox  # noqa: E402
from lexflow.quickbooks.models import CustomerInput, InvoiceInput, SalesLine  # noqa: E402
from lexflow.quickbooks.sandbox import QuickBooksSandboxConfig  # noqa: E402
from lexflow.sandbox.gateway import free_port  # noqa: E402
from lexflow.transport import errors  # noqa: E402

LIMIT = 500


def worker_process(root: str, customer_id: str, seconds: float, proc: int, threads: int, queue: object) -> None:
    served = SimpleNamespace(url=root, config=QuickBooksSandboxConfig())
    settings = QuickBooksSettings(requests_per_minute=LIMIT, max_retries=0, timeout_seconds=30)
    client = connect_sandbox(served, settings)
    results = {"ok": 0, "rate_limited": 0, "failed": 0, "keys": 0, "first_429_at": None, "stamps": []}
    lock = threading.Lock()
    start = time.monotonic()

    def run(thread: int) -> None:
        n = 0
        while time.monotonic() - start < seconds:
            n += 1
            key = f"bench-{proc}-{thread}-{n}"
            repeats = 2 if n % 10 == 0 else 1
            written = False
            for _ in range(repeats):
                line = SalesLine(SalesItemLineDetail={"Qty": 1, "UnitPrice": n})  # type: ignore[arg-type]
                body = InvoiceInput(CustomerRef={"value": customer_id}, Line=[line])  # type: ignore[arg-type]
                try:
                    client.create_invoice(body, business_key=key)
                    outcome = "ok"
                    written = True
                except errors.RateLimited:
                    outcome = "rate_limited"
                except errors.LexwareError:
                    outcome = "failed"
                with lock:
                    results[outcome] += 1  # type: ignore[operator]
                    results["stamps"].append((time.time(), outcome))  # type: ignore[attr-defined]
                    if outcome == "rate_limited" and results["first_429_at"] is None:
                        results["first_429_at"] = round(time.monotonic() - start, 2)
            with lock:
                results["keys"] += int(written)  # type: ignore[operator]

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results["elapsed"] = time.monotonic() - start
    queue.put(results)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/quickbooks_rate_limit.json")
    args = parser.parse_args()
    os.environ["LEXFLOW_RATE_LIMIT_DIR"] = tempfile.mkdtemp(prefix="lexflow-bench-qbo-")  # inherited by workers
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lexflow.quickbooks.sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(root + "/connect/oauth2")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        served = SimpleNamespace(url=root, config=QuickBooksSandboxConfig())
        setup = connect_sandbox(served, QuickBooksSettings(max_retries=0))
        customer = setup.create_customer(CustomerInput(DisplayName="Bench GmbH"), business_key="bench-customer")
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=worker_process, args=(root, customer.Id, args.seconds, p, 2, queue)) for p in range(2)
        ]
        started = time.monotonic()
        for p in procs:
            p.start()
        parts = [queue.get(timeout=args.seconds + 120) for _ in procs]
        for p in procs:
            p.join()
        wall = time.monotonic() - started
        invoices = setup.count(
            __import__("lexflow.quickbooks.client", fromlist=["Select"]).Select("Invoice", count=True)
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    ok = sum(p["ok"] for p in parts)
    keys = sum(p["keys"] for p in parts)
    stamps = sorted(st for p in parts for st in p["stamps"])
    first = stamps[0][0]
    oks = [t - first for t, outcome in stamps if outcome == "ok"]
    writes_per_minute = (len(oks) - 1) / (oks[-1] / 60)  # first to last write of any worker: n - 1 intervals
    refused = [t - first for t, outcome in stamps if outcome == "rate_limited"]
    result = {
        "seconds": args.seconds,
        "workers": "2 processes x 2 threads",
        "limit_per_minute": LIMIT,
        "successful_writes": ok,
        "business_keys_written": keys,
        "writes_per_minute": round(writes_per_minute, 1),
        "ratio_to_limit": round(writes_per_minute / LIMIT, 3),
        "rate_limited": sum(p["rate_limited"] for p in parts),
        "rate_limited_after_first_10_seconds": sum(1 for t in refused if t >= 10),
        "max_writes_in_any_rolling_minute": max(sum(1 for u in oks if t <= u < t + 60) for t in oks),
        "failed": sum(p["failed"] for p in parts),
        "invoices_in_sandbox": invoices,
        "duplicated_invoices": invoices - keys,
        "wall_seconds": round(wall, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
