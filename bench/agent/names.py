"""The one table between the suite's action names and the registry's.

Tasks name the provider-neutral actions by their plain names (`create_invoice`, `create_expense`, ...) and the
Lexware business actions the neutral interface has no counterpart for yet (`create_dunning`,
`lexware_payment_status`, ...) by theirs. When an action is renamed in the registry, map the suite's name here; nothing else in
the suite changes (the tests check that every name a solution calls exists).
"""

from __future__ import annotations

REGISTRY_NAMES: dict[str, str] = {}


def registry_name(name: str) -> str:
    """The registry's name for a suite action name."""
    return REGISTRY_NAMES.get(name, name)
