"""`lexflow reconcile FILE [--dry-run]` and `lexflow bank ...` against the served sandbox over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lexflow.cli import app


@pytest.fixture
def env(served_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from lexflow.settings import get_settings

    served_sandbox.reset()
    served_sandbox.control.seed(vouchers=60, seed=3)
    monkeypatch.setenv("LEXWARE_API_KEY", served_sandbox.api_key)
    monkeypatch.setenv("LEXWARE_BASE_URL", served_sandbox.url)
    monkeypatch.setenv("LEXWARE_RATE_LIMIT", "0")
    monkeypatch.setenv("LEXFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'lexflow.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    # the module's console took its width when first imported (maybe by an earlier test on this worker): widen it too
    from lexflow.banking import cli as banking_cli

    monkeypatch.setattr(banking_cli.console, "width", 200)
    get_settings.cache_clear()
    yield served_sandbox
    get_settings.cache_clear()


def test_reconcile_dry_run_then_for_real(env: Any, tmp_path: Path) -> None:
    export = env.control.bank_statement(format="mt940", noise=True, seed=8)
    statement = tmp_path / "konto.sta"
    statement.write_text(export["statement"])
    runner = CliRunner()

    dry = runner.invoke(app, ["reconcile", str(statement), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[0].startswith("backend: Lexware Office API at http://127.0.0.1")
    assert "dry run: nothing was written" in dry.output and "exact" in dry.output

    real = runner.invoke(app, ["reconcile", str(statement), "--json"])
    report = json.loads(real.output[real.output.index("{") :])
    acted = report["review_items"] + report["flagged"]
    assert acted > 0 and report["skipped_already_done"] == 0
    # the dry run counted what the real run then did (it used to say "0 would be put up, 0 flagged")
    flat = " ".join(dry.output.split())
    assert f"{report['review_items']} exact matches would be put up" in flat
    assert f"{report['flagged']} would be flagged for a person" in flat
    assert all("DE" not in i["counterparty_iban"][4:] for i in report["items"])  # masked

    again = runner.invoke(app, ["bank", "reconcile", str(statement), "--show", "none"])
    assert f"{acted} already handled by an earlier run" in " ".join(again.output.split())

    ledger = runner.invoke(app, ["bank", "ledger", "--status", "awaiting_assignment"])
    assert ledger.exit_code == 0 and "awaiting_assignment" in ledger.output


def test_malformed_statement_names_the_line(env: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sta"
    bad.write_text(
        ":20:X\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261124EUR0,00\n:61:26XX24C12,00NTRF\n:62F:C261124EUR0,00\n-\n"
    )
    result = CliRunner().invoke(app, ["reconcile", str(bad)])
    assert result.exit_code == 2
    assert "bad.sta: line 5" in result.output


def test_fints_without_the_extra_says_how_to_install(tmp_path: Path) -> None:
    pytest.importorskip("lexflow.banking.readers.fints")
    try:
        import fints  # noqa: F401

        pytest.skip("fints is installed: the live source needs a bank (not testable offline)")
    except ImportError:
        pass
    args = [
        "bank",
        "fints",
        str(tmp_path / "out.xml"),
        "--blz",
        "12030000",
        "--login",
        "u",
        "--iban",
        "DE02120300000000202051",
        "--endpoint",
        "https://bank.invalid/fints",
        "--pin",
        "1234",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "lexflow[fints]" in result.output
    assert "1234" not in result.output


def test_confirm_a_draft_says_what_to_do(env: Any) -> None:
    from lexflow.banking import MatchLedger
    from lexflow.lexware.client import LexwareClient
    from tests.banking.helpers import make_invoice, match_invoice

    with LexwareClient(api_key=env.api_key, base_url=env.url, rate_limit=0) as client:
        draft = make_invoice(client, finalize=False)
        match_invoice(client, MatchLedger(), draft, "RE0099", "tx-99")
    runner = CliRunner()
    confirmed = runner.invoke(app, ["bank", "confirm", draft.id])
    assert confirmed.exit_code == 0, confirmed.output
    assert "draft: RE0099 is a draft in Lexware Office: finalize it there" in " ".join(confirmed.output.split())
    listed = runner.invoke(app, ["bank", "ledger", "--status", "voucher_draft", "--notes"])
    text = " ".join(listed.output.split())
    assert listed.exit_code == 0 and "tx-99 (voucher_draft)" in text
    # the sandbox has no web app: no permalink into the real one with a sandbox id
    assert "Do: open it where it lives (lexflow's sandbox has no web app), finalize the invoice there" in text
    assert "app.lexware.de" not in text


def test_bank_read_refuses_an_unbalanced_statement_unless_a_person_accepts_it() -> None:
    statement = Path(__file__).parent / "fixtures" / "mt940_unbalanced.sta"
    runner = CliRunner()
    refused = runner.invoke(app, ["bank", "read", str(statement)])
    assert refused.exit_code == 2
    assert "integrity check 'balance' failed" in refused.output and "--accept-unbalanced" in refused.output
    read = runner.invoke(app, ["bank", "read", str(statement), "--accept-unbalanced"])
    assert read.exit_code == 0, read.output
    text = " ".join(read.output.split())
    assert "3 transactions" in text and "Delta Energie" in text
    assert "statement balance does not add up (difference 20.00); its 2 transactions are proposals for a person" in text


def test_reconcile_accept_unbalanced_only_flags(env: Any, tmp_path: Path) -> None:
    export = env.control.bank_statement(format="mt940", noise=False, seed=8)
    statement = tmp_path / "konto.sta"
    statement.write_text(re.sub(r"(?m)^(:62F:C\d{6}EUR)[\d,]+", r"\g<1>0,00", export["statement"]))
    runner = CliRunner()
    assert runner.invoke(app, ["reconcile", str(statement), "--dry-run"]).exit_code == 2
    result = runner.invoke(app, ["reconcile", str(statement), "--dry-run", "--accept-unbalanced", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    exact = [i for i in report["items"] if i["kind"] == "exact"]
    assert exact and all(i["action"] == "flagged" for i in exact)  # none put up for a hint or a plain assignment
    assert all(i["reasons"][-1].startswith("statement balance does not add up (difference ") for i in exact)
