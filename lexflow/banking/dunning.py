"""Which overdue invoices get a payment reminder, knowing what the bank statements showed.

The API's open amount only drops once a person assigns the payment in Lexware Office (the API cannot, reference
docs/lexware.md#no-payment-writes), so an invoice reconciliation matched this morning still looks unpaid. Before a reminder is drafted the
dunning run asks the match ledger: a payment seen for the full open amount means no reminder; a part payment means
a reminder for the rest only. Every decision carries the sentence a person reads in the run's table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from lexflow.banking.ledger import SeenPayment
from lexflow.formatting import eur

_WAITING = {
    "hint_sent": "payment hint sent to Lexware Office",
    "awaiting_assignment": "waiting for its assignment in Lexware Office",
    "confirmed": "confirmed by a person, waiting for its assignment in Lexware Office",
    "needs_decision": "flagged for a person's decision (`lexflow bank ledger`)",
}


class DunningDecision(BaseModel):
    """Remind (for `remind_amount`) or skip one overdue invoice, and why."""

    action: Literal["remind", "skip"]
    why: str
    invoice_id: str
    voucher_number: str | None = None
    contact_name: str | None = None
    days_overdue: int
    open_amount: Decimal
    payments_seen: Decimal = Decimal("0")
    remind_amount: Decimal = Decimal("0")


def not_yet_in_lexware(payment: SeenPayment, open_now: Decimal) -> bool:
    """True while Lexware's open amount does not reflect the payment yet (it is still what the match saw)."""
    return payment.open_when_matched is None or open_now >= payment.open_when_matched


def decide(item: Mapping[str, Any], seen: Sequence[SeenPayment]) -> DunningDecision:
    """The decision for one overdue open item (`open_items` action row) and the payments the ledger saw for it."""
    open_now = Decimal(str(item["open_amount"]))
    pending = [p for p in seen if not_yet_in_lexware(p, open_now)]
    paid = sum((p.amount for p in pending), Decimal("0"))
    base = {
        "invoice_id": str(item["id"]),
        "voucher_number": item.get("voucher_number"),
        "contact_name": item.get("contact_name"),
        "days_overdue": int(item["days_overdue"]),
        "open_amount": open_now,
        "payments_seen": paid,
    }
    days = f"{item['days_overdue']} days overdue"
    if not pending:
        return DunningDecision(action="remind", why=f"{days}, no payment seen", remind_amount=open_now, **base)
    received = "; ".join(
        f"{eur(p.amount)} on {p.booking_date.isoformat()}, {_WAITING.get(p.status, p.status)}" for p in pending
    )
    rest = open_now - paid
    if rest <= Decimal("0.00"):
        return DunningDecision(action="skip", why=f"payment seen for the open amount: {received}", **base)
    return DunningDecision(
        action="remind",
        why=f"{days}, part payment seen ({received}); reminded for the remaining {eur(rest)}",
        remind_amount=rest,
        **base,
    )


def plan_dunning(
    items: Sequence[Mapping[str, Any]], seen: Mapping[str, Sequence[SeenPayment]]
) -> list[DunningDecision]:
    """One decision per item (already filtered to the overdue ones), in the items' order."""
    return [decide(item, seen.get(str(item["id"]), ())) for item in items]


def part_payment_introduction(decision: DunningDecision) -> str | None:
    """The reminder's introduction when a part payment was seen: it names the payment and the remaining amount."""
    if decision.payments_seen <= 0 or decision.action != "remind":
        return None
    return (
        f"Vielen Dank für Ihre Zahlung über {_de(decision.payments_seen)} EUR. Zur Rechnung "
        f"{decision.voucher_number or ''} ist noch ein Betrag von {_de(decision.remind_amount)} EUR offen; "
        "bitte begleichen Sie diesen Restbetrag."
    ).replace("Rechnung  ist", "Rechnung ist")


def _de(amount: Decimal) -> str:
    """German number format for the letter to the customer (1.234,56)."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


BUCKETS = (30, 60, 90)
"""Upper bounds (days overdue) of the receivables-ageing buckets, after "not due" and before the last one."""


def ageing(items: Sequence[Mapping[str, Any]], bounds: Sequence[int] = BUCKETS) -> tuple[Decimal, dict[str, Decimal]]:
    """Total open and open amount per bucket (not due, 1-30, 31-60, 61-90, >90 by default) of unpaid invoices."""
    names, low = ["not due"], 1
    for b in sorted(bounds):
        names.append(f"{low}-{b}")
        low = b + 1
    names.append(f">{sorted(bounds)[-1]}")
    buckets = {n: Decimal("0.00") for n in names}
    for item in items:
        days = int(item["days_overdue"])
        index = 0 if days <= 0 else next((i + 1 for i, b in enumerate(sorted(bounds)) if days <= b), len(names) - 1)
        buckets[names[index]] += Decimal(str(item["open_amount"]))
    return sum(buckets.values(), Decimal("0.00")), buckets


def reminder_mail(decision: DunningDecision) -> tuple[str, str]:
    """Subject and text of lexflow's own reminder e-mail (where the provider keeps no dunning documents)."""
    number = decision.voucher_number or decision.invoice_id
    opening = part_payment_introduction(decision) or (
        f"unsere Rechnung {number} ist seit {decision.days_overdue} Tagen fällig; offen sind "
        f"{_de(decision.remind_amount)} EUR."
    )
    body = (
        "Guten Tag,\n\n"
        f"{opening}\n\n"
        "Bitte überweisen Sie den offenen Betrag in den nächsten Tagen. Die Rechnung liegt dieser E-Mail noch "
        "einmal bei. Sollte sich Ihre Zahlung mit dieser Erinnerung überschnitten haben, betrachten Sie sie bitte "
        "als gegenstandslos.\n\nMit freundlichen Grüßen\n"
    )
    return f"Zahlungserinnerung: Rechnung {number}", body
