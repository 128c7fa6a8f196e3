"""The one table between the suite's action names and the registry's.

Tasks name the provider-neutral actions by their plain names (`create_invoice`, `create_expense`, ...). While the
Lexware business actions still hold two of those names, the neutral ones are registered under an interim name; this
table maps them. When the rename lands (neutral = plain name, Lexware's own = `lexware_create_invoice`), the table
becomes empty and nothing else in the suite changes.
"""

from __future__ import annotations

REGISTRY_NAMES: dict[str, str] = {
    "create_invoice": "neutral_create_invoice",
    "create_expense": "neutral_create_expense",
}


def registry_name(name: str) -> str:
    """The registry's name for a suite action name."""
    return REGISTRY_NAMES.get(name, name)


def suite_name(name: str) -> str:
    """The suite's name for a registry name (results and reports speak the suite's names)."""
    return {v: k for k, v in REGISTRY_NAMES.items()}.get(name, name)
