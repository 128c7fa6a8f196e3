"""CLI start-up: wall time of `lexflow --help` and of `lexflow sandbox --help`, and the import time of the CLI.

    .venv/bin/python bench/cli_startup.py [--runs 15]

Each run is a fresh process (what a person typing the command waits for). The goal is under 0.3 s for
`lexflow --help`: the command groups load lazily (`lexflow/cli.py`), so only typer and rich are imported.
`python -X importtime` gives the import share. Writes bench/results/cli_startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEXFLOW = str(Path(sys.executable).with_name("lexflow"))


def wall(argv: list[str], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "runs": runs}


def import_time(module: str) -> float:
    """Cumulative import time of `module` in seconds, from `python -X importtime`."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    ).stderr
    line = next(x for x in reversed(err.splitlines()) if re.search(rf"\|\s*{re.escape(module)}$", x))
    return int(line.split("|")[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    result = {
        "lexflow --help": wall([LEXFLOW, "--help"], args.runs),
        "lexflow sandbox --help": wall([LEXFLOW, "sandbox", "--help"], args.runs),
        "python -c pass": wall([sys.executable, "-c", "pass"], args.runs),
        "import lexflow.cli (s)": round(import_time("lexflow.cli"), 3),
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs",
    }
    print(json.dumps(result, indent=2))
    (ROOT / "bench" / "results" / "cli_startup.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
