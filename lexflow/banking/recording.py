"""Reconciliation where the accounting system can record a payment (capability `record_payment`: sevDesk, Xero,
QuickBooks Online): open invoices from the neutral `list_invoices`, bank lines from a statement file or, where the
API reads the bank's own lines (`read_bank_transactions.statement_lines`), from the API; the same matcher.

Every match that would move money waits for a person (exact ones too: `needs_decision`, asked in Slack or the
Prefect UI as flagged ones are); once approved (`confirmed`), `record_approved` records the payment once:
- the ledger hands an approved match to one run only (`MatchLedger.start_recording`, compare and set);
- the payment carries the bank line as its business key (`PaymentDraft.reference`), and `Provider.find_payment`
  is asked before recording, so a rerun, or a run after a crash between the write and the ledger, finds it;
- where no exact lookup can settle an interrupted recording (a statement-file line on a system without
  idempotency keys), the match goes to a person instead of being recorded a second time.
Lexware Office cannot record payments: its reconciliation is `lexflow.banking.reconcile` (hints and review items).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field

from lexflow.actions.errors import ActionError
from lexflow.banking.ledger import MatchLedger
from lexflow.banking.matcher import Matcher
from lexflow.banking.open_items import OpenItem
from lexflow.banking.reconcile import AuditFn, ReconcileReport, ReviewItem, _republish, draft_note, review_item
from lexflow.banking.transactions import BankTransaction
from lexflow.core.errors import CoreError
from lexflow.core.models import BankTransaction as ProviderLine
from lexflow.core.models import InvoiceSummary, PaymentDraft
from lexflow.core.provider import Provider
from lexflow.errors import LexflowError
from lexflow.operations import crash_point
from lexflow.transport.errors import ValidationFailed

SOURCE_API = "api"
REFUSED: tuple[type[Exception], ...] = (CoreError, ActionError, ValidationFailed)
"""Errors that mean the payment was not recorded (refused before sending or by the API): a person takes over."""


def open_items_of(provider: Provider) -> list[OpenItem]:
    """Open and partially paid invoices from the neutral `list_invoices`, as the matcher sees them."""
    return open_items_from(provider.list_invoices(["open", "partially_paid"]))


def open_items_from(invoices: Iterable[InvoiceSummary]) -> list[OpenItem]:
    """Unpaid invoices as the matcher sees them. No payment terms (the neutral invoice has none): a customer's cash
    discount shows up as a part payment, for a person to judge."""
    items = []
    for s in invoices:
        if s.open_amount is None or s.open_amount.amount <= 0:
            continue
        items.append(
            OpenItem(
                voucher_id=s.id,
                voucher_number=s.number,
                voucher_status=s.status,
                contact_id=s.customer_id,
                contact_name=s.customer_name,
                open_amount=s.open_amount.amount,
                total_amount=s.total_gross.amount if s.total_gross else None,
                currency=s.currency,
                voucher_date=s.issue_date,
                due_date=s.due_date,
            )
        )
    return items


def line_from_provider(line: ProviderLine) -> BankTransaction:
    """A bank line the API read, as the matcher's transaction. Its ledger key names the provider (one database may
    serve two systems); the provider's own id stays in `bank_reference`, the business key of its payment."""
    return BankTransaction(
        transaction_id=f"{line.provider}-{line.id}",
        booking_date=line.booking_date,
        value_date=line.value_date,
        amount=line.amount.amount,
        currency=line.amount.currency,
        counterparty_name=line.counterparty_name,
        remittance=line.remittance,
        end_to_end_id=line.end_to_end_id,
        bank_reference=line.id,
        source=SOURCE_API,
    )


def reconcile_recording(
    transactions: Sequence[BankTransaction],
    provider: Provider,
    *,
    ledger: MatchLedger,
    statement: str = "",
    dry_run: bool = False,
    open_items: Sequence[OpenItem] | None = None,
    flow_run_id: str | None = None,
    already_listed: frozenset[str] = frozenset(),
) -> ReconcileReport:
    """Match the lines against the open invoices; every match with money to record waits for a person's approval
    (`needs_decision`). Nothing is written to the accounting system here: `record_approved` does that. A claim a
    killed run left is finished, and matches nobody was shown are listed again (as `reconcile` does)."""
    items = list(open_items) if open_items is not None else open_items_of(provider)
    by_id = {i.voucher_id: i for i in items}
    started = time.perf_counter()
    proposals = Matcher(items, known_ibans=ledger.known_iban_fingerprints()).match_all(transactions)
    report = ReconcileReport(
        backend=provider.capabilities.display_name,
        statement=statement,
        dry_run=dry_run,
        transactions=len(transactions),
        open_items=len(items),
        by_kind=dict(Counter(p.kind for p in proposals)),
        match_seconds=round(time.perf_counter() - started, 3),
    )
    tx_by_id = {t.transaction_id: t for t in transactions}
    done = ledger.settled([p.transaction_id for p in proposals])
    stuck = ledger.stuck_claims() if not dry_run else {}
    for proposal in proposals:
        tx = tx_by_id[proposal.transaction_id]
        review = _review_item(tx, proposal, by_id, provider)
        claim = stuck.pop(proposal.transaction_id, None)
        if claim is not None and ledger.take_over(claim):  # killed between claim and finish: nothing was sent
            ledger.finish(tx.transaction_id, status="needs_decision", action="flagged", note=review.note)
            review.action, review.status = "flagged", "needs_decision"
            report.recovered.append(tx.transaction_id)
            report.flagged += 1
        elif proposal.transaction_id in done:
            review.action, review.status = "skipped", done[proposal.transaction_id]
            report.skipped_already_done += 1
        elif proposal.kind in ("unrelated", "unmatched"):
            if not dry_run:
                ledger.record_no_action(proposal, tx, statement=statement)
        elif dry_run:
            review.action, review.status = "flagged", "dry-run"
            report.flagged += 1
        elif ledger.claim(proposal, tx, statement=statement, flow_run_id=flow_run_id, planned="flagged"):
            if proposal.kind == "exact" and tx.unverified is None:
                review.reasons.append(f"approve to record the payment in {provider.capabilities.display_name}")
            ledger.finish(tx.transaction_id, status="needs_decision", action="flagged", note=review.note)
            review.action, review.status = "flagged", "needs_decision"
            report.flagged += 1
        else:
            review.action, review.status = "skipped", "claimed by another run"
            report.skipped_already_done += 1
        report.items.append(review)
    if not dry_run:  # matches a killed run finished but never showed to a person are asked again
        _republish(report, ledger, stuck, already_listed)
    return report


class Recorded(BaseModel):
    """What `record_approved` did with one approved match."""

    transaction_id: str
    outcome: str = Field(description="recorded | found (recorded before) | to_person | unknown")
    invoices: list[str] = Field(default_factory=list)
    detail: str = ""


def record_approved(
    transactions: Sequence[BankTransaction],
    provider: Provider,
    *,
    ledger: MatchLedger,
    audit: AuditFn | None = None,
    record: Callable[[PaymentDraft], Any] | None = None,
) -> list[Recorded]:
    """Record the payment of every approved match among these lines, exactly once (see the module docstring).

    `record`: how a payment is recorded (the flow passes the neutral `record_payment` action, audited by the action
    runner; default: `provider.record_payment`, audited through `audit`)."""
    provider.capabilities.require("record_payment")
    by_id = {t.transaction_id: t for t in transactions}
    out: list[Recorded] = []
    for transaction_id in ledger.approved(list(by_id)):
        was = ledger.start_recording(transaction_id)
        if was is None:
            continue
        tx = by_id[transaction_id]
        out.append(
            _record(tx, provider, ledger, audit, record or provider.record_payment, interrupted=was == "recording")
        )
    return out


def _record(
    tx: BankTransaction,
    provider: Provider,
    ledger: MatchLedger,
    audit: AuditFn | None,
    record: Callable[[PaymentDraft], Any],
    *,
    interrupted: bool,
) -> Recorded:
    allocations = ledger.items_of(tx.transaction_id)
    own_line = tx.source == SOURCE_API and tx.bank_reference is not None and len(allocations) == 1
    line_key = tx.bank_reference if tx.source == SOURCE_API and tx.bank_reference else tx.transaction_id
    name = provider.capabilities.display_name
    result = Recorded(transaction_id=tx.transaction_id, outcome="recorded")
    if not allocations or any(item.amount <= 0 for item in allocations) or tx.amount <= 0:
        return _to_person(
            ledger,
            tx,
            result,
            f"Confirmed, but this match names no invoice to pay with money received. Do: settle it in {name}.",
        )
    for index, item in enumerate(allocations):
        reference = line_key if len(allocations) == 1 else f"{line_key}:{index + 1}"
        label = item.voucher_number or item.voucher_id
        result.invoices.append(label)
        payload = {"invoice_id": item.voucher_id, "amount": str(item.amount), "reference": reference}
        try:
            if provider.find_payment(reference, item.voucher_id) is not None:
                result.outcome = "found"
                continue
            if interrupted and not (own_line or provider.capabilities.idempotency.available):
                return _to_person(
                    ledger,
                    tx,
                    result,
                    f"Recording the payment for {label} was interrupted and {name} cannot tell whether it arrived. "
                    f"Do: look at the payments of {label} in {name} and record {item.amount} {tx.currency} there "
                    "if it is missing.",
                )
            crash_point("payment:intent")
            record(
                PaymentDraft(
                    invoice_id=item.voucher_id,
                    amount=item.amount,
                    currency=tx.currency,
                    paid_on=tx.booking_date,
                    bank_transaction_id=tx.bank_reference if own_line else None,
                    reference=reference,
                )
            )
            crash_point("payment:answer")
        except REFUSED as exc:  # refused before or by the API (paid meanwhile, more than is open, ...)
            if audit:
                audit("payment.record", payload, [item.voucher_id], "error", f"{type(exc).__name__}: {exc}")
            return _to_person(
                ledger, tx, result, f"{name} refused the payment for {label}: {exc} Do: record it there by hand."
            )
        except LexflowError as exc:  # unknown outcome (the API did not answer in time): looked up next run
            if audit:
                audit("payment.record", payload, [item.voucher_id], "error", f"{type(exc).__name__}: {exc}")
            result.outcome = "unknown"
            result.detail = (
                f"recording the payment for {label} in {name} failed ({type(exc).__name__}: {exc}); the next run "
                "looks it up and records it only if it is missing"
            )
            return result
        if audit:
            audit("payment.record", payload, [item.voucher_id], "ok", None)
    detail = f"payment of {tx.amount} {tx.currency} recorded in {name} for {', '.join(result.invoices)}"
    ledger.finish(tx.transaction_id, status="payment_recorded", action="recorded", note=detail)
    crash_point("payment:recorded")
    result.detail = detail
    return result


def _to_person(ledger: MatchLedger, tx: BankTransaction, result: Recorded, note: str) -> Recorded:
    ledger.finish(tx.transaction_id, status="awaiting_assignment", action="review", note=note)
    result.outcome, result.detail = "to_person", note
    return result


def _review_item(tx: BankTransaction, proposal: Any, items: dict[str, OpenItem], provider: Provider) -> ReviewItem:
    note = draft_note(tx, proposal, items) if proposal.kind != "unrelated" else ""
    name = provider.capabilities.display_name
    if note:  # the Lexware wording of draft_note ("assign in Lexware Office") does not hold here
        note = "\n".join(line for line in note.splitlines() if not line.startswith("Do: "))
        if proposal.allocations:
            note += f"\nDo: confirm, and lexflow records the payment in {name}; dismiss if it is not this invoice."
    return review_item(tx, proposal, items, note)


def since(days: int, today: date | None = None) -> date:
    """The first booking date reconciliation reads from the API (lines before were reconciled by earlier runs)."""
    return (today or date.today()) - timedelta(days=days)
