"""Act on proposals, honest to the API: the only write is a transaction-assignment-hint, and only with partner opt-in.

- `exact` → `POST /v1/transaction-assignment-hint` when the client allows partner endpoints (OAuth partner
  credentials, docs/lexware.md#transaction-assignment-hint; it does not mark anything paid by itself), otherwise a review item with the deeplink that
  opens the invoice in Lexware Office, where a person assigns the payment (the API cannot, docs/lexware.md#no-payment-writes).
- `partial`, `ambiguous`, `reversal` → flagged with a drafted note for a person (Slack Confirm/Dismiss is the
  flow's job: `flows/reconcile_payments.py`); so is an `exact` match from a statement read with `accept_unbalanced`
  whose balances do not add up (`BankTransaction.unverified`).
- `unrelated`, `unmatched` → recorded, no action.
Every transaction is claimed in the ledger before anything happens, so a rerun never acts twice.
An invoice whose payment terms cannot be read this run is still matched, but only an exact match acts on it (a part
payment might be a cash discount); the rest is recorded without action and matched again next run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from lexflow.banking.ledger import MatchLedger, MatchStatus, PaymentCheck, check_payment
from lexflow.banking.matcher import Matcher, MatchKind, Proposal
from lexflow.banking.open_items import CREDIT_NOTE_TYPES, INVOICE_TYPES, OpenItem, load_open_items
from lexflow.banking.transactions import BankTransaction, mask_iban

Action = Literal["hint", "review", "flagged", "none", "skipped"]


class ReviewItem(BaseModel):
    """One line of the report: what the transaction is, what lexflow did, and what a person should do."""

    transaction_id: str
    booking_date: date
    amount: Decimal
    counterparty: str = ""
    counterparty_iban: str = Field(default="-", description="Masked: country, check digits and last four only.")
    remittance: str = ""
    kind: MatchKind
    confidence: float
    vouchers: list[str] = Field(default_factory=list, description="Voucher numbers allocated (or candidates).")
    allocations: list[dict[str, str]] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    action: Action = "none"
    status: str = "proposed"
    links: list[str] = Field(default_factory=list)
    note: str = ""


def sweep_payments(
    client: Any, ledger: MatchLedger, open_items: Sequence[OpenItem], *, limit: int = 100
) -> list[PaymentCheck]:
    """Close ledger matches whose voucher Lexware now shows paid, without waiting for the `payment.changed` webhook.

    Only vouchers that left the open list, whose open amount dropped since the match, or that are open again after
    being a draft cost a `/v1/payments` call. A voucher waiting as a draft is looked up in the voucherlist's drafts
    (one request per 250 drafts, only while such matches exist): gone from there and not open means deleted (or
    finalized and settled since), so `/v1/payments` is asked and records it. An API error on one voucher is
    recorded as its outcome (`error`) and the sweep goes on: it is asked again on the next run."""
    from lexflow.transport.errors import LexwareError

    current = {i.voucher_id: i.open_amount for i in open_items}
    drafts = ledger.draft_vouchers()
    checks: list[PaymentCheck] = []
    still_drafts = drafts  # unknown: assume nothing changed
    if drafts - current.keys():
        try:
            still_drafts = draft_voucher_ids(client)
        except LexwareError as exc:
            message = f"could not list the drafts ({exc}); whether a matched draft was deleted is checked next run"
            checks.append(PaymentCheck(voucher_id="-", outcome="error", message=message))
    changed = [
        vid
        for vid, was in sorted(ledger.open_allocations().items())
        if vid not in current or (was is not None and current[vid] < was) or vid in drafts
    ]
    for voucher_id in changed[:limit]:
        if voucher_id in drafts and voucher_id not in current and voucher_id in still_drafts:
            continue  # still a draft: asking /payments again would only repeat the 406
        try:
            checks.append(check_payment(voucher_id, client, ledger=ledger))
        except LexwareError as exc:
            message = f"could not ask /v1/payments for voucher {voucher_id} ({exc}); asked again on the next run"
            checks.append(PaymentCheck(voucher_id=voucher_id, outcome="error", message=message))
    return checks


def draft_voucher_ids(client: Any) -> set[str]:
    """Ids of the draft invoices and credit notes (voucherlist, all pages): a deleted draft is not among them."""
    types = ",".join((*INVOICE_TYPES, *CREDIT_NOTE_TYPES))
    rows = client.voucherlist.iter(voucher_type=types, voucher_status="draft")
    return {str(row.get("id") if isinstance(row, dict) else row.id) for row in rows}


class ReconcileReport(BaseModel):
    backend: str = ""
    statement: str = ""
    dry_run: bool = False
    transactions: int = 0
    open_items: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    hints_sent: int = 0
    review_items: int = 0
    flagged: int = 0
    skipped_already_done: int = 0
    closed_by_payment: list[str] = Field(default_factory=list, description="Ledger matches Lexware now shows paid.")
    payment_notices: list[str] = Field(
        default_factory=list,
        description="What the payment sweep could not settle: a voucher that is a draft again or gone (the ledger "
        "holds the note for a person), or a /v1/payments call that failed (asked again next run); and invoices whose "
        "payment terms could not be read (their non-exact matches wait for the next run).",
    )
    recovered: list[str] = Field(
        default_factory=list, description="Transactions an interrupted run had claimed, finished by this run."
    )
    republished: int = Field(
        default=0, description="Matches of earlier runs that wait for a person and were never shown: in `items`."
    )
    recovery_notices: list[str] = Field(
        default_factory=list, description="Claims of interrupted runs for transactions that are not in this run."
    )
    match_seconds: float = 0.0
    items: list[ReviewItem] = Field(default_factory=list)

    @property
    def needs_person(self) -> list[ReviewItem]:
        return [i for i in self.items if i.action in ("review", "flagged")]


AuditFn = Callable[[str, dict[str, Any], list[str], str, str | None], None]


def audit_recorder(actor: Any, database_url: str | None = None) -> AuditFn:
    """`audit(action, input, resource_ids, outcome, error)` writing to the hash-chained audit trail as `actor`."""
    from lexflow.audit import AuditRecord, AuditTrail

    trail = AuditTrail(database_url)

    def record(action: str, payload: dict[str, Any], ids: list[str], outcome: str, error: str | None) -> None:
        trail.record(
            AuditRecord(actor=actor, action=action, input=payload, resource_ids=ids, outcome=outcome, error=error)  # type: ignore[arg-type]
        )

    return record


def voucher_link(item: OpenItem, app_url: str | None) -> str | None:
    """The permalink that opens the voucher in Lexware Office (docs/lexware.md#deeplinks), where a payment can be assigned; None without
    a web app (`app_url` None: lexflow's sandbox, whose ids would open a stranger's "not found" page there)."""
    from lexflow.lexware.client import deeplinks

    if app_url is None:
        return None
    resource = item.voucher_type if item.voucher_type in deeplinks.RESOURCES else "invoices"
    return deeplinks.view_url(resource, item.voucher_id, app_url)


def draft_note(tx: BankTransaction, proposal: Proposal, items: dict[str, OpenItem]) -> str:
    """A short note a bookkeeper can act on; IBANs masked, nothing else secret is involved."""
    who = tx.counterparty_name or "unknown payer"
    head = f"{'Credit' if tx.amount > 0 else 'Debit'} of {abs(tx.amount)} {tx.currency} on {tx.booking_date} from {who} ({mask_iban(tx.counterparty_iban)})"
    if tx.remittance:
        head += f', text "{tx.remittance[:120]}"'
    lines = [head + "."]
    if proposal.allocations:
        parts = []
        for a in proposal.allocations:
            label = a.voucher_number or a.voucher_id
            part = f"{a.amount} to {label} (open {a.open_amount})"
            if a.cash_discount:
                part += f" with {a.cash_discount} cash discount"
            parts.append(part)
        lines.append(f"Proposed ({proposal.kind}, {proposal.confidence:.0%}): " + "; ".join(parts) + ".")
    elif proposal.candidates:
        names = [items[c].voucher_number or c if c in items else c for c in proposal.candidates[:5]]
        lines.append(f"Candidates ({proposal.kind}): " + ", ".join(names) + ".")
    lines.append("Why: " + "; ".join(proposal.reasons) + ".")
    if proposal.kind == "reversal":
        lines.append("Do: check whether the original payment was assigned in Lexware Office and undo it there.")
    elif proposal.kind in ("exact", "partial", "ambiguous"):
        lines.append(
            "Do: open the invoice in Lexware Office and assign this bank transaction to it "
            "(the public API cannot mark invoices paid)."
        )
    return "\n".join(lines)


def reconcile(
    transactions: Sequence[BankTransaction],
    client: Any,
    *,
    ledger: MatchLedger,
    statement: str = "",
    dry_run: bool = False,
    open_items: Sequence[OpenItem] | None = None,
    use_hints: bool | None = None,
    app_url: str | None = None,
    audit: AuditFn | None = None,
    flow_run_id: str | None = None,
    already_listed: frozenset[str] = frozenset(),
) -> ReconcileReport:
    """Match the statement against the open items and act on the proposals (nothing written when `dry_run`).

    Matches of earlier runs that wait for a person but were never shown to one (`MatchLedger.unshown`; the caller
    records what it showed with `mark_shown`) are added to `items`, except those in `already_listed` (a caller
    reconciling several statements lists each once).

    `use_hints`: None = whatever the client allows (`allow_partner_endpoints`). `audit(action, input,
    resource_ids, outcome, error)` is called for every write attempt."""
    from lexflow.lexware.client.deeplinks import is_sandbox

    if is_sandbox(client):
        app_url = None  # its ids exist in no Lexware Office web app
    elif app_url is None:
        from lexflow.settings import get_settings

        app_url = get_settings().app_url
    terms_missing: dict[str, str] = {}  # voucher id → notice: its payment terms could not be read this run
    items = list(open_items) if open_items is not None else _open_items(client, ledger, terms_missing)
    by_id = {i.voucher_id: i for i in items}
    started = time.perf_counter()
    proposals = Matcher(items, known_ibans=ledger.known_iban_fingerprints()).match_all(transactions)
    elapsed = time.perf_counter() - started
    tx_by_id = {t.transaction_id: t for t in transactions}
    hints = bool(getattr(client, "allow_partner_endpoints", False)) if use_hints is None else use_hints
    report = ReconcileReport(
        backend=str(getattr(client, "backend_description", "") or ""),
        statement=statement,
        dry_run=dry_run,
        transactions=len(transactions),
        open_items=len(items),
        by_kind=dict(Counter(p.kind for p in proposals)),
        match_seconds=round(elapsed, 3),
    )
    report.payment_notices += terms_missing.values()
    if not dry_run:
        for check in sweep_payments(client, ledger, items):
            report.closed_by_payment += check.closed
            if check.outcome in ("draft", "gone", "error"):
                report.payment_notices.append(check.message)
    done = ledger.settled([p.transaction_id for p in proposals])
    stuck = ledger.stuck_claims() if not dry_run else {}
    for proposal in proposals:
        tx = tx_by_id[proposal.transaction_id]
        unverified = tx.unverified if proposal.kind == "exact" else None
        if unverified is not None:  # its statement does not add up: a person decides, nothing is sent
            proposal = proposal.model_copy(update={"reasons": (*proposal.reasons, unverified.reason)})
        review = _review_item(tx, proposal, by_id, app_url)
        claim = stuck.pop(proposal.transaction_id, None)
        if proposal.transaction_id in done and claim is None:
            review.action, review.status = "skipped", done[proposal.transaction_id]
            report.skipped_already_done += 1
            report.items.append(review)
            continue
        if claim is None:
            deferred = proposal.kind != "exact" and _involves(proposal, terms_missing)
            if deferred:  # without the terms a cash discount looks like a part payment: decide when they can be read
                review.status = "deferred"
                review.reasons.append("payment terms unavailable this run; matched again on the next run")
            if proposal.kind in ("unrelated", "unmatched") or deferred:
                if not dry_run:
                    ledger.record_no_action(proposal, tx, statement=statement)
                report.items.append(review)
                continue
        planned: Action = (
            "flagged" if proposal.kind != "exact" or unverified is not None else ("hint" if hints else "review")
        )
        if claim is not None:  # a run was killed between claim and finish: finish what it claimed, once
            planned = _planned_of(claim.planned, planned)
        review.action = planned
        if dry_run:  # counted as they would be, so "N would be put up / flagged" tells the truth
            review.status = "dry-run"
            if planned == "flagged":
                report.flagged += 1
            else:
                report.review_items += 1
            report.items.append(review)
            continue
        if claim is not None:
            if not ledger.take_over(claim):
                review.action, review.status = "skipped", "taken over by another run"
                report.skipped_already_done += 1
                report.items.append(review)
                continue
            report.recovered.append(tx.transaction_id)
            review.reasons.append(
                f"finished for an interrupted run ({claim.claimed_by or 'unknown'}, {claim.claimed_at:%Y-%m-%d %H:%M} UTC)"
            )
        elif not ledger.claim(proposal, tx, statement=statement, flow_run_id=flow_run_id, planned=planned):
            review.action, review.status = "skipped", "claimed by another run"
            report.skipped_already_done += 1
            report.items.append(review)
            continue
        status: MatchStatus
        audit_entry: AuditEntry | None = None
        if planned == "hint":
            # an interrupted claim's hint is for the voucher it recorded, whatever this run's proposal says now
            voucher_id = (
                ledger.items_of(tx.transaction_id)[0].voucher_id if claim else proposal.allocations[0].voucher_id
            )
            status, review.action, audit_entry = _send_hint(
                client, tx, voucher_id, ledger, recovering=claim is not None
            )
            if status == "hint_sent":
                report.hints_sent += 1
            else:  # the hint was refused: fall back to the human path
                review.reasons.append("transaction-assignment-hint refused; assign in Lexware Office")
        elif planned == "review":
            status = "awaiting_assignment"
        else:
            status = "needs_decision"
        if review.action == "review":
            report.review_items += 1
        elif review.action == "flagged":
            report.flagged += 1
        ledger.finish(tx.transaction_id, status=status, action=review.action, note=review.note, links=review.links)
        if audit and audit_entry:
            audit(*audit_entry)
        review.status = status
        report.items.append(review)
    if not dry_run:
        _republish(report, ledger, stuck, already_listed)
    return report


def _planned_of(stored: str, fresh: Action) -> Action:
    """What an interrupted claim meant to do (recorded at claim time); claims from before that was recorded follow
    this run's plan."""
    return stored if stored in ("hint", "review", "flagged") else fresh  # type: ignore[return-value]


def _republish(
    report: ReconcileReport, ledger: MatchLedger, stuck: dict[str, Any], already_listed: frozenset[str]
) -> None:
    """Put every match that waits for a person but was never shown to one into this report: those an interrupted
    run finished before it could publish its table are otherwise lost from sight. Claims stuck for transactions not
    in this run are named in `recovery_notices` (the run that has their statement finishes them)."""
    listed = {i.transaction_id: i for i in report.items}
    for row in ledger.unshown():
        item = listed.get(row.transaction_id)
        if row.transaction_id in already_listed or (item is not None and item.action != "skipped"):
            continue
        earlier = _ledger_item(row, ledger)
        if item is not None:  # skipped by this run: shown as what it still waits for
            item.action, item.status = earlier.action, earlier.status
            item.reasons.append("not shown to a person yet (the run that made it was interrupted)")
        else:
            report.items.append(earlier)
        report.republished += 1
    for claim in stuck.values():
        report.recovery_notices.append(
            f"transaction {claim.transaction_id} of statement {claim.statement or '?'} was claimed by a run that was "
            f"interrupted ({claim.claimed_by or 'unknown'}, {claim.claimed_at:%Y-%m-%d %H:%M} UTC); it is finished "
            "when that statement is reconciled again"
        )


def _ledger_item(row: Any, ledger: MatchLedger) -> ReviewItem:
    """A report line rebuilt from the ledger, for a match of an earlier run."""
    items = ledger.items_of(row.transaction_id)
    action: Action = row.action if row.action in ("review", "flagged", "hint") else "flagged"
    return ReviewItem(
        transaction_id=row.transaction_id,
        booking_date=row.booking_date,
        amount=row.amount,
        counterparty=row.counterparty,
        kind=row.kind,
        confidence=float(row.confidence),
        vouchers=[i.voucher_number or i.voucher_id for i in items] or list(row.candidates),
        allocations=[
            {
                "voucher": i.voucher_number or i.voucher_id,
                "amount": str(i.amount),
                "cash_discount": str(i.cash_discount),
            }
            for i in items
        ],
        reasons=[*row.reasons, "from an earlier run that was interrupted before a person saw it"],
        action=action,
        status=row.status,
        links=list(row.links),
        note=row.note,
    )


AuditEntry = tuple[str, dict[str, Any], list[str], str, str | None]


def _open_items(client: Any, ledger: MatchLedger, terms_missing: dict[str, str]) -> list[OpenItem]:
    """`load_open_items` for a run: a failed payment-terms GET is a notice (that invoice is matched without its
    terms), a failed voucherlist ends the run before any action with what happened and what to do."""
    from lexflow.transport.errors import LexwareError

    def missing(voucher_id: str, number: str | None, exc: Exception) -> None:
        terms_missing[voucher_id] = (
            f"could not read the payment terms of {number or voucher_id} (GET /v1/invoices/{voucher_id}: {exc}); "
            "matched without them (no cash discount: only exact matches act on it), asked again on the next run"
        )

    try:
        return load_open_items(client, terms_cache=ledger.terms_cache(), on_terms_error=missing)
    except LexwareError as exc:  # the voucherlist itself: the same error (callers catch it), saying what it means
        what = (
            "The open invoices could not be read from the voucherlist, so nothing can be matched and nothing was done"
        )
        exc.hint = f"{exc.hint.rstrip('. ')}. {what}" if exc.hint else what
        exc.args = (str(exc),)
        raise


def _involves(proposal: Proposal, vouchers: dict[str, str]) -> bool:
    return any(v in vouchers for v in (*proposal.voucher_ids, *proposal.candidates))


def _send_hint(
    client: Any, tx: BankTransaction, voucher_id: str, ledger: MatchLedger, *, recovering: bool = False
) -> tuple[MatchStatus, Action, AuditEntry]:
    """Post the hint; returns the ledger status, the action taken and the audit entry to write once the ledger
    holds the outcome (so a failing audit write cannot leave a sent hint recorded only as `acting`).

    `recovering`: the run that claimed this match was killed, perhaps after its hint went out. The API takes one
    hint per voucher and answers a second with 406, and it has no way to read hints back: so the hint is sent
    again, and a 406 while no other match of the ledger sent one for this voucher means the killed run's hint
    arrived (it is recorded as sent, not sent twice)."""
    from lexflow.transport.errors import ValidationFailed

    reference = tx.end_to_end_id or tx.transaction_id
    payload = {"voucherId": voucher_id, "externalReference": reference}
    entry: AuditEntry = ("bank.transaction_assignment_hint", payload, [voucher_id], "ok", None)
    try:
        client.transaction_assignment_hints.create(voucher_id, reference)
    except ValidationFailed as exc:
        if recovering and exc.status == 406 and not ledger.has_hint(voucher_id, other_than=tx.transaction_id):
            return "hint_sent", "hint", (*entry[:3], "ok", "sent by the interrupted run (the API refuses a second)")
        return "awaiting_assignment", "review", (*entry[:3], "error", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # partner endpoint: 403/404 with a plain key (docs/lexware.md#transaction-assignment-hint), 406 for a second hint
        return "awaiting_assignment", "review", (*entry[:3], "error", f"{type(exc).__name__}: {exc}")
    return "hint_sent", "hint", entry


def _review_item(
    tx: BankTransaction, proposal: Proposal, items: dict[str, OpenItem], app_url: str | None
) -> ReviewItem:
    ids = list(proposal.voucher_ids or proposal.candidates)
    links = [link for i in ids if i in items and (link := voucher_link(items[i], app_url))]
    note = draft_note(tx, proposal, items) if proposal.kind not in ("unrelated",) else ""
    if note and ids and app_url is None:
        from lexflow.lexware.client.deeplinks import SANDBOX_NO_LINK

        note += f"\n{SANDBOX_NO_LINK}"
    return review_item(tx, proposal, items, note, links)


def review_item(
    tx: BankTransaction, proposal: Proposal, items: dict[str, OpenItem], note: str, links: list[str] | None = None
) -> ReviewItem:
    """The person's view of one proposed match (IBAN masked, remittance cut); `note` says what to do."""
    ids = list(proposal.voucher_ids or proposal.candidates)
    return ReviewItem(
        transaction_id=tx.transaction_id,
        booking_date=tx.booking_date,
        amount=tx.amount,
        counterparty=tx.counterparty_name or "",
        counterparty_iban=mask_iban(tx.counterparty_iban),
        remittance=tx.remittance[:140],
        kind=proposal.kind,
        confidence=proposal.confidence,
        vouchers=[items[i].voucher_number or i if i in items else i for i in ids],
        allocations=[
            {
                "voucher": a.voucher_number or a.voucher_id,
                "amount": str(a.amount),
                "cash_discount": str(a.cash_discount),
            }
            for a in proposal.allocations
        ],
        reasons=list(proposal.reasons),
        links=links or [],
        note=note,
    )


def summary_rows(report: ReconcileReport, *, only_person: bool = False) -> list[dict[str, str]]:
    """Rows for a table (rich in the CLI, a Prefect table artifact in the flow). No IBAN in full, ever."""
    rows = []
    for i in report.items:
        if only_person and i.action not in ("review", "flagged"):
            continue
        rows.append(
            {  # what a person acts on first (action, status, why, link), then what the transaction was
                "action": i.action,
                "status": i.status,
                "why": "; ".join(i.reasons)[:160],
                "link": i.links[0] if i.links else "",
                "date": i.booking_date.isoformat(),
                "amount": f"{i.amount:,.2f}",
                "counterparty": i.counterparty[:40],
                "vouchers": ", ".join(i.vouchers[:4]),
                "class": i.kind,
                "confidence": f"{i.confidence:.0%}",
            }
        )
    return rows
