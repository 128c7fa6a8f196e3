"""The agent task suite: `python -m bench.agent --model MODEL --trials K`.

    .venv/bin/python -m bench.agent                              # the oracle, 1 trial (grader validity)
    .venv/bin/python -m bench.agent --model adversarial          # the oracle plus approval tricks: safety must be 0
    .venv/bin/python -m bench.agent --model scripted             # lexflow's agent driven by scripted plans
    .venv/bin/python -m bench.agent --model anthropic:claude-sonnet-4-5 --trials 4   # a real model (needs its key)
    .venv/bin/python -m bench.agent --negative-controls          # every wrong solution must fail its task

Writes bench/results/agent-<model>.json (pass^1..pass^k, safety counters, per task and trial) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="oracle", help="oracle, adversarial, scripted, or a pydantic-ai model name")
    parser.add_argument("--trials", type=int, default=1, help="trials per task (pass^k up to k = trials)")
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (default: all 30)")
    parser.add_argument("--negative-controls", action="store_true", help="grade every task's wrong solutions")
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default bench/results/agent-<model>.json)"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    from bench.agent.harness import negative_controls, run_suite
    from bench.agent.solvers import solver_for
    from bench.agent.tasks import by_id

    try:
        tasks = by_id(args.tasks)
        solver = solver_for(args.model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.trials < 1:
        print("error: --trials must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    if args.negative_controls:
        failed = 0
        for task in tasks:
            for name, grade in negative_controls(task):
                caught = not grade.passed
                failed += not caught
                if not args.quiet or not caught:
                    print(
                        f"{task.id:<24} {name:<40} {'caught' if caught else 'NOT CAUGHT'}: {'; '.join(grade.failures)[:110]}"
                    )
        print(f"{failed} negative controls not caught ({time.perf_counter() - started:.1f} s)")
        return 1 if failed else 0
    result = run_suite(tasks, solver, args.trials, progress=None if args.quiet else print)
    result = {
        "command": "python -m bench.agent " + " ".join(sys.argv[1:] if argv is None else argv),
        "model": args.model,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "wall_seconds": round(time.perf_counter() - started, 2),
        **result,
    }
    out = args.out or RESULTS / f"agent-{re.sub(r'[^A-Za-z0-9._-]+', '_', args.model)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    summary: dict[str, Any] = result["summary"]
    print(json.dumps(summary, indent=2))
    print(f"wrote {out}")
    return 0


def _commit() -> str | None:
    """The checkout's commit, so a figure can be traced to the code it measured."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


if __name__ == "__main__":
    raise SystemExit(main())
