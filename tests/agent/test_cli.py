"""`lexflow ask` at the command line: an unset model is one line naming the variable; `--terminal` asks the person
at the keyboard (a numbered option picks, a "no" writes nothing)."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from lexflow.cli import app
from tests.agent.conftest import INVOICE, History, script


def test_without_a_model_it_names_the_variable(monkeypatch):
    monkeypatch.delenv("LEXFLOW_AGENT_MODEL", raising=False)
    out = CliRunner().invoke(app, ["ask", "invoice ACME"])
    assert out.exit_code == 2 and "LEXFLOW_AGENT_MODEL is not set" in out.output and "Traceback" not in out.output


def test_an_unknown_profile_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("LEXFLOW_AGENT_MODEL", "test")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("LEXFLOW_PROFILES_FILE", raising=False)
    out = CliRunner().invoke(app, ["ask", "--terminal", "invoice ACME"])
    assert out.exit_code == 2 and "unknown profile 'agent'" in out.output and "Traceback" not in out.output


def test_in_the_terminal_the_person_answers_and_declines(books, monkeypatch, tmp_path):
    import lexflow.agent.agent as agent_module

    books.customer("ACME GmbH", "de@acme.example")
    books.customer("ACME Inc.", "us@acme.example")
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.agent]\nscopes = ["*:read", "contacts:write", "invoices:write"]\n')
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(profiles))

    def ask(h: History) -> list:
        return [
            (
                "ask_user",
                {"question": "Which ACME?", "options": [c["name"] for c in h.last("search_customers")["items"]]},
            )
        ]

    def invoice(h: History) -> list:
        (c,) = [c for c in h.results("search_customers")[-1]["items"] if c["name"] == h.last("ask_user")["answer"]]
        return [(INVOICE, {"customer_id": c["id"], "finalize": True, "reference": "ASK-CLI-1",
                           "lines": [{"name": "Beratung", "unit_price": "100", "tax": "standard"}]})]  # fmt: skip

    model = script(lambda h: [("search_customers", {"name": "ACME"})], ask, invoice, lambda h: "Not approved.")
    real = agent_module.model_from_settings

    def scripted(given: Any = None) -> Any:
        return model if given in (None, "") else real(given)

    monkeypatch.setattr(agent_module, "model_from_settings", scripted)
    monkeypatch.setattr("lexflow.agent.model_from_settings", scripted)
    # solve() in the CLI makes its clients from the profile: point them at the test's sandbox
    monkeypatch.setattr("lexflow.actions.runner.client_for", lambda profile, action=None: _Unclosed(books.client))
    out = CliRunner().invoke(app, ["ask", "--terminal", "invoice ACME 100 EUR"], input="2\nn\n")
    assert out.exit_code == 0, out.output
    assert "1. ACME GmbH" in out.output and "gross 119.00 EUR" in out.output and "Not approved." in out.output
    assert books.invoices() == []


class _Unclosed:
    """The test's client, left open when run() closes the one it made."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def close(self) -> None:
        pass
