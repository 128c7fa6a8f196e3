"""Planted secrets and IBANs never reach a stored place (issue 13, item 3): run every flow and the main commands
with a recognisable API key, Slack token, signing secret, OAuth secret, SMTP password, a credentials block's key
and IBANs configured or pasted into free text, then grep Prefect's database (parameters, logs, artifacts, block
documents), lexflow's database (audit, ledgers), result storage (decoded) and everything printed: 0 hits."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from datetime import date, timedelta
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
BLOCK_KEY = "LXPLANTEDblockkey0123456789abcdef"  # only in a Prefect credentials block, in no environment variable
BLOCK_ORG = "0b7c6d5e-4f3a-4b2c-8d1e-9f8a7b6c5d4f"
NEEDLES = [
    API_KEY,
    SLACK_TOKEN,
    SIGNING_SECRET,
    OAUTH_SECRET,
    SMTP_PASSWORD,
    BLOCK_KEY,
    IBAN,
    "3704 0044 0532",
    "PLANTED",
]


def _readable(data: bytes) -> bytes:
    """The bytes, plus their base64 decoding when they are base64 (Prefect stores results as base64 pickles, where
    a plain grep would never find anything)."""
    try:
        return data + base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return data


def _hits(root: Path) -> list[str]:
    found = []
    for path in [root] if root.is_file() else root.rglob("*"):
        if path.is_file():
            data = _readable(path.read_bytes())
            for needle in NEEDLES:
                if needle.encode() in data:
                    found.append(f"{path.name}: {needle}")
    return found


@pytest.fixture
def planted(monkeypatch, tmp_path, prefect_flows):
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.lexware.sandbox.config import ApiKeySpec
    from lexflow.settings import get_settings
    from lexflow.testing.served import serve_in_thread

    block_account = ApiKeySpec(key=BLOCK_KEY, organization_id=BLOCK_ORG)
    served = serve_in_thread(
        SandboxConfig(rate_limit=0, api_key=API_KEY, api_keys=[block_account], ocr_delay_seconds=None)
    )
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
    from flows.dunning_run import dunning_run
    from flows.log_expense import log_expense
    from flows.reconcile_payments import reconcile_payments
    from flows.sync_history import sync_history
    from lexflow.cli import app
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox.starter import sample_receipt
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
        # 4. a profile whose account comes from a credentials block, and a CRM export pasting its key and an IBAN
        from lexflow.prefect.blocks import LexflowProfile
        from lexflow.prefect.credentials import LexwareCredentials

        LexwareCredentials(api_key=BLOCK_KEY, base_url=planted.url).save("planted-lexware", overwrite=True)
        LexflowProfile(scopes=["*"], approval_for=[], credentials="planted-lexware").save("planted", overwrite=True)
        crm_file = tmp_path / "crm.json"
        crm_file.write_text(json.dumps([{"id": "B1", "company": f"Block {BLOCK_KEY} {IBAN_GROUPS} GmbH"}]))
        state = crm_lead_to_customer(str(crm_file), crm_source="block", profile="planted", return_state=True)
        assert state.is_completed(), state
        # 5. the other flows through their public entry points, with the planted values in what they read
        state = log_expense(
            receipts=[{"path": str(sample_receipt(tmp_path / "beleg.pdf", number="PL-1", gross="11.90")),
                       "voucher_number": "PL-1", "total_gross": "11.90", "remark": free_text, "category": "Bürobedarf",
                       "voucher_date": (date.today() - timedelta(days=1)).isoformat()}],
            ocr_timeout_seconds=20, poll_interval_seconds=0.3, database_url=db, return_state=True,
        )  # fmt: skip
        assert state.is_completed(), state
        control.clock_advance(days=30)
        state = dunning_run(as_of=date.today() + timedelta(days=30), database_url=db, return_state=True)
        assert state.is_completed(), state
        # (the history mirror is a copy of the books, whose own texts it keeps: it is not scanned, its run is)
        state = sync_history(database_url=f"sqlite:///{tmp_path / 'mirror.db'}", return_state=True)
        assert state.is_completed(), state
    # 6. commands: an action with secrets in free text, the audit export, the ledger notes
    runner = CliRunner(env={"COLUMNS": "250", "LEXFLOW_DATABASE_URL": db})
    profiles = tmp_path / "profiles.toml"
    profiles.write_text('[profiles.dev]\nscopes = ["*"]\napproval_for = []\n')
    outputs = []
    for args in (
        ["actions", "run", "lexware_preview_invoice", "-p", "dev", "-i",
         f'{{"recipient_name": "K", "line_items": [{{"name": "x", "unit_price": "1", "description": "{free_text}"}}]}}'],
        ["audit", "export", "--json"],
        ["bank", "ledger", "--notes", "--limit", "500"],
    ):  # fmt: skip
        get_settings.cache_clear()  # the commands read LEXFLOW_DATABASE_URL from the runner's environment
        out = runner.invoke(app, args, env={"LEXFLOW_PROFILES_FILE": str(profiles)})
        get_settings.cache_clear()
        outputs.append(out.output)
    # 7. a deployment run with a password in its parameters is refused before Prefect stores it
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
    assert '"action": "lexware_preview_invoice"' in outputs[1] and "[iban ...00]" in outputs[2]
    named = {"audit export": outputs[1], "ledger": outputs[2], "logs (stdout)": printed.out, "logs": printed.err}
    hits = [f"{k}: {n}" for n in NEEDLES for k, text in named.items() if n in text]
    prefect_db = Path(get_current_settings().server.database.connection_url.get_secret_value().split("///")[-1])
    hits += _hits(prefect_db.parent)
    hits += _hits(tmp_path / "lexflow.db")
    hits += _hits(prefect_flows)  # result storage
    hits += _hits(prefect_flows.parent / "lexflow-session.db")  # the flows' audit trail
    assert not hits, sorted(set(hits))
