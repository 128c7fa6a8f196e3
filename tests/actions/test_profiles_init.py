"""`lexflow profiles init`: the documented example profiles one command away; clear errors without a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lexflow.actions.policy import EXAMPLE_PROFILES, load_profiles, resolve_profile
from lexflow.cli import app


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEXFLOW_PROFILES_FILE", raising=False)
    monkeypatch.delenv("LEXWARE_PROD_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_unknown_profile_without_a_file_points_to_init_not_to_a_missing_file(config_home: Path) -> None:
    with pytest.raises(ValueError, match="unknown profile 'dev'") as caught:
        resolve_profile("dev")
    message = str(caught.value)
    assert "lexflow profiles init" in message and "defined in" not in message


def test_init_writes_the_documented_profiles_and_dev_works_without_the_prod_key(config_home: Path) -> None:
    result = CliRunner().invoke(app, ["profiles", "init"])
    assert result.exit_code == 0, result.output
    written = config_home / "lexflow" / "profiles.toml"
    assert written.read_text() == EXAMPLE_PROFILES
    assert resolve_profile("dev").grants("invoices:write")  # LEXWARE_PROD_KEY is unset: prod alone is unusable
    with pytest.raises(ValueError, match="LEXWARE_PROD_KEY"):
        resolve_profile("prod")
    assert set(load_profiles(need="")) == {"default", "dev", "agent"}
    again = CliRunner().invoke(app, ["profiles", "init"])
    assert again.exit_code == 1 and "--force" in again.output


def test_the_docs_show_the_profiles_init_writes() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    body = [line for line in EXAMPLE_PROFILES.splitlines() if line and not line.startswith("#")]
    assert all(line in docs for line in body)
