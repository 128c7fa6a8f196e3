import pytest
from pydantic import ValidationError

from lexflow.settings import LexflowSettings


def test_no_key_means_sandbox(monkeypatch):
    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.delenv("LEXOFFICE_API_KEY", raising=False)
    settings = LexflowSettings(_env_file=None)
    assert settings.uses_sandbox
    assert settings.base_url == "https://api.lexware.io"


def test_legacy_env_name_accepted_and_secret_hidden(monkeypatch):
    monkeypatch.delenv("LEXWARE_API_KEY", raising=False)
    monkeypatch.setenv("LEXOFFICE_API_KEY", "lx-secret-123")
    settings = LexflowSettings(_env_file=None)
    assert not settings.uses_sandbox
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "lx-secret-123"
    assert "lx-secret-123" not in repr(settings)


def test_partner_endpoints_are_off_by_default(monkeypatch):
    monkeypatch.delenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", raising=False)
    assert LexflowSettings(_env_file=None).allow_partner_endpoints is False
    description = LexflowSettings.model_fields["allow_partner_endpoints"].description or ""
    assert "transaction-assignment-hint" in description and "partner OAuth" in description


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("yes", True), ("false", False), ("0", False)]
)
def test_partner_switch_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", raw)
    assert LexflowSettings(_env_file=None).allow_partner_endpoints is expected


def test_partner_switch_from_a_dotenv_file(monkeypatch, tmp_path):
    monkeypatch.delenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("LEXWARE_ALLOW_PARTNER_ENDPOINTS=true\n")
    assert LexflowSettings(_env_file=dotenv).allow_partner_endpoints is True


def test_partner_switch_rejects_a_non_boolean_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", "maybe")
    with pytest.raises(ValidationError, match="LEXWARE_ALLOW_PARTNER_ENDPOINTS"):
        LexflowSettings(_env_file=None)
