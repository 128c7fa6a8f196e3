from pydantic import SecretStr

from lexflow.audit import REDACTED, redact, redact_text


def test_redacts_secret_keys_values_and_patterns():
    data = {
        "apiKey": "abc123456",
        "nested": {"client_secret": SecretStr("s3cr3t-value"), "Authorization": "Bearer eyJhbGciOi.x.y"},
        "note": "Transfer to DE89 3704 0044 0532 0130 00 and mail bob@example.org",
        "contact": {"emailAddresses": {"business": ["bob@example.org"]}, "name": "Bob GmbH"},
        "amount": 12.5,
    }
    out = redact(data)
    flat = str(out)
    assert out["apiKey"] == REDACTED and out["nested"]["client_secret"] == REDACTED
    assert "DE89" not in flat and "bob@example.org" not in flat and "s3cr3t" not in flat
    assert out["contact"]["name"] == "Bob GmbH" and out["amount"] == 12.5


def test_known_secret_values_are_removed_from_free_text():
    assert "tok_abcdef" not in redact_text("failed with tok_abcdef", extra_secrets=["tok_abcdef"])


def test_non_iban_codes_survive():
    # Voucher numbers and uuids must stay readable: only mod-97-valid IBANs are masked.
    assert redact_text("RE0000123456789012") == "RE0000123456789012"
