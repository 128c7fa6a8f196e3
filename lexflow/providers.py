"""Which accounting system lexflow talks to: each provider's name, capabilities and adapter.

`LEXFLOW_PROVIDER` (default `lexware`) picks the provider; `get_provider()` gives its adapter over a client.
The neutral core (`lexflow.core`) knows no provider; this module is where they meet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lexflow.core.capabilities import Capabilities, matrix_markdown
from lexflow.core.errors import AdapterNotBuilt, UnknownProvider
from lexflow.core.provider import Provider
from lexflow.lexware.capabilities import CAPABILITIES as LEXWARE
from lexflow.quickbooks.capabilities import CAPABILITIES as QUICKBOOKS
from lexflow.sevdesk.capabilities import CAPABILITIES as SEVDESK
from lexflow.xero.capabilities import CAPABILITIES as XERO


def _lexware(client: Any) -> Provider:
    from lexflow.lexware.adapter import LexwareAdapter

    if client is None:
        from lexflow.lexware.client import connect

        client = connect()
    return LexwareAdapter(client)


def _sevdesk(client: Any) -> Provider:
    from lexflow.sevdesk.adapter import connect

    return connect(client)


def _xero(client: Any) -> Provider:
    from lexflow.xero.adapter import adapter_over

    return adapter_over(client)


def _quickbooks(client: Any) -> Provider:
    from lexflow.quickbooks.adapter import QuickBooksAdapter

    if client is None:
        from lexflow.quickbooks.client import connect

        client = connect()
    return QuickBooksAdapter(client)


@dataclass(frozen=True)
class ProviderEntry:
    capabilities: Capabilities
    adapter: Callable[[Any], Provider] | None = None
    """Builds the adapter over a client (None: the provider's default connection). None: not built yet."""


PROVIDERS: dict[str, ProviderEntry] = {
    "lexware": ProviderEntry(LEXWARE, _lexware),
    "sevdesk": ProviderEntry(SEVDESK, _sevdesk),
    "xero": ProviderEntry(XERO, _xero),
    "quickbooks": ProviderEntry(QUICKBOOKS, _quickbooks),
}


def known() -> list[str]:
    return list(PROVIDERS)


def built() -> list[str]:
    return [name for name, entry in PROVIDERS.items() if entry.adapter is not None]


def provider_name(name: str | None = None) -> str:
    """The given name, else `LEXFLOW_PROVIDER`, checked against the known providers."""
    if name is None:
        from lexflow.settings import get_settings

        name = get_settings().provider
    key = name.strip().lower()
    if key not in PROVIDERS:
        raise UnknownProvider(name, known())
    return key


def capabilities(name: str | None = None) -> Capabilities:
    return PROVIDERS[provider_name(name)].capabilities


def get_provider(client: Any = None, name: str | None = None) -> Provider:
    """The adapter of the chosen provider over `client`. `AdapterNotBuilt` for a provider lexflow only knows about."""
    key = provider_name(name)
    entry = PROVIDERS[key]
    if entry.adapter is None:
        raise AdapterNotBuilt(entry.capabilities.display_name, built())
    return entry.adapter(client)


def provider_of(client: Any) -> Provider:
    """A connection as a `Provider`: an adapter as it is, a provider's client under the configured adapter
    (`LEXFLOW_PROVIDER`). What neutral actions and flows call the accounting system through."""
    if isinstance(client, Provider):
        return client
    return get_provider(client)


def capability_matrix() -> str:
    """The matrix in docs/providers.md, rendered from the data above."""
    return matrix_markdown([entry.capabilities for entry in PROVIDERS.values()])
