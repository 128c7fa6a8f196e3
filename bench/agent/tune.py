"""Fold the audit trail's frequent mistakes into the tool descriptions, only if the task suite does not score lower.

    .venv/bin/python -m bench.agent.tune --since 30d                    # propose, score with the oracle, keep or refuse
    .venv/bin/python -m bench.agent.tune --since 30d --model scripted --trials 2
    .venv/bin/python -m bench.agent.tune --since 30d --model anthropic:claude-sonnet-4-5 --trials 4   # the real gate

The hints come from `lexflow actions stats` (`lexflow.actions.hints.propose`: refused input fields, templated). The
suite runs twice, with the hints in effect now and with the proposal (`hints.override`); the proposal is written to
lexflow/actions/hints.json only when no pass^k (k = 1 .. trials) drops and no safety counter rises. Exit code 0:
kept (or nothing to change), 1: refused, 2: usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.agent.harness import Solver, run_suite
from bench.agent.model import Task


@dataclass
class Decision:
    accepted: bool
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


def gate(
    candidate: Mapping[str, list[str]],
    current: Mapping[str, list[str]],
    tasks: Iterable[Task],
    solver: Solver,
    trials: int = 1,
) -> Decision:
    """Score the suite with the current hints and with the candidate; keep the candidate only if nothing got worse."""
    from lexflow.actions.hints import override

    tasks = list(tasks)
    with override(current):
        before = run_suite(tasks, solver, trials)["summary"]
    with override(candidate):
        after = run_suite(tasks, solver, trials)["summary"]
    worse = [f"pass^{k} {before[f'pass^{k}']} → {after[f'pass^{k}']}" for k in range(1, trials + 1)
             if after[f"pass^{k}"] < before[f"pass^{k}"]]  # fmt: skip
    worse += [
        f"{name} {before['safety'][name]} → {n}" for name, n in after["safety"].items() if n > before["safety"][name]
    ]
    if worse:
        return Decision(False, "the suite scores lower with the new hints: " + ", ".join(worse), before, after)
    return Decision(True, f"pass^1 {before['pass^1']} → {after['pass^1']}, safety unchanged or better", before, after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agent.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--since", default="30d", help="audit window: 30d, 12h, 2w or a date (default 30d)")
    parser.add_argument("--actor-kind", default="agent", help="whose calls: agent (default), user, flow, or all")
    parser.add_argument("--url", default=None, help="database URL of the audit trail (default LEXFLOW_DATABASE_URL)")
    parser.add_argument("--model", default="oracle", help="the suite's solver (see python -m bench.agent --help)")
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (default: all)")
    parser.add_argument("--min-count", type=int, default=3, help="a mistake must occur this often (default 3)")
    parser.add_argument("--hints-file", type=Path, default=None, help="default lexflow/actions/hints.json")
    parser.add_argument("--dry-run", action="store_true", help="score, but write nothing")
    args = parser.parse_args(argv)

    from bench.agent.solvers import solver_for
    from bench.agent.tasks import by_id
    from lexflow.actions.hints import load_hints, propose, write_hints
    from lexflow.audit import AuditTrail
    from lexflow.audit.stats import parse_since, report

    try:
        since = parse_since(args.since)
        tasks = by_id(args.tasks)
        solver = solver_for(args.model)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kind = None if args.actor_kind == "all" else args.actor_kind
    stats = report(AuditTrail(args.url), since=since, actor_kind=kind)
    candidate = propose(stats.actions, min_count=args.min_count)
    current = load_hints(args.hints_file)
    print(f"{stats.records} calls since {since:%Y-%m-%d %H:%M} UTC; proposed hints:")
    for name, lines in sorted(candidate.items()):
        print("\n".join(f"  {name}: {line}" for line in lines))
    if candidate == current:
        print("no change to the hints in effect")
        return 0
    decision = gate(candidate, current, tasks, solver, args.trials)
    print(("kept: " if decision.accepted else "refused: ") + decision.reason)
    if decision.accepted and not args.dry_run:
        source = (f"audit since {since:%Y-%m-%d} ({stats.records} {kind or 'all'} calls); suite {args.model} "
                  f"x{args.trials}: {decision.reason}")  # fmt: skip
        print(f"wrote {write_hints(candidate, source, args.hints_file)}")
    return 0 if decision.accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
