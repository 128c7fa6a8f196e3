"""Throughput of the served sandbox (issue 2 goal: >= 500 requests/second on 2 cores, rate limit off).

The sandbox runs as its own process (`python -m lexflow.sandbox serve`, uvicorn, one worker) on a free loopback
port; this process drives a mixed GET/POST load with a bounded number of concurrent httpx requests.

    .venv/bin/python bench/sandbox_throughput.py [--requests 6000] [--concurrency 16]

Prints the figures and writes them to bench/results/sandbox_throughput.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEY = "bench-key"
TS = "2026-03-02T00:00:00.000+01:00"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report the server's cost per request under any load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def contact(i: int) -> dict:
    return {
        "version": 0,
        "roles": {"customer": {}},
        "company": {"name": f"Bench Kunde {i} GmbH"},
        "addresses": {"billing": [{"street": "Torstraße 1", "zip": "10119", "city": "Berlin", "countryCode": "DE"}]},
    }


def invoice(contact_id: str) -> dict:
    return {
        "voucherDate": TS,
        "address": {"contactId": contact_id},
        "lineItems": [
            {
                "type": "custom",
                "name": "Wartung",
                "quantity": 2,
                "unitName": "Stunde",
                "unitPrice": {"currency": "EUR", "netAmount": 85.0, "taxRatePercentage": 19},
            }
        ],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": {"taxType": "net"},
        "shippingConditions": {"shippingType": "service", "shippingDate": TS},
    }


async def run(url: str, total: int, concurrency: int) -> dict:
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:
        seed = [(await client.post("/v1/contacts", json=contact(i))).json()["id"] for i in range(20)]
        inv = (await client.post("/v1/invoices", json=invoice(seed[0]), params={"finalize": "true"})).json()["id"]
        mix = [
            ("GET", "/v1/profile", None, None),
            ("GET", f"/v1/contacts/{seed[1]}", None, None),
            ("GET", f"/v1/invoices/{inv}", None, None),
            ("GET", "/v1/voucherlist", {"voucherType": "invoice", "voucherStatus": "any", "size": 25}, None),
            ("POST", "/v1/contacts", None, "contact"),
            ("POST", "/v1/invoices", {"finalize": "true"}, "invoice"),
            ("GET", "/v1/contacts", {"size": 25}, None),
            ("GET", f"/v1/payments/{inv}", None, None),
        ]
        latencies: list[float] = []
        errors = 0
        counter = iter(range(total))

        async def worker() -> None:
            nonlocal errors
            for n in counter:
                method, path, params, body_kind = mix[n % len(mix)]
                body = contact(n) if body_kind == "contact" else invoice(seed[n % 20]) if body_kind else None
                t0 = time.perf_counter()
                r = await client.request(method, path, params=params, json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code >= 400:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": total,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(total / elapsed, 1),
        "errors": errors,
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "mix": [f"{m} {p}" for m, p, _, _ in mix],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sandbox_throughput.json")
    args = parser.parse_args()
    from lexflow.sandbox.gateway import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "lexflow.sandbox", "serve", "--port", str(port), "--rate-limit", "0", "--api-key", KEY]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/profile", headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    err = server.stderr.read().decode() if server.stderr else ""
                    raise SystemExit(f"sandbox did not start: {err}") from None
                time.sleep(0.1)
        cpu0, load0 = cpu_seconds(server.pid), os.getloadavg()[0]
        result = asyncio.run(run(url, args.requests, args.concurrency))
        cpu = cpu_seconds(server.pid) - cpu0
        result["server_cpu_ms_per_request"] = round(cpu / args.requests * 1000, 3)
        result["server_capacity_rps_one_core"] = round(args.requests / cpu, 1) if cpu else None
        result["load_average_1min_before"] = round(load0, 2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    result.update(
        {"cpus": os.cpu_count(), "python": platform.python_version(), "server": "uvicorn, 1 worker, separate process"}
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(
        f"sandbox throughput: {result['requests_per_second']} req/s (goal >= 500), errors: {result['errors']}, "
        f"server CPU {result['server_cpu_ms_per_request']} ms/request "
        f"(= {result['server_capacity_rps_one_core']} req/s per core), load before: {result['load_average_1min_before']}"
    )


if __name__ == "__main__":
    main()
