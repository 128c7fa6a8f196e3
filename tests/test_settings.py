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
