"""`lexflow serve`: serve every deployment of `deployments/prefect.yaml` from this process (no work pool).

The YAML file stays the one place where schedules and parameters live; this module only reads it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

from lexflow.errors import LexflowError

PREFECT_YAML = Path(__file__).resolve().parents[2] / "deployments" / "prefect.yaml"


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("deployments") or [])


def load_flow(entrypoint: str) -> Any:
    """`flows/sync_history.py:sync_history` → the flow object (ImportError or AttributeError if it is not there)."""
    file, _, attr = entrypoint.partition(":")
    module = file.removesuffix(".py").replace("/", ".")
    return getattr(importlib.import_module(module), attr)


class InvalidDeployments(LexflowError, ValueError):
    """Deployments whose parameters the flow would refuse: found at start, not when the schedule fires."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid deployment parameters:\n" + "\n".join(f"  - {p}" for p in problems))


def parameter_problems(fl: Any, parameters: dict[str, Any]) -> list[str]:
    """What the Prefect server's schema check would refuse in these parameters (unknown names included), each
    naming the field; required parameters may be left for the run to supply."""
    from prefect.utilities.schema_tools import validate

    from lexflow.audit import redact_text

    schema = fl.parameters.model_dump(mode="json")
    known = set(schema.get("properties") or {})
    problems = [
        f"{name}: not a parameter of {fl.name} (it has: {', '.join(sorted(known))})"
        for name in parameters
        if name not in known
    ]
    for error in validate(parameters, schema, ignore_required=True):
        field = ".".join(str(p) for p in error.absolute_path) or "(parameters)"
        problems.append(f"{field}: {redact_text(error.message)}")  # the message quotes the value
    return problems


def runner_deployments(path: Path = PREFECT_YAML, schedules: bool = True) -> list[Any]:
    """The RunnerDeployments; `InvalidDeployments` if an entrypoint names no flow or any parameter is wrong."""
    from prefect.schedules import Cron

    deps, problems = [], []
    for spec in deployment_specs(path):
        try:
            fl = load_flow(spec["entrypoint"])
        except (ImportError, AttributeError) as exc:
            problems.append(f"{spec['name']} ({spec['entrypoint']}): no such flow ({exc})")
            continue
        for problem in parameter_problems(fl, spec.get("parameters") or {}):
            problems.append(f"{spec['name']} ({spec['entrypoint']}) parameter {problem}")
        if problems:
            continue
        sched = [Cron(s["cron"], timezone=s.get("timezone")) for s in spec.get("schedules") or []] if schedules else []
        deps.append(
            fl.to_deployment(
                name=spec["name"],
                schedules=sched or None,
                parameters=spec.get("parameters") or None,
                tags=spec.get("tags"),
                description=spec.get("description"),
            )
        )
    if problems:
        raise InvalidDeployments(problems)
    return deps
