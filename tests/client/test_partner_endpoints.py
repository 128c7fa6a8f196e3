"""The partner-only transaction-assignment hint behind `allow_partner_endpoints` (`LEXWARE_ALLOW_PARTNER_ENDPOINTS`):
off → refused before any HTTP with what it needs and how to switch it on; on → sent, over uvicorn (docs/lexware.md#transaction-assignment-hint)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lexflow.lexware.client import CallRecord, LexwareClient, connect, connect_async
from lexflow.settings import LexflowSettings, get_settings
from lexflow.transport import errors
from tests.client.partner import HINT_PATH, finalized_invoice, partner_token, stored_hint

REFERENCE = "PAYPAL-9TX12345AB678901C"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment for `connect()`: no key, no opt-in, fresh cached settings before and after."""
    for var in ("LEXWARE_API_KEY", "LEXOFFICE_API_KEY", "LEXWARE_BASE_URL", "LEXWARE_ALLOW_PARTNER_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def served(served_sandbox: Any, tmp_path: Path) -> Any:
    served_sandbox.reset()
    served_sandbox.partner_token = partner_token(served_sandbox.url, tmp_path)
    return served_sandbox


def _recorded(client: Any) -> list[CallRecord]:
    calls: list[CallRecord] = []
    client.add_call_listener(calls.append)
    return calls


def _partner_env(env: pytest.MonkeyPatch, served: Any, switch: str | None) -> None:
    env.setenv("LEXWARE_API_KEY", served.partner_token)
    env.setenv("LEXWARE_BASE_URL", served.url)
    env.setenv("LEXWARE_RATE_LIMIT", "0")
    if switch is not None:
        env.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", switch)
    get_settings.cache_clear()


def test_switch_off_refuses_before_sending(env: pytest.MonkeyPatch, served: Any) -> None:
    """Even with a valid partner token: without the opt-in nothing reaches the API, and the error says why."""
    _partner_env(env, served, switch=None)
    with connect() as client:
        assert client.allow_partner_endpoints is False
        voucher_id = finalized_invoice(client)
        calls = _recorded(client)
        with pytest.raises(errors.PartnerEndpointDisabled) as caught:
            client.transaction_assignment_hints.create(voucher_id, REFERENCE)
    message = str(caught.value)
    assert HINT_PATH in message and "partner-only" in message and "not part of the public API" in message
    assert "partner OAuth app" in message and "transaction-assignment-hint.write" in message
    assert "LEXWARE_ALLOW_PARTNER_ENDPOINTS=true" in message and "allow_partner_endpoints=True" in message
    assert isinstance(caught.value, errors.UnsupportedByApi) and caught.value.status is None
    assert served.partner_token not in message
    assert calls == []  # no HTTP attempt at all
    assert stored_hint(served.state, voucher_id) is None


async def test_switch_off_async_raises_on_await(env: pytest.MonkeyPatch, served: Any) -> None:
    _partner_env(env, served, switch="false")
    client = connect_async()
    calls = _recorded(client)
    pending = client.transaction_assignment_hints.create("5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f", REFERENCE)
    with pytest.raises(errors.PartnerEndpointDisabled, match="LEXWARE_ALLOW_PARTNER_ENDPOINTS"):
        await pending
    await client.aclose()
    assert calls == []


def test_switch_on_via_env_sends_the_hint_over_http(env: pytest.MonkeyPatch, served: Any) -> None:
    _partner_env(env, served, switch="true")
    with connect() as client:
        assert client.allow_partner_endpoints is True
        assert client.backend_description.endswith(served.url)  # the served sandbox over uvicorn, not in-process
        voucher_id = finalized_invoice(client)
        calls = _recorded(client)
        answer = client.transaction_assignment_hints.create(voucher_id, REFERENCE)
        assert answer == {"voucherId": voucher_id, "externalReference": REFERENCE}
        assert [(c.method, c.path, c.status) for c in calls] == [("POST", HINT_PATH, 201)]
        assert stored_hint(served.state, voucher_id)["externalReference"] == REFERENCE
        # one hint per voucher: the second is refused by the API (406) and, being a POST, not retried
        with pytest.raises(errors.ValidationFailed, match="one transaction assignment hint"):
            client.transaction_assignment_hints.create(voucher_id, "OTHER-REF")
        assert [c.status for c in calls] == [201, 406]
    assert stored_hint(served.state, voucher_id)["externalReference"] == REFERENCE


async def test_switch_on_async_client(env: pytest.MonkeyPatch, served: Any) -> None:
    _partner_env(env, served, switch="1")
    with connect() as sync_client:
        voucher_id = finalized_invoice(sync_client)
    async with connect_async() as client:
        answer = await client.transaction_assignment_hints.create(voucher_id, REFERENCE)
    assert answer["voucherId"] == voucher_id and stored_hint(served.state, voucher_id) is not None


def test_switch_on_with_a_plain_api_key_is_refused_by_the_api(env: pytest.MonkeyPatch, served: Any) -> None:
    """The opt-in only lets the request out; a public API key lacks the partner scope and gets 403 (docs/lexware.md#transaction-assignment-hint)."""
    settings = LexflowSettings(
        _env_file=None, api_key=served.api_key, base_url=served.url, rate_limit=0, allow_partner_endpoints=True
    )
    with connect(settings) as client:
        voucher_id = finalized_invoice(client)
        calls = _recorded(client)
        with pytest.raises(errors.Forbidden):
            client.transaction_assignment_hints.create(voucher_id, REFERENCE)
    assert [(c.path, c.status) for c in calls] == [(HINT_PATH, 403)]
    assert stored_hint(served.state, voucher_id) is None


@pytest.mark.parametrize("switch", [False, True])
def test_connect_passes_the_setting_to_both_backends(env: pytest.MonkeyPatch, tmp_path: Path, switch: bool) -> None:
    api = LexflowSettings(_env_file=None, api_key="k", base_url="http://127.0.0.1:9", allow_partner_endpoints=switch)
    sandbox = LexflowSettings(_env_file=None, sandbox_db=None, allow_partner_endpoints=switch)
    with connect(api) as real, connect(sandbox) as embedded:
        assert real.allow_partner_endpoints is switch and embedded.allow_partner_endpoints is switch
        assert "sandbox" in embedded.backend_description
    with connect(sandbox, allow_partner_endpoints=not switch) as overridden:  # an explicit argument wins
        assert overridden.allow_partner_endpoints is not switch


def test_client_default_is_off(served: Any) -> None:
    with LexwareClient(api_key=served.partner_token, base_url=served.url, rate_limit=0) as client:
        assert client.allow_partner_endpoints is False
        with pytest.raises(errors.PartnerEndpointDisabled):
            client.transaction_assignment_hints.create("5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f", REFERENCE)


def test_switch_on_against_the_embedded_sandbox_is_refused_there(env: pytest.MonkeyPatch) -> None:
    """No API key: the embedded sandbox answers with its plain default key, which the partner endpoint refuses."""
    env.setenv("LEXWARE_ALLOW_PARTNER_ENDPOINTS", "true")
    with connect(LexflowSettings(_env_file=None, sandbox_db=None)) as client:
        assert "sandbox" in client.backend_description and client.allow_partner_endpoints is True
        voucher_id = finalized_invoice(client)
        calls = _recorded(client)
        with pytest.raises(errors.Forbidden, match="partner"):
            client.transaction_assignment_hints.create(voucher_id, REFERENCE)
    assert [(c.path, c.status) for c in calls] == [(HINT_PATH, 403)]
