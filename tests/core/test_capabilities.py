"""Capabilities as data: the typed error, the currency check, and docs/providers.md kept equal to the data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lexflow.core import AdapterNotBuilt, CapabilityMissing, Support, UnknownProvider
from lexflow.core.capabilities import CAPABILITIES
from lexflow.providers import PROVIDERS, built, capabilities, capability_matrix, get_provider

DOCS = Path(__file__).resolve().parents[2] / "docs" / "providers.md"
START, END = "<!-- capability-matrix:start -->", "<!-- capability-matrix:end -->"


def test_docs_matrix_is_rendered_from_the_data():
    text = DOCS.read_text(encoding="utf-8")
    assert START in text and END in text, "docs/providers.md lost its matrix markers"
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert documented == capability_matrix().strip(), (
        "docs/providers.md differs from the capability data; regenerate the block between the markers with "
        "`python -c 'from lexflow.providers import capability_matrix; print(capability_matrix())'`"
    )


def test_every_provider_describes_every_capability():
    assert set(PROVIDERS) == {"lexware", "sevdesk", "xero", "quickbooks"}
    for name, entry in PROVIDERS.items():
        caps = entry.capabilities
        assert caps.provider == name and caps.docs_url.startswith("https://")
        for cap in CAPABILITIES:
            s = caps.support(cap)
            assert s.detail and (s.available or s.instead), (name, cap)
        assert caps.rate_limit.requests > 0


def test_lexware_facts():
    lx = capabilities("lexware")
    assert not lx.supports("record_payment") and not lx.supports("read_bank_transactions")
    assert not lx.supports("update_invoice") and not lx.supports("finalize_later") and not lx.supports("send_email")
    assert lx.supports("drafts") and lx.webhooks.signing == "rsa-sha512" and lx.optimistic_lock.token == "version"
    assert lx.currencies.codes == ("EUR",) and (lx.rate_limit.requests, lx.rate_limit.per_seconds) == (2, 1)
    qbo, xero = capabilities("quickbooks"), capabilities("xero")
    assert not qbo.supports("drafts") and qbo.idempotency.available and xero.idempotency.available
    assert xero.webhooks.signing == qbo.webhooks.signing == "hmac-sha256"
    assert not capabilities("sevdesk").supports("webhooks")


def test_require_raises_the_one_typed_error():
    with pytest.raises(CapabilityMissing) as exc:
        capabilities("lexware").require("record_payment")
    e = exc.value
    assert (e.provider, e.capability) == ("Lexware Office", "record_payment")
    assert "no endpoint to write a payment" in e.reason and "reconciliation" in e.instead
    assert e.reason in str(e) and e.instead in str(e)
    capabilities("xero").require("record_payment")  # available: no error
    with pytest.raises(ValueError, match="unknown capability"):
        capabilities("xero").require("teleport")  # type: ignore[arg-type]


def test_a_missing_capability_must_say_what_lexflow_does_instead():
    with pytest.raises(ValidationError, match="instead"):
        Support(available=False, detail="the API cannot")
    with pytest.raises(ValidationError):
        capabilities("lexware").drafts.available = False  # type: ignore[misc]  (frozen)


def test_choosing_the_provider(monkeypatch):
    from lexflow.providers import ProviderEntry
    from lexflow.settings import get_settings

    # a known provider whose adapter is not built (every one has one now: take QuickBooks' away for this test)
    monkeypatch.setitem(PROVIDERS, "quickbooks", ProviderEntry(PROVIDERS["quickbooks"].capabilities))
    monkeypatch.setenv("LEXFLOW_PROVIDER", "QuickBooks")
    get_settings.cache_clear()
    try:
        assert capabilities().provider == "quickbooks"
        with pytest.raises(AdapterNotBuilt) as exc:
            get_provider(client=object())
        assert isinstance(exc.value, CapabilityMissing) and exc.value.provider == "QuickBooks Online"
        assert all(name in str(exc.value) for name in built())
        monkeypatch.setenv("LEXFLOW_PROVIDER", "sage")
        get_settings.cache_clear()
        with pytest.raises(UnknownProvider) as unknown:
            get_provider(client=object())
        assert all(name in str(unknown.value) for name in PROVIDERS)
        monkeypatch.delenv("LEXFLOW_PROVIDER")
        get_settings.cache_clear()
        assert get_provider(client=object()).name == "lexware"  # the default
    finally:
        get_settings.cache_clear()
