"""`lexflow.cli_support`: an expected error ends every CLI with one escaped, redacted line and exit code 1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lexflow.cli import app
from lexflow.cli_support import fail, reported_errors
from lexflow.settings import get_settings
from lexflow.transport.errors import FieldIssue, ValidationFailed

runner = CliRunner()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _validation_error(secret: str) -> ValidationFailed:
    return ValidationFailed(
        f"Validation failed (sent with Bearer {secret})",
        status=406,
        issues=[FieldIssue("lineItems[0].unitPrice.taxRatePercentage", "missing_entity"), FieldIssue("[x]", "bold")],
        method="POST",
        path="/v1/invoices",
        hint="Fix the fields named above",
    )


def test_a_validation_errors_field_list_is_printed_and_secrets_are_not(
    settings_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_env.setenv("LEXWARE_API_KEY", "configured-key-4711")
    error = _validation_error("configured-key-4711")
    error.message += " for key configured-key-4711"
    with pytest.raises(typer.Exit) as ended:
        fail(error)
    assert ended.value.exit_code == 1
    out = capsys.readouterr()
    text = " ".join(out.err.split())
    assert out.out == "" and text.startswith("error: POST /v1/invoices HTTP 406")
    assert "[lineItems[0].unitPrice.taxRatePercentage: missing_entity; [x]: bold]" in text  # not read as markup
    assert "configured-key-4711" not in out.err and "Fix the fields named above" in text


def test_reported_errors_end_the_command_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as ended, reported_errors(KeyError):
        raise KeyError("no ledger entry [tx-1]")
    assert ended.value.exit_code == 1 and "Traceback" not in capsys.readouterr().err
    with pytest.raises(RuntimeError), reported_errors():  # an unexpected error is not hidden
        raise RuntimeError("bug")


@pytest.fixture
def api_env(served_sandbox: Any, settings_env: pytest.MonkeyPatch) -> Any:
    served_sandbox.reset()
    for name, value in {
        "LEXWARE_API_KEY": served_sandbox.api_key,
        "LEXWARE_BASE_URL": served_sandbox.url,
        "LEXWARE_RATE_LIMIT": "0",
    }.items():
        settings_env.setenv(name, value)
    return served_sandbox


@pytest.mark.parametrize(
    "args",
    [["invoices", "get", "{id}"], ["webhooks", "delete", "{id}"]],
    ids=["client", "webhooks"],
)
def test_the_clis_print_the_apis_field_list(api_env: Any, args: list[str]) -> None:
    missing = str(uuid.uuid4())
    result = runner.invoke(app, [a.format(id=missing) for a in args])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.splitlines()[0].startswith(f"backend: Lexware Office API at {api_env.url}")
    error = " ".join(result.stderr.split())
    assert error.startswith("error: ") and "HTTP 404" in error and "[id: NOT_FOUND" in error


def test_bank_cli_api_error_exit_1_without_the_key(api_env: Any, settings_env: Any, tmp_path: Path) -> None:
    statement = tmp_path / "konto.xml"
    statement.write_text(api_env.control.bank_statement(format="camt053", seed=1)["statement"])
    settings_env.setenv("LEXWARE_API_KEY", "not-a-key-of-this-sandbox")
    settings_env.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'lexflow.db'}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["reconcile", str(statement)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    error = " ".join(result.stderr.split())
    assert error.startswith("error: ") and "HTTP 401" in error and "nothing was acted on" in error
    assert "not-a-key-of-this-sandbox" not in result.output
