"""sevDesk client rate limiting: N invoice drafts from 4 threads against a sevDesk sandbox throttling at R req/s.

    .venv/bin/python bench/sevdesk_rate_limit.py                    # R=10, 80 drafts -> bench/results/sevdesk_rate_limit.json
    .venv/bin/python bench/sevdesk_rate_limit.py --rate 2 --writes 30 --out bench/results/sevdesk_rate_limit_r2.json

sevDesk publishes no limit, so lexflow's is configurable (SEVDESK_RATE_LIMIT). The sandbox runs in its own process
(`python -m lexflow.sevdesk.sandbox --rate-limit R`: token bucket, burst 5, 429 without Retry-After). Four threads
share one client (the process-wide bucket at R); each write is `create_invoice_draft` with a unique business key
(a lookup GET, then the POST). Figures: requests/second / R (goal >= 0.95 while the writers keep the bucket busy),
429 answers, failed writes, duplicated writes (invoices per business key, counted afterwards; goal 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lexflow.lexware.client import CallRecord, RetryPolicy  # noqa: E402
from lexflow.sandbox.gateway import free_port  # noqa: E402
from lexflow.sevdesk.client import SevdeskClient  # noqa: E402
from lexflow.sevdesk.models import InvoiceDraft, InvoiceLine, NewContact  # noqa: E402
from lexflow.sevdesk.sandbox import DEFAULT_TOKEN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--writes", type=int, default=80)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/sevdesk_rate_limit.json")
    args = parser.parse_args()
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "lexflow.sevdesk.sandbox", "--port", str(port), "--rate-limit", str(args.rate)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(root + "/api/v1/SevUser", headers={"Authorization": DEFAULT_TOKEN}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start")
            time.sleep(0.05)
        time.sleep(1.5)  # let the server's bucket refill after the start-up probe
        result = run(root + "/api/v1", args)
    finally:
        server.kill()
        server.wait()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def run(url: str, args: argparse.Namespace) -> dict[str, object]:
    records: list[tuple[float, int | None]] = []
    lock = threading.Lock()
    failures: list[str] = []

    def listener(record: CallRecord) -> None:
        with lock:
            records.append((time.monotonic(), record.status))

    client = SevdeskClient(DEFAULT_TOKEN, url, rate_limit=args.rate, retry=RetryPolicy(max_attempts=10), settle_delay=0)
    contact = client.create_contact(NewContact(name="Bench GmbH"))
    client.default_user_id()
    client.add_call_listener(listener)
    line = InvoiceLine(name="Beratung", quantity=Decimal(1), price=Decimal(100), tax_rate=Decimal(19))

    def write(index: int) -> None:
        try:
            draft = InvoiceDraft(
                business_key=f"bench-{index}", contact_id=contact.id, invoice_date=dt.date.today(), lines=[line]
            )
            client.create_invoice_draft(draft)
        except Exception as exc:  # counted, not raised: the figure is how many fail
            failures.append(f"{index}: {exc}")

    started = time.monotonic()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(write, range(args.writes)))
    elapsed = time.monotonic() - started
    client.remove_call_listener(listener)
    keys = Counter(i.business_key for i in client.iter_invoices(contact_id=contact.id))
    client.close()
    statuses = Counter(status for _, status in records)
    return {
        "rate": args.rate,
        "writes": args.writes,
        "threads": args.threads,
        "requests": len(records),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(records) / elapsed, 2),
        "throughput_over_rate": round(len(records) / elapsed / args.rate, 3),
        "status_429": statuses.get(429, 0),
        "failed_writes": len(failures),
        "duplicated_writes": sum(n - 1 for n in keys.values() if n > 1),
        "invoices": sum(keys.values()),
        "failures": failures[:5],
    }


if __name__ == "__main__":
    main()
