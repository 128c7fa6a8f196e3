from __future__ import annotations

import pytest

from lexflow.actions import ApprovalRequired, InvalidInput, PolicyDenied, Profile, load_profiles, resolve_profile, run
from lexflow.actions.approvals import StoreApprovals
from lexflow.actions.errors import ApprovalRefused
from lexflow.actions.policy import check
from lexflow.actions.registry import registry
from lexflow.audit import Actor, AuditTrail

API_KEY = "lxk_prod_TOPSECRET_abcdef123"


@pytest.fixture
def trail(tmp_path) -> AuditTrail:
    return AuditTrail(f"sqlite:///{tmp_path}/audit.db")


def test_scopes_wildcards_and_write_implies_read():
    p = Profile(name="p", scopes=["contacts:write", "*:read"])
    assert p.grants("contacts:read") and p.grants("contacts:write") and p.grants("invoices:read")
    assert not p.grants("invoices:write")
    assert Profile(name="all", scopes=["*"]).grants("vouchers:write")
    with pytest.raises(ValueError, match="must look like"):
        Profile(name="bad", scopes=["contacts"])


def test_default_profile_is_read_only():
    action = registry.get("upsert_customer")
    data = action.input_model.model_validate(action.examples[0])
    with pytest.raises(PolicyDenied, match=r"contacts:write"):
        check(action, data, Profile(), None)


def test_denial_is_an_error_and_an_audit_record(trail):
    actor = Actor.agent("claude", on_behalf_of="alice")
    with pytest.raises(PolicyDenied) as err:
        run(
            "upsert_customer",
            {"name": "Muster GmbH", "email": "x@muster.de"},
            actor=actor,
            profile=Profile(name="ro"),
            trail=trail,
        )
    assert "Add 'contacts:write'" in str(err.value)
    (rec,) = trail.list()
    assert rec.outcome == "denied" and rec.action == "upsert_customer" and rec.profile == "ro"
    assert rec.actor == actor and "contacts:write" in (rec.error or "")
    assert "x@muster.de" not in rec.model_dump_json()
    assert trail.verify().ok


def test_irreversible_needs_approval_ref(trail, tmp_path):
    action = registry.get("lexware_create_invoice")
    writer = Profile(name="prod", scopes=["invoices:write"], api_key=API_KEY)
    with pytest.raises(ApprovalRequired, match="approval_ref"):
        run("lexware_create_invoice", action.examples[0], profile=writer, trail=trail)
    (rec,) = trail.list()
    assert rec.outcome == "approval_required" and rec.approval_ref is None
    assert API_KEY not in rec.model_dump_json()
    # A draft is only a write: no approval needed (policy passes; nothing else is checked here).
    draft = action.input_model.model_validate({**action.examples[0], "finalize": False})
    assert check(action, draft, writer, None) == "write"
    # With a reference the approvals store does not know, the call is refused (tests/actions/test_approvals.py).
    final = action.input_model.model_validate(action.examples[0])
    with pytest.raises(ApprovalRefused, match="unknown"):
        check(action, final, writer, "slack:1", verify_approval=StoreApprovals(f"sqlite:///{tmp_path}/a.db"))
    # A profile that does not ask for approvals lets it through.
    assert check(action, final, Profile(name="dev", scopes=["*"], approval_for=[]), None) == "irreversible"


def test_invalid_input_names_the_field_and_is_audited(trail):
    with pytest.raises(InvalidInput, match=r"line_items"):
        run("lexware_preview_invoice", {"contact_id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"}, trail=trail)
    assert trail.list()[0].outcome == "invalid_input"


def test_profiles_file_toml_and_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("PROD_KEY", API_KEY)
    toml = tmp_path / "profiles.toml"
    toml.write_text(
        '[profiles.dev]\nscopes = ["*"]\napproval_for = []\n'
        '[profiles.prod]\nscopes = ["*:read", "invoices:write"]\napi_key_env = "PROD_KEY"\n'
    )
    profiles = load_profiles(toml)
    assert set(profiles) == {"default", "dev", "prod"}
    assert profiles["prod"].api_key is not None and profiles["prod"].api_key.get_secret_value() == API_KEY
    assert API_KEY not in repr(profiles["prod"]) and API_KEY not in profiles["prod"].model_dump_json()
    monkeypatch.setenv("LEXFLOW_PROFILES_FILE", str(toml))
    assert resolve_profile("dev").approval_for == []
    with pytest.raises(ValueError, match="unknown profile 'stage'"):
        resolve_profile("stage")
    yml = tmp_path / "profiles.yaml"
    yml.write_text("profiles:\n  alice:\n    scopes: ['contacts:write']\n")
    assert load_profiles(yml)["alice"].grants("contacts:read")


def test_prefect_block_converts_to_profile_without_leaking_the_key():
    from lexflow.prefect.blocks import LexflowProfile

    block = LexflowProfile(scopes=["*:read", "invoices:write"], api_key=API_KEY)
    profile = block.to_profile("prod")
    assert profile.name == "prod" and profile.grants("invoices:write") and not profile.grants("contacts:write")
    assert profile.needs_approval("irreversible")
    assert profile.api_key is not None and profile.api_key.get_secret_value() == API_KEY
    assert API_KEY not in repr(block) and API_KEY not in repr(profile)
