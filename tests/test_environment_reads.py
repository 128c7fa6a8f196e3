"""Every environment read in lexflow goes through a pydantic-settings model (lexflow/settings.py and the settings
modules beside the subsystems), so a variable has one place, a type, a default and a description."""

from __future__ import annotations

import re
from pathlib import Path

import lexflow

LIBRARY = Path(lexflow.__file__).parent
RAW_READ = re.compile(r"\bos\.environ\b|\bgetenv\s*\(|\bfrom\s+os\s+import\b[^\n]*\benviron\b")

ALLOWED = {
    "operations.py": "the crash-point hook (LEXFLOW_CRASH_AT) is read at every point; a settings object there would "
    "cost more than the check and the hook is for the kill -9 tests only",
    "audit/redact.py": "scans every LEXWARE_*/LEXFLOW_*/SLACK_* variable named like a secret, whatever its name; "
    "no model can list them",
    "actions/policy.py": "a profile's api_key_env names the variable holding its key; the name is data from the "
    "profiles file, not a setting",
    "cli.py": "`--provider` writes LEXFLOW_PROVIDER once at start, so every settings model of the command sees the "
    "choice; it reads none",
    "dev.py": "writes the dev services' variables for the receiver it starts; it reads none",
    "prefect/demo.py": "`make demo` configures the Prefect server and flows it starts through their environment: it "
    "writes variables, hands its environment to the server subprocess, and echoes back what it set",
}


def _raw_reads() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_READ.search(line.split("#", 1)[0]):
                found.setdefault(path.relative_to(LIBRARY).as_posix(), []).append(number)
    return found


def test_no_raw_environment_reads_outside_the_allowlist():
    unexpected = {name: lines for name, lines in _raw_reads().items() if name not in ALLOWED}
    assert unexpected == {}, "read these through a pydantic-settings model (lexflow/settings.py)"


def test_the_allowlist_has_no_stale_entries():
    assert set(ALLOWED) <= set(_raw_reads()), "an allowlisted module no longer reads the environment: drop it"


def test_the_pattern_finds_raw_reads():
    for line in ('x = os.environ.get("A")', 'os.getenv("A")', "from os import environ, path", 'if "A" in os.environ:'):
        assert RAW_READ.search(line), line
    assert not RAW_READ.search("runtime_settings().statement_dir")
