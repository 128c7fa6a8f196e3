"""Frequent mistakes folded into the tool descriptions: the loop that lets reliability climb.

`propose(stats)` turns the audit trail's most frequent refused input fields (`lexflow actions stats`) into one short,
templated line per mistake (no generated prose: what was refused, and how often). The lines live in `hints.json`
next to this module and `tool_description` appends them, so every exposure (MCP, exported tools, the agent) shows
them. The file changes only through `python -m bench.agent.tune`, which keeps a proposal only when the agent task
suite scores at least as well with it as without (docs/actions.md#frequent-mistakes-in-the-tool-descriptions).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from lexflow.audit.stats import ActionStats

HINTS_FILE = Path(__file__).with_name("hints.json")
MAX_HINTS = 3
MAX_HINT_CHARS = 200


class HintsFile(BaseModel):
    """What `hints.json` holds: per action name, the lines appended to its description."""

    source: str = Field(default="", description="Where the hints came from (audit window, records, suite scores).")
    hints: dict[str, list[str]] = Field(default_factory=dict)


_override: list[dict[str, list[str]]] = []


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, list[str]]:
    if not path.exists():
        return {}
    return HintsFile.model_validate_json(path.read_text(encoding="utf-8")).hints


def load_hints(path: Path | None = None) -> dict[str, list[str]]:
    """The hints in effect: an `override` in progress, else the file's."""
    if _override and path is None:
        return _override[-1]
    return _load(path or HINTS_FILE)


def hints_for(action: str) -> list[str]:
    return load_hints().get(action, [])


@contextmanager
def override(hints: Mapping[str, list[str]]) -> Iterator[None]:
    """Use these hints instead of the file's for the duration (the tuning gate scores a proposal this way)."""
    _override.append({k: list(v) for k, v in hints.items()})
    try:
        yield
    finally:
        _override.pop()


def propose(stats: Iterable[ActionStats], *, min_count: int = 3, min_share: float = 0.05) -> dict[str, list[str]]:
    """Hint lines from the most frequent refused input fields: a field refused at least `min_count` times and in at
    least `min_share` of the action's calls; at most `MAX_HINTS` per action, most frequent first."""
    out: dict[str, list[str]] = {}
    for row in stats:
        lines = []
        for kind in row.error_kinds:
            if not kind.kind.startswith("invalid_input") or kind.count < min_count:
                continue
            if kind.count / row.calls < min_share:
                continue
            line = f"{kind.field}: {kind.example or 'refused'} ({kind.count} of {row.calls} calls)"
            lines.append(line[:MAX_HINT_CHARS])
            if len(lines) == MAX_HINTS:
                break
        if lines:
            out[row.action] = lines
    return out


def write_hints(hints: Mapping[str, list[str]], source: str, path: Path | None = None) -> Path:
    target = path or HINTS_FILE
    body = HintsFile(source=source, hints={k: list(v) for k, v in sorted(hints.items())})
    target.write_text(json.dumps(body.model_dump(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _load.cache_clear()
    return target
