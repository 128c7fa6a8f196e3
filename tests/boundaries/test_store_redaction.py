"""Redaction at the store boundaries (issue 13, item 3): ledger notes, audit input, stored flow parameters, logs."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from lexflow.actions import Profile, run
from lexflow.audit import AuditTrail, export_json, install_log_redaction, redact_secrets
from lexflow.banking import BankTransaction
from lexflow.banking.ledger import MatchLedger
from lexflow.banking.matcher import Matcher
from lexflow.banking.open_items import OpenItem, PaymentTerms

IBAN_GROUPS = "DE89 3704 0044 0532 0130 00"
PLANTED_KEY = "lexkey-PLANTED-0123456789abcdef0123456789abcdef"


def test_an_iban_in_remittance_text_is_masked_in_the_ledger_note_and_the_cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = MatchLedger(url)
    item = OpenItem(
        voucher_id="v-1", voucher_number="RE7001", contact_id="c-1", contact_name="Jung Optik KG",
        open_amount=Decimal("100.00"), voucher_date=date(2026, 11, 1), terms=PaymentTerms(),
    )  # fmt: skip
    tx = BankTransaction(
        transaction_id="tx-1", booking_date=date(2026, 11, 3), amount=Decimal("99.99"),
        counterparty_name="Jung Optik", remittance=f"RE 7001 bitte an {IBAN_GROUPS} zurueck",
    )  # fmt: skip
    proposal = Matcher([item]).match(tx)
    assert ledger.claim(proposal, tx, statement="s")
    ledger.finish(
        "tx-1", status="needs_decision", action="none", note=f'Partial payment, text "{tx.remittance}"; check it'
    )
    note = ledger.rows()[0].note
    assert "3704" not in note and "[iban ...00]" in note

    from lexflow.cli import app

    monkeypatch.setenv("LEXFLOW_DATABASE_URL", url)
    from lexflow.settings import get_settings

    get_settings.cache_clear()
    out = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["bank", "ledger", "--notes"])
    get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert "tx-1" in out.output and "3704" not in out.output.replace(" ", "")


def test_an_api_key_pasted_into_free_text_leaves_audit_input_and_export(sandbox_client, tmp_path, monkeypatch):
    monkeypatch.setenv("LEXWARE_API_KEY", PLANTED_KEY)
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    profile = Profile(name="dev", scopes=["*"], approval_for=[])
    draft = {
        "recipient_name": "Kunde",
        "line_items": [{"name": "Beratung", "unit_price": "100", "description": f"key {PLANTED_KEY} sorry"}],
        "remark": f"pay to {IBAN_GROUPS}",
    }
    run("lexware_preview_invoice", draft, profile=profile, client=sandbox_client, trail=trail)
    stored = str(trail.list()[-1].input)
    exported = export_json(trail.list())
    for text in (stored, exported):
        assert PLANTED_KEY not in text and "3704" not in text.replace(" ", "")


def test_stored_flow_parameters_lose_secrets_and_ibans_but_keep_what_a_retry_needs():
    from lexflow.prefect.flow import LexflowFlow

    def fn(source: list, smtp_url: str | None = None) -> None: ...

    fl = LexflowFlow(fn=fn, name="t")
    stored = fl.serialize_parameters(
        {
            "source": [{"id": "1", "email": "a@b.de", "note": f"IBAN {IBAN_GROUPS}", "iban": "DE89370400440532013000"}],
            "smtp_url": "smtp://mailer:geheim@mail.example:587",
        }
    )
    assert stored["source"][0]["email"] == "a@b.de"  # still usable when the run is retried from the UI
    assert stored["source"][0]["iban"] == "[redacted]" and "3704" not in str(stored)
    assert "geheim" not in stored["smtp_url"] and stored["smtp_url"].endswith("@mail.example:587")


def test_log_records_are_redacted_also_when_propagated_from_child_loggers(monkeypatch, caplog):
    monkeypatch.setenv("LEXFLOW_SLACK_BOT_TOKEN", "xoxb-planted-1234567890")
    install_log_redaction()
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep()
    logging.getLogger("lexflow").addHandler(handler)
    install_log_redaction()  # the new handler gets its filter too
    try:
        logging.getLogger("lexflow.webhooks.receiver").warning(
            "token %s, iban %s", "xoxb-planted-1234567890", IBAN_GROUPS
        )
    finally:
        logging.getLogger("lexflow").removeHandler(handler)
    assert seen and "planted" not in seen[0] and "3704" not in seen[0]
    assert redact_secrets({"password": "x1", "note": "ok"}) == {"password": "[redacted]", "note": "ok"}
