"""Benchmark: Slack click → paused flow run continues, over N approvals per pause poll interval.

    .venv/bin/python bench/approvals.py                      # 20 approvals at poll 0.2, 1 and 5 s
    .venv/bin/python bench/approvals.py --approvals 5 --poll 1   # a quick look

Everything real except Slack's cloud: a Prefect test server (prefect_test_harness), the receiver (slack-bolt +
Starlette under uvicorn on 127.0.0.1), the fake Slack Web API (uvicorn), SQLite for the pending requests and the
audit trail. Each approval: a flow pauses in `request_approval`; once Prefect shows it PAUSED, a correctly signed
`block_actions` payload is POSTed after a random "think time" (uniform 0..poll, seed 42: people click at a random
phase of the flow's polling) to the receiver; we time the HTTP ack, the moment the receiver's
`resume_flow_run` returned (recorded `decided_at`), and the moment `request_approval` returned inside the flow.
Prints the figures and writes bench/results/approvals.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

from prefect import flow

from lexflow.approvals import DecisionRequest, Summary, Totals, request_approval
from lexflow.approvals.settings import SlackApprovalSettings
from lexflow.approvals.store import ApprovalStore
from lexflow.testing.fake_slack import FakeSlack
from lexflow.testing.slack_clicks import click

SECRET = "bench-signing-secret"
APPROVER = "U0BENCH"
RESUMED: dict[str, float] = {}
CONTEXT: dict[str, Any] = {}


@flow(name="approval-bench")
def approval_bench_flow(subject: str, poll: float) -> bool:
    request = DecisionRequest(
        subject=subject,
        kind="invoice",
        expires_in=timedelta(minutes=10),
        summary=Summary(totals=Totals(net=100, tax=19, gross=119)),  # type: ignore[arg-type]
    )
    decision = request_approval(request, settings=CONTEXT["settings"], poll_interval=poll)
    RESUMED[subject] = time.time()
    return decision.approved


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "p95": round(_pct(values, 0.95), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def run_series(poll: float, n: int, fake: FakeSlack, receiver_url: str, store: ApprovalStore) -> dict[str, Any]:
    from prefect import get_client

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    rng = random.Random(42)
    acks, resumed_server, resumed_flow = [], [], []
    for i in range(n):
        subject = f"Bench invoice {poll}-{i}"
        future = pool.submit(approval_bench_flow, subject, poll)
        posted = fake.wait_for_request(len(fake.posted_requests()) + 1, timeout=60)
        row = store.get(posted.request_id)
        assert row is not None and row.flow_run_id

        async def state(flow_run_id: str = row.flow_run_id) -> str:
            async with get_client() as client:
                fr = await client.read_flow_run(flow_run_id)  # type: ignore[arg-type]
                return fr.state.type.value if fr.state else ""

        import asyncio

        while asyncio.run(state()) != "PAUSED":
            time.sleep(0.02)
        # A person clicks at a random moment relative to the flow's polling, not right after the pause.
        time.sleep(rng.uniform(0, poll))
        t0 = time.time()
        resp = click(receiver_url, SECRET, posted, user=APPROVER)
        acks.append(time.time() - t0)
        assert resp.status_code == 200, resp.text
        assert future.result(timeout=120) is True
        done = store.get(posted.request_id)
        assert done is not None and done.decided_at is not None
        resumed_server.append(done.decided_at.timestamp() - t0)
        resumed_flow.append(RESUMED[subject] - t0)
    pool.shutdown()
    return {
        "poll_interval_s": poll,
        "approvals": n,
        "ack_s": _summary(acks),
        "click_to_resume_accepted_s": _summary(resumed_server),
        "click_to_flow_resumed_s": _summary(resumed_flow),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--approvals", type=int, default=20)
    parser.add_argument("--poll", type=float, action="append", help="pause poll interval(s) in seconds")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "approvals.json"))
    args = parser.parse_args()
    polls = args.poll or [0.2, 1.0, 5.0]

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from lexflow.approvals.receiver import create_receiver_app
    from lexflow.approvals.serving import ThreadedServer

    tmp = Path(tempfile.mkdtemp())
    series = []
    with (
        prefect_test_harness(server_startup_timeout=90),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        FakeSlack(token="xoxb-bench") as fake,
    ):
        settings = SlackApprovalSettings(
            bot_token=fake.token,
            signing_secret=SECRET,
            channel="C0BENCH",
            approvers=[APPROVER],
            base_url=fake.api_url,
            database_url=f"sqlite:///{tmp / 'lexflow.db'}",
            _env_file=None,  # type: ignore[call-arg]
        )
        CONTEXT["settings"] = settings
        store = ApprovalStore(settings.resolved_database_url())
        with ThreadedServer(create_receiver_app(settings, sweep_interval=None)) as receiver:
            for poll in polls:
                result = run_series(poll, args.approvals, fake, receiver.url, store)
                series.append(result)
                flow_s = result["click_to_flow_resumed_s"]
                print(
                    f"poll {poll:>4} s: ack median {result['ack_s']['median'] * 1000:.0f} ms | "
                    f"resume accepted median {result['click_to_resume_accepted_s']['median']:.3f} s | "
                    f"click→flow resumed median {flow_s['median']:.3f} s, p95 {flow_s['p95']:.3f} s, "
                    f"max {flow_s['max']:.3f} s  (n={args.approvals})"
                )
    out = {
        "benchmark": "approvals",
        "command": "python bench/approvals.py"
        + "".join(f" --poll {p}" for p in (args.poll or []))
        + (f" --approvals {args.approvals}" if args.approvals != 20 else ""),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goal": "click → flow resumed median < 2 s",
        "series": series,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
