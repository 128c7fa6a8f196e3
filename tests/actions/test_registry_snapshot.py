"""The action catalogue is a public contract (CLI, MCP, tool export): a refactoring must not change it.

`registry_snapshot.json` records every action, in catalogue order, with its group, effect, scope and flags in
plain text, and a digest of its description, examples and JSON schemas (the full schemas would be half a megabyte).
A deliberate
change to the catalogue regenerates it with `LEXFLOW_UPDATE_SNAPSHOT=1 pytest tests/actions/test_registry_snapshot.py`
and the diff shows in review what agents and scripts will see.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("registry_snapshot.json")


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _catalogue() -> list[dict[str, Any]]:
    from lexflow.actions import registry

    return [
        {
            "name": a.name,
            "group": a.group,
            "effect": a.effect,
            "scope": a.scope,
            "idempotent": a.idempotent,
            "uses_client": a.uses_client,
            "lowers_effect": a.input_effect is not None,
            "description": _digest(a.description),
            "examples": _digest(a.examples),
            "input_schema": _digest(a.input_schema()),
            "output_schema": _digest(a.output_schema()),
        }
        for a in registry
    ]


def test_catalogue_matches_the_snapshot() -> None:
    current = _catalogue()
    if os.environ.get("LEXFLOW_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text("[\n" + ",\n".join(json.dumps(a, sort_keys=True) for a in current) + "\n]\n")
    recorded = json.loads(SNAPSHOT.read_text())
    assert [a["name"] for a in current] == [a["name"] for a in recorded], "actions added, removed or reordered"
    for now, before in zip(current, recorded, strict=True):
        assert now == before, f"{now['name']} changed"
