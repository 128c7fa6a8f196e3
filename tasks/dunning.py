"""Receivables tasks: open items, and one dunning draft per overdue invoice and day."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.actions.errors import ActionError
from lexflow.client.errors import AmbiguousWrite, LexwareError, ServerError
from lexflow.operations import Operations, OutcomeUnknown, crash_point, request_digest
from tasks.common import KEEP, business_key, key_from, run_action

#: The operations-ledger kind of a dunning draft (keyed by invoice id and dunning day).
DUNNING = "dunning"


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
    invoice_id: str,
    as_of: str,
    fee: str = "0",
    profile: str | None = None,
    introduction: str | None = None,
    database_url: str | None = None,
    recreate_unknown: bool = False,
) -> dict[str, Any]:
    """A dunning draft pursued from the invoice; at most one per invoice and dunning day.

    `introduction`: the letter's opening text (the run names a part payment and the remaining amount there).

    The API cannot list dunnings (they are not in the voucher list), so an earlier attempt whose answer never got
    recorded cannot be looked up: it is reported as "possibly created" (`OutcomeUnknown`), and created again only
    with `recreate_unknown=True`, after a person checked the invoice's dunnings."""
    data: dict[str, Any] = {"invoice_id": invoice_id, "fee": fee, "voucher_date": as_of}
    if introduction:
        data["introduction"] = introduction
    ops = Operations(database_url)
    key = business_key(DUNNING, invoice_id, as_of)
    what = f"the dunning of invoice {invoice_id} for {as_of}"
    earlier = ops.check(DUNNING, key, request_digest(data), what=what, hint="Change the draft in Lexware Office.")
    if earlier is not None and earlier.done:
        return {**earlier.result, "outcome": "already created"}
    if earlier is not None and earlier.sent_at is not None and not recreate_unknown:
        raise OutcomeUnknown(
            earlier,
            f"{what} was possibly created at {earlier.sent_at:%Y-%m-%d %H:%M:%S} UTC: the run that sent it stopped "
            "before recording the answer, and the API cannot list dunnings. Look at the invoice's dunnings in "
            "Lexware Office; if there is none, rerun with recreate_unknown=true.",
        )
    ops.begin(DUNNING, key, request_digest(data), target=f"POST /v1/dunnings?precedingSalesVoucherId={invoice_id}",
              what=what)  # fmt: skip
    crash_point("dunning:intent")
    ops.sending(DUNNING, key)  # from here on an interrupted attempt may have created the draft
    try:
        out = run_action("create_dunning", data, profile=profile).model_dump(mode="json")
    except (ActionError, LexwareError) as exc:
        if not isinstance(exc, AmbiguousWrite | ServerError):  # refused: certainly not created
            ops.fail(DUNNING, key, str(exc))
        raise
    crash_point("dunning:answer")
    ops.finish(DUNNING, key, out)
    crash_point("dunning:recorded")
    return {**out, "outcome": "created"}
