"""Webhook receiver: time to answer (Lexware and Xero wait 5 s, Intuit 3 s), events/s, and time until the action runs.

Real HTTP against `create_receiver_app` under uvicorn on 127.0.0.1, SQLite inbox, one in-process worker, a no-op
callable route. Lexware: one event per POST, a 4096-bit RSA key like Lexware's. Xero / QuickBooks: `--batch`
events per POST (both batch), HMAC-SHA256 signed, stored as neutral events. Then everything is delivered again:
no action runs twice.

    .venv/bin/python bench/webhooks.py [--provider lexware|xero|quickbooks] [--events 300] [--concurrency 8] [--batch 10]

Prints the figures and writes bench/results/webhooks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
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
from pydantic import SecretStr

from lexflow.webhooks import CallableAction, Inbox, InboxWorker, WebhookConfig, WebhookPublicKey, create_receiver_app
from lexflow.webhooks.config import WorkerSettings
from lexflow.webhooks.sources import quickbooks_source, xero_source

SECRET = "bench-webhook-secret"
HEADERS = {"lexware": "X-Lxo-Signature", "xero": "x-xero-signature", "quickbooks": "intuit-signature"}

DISPATCHED: dict[str, float] = {}
RUNS: list[str] = []


def dispatched(event, resource) -> str:  # type: ignore[no-untyped-def]
    DISPATCHED.setdefault(event.resource_id, time.perf_counter())
    RUNS.append(event.resource_id)
    return "ok"


HEADER = ["X-Lxo-Signature"]


def _hmac(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _batches(provider: str, events: int, batch: int) -> list[tuple[str, bytes, str]]:
    """(first resource id of the POST, body, signature); every event names one invoice."""
    out = []
    for start in range(0, events, batch):
        ids = [f"{n:05d}" for n in range(start, min(events, start + batch))]
        if provider == "xero":
            items = [
                {
                    "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{i}",
                    "resourceId": i,
                    "eventDateUtc": "2026-03-10T09:12:44.123",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": "70784a63-d24b-46a9-a4db-0e70a274b056",
                    "tenantType": "ORGANISATION",
                }
                for i in ids
            ]
            payload: object = {"events": items, "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "B"}
        else:
            entities = [
                {"name": "Invoice", "id": i, "operation": "Update", "lastUpdated": "2026-03-02T10:00:00.000Z"}
                for i in ids
            ]
            payload = {
                "eventNotifications": [{"realmId": "9341452347298547", "dataChangeEvent": {"entities": entities}}]
            }
        body = json.dumps(payload, separators=(",", ":")).encode()
        out.append((ids[0], body, _hmac(body)))
    return out


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
                r = await client.post(url, content=body, headers={HEADER[0]: sig})
                latencies.append(time.perf_counter() - start)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return latencies, {"sent": sent, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--provider", choices=sorted(HEADERS), default="lexware")
    parser.add_argument("--batch", type=int, default=10, help="events per POST (Xero, QuickBooks)")
    args = parser.parse_args()
    HEADER[0] = HEADERS[args.provider]

    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    bodies = [] if args.provider == "lexware" else _batches(args.provider, args.events, args.batch)
    for n in range(args.events if args.provider == "lexware" else 0):
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
            resources={"invoice": CallableAction(callable="__main__:dispatched", refetch=False)},
            worker=WorkerSettings(poll_interval=0.5),
        )
        worker = InboxWorker(inbox, config, client_factory=lambda: None)
        sources = [xero_source(SecretStr(SECRET)), quickbooks_source(SecretStr(SECRET))]
        app = create_receiver_app(inbox, WebhookPublicKey(pem), worker=worker, sources=sources)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/webhooks/{args.provider}"

        started = time.perf_counter()
        latencies, info = asyncio.run(_deliver(url, bodies, args.concurrency))
        accept_seconds = time.perf_counter() - started
        deadline = time.monotonic() + 120
        while len(DISPATCHED) < args.events and time.monotonic() < deadline:
            time.sleep(0.05)
        drained_seconds = time.perf_counter() - started
        # per POST: from sending it until the action of its first event ran
        to_action = [DISPATCHED[rid] - t for rid, t in info["sent"].items() if rid in DISPATCHED]

        redelivery, info2 = asyncio.run(_deliver(url, bodies, args.concurrency))
        time.sleep(1.0)
        server.should_exit = True
        thread.join(10)

    batch = 1 if args.provider == "lexware" else args.batch
    results = {
        "command": f".venv/bin/python bench/webhooks.py --provider {args.provider} --events {args.events} "
        f"--concurrency {args.concurrency}" + (f" --batch {batch}" if batch > 1 else ""),
        "provider": args.provider,
        "events": args.events,
        "events_per_post": batch,
        "posts": len(bodies),
        "concurrency": args.concurrency,
        "signature": "RSA 4096 SHA-512" if args.provider == "lexware" else "HMAC-SHA256",
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
    name = "webhooks.json" if args.provider == "lexware" else f"webhooks-{args.provider}.json"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    for k, v in results.items():
        print(f"{k:28} {v}")


if __name__ == "__main__":
    main()
