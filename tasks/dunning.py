"""Receivables tasks on the neutral `Provider`: the unpaid invoices, and one reminder per overdue invoice and day.

The reminder is the provider's own dunning document where its API keeps one (capability `dunning`: Lexware,
sevDesk), otherwise lexflow's own e-mail with the invoice PDF (`tasks.mail`). Both are writes keyed by invoice and
day in the operations ledger (docs/reliability.md): a rerun never reminds twice, and one whose outcome is unknown is
shown to a person ("possibly created"/"possibly sent") instead of repeated.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.actions.errors import ActionError
from lexflow.core.errors import CoreError
from lexflow.core.models import DunningDraft
from lexflow.operations import Operations, OutcomeUnknown, crash_point, request_digest
from lexflow.transport.errors import AmbiguousWrite, LexwareError, ServerError
from tasks.common import KEEP, business_key, current_provider, key_from
from tasks.providers import audited

#: The operations-ledger kind of a dunning document (keyed by invoice id and dunning day).
DUNNING = "dunning"


@task(name="unpaid-invoices", cache_policy=NO_CACHE)
def unpaid_invoices(as_of: str, profile: str | None = None) -> list[dict[str, Any]]:
    """Every unpaid invoice (open or part-paid) with its days overdue as of the run's day (not the API's today, so
    a run for another day sees the invoices that are overdue then), most overdue first. One audited read."""
    provider = current_provider(profile)
    day = date.fromisoformat(as_of)

    def read() -> list[dict[str, Any]]:
        items = []
        for s in provider.list_invoices(["open", "partially_paid"]):
            open_amount = s.open_amount.amount if s.open_amount else (s.total_gross.amount if s.total_gross else 0)
            if open_amount <= 0:
                continue
            items.append(
                {
                    "id": s.id,
                    "voucher_number": s.number,
                    "contact_id": s.customer_id,
                    "contact_name": s.customer_name,
                    "due_date": s.due_date.isoformat() if s.due_date else None,
                    "open_amount": str(open_amount),
                    "currency": s.currency,
                    "days_overdue": max((day - s.due_date).days, 0) if s.is_overdue(day) and s.due_date else 0,
                }
            )
        return sorted(items, key=lambda i: -int(i["days_overdue"]))

    return audited(provider, "dunning.unpaid_invoices", {"as_of": as_of, "effect": "read"}, [], read)


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
    """The provider's dunning document (a draft) for the invoice; at most one per invoice and dunning day.

    `introduction`: the letter's opening text (the run names a part payment and the remaining amount there).

    Not every API can list dunnings, so an earlier attempt whose answer never got recorded is reported as "possibly
    created" (`OutcomeUnknown`), and created again only with `recreate_unknown=True`, after a person checked the
    invoice's dunnings."""
    provider = current_provider(profile)
    where = provider.capabilities.display_name
    draft = DunningDraft(invoice_id=invoice_id, as_of=date.fromisoformat(as_of), fee=Decimal(fee),
                         introduction=introduction)  # fmt: skip
    data = {"invoice_id": invoice_id, "fee": fee, "voucher_date": as_of, **({"introduction": introduction} if
            introduction else {})}  # fmt: skip
    ops = Operations(database_url)
    key = business_key(DUNNING, invoice_id, as_of)
    what = f"the dunning of invoice {invoice_id} for {as_of}"
    earlier = ops.check(DUNNING, key, request_digest(data), what=what, hint=f"Change the draft in {where}.")
    if earlier is not None and earlier.done:
        return {**earlier.result, "outcome": "already created"}
    if earlier is not None and earlier.sent_at is not None and not recreate_unknown:
        raise OutcomeUnknown(
            earlier,
            f"{what} was possibly created at {earlier.sent_at:%Y-%m-%d %H:%M:%S} UTC: the run that sent it stopped "
            f"before recording the answer, and the API cannot list dunnings. Look at the invoice's dunnings in "
            f"{where}; if there is none, rerun with recreate_unknown=true.",
        )
    ops.begin(DUNNING, key, request_digest(data), target=f"{provider.name}: dunning of invoice {invoice_id}",
              what=what)  # fmt: skip
    crash_point("dunning:intent")
    ops.sending(DUNNING, key)  # from here on an interrupted attempt may have created the draft
    try:
        made = audited(provider, "dunning.create", data, [invoice_id], lambda: provider.create_dunning(draft))
    except (ActionError, LexwareError, CoreError) as exc:
        if not isinstance(exc, AmbiguousWrite | ServerError):  # refused: certainly not created
            ops.fail(DUNNING, key, str(exc))
        raise
    out = {"dunning_id": made.id, "invoice_id": invoice_id, "invoice_number": made.invoice_number,
           "view_url": made.view_url}  # fmt: skip
    crash_point("dunning:answer")
    ops.finish(DUNNING, key, out)
    crash_point("dunning:recorded")
    return {**out, "outcome": "created"}


@task(name="reminder-mail-content", cache_policy=NO_CACHE, persist_result=False)
def reminder_content(invoice_id: str, customer_id: str | None, profile: str | None = None) -> dict[str, Any]:
    """What a reminder e-mail needs from the provider: the customer's address and the invoice PDF (two reads)."""
    provider = current_provider(profile)

    def read() -> dict[str, Any]:
        customer = provider.get_customer(customer_id) if customer_id else None
        to = customer.emails[0] if customer and customer.emails else None
        return {"to": to, "pdf": provider.invoice_pdf(invoice_id) if to else b""}

    ids = [invoice_id, *([customer_id] if customer_id else [])]
    return audited(provider, "dunning.reminder_content", {"invoice_id": invoice_id, "effect": "read"}, ids, read)
