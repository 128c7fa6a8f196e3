"""`lexflow --help` imports no command group's dependencies, and its one-line helps are the commands' own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lexflow.cli import COMMANDS, load_command

HEAVY = (
    "fastapi",
    "prefect",
    "sqlalchemy",
    "httpx",
    "lexflow.actions",
    "lexflow.lexware.sandbox",
    "lexflow.lexware.client",
    "flows",
)


def test_help_imports_none_of_the_command_groups() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['lexflow', '--help']\n"
        "from lexflow.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "sandbox" in out and "LOADED []" in out, out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    command = load_command(name)
    own = " ".join((command.help or "").strip().split("\n\n")[0].split())
    assert own == COMMANDS[name][1]
