"""One process of the machine-wide limiter test: `python -m tests.client.rate_limit_worker URL KEY RATE N MODE`.

Builds its own LexwareClient (no Prefect), prints `ready`, waits for a line on stdin, sends N GETs, then prints one
JSON line: the status of every HTTP attempt. MODE `machine` uses the client's default limiter (the machine-wide
bucket), `process` a bucket of this process only (the behaviour before, for the control run)."""

from __future__ import annotations

import json
import sys
import time

from lexflow.lexware.client import CallRecord, LexwareClient, RetryPolicy
from lexflow.transport.limits import TokenBucket


def main(url: str, key: str, rate: float, n: int, mode: str) -> None:
    limiter = TokenBucket(rate * 0.97) if mode == "process" else None
    statuses: list[int | None] = []
    with LexwareClient(api_key=key, base_url=url, rate_limit=rate, limiter=limiter, retry=RetryPolicy(10)) as client:

        def record(r: CallRecord) -> None:
            statuses.append(r.status)

        client.add_call_listener(record)
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.time()
        for _ in range(n):
            client.profile.get()
    print(json.dumps({"statuses": statuses, "start": start, "end": time.time()}), flush=True)


if __name__ == "__main__":
    url, key, rate, n, mode = sys.argv[1:6]
    main(url, key, float(rate), int(n), mode)
