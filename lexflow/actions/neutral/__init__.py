"""The product's 12 business actions, the same for every accounting system (`LEXFLOW_PROVIDER`).

One module per domain; each action is registered beside its handler (`@neutral_action`). A provider that cannot do
one raises `CapabilityMissing` naming what lexflow does instead (docs/providers.md).
"""

from __future__ import annotations

from lexflow.actions.registry import Registry


def register(reg: Registry) -> None:
    from lexflow.actions.neutral import bank, customers, expenses, invoices, payments, receivables  # noqa: F401  (registers)
    from lexflow.actions.neutral._catalogue import ACTIONS

    for action in ACTIONS:
        reg.add(action)
