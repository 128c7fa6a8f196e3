"""Client rate limiting under load: 300 writes from 4 workers against a sandbox that enforces R requests/second.

    .venv/bin/python bench/rate_limit.py                 # R=20, all runs, writes bench/results/rate_limit.json
    .venv/bin/python bench/rate_limit.py --skip-prefect  # without the 2-process Prefect run (no Prefect server)

Runs (each against a freshly reset sandbox served by uvicorn in its own process on 127.0.0.1, R req/s per key,
burst 2, Retry-After on 429):
- `bucket`: 4 threads, 4 LexwareClient objects sharing the process-wide token bucket at R;
- `off`: the same with client-side limiting switched off (the server's 429s + Retry-After do the limiting);
- `prefect`: 2 processes x 2 threads sharing one Prefect global concurrency limit (lexflow/prefect/limiter.py) at R,
  on a throwaway Prefect server (prefect_test_harness);
- `machine` / `per-process` (`--only machine`): `--processes` processes without Prefect, each with its own
  LexwareClient at R: the default machine-wide bucket (a file under an OS lock), and for comparison a bucket per
  process (the behaviour before).
Figures: throughput / R (goal >= 0.95), 429 answers after the first second (goal 0), failed writes and
duplicated writes (goal 0; every write is a contact with a unique name, counted afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Empty, Queue
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lexflow.lexware.client import CallRecord, LexwareClient, RetryPolicy  # noqa: E402

LIMIT_NAME = "lexware-api-bench"


def _write(client: LexwareClient, name: str) -> str:
    return client.contacts.create({"roles": {"customer": {}}, "company": {"name": name}}).id


def run_writers(
    url: str, key: str, names: list[str], threads: int, rate: float, limiter: Any = None, pause: float = 0.0
) -> dict[str, Any]:
    """Write `names` from `threads` workers (each resting `pause` s after a write); returns per-attempt records
    (wall-clock) and failures."""
    records: list[tuple[float, int | None]] = []
    lock = threading.Lock()
    failures: list[str] = []

    def listener(r: CallRecord) -> None:
        with lock:
            records.append((time.time(), r.status))

    clients = []
    for _ in range(threads):
        c = LexwareClient(
            api_key=key, base_url=url, rate_limit=rate, limiter=limiter, retry=RetryPolicy(max_attempts=10)
        )
        c.add_call_listener(listener)
        clients.append(c)

    queue: Queue[str] = Queue()
    for name in names:
        queue.put(name)

    def work(i: int) -> None:
        client = clients[i % threads]
        while True:
            try:
                name = queue.get_nowait()
            except Empty:
                return
            try:
                _write(client, name)
            except Exception as exc:
                with lock:
                    failures.append(f"{name}: {type(exc).__name__}: {exc}")
            time.sleep(pause)

    start = time.time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    end = time.time()
    for c in clients:
        c.close()
    return {"start": start, "end": end, "records": records, "failures": failures}


def _summary(
    label: str, rate: float, n: int, parts: list[dict[str, Any]], url: str, key: str, names: list[str]
) -> dict[str, Any]:
    start = min(p["start"] for p in parts)
    end = max(p["end"] for p in parts)
    records = [r for p in parts for r in p["records"]]
    failures = [f for p in parts for f in p["failures"]]
    elapsed = end - start
    successes = sum(1 for _, s in records if s is not None and s < 300)
    throughput = successes / elapsed
    late_429 = sum(1 for t, s in records if s == 429 and t > start + 1.0)
    all_429 = sum(1 for _, s in records if s == 429)
    with LexwareClient(api_key=key, base_url=url, rate_limit=rate) as c:
        stored = Counter(
            x.company.name for x in c.contacts.list() if x.company is not None and x.company.name in set(names)
        )
    duplicated = sum(v - 1 for v in stored.values() if v > 1)
    missing = sum(1 for n_ in names if stored[n_] == 0)
    out = {
        "run": label,
        "load_avg_1min_after": round(os.getloadavg()[0], 2),
        "writes": n,
        "elapsed_s": round(elapsed, 2),
        "throughput_rps": round(throughput, 2),
        "throughput_over_R": round(throughput / rate, 3),
        "http_attempts": len(records),
        "429_total": all_429,
        "429_after_first_second": late_429,
        "429_at_s": [round(t - start, 2) for t, s_ in records if s_ == 429][:10],
        "failed_writes": len(failures) + missing,
        "duplicated_writes": duplicated,
    }
    if failures:
        out["failure_examples"] = failures[:3]
    print(json.dumps(out), flush=True)
    return out


def _names(prefix: str, n: int) -> list[str]:
    return [f"Bench {prefix} {i:04d}" for i in range(n)]


class ServedProcess:
    """`lexflow sandbox serve --rate-limit R` in its own process, like the real API: its clock and GIL are not
    shared with the clients, so what it measures is what the clients send."""

    def __init__(self, rate: float) -> None:
        from lexflow.lexware.sandbox import DEFAULT_API_KEY
        from lexflow.sandbox.gateway import free_port
        from lexflow.testing.sandbox_control import SandboxControl

        port = free_port()
        self.url, self.api_key = f"http://127.0.0.1:{port}", DEFAULT_API_KEY
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "lexflow.cli", "sandbox", "serve", "--port", str(port), "--rate-limit", str(rate)],
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.control = SandboxControl(self.url, self.api_key)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.control.clock()
                break
            except Exception:
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.control.close()
        self._proc.terminate()
        self._proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=20.0, help="R: requests/second the sandbox enforces")
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--skip-prefect", action="store_true")
    ap.add_argument(
        "--only", choices=["bucket", "off", "prefect", "machine"], help="run one configuration (for a quick look)"
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rate_limit.json"))
    # worker mode (the Prefect run's child processes)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--key", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    ap.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--plain", choices=["machine", "per-process"], help=argparse.SUPPRESS)
    ap.add_argument("--processes", type=int, default=2, help="Prefect run: worker processes (threads are split)")
    ap.add_argument("--pause", type=float, default=0.0, help="Prefect run: each worker rests this long after a write")
    ap.add_argument("--keep-idle-leases", action="store_true", help="Prefect run: do not give idle leases back")
    ap.add_argument("--prefect-api-url", help="Prefect run: use this server instead of a throwaway SQLite one")
    ap.add_argument(
        "--lease-seconds",
        type=float,
        help="Prefect run: one lease is R x this many slots (default: lexflow.prefect.limiter's)",
    )
    args = ap.parse_args()

    if args.worker and args.plain:  # no Prefect: the client's default limiter, or a bucket of this process only
        from lexflow.transport.limits import TokenBucket

        names = _names(args.prefix, args.writes)
        while time.time() < args.start_at:
            time.sleep(0.005)
        limiter = TokenBucket(args.rate * 0.97) if args.plain == "per-process" else None
        print(json.dumps(run_writers(args.url, args.key, names, args.threads, args.rate, limiter=limiter)))
        return
    if args.worker:
        from lexflow.prefect.limiter import prefect_limiter

        names = _names(args.prefix, args.writes)
        while time.time() < args.start_at:
            time.sleep(0.005)
        limiter = prefect_limiter(LIMIT_NAME)
        if args.keep_idle_leases:  # for comparison only: the lease then decays on the server as a whole
            limiter.book.idle = lambda now: (0, None)  # type: ignore[method-assign]
        starts: list[float] = []
        _orig = limiter.book._start_lease

        def _logged(sent: float, received: float) -> None:
            starts.append(time.time() - (time.monotonic() - received))
            _orig(sent, received)

        limiter.book._start_lease = _logged  # type: ignore[method-assign]
        part = run_writers(args.url, args.key, names, args.threads, 0, limiter=limiter, pause=args.pause)
        part["leases"], part["refused_takes"] = limiter.book.leases, limiter.book.refused
        part["unspent"], part["released"] = limiter.book.unspent, limiter.book.released
        part["lease_starts"] = starts
        print(json.dumps(part))
        return

    served = ServedProcess(args.rate)
    results: dict[str, Any] = {"R": args.rate, "burst": 2, "writes": args.writes, "workers": args.threads, "runs": []}
    try:
        for label, client_rate in (("bucket", args.rate), ("off", 0.0)):
            if args.only and args.only != label:
                continue
            served.control.reset()
            time.sleep(1.1)  # let the server bucket refill after the reset calls
            names = _names(label, args.writes)
            part = run_writers(served.url, served.api_key, names, args.threads, client_rate)
            results["runs"].append(_summary(label, args.rate, args.writes, [part], served.url, served.api_key, names))
        if not args.skip_prefect and args.only in (None, "prefect"):
            results["runs"].append(_prefect_run(args, served))
        if args.only == "machine":
            for mode in ("machine", "per-process"):
                results["runs"].append(_plain_run(args, served, mode))
    finally:
        served.stop()
    results["command"] = " ".join(["python bench/rate_limit.py", *sys.argv[1:]])
    results["python"] = sys.version.split()[0]
    results["cpus"] = os.cpu_count()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


def _plain_run(args: argparse.Namespace, served: Any, mode: str) -> dict[str, Any]:
    """`--processes` processes on one key without Prefect, one client each: the machine-wide bucket or, for
    comparison, a bucket per process."""
    import tempfile

    served.control.reset()
    time.sleep(1.1)
    n, per_proc = args.processes, args.writes // args.processes
    env = {**os.environ, "LEXFLOW_RATE_LIMIT_DIR": tempfile.mkdtemp(prefix="lexflow-bench-rl-")}
    start_at = time.time() + 8.0  # every child has imported lexflow by then
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "--plain", mode, "--url", served.url, "--key", served.api_key,
             "--prefix", f"{mode}-p{i}", "--writes", str(per_proc), "--threads", "1", "--rate", str(args.rate),
             "--start-at", str(start_at)],
            env=env, stdout=subprocess.PIPE, text=True, cwd=str(ROOT),
        )
        for i in range(n)
    ]  # fmt: skip
    parts = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    names = [name for i in range(n) for name in _names(f"{mode}-p{i}", per_proc)]
    return _summary(f"{mode}-{n}proc", args.rate, per_proc * n, parts, served.url, served.api_key, names)


def _prefect_run(args: argparse.Namespace, served: Any) -> dict[str, Any]:
    """`--processes` processes x (threads / processes) workers sharing one Prefect global concurrency limit of R/s."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from lexflow.prefect.limiter import ensure_rate_limit

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    server: Any = prefect_test_harness(server_startup_timeout=120)
    if args.prefect_api_url:  # a running Prefect server (e.g. on PostgreSQL) instead of a throwaway one on SQLite
        from prefect.settings import temporary_settings

        server = temporary_settings(updates={PREFECT_API_URL: args.prefect_api_url})
    with server:
        limit = ensure_rate_limit(LIMIT_NAME, rps=args.rate, lease_seconds=args.lease_seconds)
        api_url = PREFECT_API_URL.value()
        served.control.reset()
        time.sleep(1.1)
        env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_LOGGING_LEVEL": "WARNING"}
        start_at = time.time() + 8.0  # both children import prefect first, then start together
        n = args.processes
        per_proc = args.writes // n
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", "--url", served.url, "--key", served.api_key,
                 "--prefix", f"prefect-p{i}", "--writes", str(per_proc), "--threads", str(max(1, args.threads // n)),
                 "--start-at", str(start_at), "--pause", str(args.pause)]
                + (["--keep-idle-leases"] if args.keep_idle_leases else []),
                env=env, stdout=subprocess.PIPE, text=True, cwd=str(ROOT),
            )
            for i in range(n)
        ]  # fmt: skip
        parts = []
        for p in procs:
            out, _ = p.communicate(timeout=600)
            parts.append(json.loads(out.strip().splitlines()[-1]))
        names = [name for i in range(n) for name in _names(f"prefect-p{i}", per_proc)]
        label = f"prefect-{n}proc" + (f"-pause{args.pause:g}" if args.pause else "")
        label += "-keep-idle" if args.keep_idle_leases else ""
        out = _summary(label, args.rate, per_proc * n, parts, served.url, served.api_key, names)
        out["lease_slots"] = limit.limit
        out["leases"] = sum(p["leases"] for p in parts)
        out["refused_takes"] = sum(p["refused_takes"] for p in parts)
        out["unspent_slots"] = sum(p["unspent"] for p in parts)
        out["released_slots"] = sum(p["released"] for p in parts)
        t0 = min(p["start"] for p in parts)
        out["lease_starts_s"] = sorted(round(t - t0, 3) for p in parts for t in p["lease_starts"])
        out["ends_s"] = [round(p["end"] - t0, 3) for p in parts]
        print(
            json.dumps(
                {
                    k: out[k]
                    for k in (
                        "lease_slots",
                        "leases",
                        "refused_takes",
                        "unspent_slots",
                        "released_slots",
                        "lease_starts_s",
                        "ends_s",
                    )
                }
            ),
            flush=True,
        )
        return out


if __name__ == "__main__":
    main()
