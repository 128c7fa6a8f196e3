"""`lexflow serve`: serve every deployment of `deployments/prefect.yaml` from this process (no work pool).

The YAML file stays the one place where schedules and parameters live; this module only reads it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

PREFECT_YAML = Path(__file__).resolve().parent.parent / "deployments" / "prefect.yaml"


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("deployments") or [])


def load_flow(entrypoint: str) -> Any:
    """`flows/sync_history.py:sync_history` → the flow object (ImportError if the module is not there yet)."""
    file, _, attr = entrypoint.partition(":")
    module = file.removesuffix(".py").replace("/", ".")
    return getattr(importlib.import_module(module), attr)


def runner_deployments(path: Path = PREFECT_YAML, schedules: bool = True) -> tuple[list[Any], list[str]]:
    """(RunnerDeployments, skipped entrypoints with the reason)."""
    from prefect.schedules import Cron

    deps, skipped = [], []
    for spec in deployment_specs(path):
        try:
            fl = load_flow(spec["entrypoint"])
        except (ImportError, AttributeError) as exc:
            skipped.append(f"{spec['entrypoint']}: {exc}")
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
    return deps, skipped
