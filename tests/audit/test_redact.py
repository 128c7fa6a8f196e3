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


def test_iban_followed_by_more_capitals_is_still_masked():
    for text in (
        "IBAN DE89370400440532013000 BIC COBADEFFXXX",
        "DE89 3704 0044 0532 0130 00 BIC X",
        "GB82WEST12345698765432.",
    ):
        out = redact_text(text)
        assert "3704" not in out.replace(" ", "") and "WEST123" not in out and "[iban ..." in out
    assert "BIC COBADEFFXXX" in redact_text("IBAN DE89370400440532013000 BIC COBADEFFXXX")


def test_file_contents_are_summarised_not_stored():
    out = redact({"receipt": {"filename": "a.pdf", "content_base64": "JVBERi0xLjQK" * 10}, "note": "x" * 5000})
    assert out["receipt"]["filename"] == "a.pdf"
    assert out["receipt"]["content_base64"].startswith("[120 chars sha256:")
    assert out["note"].startswith("[5000 chars sha256:")
