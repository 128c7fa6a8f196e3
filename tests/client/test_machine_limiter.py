"""The machine-wide limiter (issue 12, item 9): processes on one API key without Prefect share the account's budget.

The proof runs three real processes, each with its own LexwareClient and no Prefect, against the served sandbox with
its rate limit on (raised to 10 req/s so it takes seconds): no HTTP 429. The control run gives each process a bucket
of its own (the behaviour before) and gets 429s, so the test can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lexflow.lexware.client import LexwareClient
from lexflow.transport.limits import Limits, MachineBucket, ProcessGate, TokenBucket, account_limiter

ROOT = Path(__file__).resolve().parents[2]
RATE = 10.0
PER_PROCESS = 10
#: The server's burst: above 1 so that a process the OS schedules late (a loaded CI machine) and its neighbour's
#: request arriving together are not a 429, while three processes with buckets of their own still are.
BURST = 4


@pytest.fixture(scope="module")
def limited_sandbox():
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.testing.served import serve_in_thread

    served = serve_in_thread(SandboxConfig(rate_limit=RATE, rate_burst=BURST, ocr_delay_seconds=None))
    yield served
    served.stop()


def _three_processes(served, mode: str, directory: Path, n: int = PER_PROCESS) -> tuple[list[int | None], float]:
    """Start three workers, let them go together once all are ready; every attempt's status and the elapsed time."""
    env = {**os.environ, "LEXFLOW_RATE_LIMIT_DIR": str(directory)}
    args = [served.url, served.api_key, str(RATE), str(n), mode]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.client.rate_limit_worker", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        time.sleep(BURST / RATE + 0.1)  # the server's bucket is full again
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = []
        for p in procs:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0
            outs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    statuses = [s for o in outs for s in o["statuses"]]
    return statuses, max(o["end"] for o in outs) - min(o["start"] for o in outs)


def test_three_processes_on_one_key_share_the_budget(limited_sandbox, tmp_path) -> None:
    statuses, elapsed = _three_processes(limited_sandbox, "machine", tmp_path)
    assert statuses.count(429) == 0
    assert statuses.count(200) == 3 * PER_PROCESS
    assert elapsed >= (3 * PER_PROCESS - 2) / RATE  # paced at the account's rate, not 3x it


def test_control_processes_with_own_buckets_get_429(limited_sandbox, tmp_path) -> None:
    statuses, _ = _three_processes(limited_sandbox, "process", tmp_path, n=8)
    assert statuses.count(429) > 0  # what the machine-wide bucket prevents


# ------------------------------------------------------------------------------------------ the bucket itself
def test_two_buckets_on_one_file_space_requests_like_one(tmp_path) -> None:
    """Two bucket objects on one file (as two processes have) share the rate; threads of each too."""
    path = tmp_path / "acct.bucket"
    a, b = MachineBucket(path, rate=50), MachineBucket(path, rate=50)
    stamps: list[float] = []
    lock = threading.Lock()

    def work(bucket: MachineBucket) -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work, args=(bk,)) for bk in (a, b, a, b)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - start >= 39 / 50 - 0.02  # 40 tokens at 50/s, burst 1
    a.close()
    b.close()


async def test_machine_bucket_paces_asyncio_tasks(tmp_path) -> None:
    import asyncio

    bucket = MachineBucket(tmp_path / "acct.bucket", rate=40)
    start = time.monotonic()
    await asyncio.gather(*(bucket.aacquire() for _ in range(20)))
    assert time.monotonic() - start >= 19 / 40 - 0.02
    bucket.close()


def test_stale_or_garbled_state_starts_afresh(tmp_path) -> None:
    path = tmp_path / "acct.bucket"
    path.write_text(repr(time.monotonic() + 10_000))  # e.g. written before a reboot
    bucket = MachineBucket(path, rate=2)
    start = time.monotonic()
    bucket.acquire()
    path.write_text("garbage")
    bucket.acquire()  # a fresh bucket's first token, no wait
    assert time.monotonic() - start < 0.2
    bucket.close()


def test_penalty_pauses_every_sharer(tmp_path) -> None:
    path = tmp_path / "acct.bucket"
    a, b = MachineBucket(path, rate=100), MachineBucket(path, rate=100)
    a.penalize(0.3)
    start = time.monotonic()
    b.acquire()
    assert time.monotonic() - start >= 0.25
    a.close()
    b.close()


def test_clients_choose_the_machine_bucket_by_themselves(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEXFLOW_RATE_LIMIT_DIR", str(tmp_path))
    with LexwareClient(api_key="secret-key-xyz", base_url="https://api.example", rate_limit=2) as c:
        assert isinstance(c.limiter, MachineBucket)
        assert c.limiter.path.parent == tmp_path and "secret-key-xyz" not in c.limiter.path.name
        with LexwareClient(api_key="secret-key-xyz", base_url="https://api.example/", rate_limit=2) as same:
            assert same.limits is c.limits  # one limiter per account, whatever the client
    with LexwareClient(api_key="k", base_url="https://api.example", rate_limit=0) as c:
        assert not isinstance(c.limiter, MachineBucket)  # limiting off


def test_unwritable_directory_falls_back_to_the_process_bucket(tmp_path, monkeypatch, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LEXFLOW_RATE_LIMIT_DIR", str(blocker / "sub"))
    limiter = account_limiter("lexware", "https://api.example", "k2", Limits(rate=2, concurrent=2, daily=10))
    assert isinstance(limiter.pace, TokenBucket) and isinstance(limiter.gate, ProcessGate)
    assert limiter.budget is not None and limiter.budget.path is None  # counted in memory
    assert "LEXFLOW_RATE_LIMIT_DIR" in caplog.text
