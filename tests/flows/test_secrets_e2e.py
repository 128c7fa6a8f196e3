"""Planted secrets and IBANs never reach a stored place (issue 13, item 3): run the main flows and commands with a
recognisable API key, Slack token, signing secret, OAuth secret, SMTP password and IBANs configured or pasted into
free text, then grep Prefect's database (parameters, logs, artifacts), lexflow's database (audit, ledgers), result
storage and everything printed: 0 hits."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.timeout(240)]

API_KEY = "LXPLANTEDapikey0123456789abcdef0123"
SLACK_TOKEN = "xoxb-PLANTED-111-222-slacktoken"
SIGNING_SECRET = "PLANTEDsigningsecret0123456789ab"
OAUTH_SECRET = "PLANTEDoauthclientsecret012345"
SMTP_PASSWORD = "PLANTEDsmtpPW99"
IBAN = "DE89370400440532013000"
IBAN_GROUPS = "DE89 3704 0044 0532 0130 00"
NEEDLES = [API_KEY, SLACK_TOKEN, SIGNING_SECRET, OAUTH_SECRET, SMTP_PASSWORD, IBAN, "3704 0044 0532", "PLANTED"]


def _hits(root: Path) -> list[str]:
    found = []
    for path in [root] if root.is_file() else root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in NEEDLES:
                if needle.encode() in data:
                    found.append(f"{path.name}: {needle}")
    return found


@pytest.fixture
def planted(monkeypatch, tmp_path, prefect_flows):
    from lexflow.sandbox import SandboxConfig
    from lexflow.settings import get_settings
    from lexflow.testing.served import serve_in_thread

    served = serve_in_thread(SandboxConfig(rate_limit=0, api_key=API_KEY, ocr_delay_seconds=None))
    monkeypatch.setenv("LEXWARE_API_KEY", API_KEY)
    monkeypatch.setenv("LEXWARE_BASE_URL", served.url)
    monkeypatch.setenv("LEXFLOW_SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("LEXWARE_OAUTH_CLIENT_SECRET", OAUTH_SECRET)
    monkeypatch.setenv("LEXFLOW_SMTP_URL", f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:9")
    get_settings.cache_clear()
    yield served
    get_settings.cache_clear()
    served.stop()


def test_planted_secrets_reach_no_stored_place(planted, tmp_path, prefect_flows, capfd):
    from prefect import get_client
    from prefect.settings import get_current_settings
    from typer.testing import CliRunner

    from flows.create_approve_send_invoice import create_approve_send_invoice
    from flows.crm_lead_to_customer import crm_lead_to_customer
    from flows.reconcile_payments import reconcile_payments
    from lexflow.cli import app
    from lexflow.client import LexwareClient
    from lexflow.settings import get_settings
    from lexflow.testing.sandbox_control import SandboxControl
    from tasks.common import use_client

    db = f"sqlite:///{tmp_path / 'lexflow.db'}"
    free_text = f"pay {IBAN_GROUPS} / key {API_KEY} / slack {SLACK_TOKEN} / smtp://u:{SMTP_PASSWORD}@mail:25"
    with LexwareClient(api_key=API_KEY, base_url=planted.url, rate_limit=0) as client, use_client(client):
        # 1. CRM records with an IBAN field and secrets in free text, passed inline as a parameter
        crm_lead_to_customer(
            [{"id": "S1", "company": "Secret GmbH", "email": "s@secret.de", "iban": IBAN, "note": free_text}],
            crm_source="secrets",
            database_url=db,
            return_state=True,
        )
        crm_lead_to_customer(
            [{"id": "S2", "company": "Clean GmbH", "note": f"key {API_KEY}"}], crm_source="secrets", database_url=db
        )
        # 2. an SMTP password as a flow parameter: refused, and not stored as given
        state = create_approve_send_invoice(
            request={"email": "a@b.de", "lines": [{"name": "x", "unit_price": "1"}]},
            smtp_url=f"smtp://mailer:{SMTP_PASSWORD}@mail.example:587",
            database_url=db,
            return_state=True,
        )
        assert state.is_failed()
        # 3. a bank statement whose remittance texts carry an IBAN
        control = SandboxControl(planted.url, API_KEY)
        control.seed(vouchers=20, seed=3)
        export = control.bank_statement(format="camt053", noise=False, seed=5)
        inbox = tmp_path / "statements"
        inbox.mkdir()
        statement = re.sub(r"<Ustrd>([^<]*)</Ustrd>", rf"<Ustrd>\1 IBAN {IBAN_GROUPS}</Ustrd>", export["statement"])
        (inbox / "konto.xml").write_text(statement)
        reconcile_payments(str(inbox), database_url=db, ask="never")
    # 4. commands: an action with secrets in free text, the audit export, the ledger notes
    runner = CliRunner(env={"COLUMNS": "250", "LEXFLOW_DATABASE_URL": db})
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.dev]\nscopes = ["*"]\napproval_for = []\n')
    outputs = []
    for args in (
        ["actions", "run", "preview_invoice", "-p", "dev", "-i",
         f'{{"recipient_name": "K", "line_items": [{{"name": "x", "unit_price": "1", "description": "{free_text}"}}]}}'],
        ["audit", "export", "--json"],
        ["bank", "ledger", "--notes", "--limit", "500"],
    ):  # fmt: skip
        get_settings.cache_clear()  # the commands read LEXFLOW_DATABASE_URL from the runner's environment
        out = runner.invoke(app, args, env={"LEXFLOW_PROFILES_FILE": str(profiles)})
        get_settings.cache_clear()
        outputs.append(out.output)
    # 5. a deployment run with a password in its parameters is refused before Prefect stores it
    from lexflow.prefect.serving import load_flow

    fl = load_flow("flows/create_approve_send_invoice.py:create_approve_send_invoice")
    deployment_id = fl.to_deployment(name="secrets-test").apply()
    with get_client(sync_client=True) as prefect:
        with pytest.raises(Exception, match=r"422|smtp_url|Validation"):
            prefect.create_flow_run_from_deployment(
                deployment_id,
                parameters={"request": {"email": "a@b.de", "lines": []}, "smtp_url": f"smtp://u:{SMTP_PASSWORD}@h:25"},
            )
    time.sleep(2.5)  # let the API log handler ship the last run logs

    printed = capfd.readouterr()
    # (the action's own answer on stdout echoes what the user sent: that is the reply, not a stored place)
    assert "preview" in outputs[0] or "total" in outputs[0], outputs[0][-500:]
    assert '"action": "preview_invoice"' in outputs[1] and "[iban ...00]" in outputs[2]
    named = {"audit export": outputs[1], "ledger": outputs[2], "logs (stdout)": printed.out, "logs": printed.err}
    hits = [f"{k}: {n}" for n in NEEDLES for k, text in named.items() if n in text]
    prefect_db = Path(get_current_settings().server.database.connection_url.get_secret_value().split("///")[-1])
    hits += _hits(prefect_db.parent)
    hits += _hits(tmp_path / "lexflow.db")
    hits += _hits(prefect_flows)  # result storage
    hits += _hits(prefect_flows.parent / "lexflow-session.db")  # the flows' audit trail
    assert not hits, sorted(set(hits))
