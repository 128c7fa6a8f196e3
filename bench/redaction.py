"""Redaction speed on adversarial text: every pattern must stay linear (issue 13; the old e-mail pattern was
quadratic: 40 KB took 2.9 s and 1 MB did not finish in 90 s).

    .venv/bin/python bench/redaction.py [--size 1000000]

Times the pattern pass over `--size` characters of each repeated fragment (no cut-off, so the patterns
themselves are measured) and `redact_text` (which cuts text at MAX_SCAN first); writes bench/results/redaction.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lexflow.audit.redact import MAX_SCAN, _redact_patterns, redact_text

UNITS = [
    "a",
    "a.",
    "a@",
    "a@a.",
    "eyJ-",
    "xoxb-",
    "-----BEGIN A-----",
    "DE12 ",
    "bearer ",
    "://a:",
    " ",
    "DE89370400440532013000 ",
]


def _timed(fn, text: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = []
    for unit in UNITS:
        text = (unit * (args.size // len(unit) + 1))[: args.size]
        rows.append(
            {
                "fragment": unit,
                "patterns_s": round(_timed(_redact_patterns, text), 3),
                "redact_text_s": round(_timed(redact_text, text), 3),
            }
        )
        print(f"{unit!r:28} patterns {rows[-1]['patterns_s']:6.3f} s   redact_text {rows[-1]['redact_text_s']:6.3f} s")
    out = {"size": args.size, "max_scan": MAX_SCAN, "rows": rows}
    path = Path(__file__).parent / "results" / "redaction.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
