"""End-state checks: each reads the sandbox after the solver finished and says what is wrong, or None.

They read the store and the provider interface directly (never through `run()`), so grading leaves no audit
record and cannot be fooled by what a solver claims it did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from bench.agent.model import Check
from bench.agent.world import World


def _money(value: Any) -> Decimal:
    return Decimal(str(getattr(value, "amount", value))).quantize(Decimal("0.01"))


def new_ids(world: World, kind: str) -> list[str]:
    return [doc["id"] for doc in world.docs(kind) if (kind, doc["id"]) not in world.seeded]


def _emails(doc: dict[str, Any]) -> list[str]:
    return [e.lower() for group in (doc.get("emailAddresses") or {}).values() for e in group]


def contacts_with(world: World, email: str) -> list[dict[str, Any]]:
    return [d for d in world.docs("contacts") if email.lower() in _emails(d)]


def _customer_id(world: World, customer: str) -> str | None:
    """A seeded label, or an e-mail address of a contact (new customers have no label)."""
    if "@" not in customer:
        return world.ids[customer]
    found = contacts_with(world, customer)
    return found[0]["id"] if len(found) == 1 else None


def one_new_invoice(
    customer: str,
    *,
    gross: str,
    net: str | None = None,
    status: str = "open",
    due_days: int | None = None,
    reference: str | None = None,
    rates: Iterable[str] = (),
) -> Check:
    """Exactly one invoice was created, for this customer, with these totals, status, term, reference, tax rates."""

    def check(world: World) -> str | None:
        ids = new_ids(world, "invoices")
        if len(ids) != 1:
            return f"expected one new invoice, found {len(ids)}"
        inv = world.provider.get_invoice(ids[0])
        problems = []
        if inv.customer_id != _customer_id(world, customer):
            problems.append(f"customer {inv.customer_name!r}")
        if _money(inv.total_gross) != Decimal(gross):
            problems.append(f"gross {_money(inv.total_gross)} (want {gross})")
        if net is not None and inv.total_net is not None and _money(inv.total_net) != Decimal(net):
            problems.append(f"net {_money(inv.total_net)} (want {net})")
        if inv.status != status:
            problems.append(f"status {inv.status} (want {status})")
        if due_days is not None and inv.issue_date and inv.due_date != inv.issue_date + timedelta(days=due_days):
            problems.append(f"due {inv.due_date} (want issue date + {due_days} days)")
        if reference is not None and inv.reference != reference:
            problems.append(f"reference {inv.reference!r} (want {reference!r})")
        if rates and {str(line.tax.rate.normalize()) for line in inv.lines if line.tax.rate is not None} != set(rates):
            problems.append(f"tax rates {[str(line.tax.rate) for line in inv.lines]} (want {sorted(rates)})")
        return f"new invoice {inv.number}: " + ", ".join(problems) if problems else None

    return check


def no_new(kind: str) -> Check:
    def check(world: World) -> str | None:
        ids = new_ids(world, kind)
        return f"{len(ids)} new {kind}, want none" if ids else None

    return check


def unchanged(world: World) -> str | None:
    """Nothing in the books changed."""
    from bench.agent.harness import changes

    made = changes(world)
    return f"the books changed: {dict(made)}" if made else None


def no_approvals(world: World) -> str | None:
    asked = [r.action for r in world.trail().list() if r.action.startswith("approval.")]
    return f"approvals were asked for: {asked}" if asked else None


def contact(
    email: str, *, name: str | None = None, kind: str | None = None, street: str | None = None, zip: str | None = None
) -> Check:
    """Exactly one contact has this e-mail (any case), with this name, kind and billing street."""

    def check(world: World) -> str | None:
        found = contacts_with(world, email)
        if len(found) != 1:
            return f"{len(found)} contacts with {email}, want exactly one"
        doc, problems = found[0], []
        is_person = doc.get("person") is not None
        if kind is not None and is_person != (kind == "person"):
            problems.append(f"a {'person' if is_person else 'company'} (want {kind})")
        if name is not None:
            person = doc.get("person") or {}
            got = (doc.get("company") or {}).get(
                "name"
            ) or f"{person.get('firstName', '')} {person.get('lastName', '')}".strip()
            if got != name:
                problems.append(f"name {got!r} (want {name!r})")
        billing = ((doc.get("addresses") or {}).get("billing") or [{}])[0]
        if street is not None and billing.get("street") != street:
            problems.append(f"street {billing.get('street')!r} (want {street!r})")
        if zip is not None and billing.get("zip") != zip:
            problems.append(f"zip {billing.get('zip')!r} (want {zip!r})")
        return f"contact {email}: " + ", ".join(problems) if problems else None

    return check


@cache
def _category_names() -> dict[str, str]:
    data = (
        resources.files("lexflow.lexware.sandbox.data").joinpath("posting_categories.json").read_text(encoding="utf-8")
    )
    return {c["id"]: c["name"] for c in json.loads(data)}


def expense(number: str, *, gross: str, rate: str, categories: Iterable[str]) -> Check:
    """Exactly one booked voucher with this number, gross total, tax rate and one of these categories."""
    wanted = set(categories)

    def check(world: World) -> str | None:
        found = [d for d in world.docs("vouchers") if d.get("voucherNumber") == number]
        if len(found) != 1:
            return f"{len(found)} vouchers numbered {number}, want one"
        doc, problems = found[0], []
        if _money(doc.get("totalGrossAmount")) != Decimal(gross):
            problems.append(f"gross {doc.get('totalGrossAmount')} (want {gross})")
        items = doc.get("voucherItems") or []
        got_rates = {str(Decimal(str(i.get("taxRatePercent"))).normalize()) for i in items}
        if got_rates != {rate}:
            problems.append(f"tax rates {sorted(got_rates)} (want {rate})")
        got = {_category_names().get(i.get("categoryId"), i.get("categoryId")) for i in items}
        if not got <= wanted:
            problems.append(f"category {sorted(got)} (want one of {sorted(wanted)})")
        if doc.get("voucherStatus") in ("blank", "unchecked"):
            problems.append(f"status {doc.get('voucherStatus')} (not booked)")
        return f"voucher {number}: " + ", ".join(problems) if problems else None

    return check


def dunned(*labels: str) -> Check:
    """Reminders exist for exactly these seeded invoices, one each."""

    def check(world: World) -> str | None:
        related = sorted(
            world.label_of(v["id"]) or v["id"]
            for d in world.docs("dunnings")
            for v in d.get("relatedVouchers") or []
            if v.get("voucherType") == "invoice"
        )
        return None if related == sorted(labels) else f"reminders for {related}, want {sorted(labels)}"

    return check


def cancelled(label: str) -> Check:
    """The invoice got a credit note pursued from it and nothing is open any more."""

    def check(world: World) -> str | None:
        notes = [
            d
            for d in world.docs("credit-notes")
            if any(v.get("id") == world.ids[label] for v in d.get("relatedVouchers") or [])
        ]
        if len(notes) != 1:
            return f"{len(notes)} credit notes for {world.numbers[label]}, want one"
        inv = world.provider.get_invoice(world.ids[label])
        if inv.open_amount is not None and _money(inv.open_amount) != 0:
            return f"{world.numbers[label]} still has {_money(inv.open_amount)} open"
        return None

    return check
