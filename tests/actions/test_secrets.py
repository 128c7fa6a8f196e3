"""No API key, token, signing secret or IBAN in any audit record, log line or artifact row that actions produce."""

from __future__ import annotations

import logging

import pytest

from lexflow.actions import ActionError, Profile, run
from lexflow.audit import Actor, AuditTrail, export_csv, export_json, flow_run_rows

IBAN = "DE89370400440532013000"
IBAN_SPACED = "DE89 3704 0044 0532 0130 00"
SLACK_TOKEN = "xoxb-1234567890-abcdefSECRET"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PROFILE_KEY = "lxk_profile_key_NEVER_LOG_ME_42"


def test_nothing_secret_reaches_records_logs_or_artifacts(sandbox_client, tmp_path, caplog):
    from lexflow.lexware.sandbox import DEFAULT_API_KEY

    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    profile = Profile(name="dev", scopes=["*"], approval_for=[], api_key=PROFILE_KEY)
    actor = Actor.flow("0b7c1f9e-0000-4000-8000-000000000001", "secrets-test", ui_url="http://127.0.0.1:4200/runs/x")
    caplog.set_level(logging.DEBUG)

    def act(name, data):
        try:
            return run(name, data, actor=actor, profile=profile, client=sandbox_client, trail=trail)
        except (ActionError, Exception):
            return None

    note = f"Bank {IBAN_SPACED}, token {SLACK_TOKEN}, Bearer {DEFAULT_API_KEY}"
    out = act("upsert_customer", {"name": "Geheim GmbH", "email": "geheim@example.org", "note": note})
    assert out is not None and out.status == "created"
    act(
        "upsert_customer",
        {"name": "Geheim GmbH", "iban": IBAN, "signing_secret": SIGNING_SECRET, "api_key": PROFILE_KEY},
    )
    act("contacts_get", {"id": out.customer.id})
    act("contacts_list", {"email": "geheim@example.org"})
    act("contacts_update", {"id": out.customer.id, "changes": {"note": f"IBAN {IBAN}"}})

    records = trail.list()
    assert len(records) == 5
    produced = [
        export_json(records),
        export_csv(records),
        repr(flow_run_rows(actor.flow_run_id, trail)),
        caplog.text,
        "\n".join(str(r.__dict__) for r in caplog.records),
    ]
    for text in produced:
        for secret in (IBAN, IBAN_SPACED, SLACK_TOKEN, SIGNING_SECRET, PROFILE_KEY, DEFAULT_API_KEY):
            assert secret not in text, f"{secret[:6]}... leaked"
    assert len(flow_run_rows(actor.flow_run_id, trail)) == 5
    assert trail.verify().ok


@pytest.mark.parametrize("field", ["token", "password", "client_secret", "Authorization"])
def test_secret_named_fields_are_dropped_from_invalid_input_records(tmp_path, field):
    trail = AuditTrail(f"sqlite:///{tmp_path}/audit.db")
    with pytest.raises(ActionError):
        run("profile_get", {field: SIGNING_SECRET}, trail=trail, profile=Profile(name="ro"))
    assert SIGNING_SECRET not in trail.list()[0].model_dump_json()


def test_a_credentials_blocks_secrets_are_redacted_by_value_once_loaded(monkeypatch):
    """A key that lives only in a Prefect credentials block (no environment variable) is redacted by value in free
    text once a profile loaded its block, like a configured one (issue 17)."""
    import importlib

    from lexflow.audit import redact_secrets
    from lexflow.prefect import credentials

    redact_module = importlib.import_module("lexflow.audit.redact")

    block_token = "0123456789abcdef0123456789abcdef"
    block = credentials.SevdeskCredentials(api_token=block_token)
    monkeypatch.setattr(credentials.SevdeskCredentials, "load", classmethod(lambda cls, name, **kw: block))
    monkeypatch.setattr(redact_module, "_remembered", dict(redact_module._remembered))  # forgotten afterwards
    text = f"Firma {block_token} GmbH"
    assert redact_secrets(text) == text  # unknown before
    credentials.credentials_for(Profile(name="shop", provider="sevdesk", credentials="shop-sevdesk"))
    assert redact_secrets(text) == "Firma [redacted] GmbH"
    assert redact_secrets({"rows": [{"name": text}]}) == {"rows": [{"name": "Firma [redacted] GmbH"}]}
