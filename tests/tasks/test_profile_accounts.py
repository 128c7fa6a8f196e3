"""Profiles name their provider and credentials block, and a flow's writes land in each profile's own account
(issue 17: two Lexware accounts on two served sandboxes and a sevDesk account, in one run and again in a second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from lexflow.lexware.client import LexwareClient
from lexflow.lexware.sandbox import SandboxConfig
from lexflow.prefect.blocks import LexflowProfile
from lexflow.prefect.credentials import LexwareCredentials, SevdeskCredentials
from lexflow.testing.served import serve_in_thread
from tasks.common import client_for_profile, run_action, use_client

pytestmark = pytest.mark.prefect

KEY_ONE = "lexware-account-one-key-0123456789"
KEY_TWO = "lexware-account-two-key-0123456789"
PROFILES = ("acct-lex-one", "acct-lex-two", "acct-sevdesk")


@pytest.fixture
def accounts(prefect_flows: Path, sevdesk_served: Any) -> Iterator[dict[str, Any]]:
    """Two Lexware sandboxes with their own keys, the sevDesk sandbox, one profile block per account, and a shared
    process client on a third (embedded) Lexware sandbox that none of the profiles may touch."""
    from lexflow.lexware.client import connect
    from lexflow.settings import LexflowSettings

    sevdesk_served.reset()
    one = serve_in_thread(SandboxConfig(rate_limit=0, api_key=KEY_ONE, ocr_delay_seconds=None))
    two = serve_in_thread(SandboxConfig(rate_limit=0, api_key=KEY_TWO, ocr_delay_seconds=None))
    LexwareCredentials(api_key=KEY_ONE, base_url=one.url).save("acct-one-lexware", overwrite=True)
    LexwareCredentials(api_key=KEY_TWO, base_url=two.url).save("acct-two-lexware", overwrite=True)
    SevdeskCredentials(api_token=sevdesk_served.token, base_url=sevdesk_served.url, rate_limit=0).save(
        "acct-sevdesk", overwrite=True
    )
    everything: dict[str, Any] = {"scopes": ["*"], "approval_for": []}
    LexflowProfile(**everything, provider="lexware", credentials="acct-one-lexware").save(PROFILES[0], overwrite=True)
    LexflowProfile(**everything, credentials="acct-two-lexware").save(PROFILES[1], overwrite=True)
    LexflowProfile(**everything, provider="sevdesk", credentials="acct-sevdesk").save(PROFILES[2], overwrite=True)
    shared = connect(LexflowSettings.model_construct(sandbox_db=None))
    try:
        with use_client(shared):
            yield {"one": one, "two": two, "sevdesk": sevdesk_served, "shared": shared}
    finally:
        shared.close()
        one.stop()
        two.stop()


def _emails_in(client: LexwareClient) -> set[str]:
    return {
        str(e)
        for c in client.contacts.list()
        for e in ((c.email_addresses.business or []) if c.email_addresses else [])
    }


@flow
def customers_on_every_account() -> dict[str, Any]:
    out = {}
    for profile in PROFILES:
        data = {"name": f"Nur {profile} GmbH", "email": f"{profile}@example.com"}
        result = run_action("create_customer", data, profile=profile)
        out[profile] = {"id": result.customer.id, "already_existed": result.already_existed}
    return out


def test_each_profile_writes_to_its_own_account_in_one_run_and_again(accounts: dict[str, Any]) -> None:
    first = customers_on_every_account()
    assert not any(r["already_existed"] for r in first.values()), first
    second = customers_on_every_account()  # a second run finds each customer in its own account again
    assert {p: r["id"] for p, r in second.items()} == {p: r["id"] for p, r in first.items()}
    assert all(r["already_existed"] for r in second.values()), second

    with (
        LexwareClient(api_key=KEY_ONE, base_url=accounts["one"].url, rate_limit=0) as one,
        LexwareClient(api_key=KEY_TWO, base_url=accounts["two"].url, rate_limit=0) as two,
    ):
        assert _emails_in(one) == {"acct-lex-one@example.com"}
        assert _emails_in(two) == {"acct-lex-two@example.com"}
    assert _emails_in(accounts["shared"]) == set()  # the process's own account got nothing
    from lexflow.sevdesk.client import SevdeskClient

    with SevdeskClient(accounts["sevdesk"].token, accounts["sevdesk"].url, rate_limit=0) as sev:
        names = {c.name for c in sev.iter_contacts()}
    assert names == {"Nur acct-sevdesk GmbH"}


def test_profiles_share_a_client_only_when_they_share_an_account(accounts: dict[str, Any]) -> None:
    from lexflow.actions import Profile
    from lexflow.core.provider import Provider

    @flow
    def clients() -> list[Any]:
        from tasks.common import flow_profile

        return [client_for_profile(flow_profile(p)) for p in (*PROFILES, PROFILES[0])]

    one, two, sev, one_again = clients()
    assert one is one_again and one is not two
    assert isinstance(one, LexwareClient) and one.base_url.rstrip("/") == accounts["one"].url
    assert isinstance(sev, Provider) and sev.capabilities.provider == "sevdesk"
    assert client_for_profile(Profile(name="plain", scopes=["*"])) is accounts["shared"]


def test_a_missing_credentials_block_is_named_with_the_fix(accounts: dict[str, Any]) -> None:
    from lexflow.actions import Profile

    with pytest.raises(ValueError, match=r"no SevdeskCredentials block of that name.*'nowhere'|'nowhere'.*SevdeskCred"):
        client_for_profile(Profile(name="x", provider="sevdesk", credentials="nowhere"))


def test_profiles_file_names_provider_and_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lexflow.actions.policy import load_profiles

    path = tmp_path / "profiles.toml"
    path.write_text('[profiles.books]\nscopes = ["*:read"]\nprovider = "sevDesk"\ncredentials = "acme-sevdesk"\n')
    books = load_profiles(path)["books"]
    assert (books.provider, books.credentials) == ("sevdesk", "acme-sevdesk")
    path.write_text('[profiles.bad]\nprovider = "datev"\n')
    with pytest.raises(ValueError, match=r"(?s)profile 'bad'.*unknown provider 'datev'; known: lexware, sevdesk, xero"):
        load_profiles(path)
    path.write_text('[profiles.mixed]\nprovider = "xero"\napi_key = "lexware-key-0123"\n')
    with pytest.raises(ValueError, match="api_key is a Lexware key, but the profile's provider is xero"):
        load_profiles(path)
    path.write_text('[profiles.both]\napi_key = "lexware-key-0123"\ncredentials = "acme-lexware"\n')
    with pytest.raises(ValueError, match=r"either credentials .* or api_key, not both"):
        load_profiles(path)


def test_a_lexware_profile_on_a_sevdesk_worker_writes_to_lexware(
    accounts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """LEXFLOW_PROVIDER=sevdesk on the worker: a profile naming Lexware credentials still gets Lexware's adapter."""
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", "sevdesk")
    get_settings.cache_clear()

    @flow
    def one_lexware_customer() -> str:
        data = {"name": "Nur Lexware GmbH", "email": "lexware-only@example.com"}
        return str(run_action("create_customer", data, profile=PROFILES[0]).customer.id)

    try:
        created = one_lexware_customer()
    finally:
        get_settings.cache_clear()
    with LexwareClient(api_key=KEY_ONE, base_url=accounts["one"].url, rate_limit=0) as one:
        assert str(one.contacts.get(created).id) == created
