"""`get_client()` is the configured provider's connection; with no credentials each falls back to its sandbox."""

from __future__ import annotations

import pytest

from lexflow.core.provider import Provider
from lexflow.providers import built
from tasks.common import _default_client, _is_factory


@pytest.mark.parametrize("name", [n for n in built() if n != "lexware"])
def test_default_client_is_the_providers_adapter_on_its_embedded_sandbox(name, monkeypatch) -> None:
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", name)
    get_settings.cache_clear()
    adapter = _default_client()
    assert isinstance(adapter, Provider) and adapter.name == name
    assert adapter.search_customers(email="nobody@example.org") == []  # a working connection (its sandbox)


def test_default_client_on_lexware_is_the_lexware_client(monkeypatch) -> None:
    from lexflow.lexware.client import LexwareClient
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", "lexware")
    get_settings.cache_clear()
    with _default_client() as client:
        assert isinstance(client, LexwareClient)


def test_use_client_tells_a_factory_from_a_connection(sandbox_client) -> None:
    from lexflow.lexware.adapter import LexwareAdapter

    assert _is_factory(lambda: sandbox_client) and _is_factory(LexwareAdapter)
    assert not _is_factory(sandbox_client) and not _is_factory(LexwareAdapter(sandbox_client))
