"""Receivables tasks: open items, and one dunning draft per overdue invoice and day."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.common import KEEP, key_from, run_action


@task(name="open-items", cache_policy=NO_CACHE)
def open_items(as_of: str | None = None, profile: str | None = None) -> dict[str, Any]:
    return run_action("open_items", {"as_of": as_of} if as_of else {}, profile=profile).model_dump(mode="json")


@task(
    name="create-dunning",
    persist_result=True,
    cache_key_fn=key_from("create-dunning", "invoice_id", "as_of"),
    cache_expiration=KEEP,
)
def create_dunning(
    invoice_id: str, as_of: str, fee: str = "0", profile: str | None = None, introduction: str | None = None
) -> dict[str, Any]:
    """A dunning draft pursued from the invoice; at most one per invoice and dunning day.

    `introduction`: the letter's opening text (the run names a part payment and the remaining amount there)."""
    data: dict[str, Any] = {"invoice_id": invoice_id, "fee": fee, "voucher_date": as_of}
    if introduction:
        data["introduction"] = introduction
    return run_action("create_dunning", data, profile=profile).model_dump(mode="json")
