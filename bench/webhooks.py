"""Webhook receiver: time to answer (Lexware waits 5 s), events/s, and time until the mapped action runs.

Real HTTP against `create_receiver_app` under uvicorn on 127.0.0.1, a 4096-bit RSA key like Lexware's, SQLite
inbox, one in-process worker, a no-op callable route. Then every event is delivered again: none runs twice.

    .venv/bin/python bench/webhooks.py [--events 300] [--concurrency 8]

Prints the figures and writes bench/results/webhooks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lexflow.webhooks import CallableAction, Inbox, InboxWorker, WebhookConfig, WebhookPublicKey, create_receiver_app
from lexflow.webhooks.config import WorkerSettings

DISPATCHED: dict[str, float] = {}
RUNS: list[str] = []


def dispatched(event, resource) -> str:  # type: ignore[no-untyped-def]
    DISPATCHED.setdefault(event.resource_id, time.perf_counter())
    RUNS.append(event.resource_id)
    return "ok"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _deliver(url: str, bodies: list[tuple[str, bytes, str]], concurrency: int) -> tuple[list[float], dict]:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)

    async with httpx.AsyncClient(timeout=10) as client:

        async def one() -> None:
            while not queue.empty():
                rid, body, sig = queue.get_nowait()
                start = time.perf_counter()
                sent.setdefault(rid, start)
                r = await client.post(url, content=body, headers={"X-Lxo-Signature": sig})
                latencies.append(time.perf_counter() - start)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return latencies, {"sent": sent, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    bodies = []
    for n in range(args.events):
        payload = {
            "organizationId": "org-bench",
            "eventType": "payment.changed",
            "resourceId": f"voucher-{n:05d}",
            "eventDate": "2026-01-10T09:00:00.000+01:00",
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        sig = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA512())).decode()
        bodies.append((payload["resourceId"], body, sig))

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Inbox(f"sqlite:///{Path(tmp) / 'bench.db'}")
        config = WebhookConfig(
            routes={"payment.changed": CallableAction(callable="__main__:dispatched", refetch=False)},
            worker=WorkerSettings(poll_interval=0.5),
        )
        worker = InboxWorker(inbox, config, client_factory=lambda: None)
        app = create_receiver_app(inbox, WebhookPublicKey(pem), worker=worker)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/webhooks/lexware"

        started = time.perf_counter()
        latencies, info = asyncio.run(_deliver(url, bodies, args.concurrency))
        accept_seconds = time.perf_counter() - started
        deadline = time.monotonic() + 120
        while len(DISPATCHED) < args.events and time.monotonic() < deadline:
            time.sleep(0.05)
        drained_seconds = time.perf_counter() - started
        to_action = [DISPATCHED[rid] - t for rid, t in info["sent"].items() if rid in DISPATCHED]

        redelivery, info2 = asyncio.run(_deliver(url, bodies, args.concurrency))
        time.sleep(1.0)
        server.should_exit = True
        thread.join(10)

    results = {
        "command": f".venv/bin/python bench/webhooks.py --events {args.events} --concurrency {args.concurrency}",
        "events": args.events,
        "concurrency": args.concurrency,
        "rsa_bits": 4096,
        "inbox": "SQLite (WAL)",
        "accept_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "accept_ms_p95": round(_pct(latencies, 0.95) * 1000, 1),
        "accept_ms_max": round(max(latencies) * 1000, 1),
        "accepted_per_s": round(args.events / accept_seconds, 1),
        "statuses": info["statuses"],
        "to_action_ms_p50": round(statistics.median(to_action) * 1000, 1),
        "to_action_ms_p95": round(_pct(to_action, 0.95) * 1000, 1),
        "all_dispatched_after_s": round(drained_seconds, 2),
        "redelivery_statuses": info2["statuses"],
        "redelivery_accept_ms_p50": round(statistics.median(redelivery) * 1000, 1),
        "actions_run": len(RUNS),
        "actions_run_twice": len(RUNS) - len(set(RUNS)),
    }
    out = Path(__file__).parent / "results" / "webhooks.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    for k, v in results.items():
        print(f"{k:28} {v}")


if __name__ == "__main__":
    main()
