"""Business actions for Lexware Office: the right way to do common jobs with its API, in one call each.

They encode what the raw operations leave to the caller: search before create (no idempotency key exists),
compute totals before anything is created (cancelling is the neutral `cancel_invoice`, a linked credit note here),
and read payment state without pretending it can be written. One module per domain; each action is registered
beside its handler (`@business_action`).
"""

from __future__ import annotations

from lexflow.actions.registry import Registry


def register(reg: Registry) -> None:
    # Importing a module registers its actions; this order is the catalogue's order.
    from lexflow.actions.business import contacts, invoices, receivables, expenses, dunning  # noqa: F401, I001
    from lexflow.actions.business._catalogue import ACTIONS

    for action in ACTIONS:
        reg.add(action)
