""" "Checks the result": after the run, re-read every resource the run wrote and compare it with the intent.

Deterministic post-conditions, no model involved: an invoice's customer, status and totals equal the approved call and
lexflow's preview; a reference names one invoice, not two; a customer exists once for its e-mail. Every re-read goes
through `run()` (read actions, audited like any other call). A failed check is reported, never repaired.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lexflow.actions import run
from lexflow.actions.registry import registry
from lexflow.agent.models import ActionCall, Approval, Check
from lexflow.agent.tools import Session


def verify(actions: list[ActionCall], approvals: list[Approval], session: Session) -> list[Check]:
    """One or more checks per successful write of the run."""
    checks: list[Check] = []
    for call in actions:
        if not call.ok or call.effect == "read":
            continue
        check = _CHECKS.get(_kind(call.name))
        try:
            if check is None:
                checks.append(_exists(call, session))
            else:
                checks.extend(check(call, approvals, session))
        except Exception as exc:  # a re-read that fails is a failed check, not a crash of the report
            checks.append(Check(name=f"{call.name} re-read", ok=False, detail=f"{type(exc).__name__}: {exc}",
                                resource_id=call.resource_id))  # fmt: skip
    return checks


def _kind(name: str) -> str:
    action = registry.get(name) if name in registry else None
    return f"{action.group}:{name.removeprefix(action.group + '_')}" if action is not None else name


def _read(session: Session, name: str, args: dict[str, Any]) -> Any:
    return run(name, args, actor=session.actor, profile=session.profile, client_factory=session.client_factory)


def _approved_gross(call: ActionCall, approvals: list[Approval]) -> Decimal | None:
    from lexflow.actions.approvals import approval_digest

    try:
        digest = approval_digest(call.name, call.args)
    except Exception:
        return None
    for a in approvals:
        if a.approved and a.ask.action == call.name and a.ask.digest == digest:
            return a.ask.preview.gross
    return None


def _invoice(call: ActionCall, approvals: list[Approval], session: Session) -> list[Check]:
    rid = call.resource_id
    if rid is None:
        return [Check(name="invoice written", ok=False, detail="the call returned no invoice id")]
    inv = _read(session, "get_invoice", {"id": rid})
    args = call.args
    out = [
        Check(
            name="invoice customer",
            ok=inv.customer_id == args.get("customer_id"),
            detail=f"books: {inv.customer_id}, asked: {args.get('customer_id')}",
            resource_id=rid,
        ),
        Check(
            name="invoice lines",
            ok=len(inv.lines) in (0, len(args.get("lines") or [])),  # list views may carry no lines
            detail=f"books: {len(inv.lines)}, asked: {len(args.get('lines') or [])}",
            resource_id=rid,
        ),
    ]
    wanted_status = {"open", "partially_paid", "paid"} if args.get("finalize") else {"draft"}
    out.append(Check(name="invoice status", ok=inv.status in wanted_status,
                     detail=f"books: {inv.status}, asked: {'final' if args.get('finalize') else 'draft'}",
                     resource_id=rid))  # fmt: skip
    gross = _approved_gross(call, approvals)
    if gross is not None and inv.total_gross is not None:
        lines = max(len(args.get("lines") or []), 1)
        diff = abs(inv.total_gross.amount - gross)
        out.append(Check(name="invoice total equals the approved preview", ok=diff <= Decimal("0.01") * lines,
                         detail=f"books: {inv.total_gross.amount}, approved: {gross}", resource_id=rid))  # fmt: skip
    if args.get("reference") and inv.customer_id:
        since = inv.issue_date.isoformat() if inv.issue_date else None
        listed = _read(session, "list_invoices", {"customer_id": inv.customer_id, "issued_from": since, "limit": 200})
        same = [i for i in listed.items if i.id == rid or _reference_of(session, i.id) == args["reference"]]
        out.append(Check(name="one invoice for the reference", ok=len(same) == 1,
                         detail=f"{len(same)} invoice(s) carry reference {args['reference']}", resource_id=rid))  # fmt: skip
    return out


def _reference_of(session: Session, invoice_id: str) -> str | None:
    return getattr(_read(session, "get_invoice", {"id": invoice_id}), "reference", None)


def _customer(call: ActionCall, approvals: list[Approval], session: Session) -> list[Check]:
    rid = call.resource_id
    if rid is None:
        return [Check(name="customer written", ok=False, detail="the call returned no customer id")]
    customer = _read(session, "get_customer", {"id": rid})
    out = [Check(name="customer name", ok=customer.name.strip() == str(call.args.get("name", "")).strip(),
                 detail=f"books: {customer.name!r}, asked: {call.args.get('name')!r}", resource_id=rid)]  # fmt: skip
    email = call.args.get("email")
    if email:
        found = _read(session, "search_customers", {"email": email}).items
        out.append(Check(name="one customer for the e-mail", ok=len(found) == 1,
                         detail=f"{len(found)} customer(s) with {email}", resource_id=rid))  # fmt: skip
    return out


def _expense(call: ActionCall, approvals: list[Approval], session: Session) -> list[Check]:
    rid = call.resource_id
    listed = _read(session, "list_expenses", {"issued_from": call.args.get("issue_date"), "limit": 200}).items
    same = [e for e in listed if e.number == call.args.get("number")]
    out = [Check(name="one expense for the supplier's number", ok=len(same) == 1,
                 detail=f"{len(same)} expense(s) numbered {call.args.get('number')}", resource_id=rid)]  # fmt: skip
    items = call.args.get("items") or []
    if same and same[0].total_gross is not None and call.args.get("prices_include_tax", True):
        wanted = sum((Decimal(str(i["amount"])) for i in items), Decimal(0))
        got = same[0].total_gross.amount
        out.append(Check(name="expense total equals the receipt", ok=abs(got - wanted) <= Decimal("0.01"),
                         detail=f"books: {got}, receipt: {wanted}", resource_id=rid))  # fmt: skip
    return out


def _exists(call: ActionCall, session: Session) -> Check:
    """Actions without a specific check: the run says what it wrote; nothing more is claimed."""
    return Check(name=f"{call.name} wrote", ok=True, detail="no specific post-condition for this action",
                 resource_id=call.resource_id)  # fmt: skip


_CHECKS: dict[str, Callable[[ActionCall, list[Approval], Session], list[Check]]] = {
    "neutral:create_invoice": _invoice,
    "neutral:create_customer": _customer,
    "neutral:create_expense": _expense,
    "lexware:upsert_customer": _customer,
}
