"""`lexflow actions run --input` at its boundary (issue 13, item 7): unreadable inputs are usage errors naming
`--input`; nasty values end in a refusal naming the field; never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lexflow.cli import app
from tests.boundaries.fuzzing import NASTY, base_input, candidate_paths, names_field, with_value

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for var in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
    monkeypatch.setenv("LEXFLOW_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.dev]\nscopes = ["*"]\napproval_for = []\n')
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))
    monkeypatch.chdir(tmp_path)
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(name: str, value: str):
    return runner.invoke(app, ["actions", "run", name, "-p", "dev", "--input", value])


def _no_traceback(out) -> None:
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert "Traceback" not in out.output


def test_unreadable_input_files_are_usage_errors(cli_env):
    (cli_env / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (cli_env / "folder").mkdir()
    (cli_env / "huge.json").write_bytes(b'{"name": "' + b"x" * (9 * 1024 * 1024) + b'"}')
    for arg, says in [
        ("@missing.json", "does not exist"),
        ("@binary.json", "not UTF-8"),
        ("@folder", "is a directory"),
        ("@huge.json", "more than"),
        ('{"name": ', "not valid JSON"),
    ]:
        out = _run("contacts_list", arg)
        _no_traceback(out)
        assert out.exit_code == 2 and "--input" in out.output and says in out.output, (arg, out.output)


def test_nasty_values_through_the_cli_are_refused_naming_the_field(cli_env):
    names = ["upsert_customer", "preview_invoice", "lexware_create_expense", "open_items"]
    for i, name in enumerate(names):
        paths = candidate_paths(name)
        for j, value in enumerate(NASTY[::4]):
            path = paths[(i + j) % len(paths)]
            data = with_value(base_input(name), path, value)
            out = _run(name, json.dumps(data))
            _no_traceback(out)
            assert out.exit_code in (0, 1, 2), out.output
            if "invalid_input" in out.stderr:
                assert names_field(out.stderr, path, data), (name, path, out.stderr)
