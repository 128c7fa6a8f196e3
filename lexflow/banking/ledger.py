"""The match ledger: what lexflow proposed and did for each bank transaction, so a rerun never acts twice.

Tables on `lexflow.db.Base` (SQLite or PostgreSQL):
- `bank_matches`: one row per transaction id (primary key: claiming a row is the idempotency lock).
- `bank_match_items`: the open items a match allocates to; closed when Lexware reports the payment assigned.
- `bank_match_progress`: who claimed a match (host and process) and what it meant to do, so a claim left behind by a
  killed run is taken over by the next one; and when a person was shown the match (`shown_at`), so what a killed
  run finished but never published is shown by the next run.
- `bank_known_ibans`: IBAN fingerprints (salted hash, never the IBAN) of confirmed payers → contact.
- `bank_payment_terms`: invoice payment conditions, fetched once (they never change after finalization).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from lexflow.audit.redact import redact_secrets
from lexflow.banking.matcher import Proposal
from lexflow.banking.open_items import PaymentTerms
from lexflow.banking.transactions import BankTransaction, iban_fingerprint
from lexflow.db import Base, open_database

MatchStatus = Literal[
    "acting",  # claimed, action under way (a crash leaves it here: shown by `lexflow bank ledger`)
    "hint_sent",  # transaction-assignment-hint posted; waiting for Lexware to assign the payment
    "awaiting_assignment",  # exact match; a person assigns it in Lexware Office via the deeplink
    "needs_decision",  # partial/ambiguous/reversal: flagged with a drafted note
    "confirmed",  # a person confirmed the proposal; assignment in Lexware Office still to be done
    "dismissed",  # a person rejected the proposal
    "closed",  # Lexware reports the payment assigned (payment.changed or /v1/payments)
    "voucher_draft",  # the voucher is a draft again (/v1/payments: 406): a person finalizes it in Lexware Office
    "voucher_gone",  # the voucher no longer exists (/v1/payments: 404): a person assigns the payment elsewhere
    "no_action",  # unrelated or unmatched: recorded, re-evaluated on the next run
    "recording",  # approved; lexflow records the payment in the accounting system (a crash leaves it here)
    "payment_recorded",  # the accounting system holds the payment (capability record_payment)
]
OPEN_STATUSES: tuple[str, ...] = ("hint_sent", "awaiting_assignment", "needs_decision", "confirmed", "voucher_draft")
NOTICE_MARK = "Lexware Office: "
"""First words of the paragraph `check_payment` puts at the top of a match's note (removed when it no longer holds)."""
PAYMENT_SEEN_STATUSES: tuple[str, ...] = (
    "hint_sent",
    "awaiting_assignment",
    "needs_decision",
    "confirmed",
    "recording",
)
"""Open matches that mean "money arrived for this voucher" until Lexware shows it assigned (dunning skips them)."""
ASSIGNED_ITEM_TYPES = frozenset(
    {"partPaymentFinancialTransaction", "manualPayment", "cashDiscount", "partPaymentCashBox"}
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class BankMatch(Base):
    __tablename__ = "bank_matches"

    transaction_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    statement: Mapped[str] = mapped_column(String(255), default="")
    booking_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    counterparty: Mapped[str] = mapped_column(String(140), default="")
    iban_fp: Mapped[str | None] = mapped_column(String(48), nullable=True)  # fingerprint, never the IBAN
    kind: Mapped[str] = mapped_column(String(16), index=True)
    confidence: Mapped[float] = mapped_column(Numeric(4, 2))
    status: Mapped[str] = mapped_column(String(24), index=True)
    action: Mapped[str] = mapped_column(String(24), default="none")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidates: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now, onupdate=_now)


class BankMatchItem(Base):
    __tablename__ = "bank_match_items"

    transaction_id: Mapped[str] = mapped_column(ForeignKey("bank_matches.transaction_id"), primary_key=True)
    voucher_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    voucher_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    cash_discount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    open_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)  # when matched
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class MatchProgress(Base):
    """The claim behind a match and whether a person saw it. Matches recorded before this table existed have no row
    (they count as shown; an `acting` one is taken over once it is older than `STALE_CLAIM_SECONDS`)."""

    __tablename__ = "bank_match_progress"

    transaction_id: Mapped[str] = mapped_column(ForeignKey("bank_matches.transaction_id"), primary_key=True)
    planned: Mapped[str] = mapped_column(String(16), default="")  # hint | review | flagged
    claimed_by: Mapped[str] = mapped_column(String(160), default="")  # "host:pid" of the claiming process
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    shown_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


PERSON_STATUSES: tuple[str, ...] = ("awaiting_assignment", "needs_decision")
"""Matches that wait for a person to act: each must be shown to one at least once."""
STALE_CLAIM_SECONDS = 900.0
"""An `acting` claim older than this is taken over even when its process cannot be checked (another host): acting
on one transaction is one API call with its retries, far shorter."""


def claimant() -> str:
    """This process, as a claim names it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(claimed_by: str) -> bool:
    """True only when the claiming process certainly no longer runs: it was on this host and its pid is free (a
    reused pid keeps the claim until it is stale, which is the safe side)."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, under another user
        return False
    return False


@dataclass(frozen=True)
class StuckClaim:
    """An `acting` match whose claimer is gone: what it meant to do and who held it."""

    transaction_id: str
    statement: str
    planned: str
    claimed_by: str | None  # None: recorded before claims were tracked
    claimed_at: datetime


class KnownIban(Base):
    __tablename__ = "bank_known_ibans"

    fingerprint: Mapped[str] = mapped_column(String(48), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    learned_from: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now, onupdate=_now)


class CachedPaymentTerms(Base):
    __tablename__ = "bank_payment_terms"

    voucher_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)


class SeenPayment(BaseModel):
    """A bank payment the ledger matched to a voucher (its share of the transfer, cash discount included)."""

    transaction_id: str
    booking_date: date
    amount: Decimal
    open_when_matched: Decimal | None = None
    status: str
    kind: str


class MatchLedger:
    """Read and write the banking tables of one database (default: `LEXFLOW_DATABASE_URL`)."""

    def __init__(self, url: str | None = None) -> None:
        self.url, self.engine, self._sessions = open_database(url)

    # ------------------------------------------------------------------------------------------- claiming
    def settled(self, transaction_ids: list[str]) -> dict[str, str]:
        """Transactions already acted on (any status but `no_action`) → their status."""
        out: dict[str, str] = {}
        with self._sessions() as s:
            for chunk in _chunks(transaction_ids, 500):
                rows = s.execute(
                    select(BankMatch.transaction_id, BankMatch.status).where(BankMatch.transaction_id.in_(chunk))
                )
                out.update({tid: st for tid, st in rows if st != "no_action"})
        return out

    def claim(
        self,
        proposal: Proposal,
        tx: BankTransaction,
        *,
        statement: str,
        flow_run_id: str | None = None,
        planned: str = "",
    ) -> bool:
        """Insert the row in state `acting` (with `planned`, the action about to be taken); False when another run
        (or an earlier one) already has it.

        The primary key makes this the lock: two concurrent runs cannot both claim a transaction."""
        with self._sessions() as s:
            existing = s.get(BankMatch, tx.transaction_id)
            if existing is not None:
                if existing.status != "no_action":
                    return False
                s.delete(existing)  # recorded without action earlier: may be acted on now
                s.commit()
            s.add(self._row(proposal, tx, statement=statement, status="acting", flow_run_id=flow_run_id))
            s.add(MatchProgress(transaction_id=tx.transaction_id, planned=planned, claimed_by=claimant()))
            for a in proposal.allocations:
                s.add(
                    BankMatchItem(
                        transaction_id=tx.transaction_id,
                        voucher_id=a.voucher_id,
                        voucher_number=a.voucher_number,
                        contact_id=a.contact_id,
                        amount=a.amount,
                        cash_discount=a.cash_discount,
                        open_amount=a.open_amount,
                    )
                )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
        return True

    def finish(
        self, transaction_id: str, *, status: MatchStatus, action: str, note: str = "", links: list[str] | None = None
    ) -> None:
        with self._sessions.begin() as s:
            row = s.get(BankMatch, transaction_id)
            if row is None:
                raise KeyError(f"transaction {transaction_id} is not in the match ledger; claim it first")
            row.status, row.action, row.note = status, action, redact_secrets(note)
            row.links = list(links or [])

    # ------------------------------------------------------------------------------------- interrupted runs
    def stuck_claims(self, *, stale_after: float = STALE_CLAIM_SECONDS) -> dict[str, StuckClaim]:
        """`acting` matches whose run was killed between claim and finish: the claiming process of this host no
        longer runs, or the claim is older than `stale_after` seconds."""
        stale_before = _now().timestamp() - stale_after
        out: dict[str, StuckClaim] = {}
        with self._sessions() as s:
            rows = s.execute(
                select(BankMatch, MatchProgress)
                .outerjoin(MatchProgress, MatchProgress.transaction_id == BankMatch.transaction_id)
                .where(BankMatch.status == "acting")
            ).all()
        for match, progress in rows:
            since = progress.claimed_at if progress is not None else match.updated_at
            by = progress.claimed_by if progress is not None else None
            if (by is not None and _gone(by)) or since.timestamp() < stale_before:
                planned = progress.planned if progress is not None else ""
                out[match.transaction_id] = StuckClaim(match.transaction_id, match.statement, planned, by, since)
        return out

    def take_over(self, stuck: StuckClaim) -> bool:
        """Claim a stuck match for this process; False when another run took it over first (compare and set)."""
        with self._sessions() as s:
            if stuck.claimed_by is None:  # an old row without progress: inserting it is the lock
                s.add(MatchProgress(transaction_id=stuck.transaction_id, planned=stuck.planned, claimed_by=claimant()))
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    return False
                return True
            result = s.execute(
                update(MatchProgress)
                .where(
                    MatchProgress.transaction_id == stuck.transaction_id,
                    MatchProgress.claimed_by == stuck.claimed_by,
                    MatchProgress.claimed_at == stuck.claimed_at,
                )
                .values(claimed_by=claimant(), claimed_at=_now())
            )
            s.commit()
            return bool(getattr(result, "rowcount", 0) == 1)

    def has_hint(self, voucher_id: str, *, other_than: str) -> bool:
        """Whether another match of this voucher recorded a sent transaction-assignment-hint."""
        with self._sessions() as s:
            found = s.scalars(
                select(BankMatch.transaction_id)
                .join(BankMatchItem, BankMatchItem.transaction_id == BankMatch.transaction_id)
                .where(BankMatchItem.voucher_id == voucher_id, BankMatch.transaction_id != other_than)
                .where(BankMatch.action == "hint")
            ).first()
        return found is not None

    # ----------------------------------------------------------------------------------- shown to a person
    def unshown(self, limit: int = 1000) -> list[BankMatch]:
        """Matches waiting for a person that no person was shown yet (the run that made them died before it
        published its table, or its table was never printed)."""
        with self._sessions() as s:
            return list(
                s.scalars(
                    select(BankMatch)
                    .join(MatchProgress, MatchProgress.transaction_id == BankMatch.transaction_id)
                    .where(MatchProgress.shown_at.is_(None), BankMatch.status.in_(PERSON_STATUSES))
                    .order_by(BankMatch.booking_date, BankMatch.transaction_id)
                    .limit(limit)
                )
            )

    def mark_shown(self, transaction_ids: list[str]) -> None:
        """Record that these matches reached a person (a published table artifact, a printed table)."""
        with self._sessions.begin() as s:
            for chunk in _chunks(list(transaction_ids), 500):
                s.execute(
                    update(MatchProgress)
                    .where(MatchProgress.transaction_id.in_(chunk), MatchProgress.shown_at.is_(None))
                    .values(shown_at=_now())
                )

    def record_no_action(self, proposal: Proposal, tx: BankTransaction, *, statement: str) -> None:
        """Unrelated/unmatched transactions: remembered for the report, re-evaluated next run."""
        with self._sessions.begin() as s:
            row = s.get(BankMatch, tx.transaction_id)
            if row is None:
                s.add(self._row(proposal, tx, statement=statement, status="no_action"))
            elif row.status == "no_action":
                row.kind, row.reasons = proposal.kind, list(proposal.reasons)

    @staticmethod
    def _row(
        proposal: Proposal, tx: BankTransaction, *, statement: str, status: str, flow_run_id: str | None = None
    ) -> BankMatch:
        return BankMatch(
            transaction_id=tx.transaction_id,
            statement=statement[:255],
            booking_date=tx.booking_date,
            amount=tx.amount,
            counterparty=(tx.counterparty_name or "")[:140],
            iban_fp=iban_fingerprint(tx.counterparty_iban) if tx.counterparty_iban else None,
            kind=proposal.kind,
            confidence=Decimal(str(round(proposal.confidence, 2))),
            status=status,
            reasons=list(proposal.reasons),
            candidates=list(proposal.candidates),
            flow_run_id=flow_run_id,
        )

    # ----------------------------------------------------------------------------------------- decisions
    def decide(self, transaction_id: str, *, confirmed: bool, by: str) -> None:
        """A person's answer to a flagged proposal. Confirmation teaches the payer's IBAN (as a fingerprint)."""
        with self._sessions.begin() as s:
            row = s.get(BankMatch, transaction_id)
            if row is None:
                raise KeyError(f"transaction {transaction_id} is not in the match ledger")
            row.status = "confirmed" if confirmed else "dismissed"
            row.decided_by = by
            if confirmed:
                self._learn(s, row)

    @staticmethod
    def _learn(s: Session, row: BankMatch) -> None:
        """Remember the payer's IBAN fingerprint for the contact when the match names exactly one contact."""
        items = s.scalars(select(BankMatchItem).where(BankMatchItem.transaction_id == row.transaction_id))
        contacts = {i.contact_id for i in items}
        if not row.iban_fp or len(contacts) != 1 or None in contacts:
            return
        contact_id = next(iter(contacts)) or ""
        known = s.get(KnownIban, row.iban_fp)
        if known is None:
            s.add(KnownIban(fingerprint=row.iban_fp, contact_id=contact_id, learned_from=row.transaction_id))
        else:
            known.contact_id, known.learned_from = contact_id, row.transaction_id

    def known_iban_fingerprints(self) -> dict[str, str]:
        with self._sessions() as s:
            return dict(s.execute(select(KnownIban.fingerprint, KnownIban.contact_id)).all())  # type: ignore[arg-type]

    # --------------------------------------------------------------- recording payments (record_payment)
    def start_recording(self, transaction_id: str, *, stale_after: float = STALE_CLAIM_SECONDS) -> str | None:
        """Take an approved match for recording its payment (compare and set, so two runs never both record):
        `confirmed` → `recording`, or a `recording` left by a run that was killed (its process is gone or the
        claim is stale). Returns the status it was taken from (`recording`: an interrupted recording, whose
        payment may exist already), or None when it is not this process's to record."""
        with self._sessions() as s:
            row = s.get(BankMatch, transaction_id)
            if row is None or row.status not in ("confirmed", "recording"):
                return None
            was = row.status
            progress = s.get(MatchProgress, transaction_id)
            if was == "recording":
                since = progress.claimed_at if progress is not None else row.updated_at
                by = progress.claimed_by if progress is not None else ""
                if not (_gone(by) or since.timestamp() < _now().timestamp() - stale_after):
                    return None
            result = s.execute(
                update(BankMatch)
                .where(BankMatch.transaction_id == transaction_id, BankMatch.status == was)
                .where(BankMatch.updated_at == row.updated_at)
                .values(status="recording", updated_at=_now())
            )
            if getattr(result, "rowcount", 0) != 1:
                s.rollback()
                return None
            if progress is None:
                s.add(MatchProgress(transaction_id=transaction_id, planned="record", claimed_by=claimant()))
            else:
                progress.planned, progress.claimed_by, progress.claimed_at = "record", claimant(), _now()
            s.commit()
        return was

    def approved(self, transaction_ids: list[str]) -> list[str]:
        """Of these transactions, those approved for recording or whose recording was interrupted."""
        out: list[str] = []
        with self._sessions() as s:
            for chunk in _chunks(transaction_ids, 500):
                out += s.scalars(
                    select(BankMatch.transaction_id)
                    .where(BankMatch.transaction_id.in_(chunk), BankMatch.status.in_(("confirmed", "recording")))
                    .order_by(BankMatch.booking_date, BankMatch.transaction_id)
                ).all()
        return out

    # ------------------------------------------------------------------------------------------ closing
    def open_allocations(self) -> dict[str, Decimal | None]:
        """Vouchers with unclosed matches → their open amount when matched (for the payment sweep)."""
        with self._sessions() as s:
            rows = s.execute(
                select(BankMatchItem.voucher_id, BankMatchItem.open_amount)
                .join(BankMatch, BankMatchItem.transaction_id == BankMatch.transaction_id)
                .where(BankMatchItem.closed_at.is_(None), BankMatch.status.in_(OPEN_STATUSES))
            )
            return {vid: amount for vid, amount in rows}

    def open_amounts_when_matched(self, voucher_id: str) -> list[Decimal | None]:
        """The voucher's open amount as each unclosed match of it saw it (empty: no open match)."""
        with self._sessions() as s:
            return list(
                s.scalars(
                    select(BankMatchItem.open_amount)
                    .join(BankMatch, BankMatchItem.transaction_id == BankMatch.transaction_id)
                    .where(BankMatchItem.voucher_id == voucher_id, BankMatchItem.closed_at.is_(None))
                    .where(BankMatch.status.in_(OPEN_STATUSES))
                )
            )

    def payments_seen(self) -> dict[str, list[SeenPayment]]:
        """Voucher → bank payments matched to it that Lexware may not show yet (for dunning).

        Exact and partial matches that are still open in the ledger: a hint sent, waiting for a person's assignment
        in Lexware Office, confirmed, or a part payment flagged for a decision. Dismissed, closed (Lexware shows it)
        and unrelated transactions are left out."""
        out: dict[str, list[SeenPayment]] = {}
        with self._sessions() as s:
            rows = s.execute(
                select(BankMatchItem, BankMatch.booking_date, BankMatch.status, BankMatch.kind)
                .join(BankMatch, BankMatchItem.transaction_id == BankMatch.transaction_id)
                .where(BankMatchItem.closed_at.is_(None), BankMatch.status.in_(PAYMENT_SEEN_STATUSES))
                .where(BankMatch.kind.in_(("exact", "partial")))
                .order_by(BankMatch.booking_date, BankMatchItem.transaction_id)
            )
            for item, booked, status, kind in rows:
                out.setdefault(item.voucher_id, []).append(
                    SeenPayment(
                        transaction_id=item.transaction_id,
                        booking_date=booked,
                        amount=item.amount + (item.cash_discount or Decimal("0")),
                        open_when_matched=item.open_amount,
                        status=status,
                        kind=kind,
                    )
                )
        return out

    def close_voucher(self, voucher_id: str) -> list[str]:
        """Mark this voucher's allocations closed; a match whose allocations are all closed becomes `closed`."""
        closed: list[str] = []
        with self._sessions.begin() as s:
            items = s.scalars(
                select(BankMatchItem).where(BankMatchItem.voucher_id == voucher_id, BankMatchItem.closed_at.is_(None))
            ).all()
            for item in items:
                match = s.get(BankMatch, item.transaction_id)
                if match is None or match.status not in OPEN_STATUSES:
                    continue
                item.closed_at = _now()
                siblings = s.scalars(
                    select(BankMatchItem).where(BankMatchItem.transaction_id == item.transaction_id)
                ).all()
                if all(x.closed_at is not None for x in siblings):
                    match.status = "closed"
                    closed.append(match.transaction_id)
                    self._learn(s, match)  # Lexware confirmed it: this IBAN pays for this contact
        return closed

    def voucher_label(self, voucher_id: str) -> str:
        """The voucher number a match recorded for this voucher (drafts have none), else its id."""
        with self._sessions() as s:
            number = s.scalars(
                select(BankMatchItem.voucher_number).where(
                    BankMatchItem.voucher_id == voucher_id, BankMatchItem.voucher_number.is_not(None)
                )
            ).first()
        return number or voucher_id

    def stored_link(self, voucher_id: str) -> str | None:
        """A deeplink to this voucher that a match stored (it knows the voucher's resource type)."""
        with self._sessions() as s:
            for match in self._open_matches(s, voucher_id):
                for link in match.links or []:
                    if voucher_id in link:
                        return str(link)
        return None

    def mark_voucher(self, voucher_id: str, status: MatchStatus, notice: str) -> list[str]:
        """Put the open matches of this voucher in `status` with `notice` on top of their note (idempotent).

        For what Lexware refuses about the voucher itself (a draft, a deleted draft): the match waits for a person."""
        marked: list[str] = []
        with self._sessions.begin() as s:
            for match in self._open_matches(s, voucher_id):
                match.status = status
                match.note = redact_secrets("\n\n".join([notice, *_without_notice(match.note)]))
                marked.append(match.transaction_id)
        return marked

    def unmark_voucher(self, voucher_id: str) -> list[str]:
        """The voucher is open again (finalized in Lexware Office): its `voucher_draft` matches get their status back."""
        restored: list[str] = []
        with self._sessions.begin() as s:
            for match in self._open_matches(s, voucher_id):
                if match.status != "voucher_draft":
                    continue
                match.status = _status_before_notice(match)
                match.note = "\n\n".join(_without_notice(match.note))
                restored.append(match.transaction_id)
        return restored

    def draft_vouchers(self) -> set[str]:
        """Vouchers whose matches wait in `voucher_draft` (the sweep asks again when one shows up open)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(BankMatchItem.voucher_id)
                .join(BankMatch, BankMatchItem.transaction_id == BankMatch.transaction_id)
                .where(BankMatchItem.closed_at.is_(None), BankMatch.status == "voucher_draft")
            )
            return set(rows)

    @staticmethod
    def _open_matches(s: Session, voucher_id: str) -> list[BankMatch]:
        return list(
            s.scalars(
                select(BankMatch)
                .join(BankMatchItem, BankMatchItem.transaction_id == BankMatch.transaction_id)
                .where(BankMatchItem.voucher_id == voucher_id, BankMatchItem.closed_at.is_(None))
                .where(BankMatch.status.in_(OPEN_STATUSES))
            ).unique()
        )

    # ---------------------------------------------------------------------------------------- reporting
    def rows(self, status: str | None = None, limit: int = 200) -> list[BankMatch]:
        with self._sessions() as s:
            q = select(BankMatch).order_by(BankMatch.booking_date.desc(), BankMatch.transaction_id).limit(limit)
            if status:
                q = q.where(BankMatch.status == status)
            return list(s.scalars(q))

    def items_of(self, transaction_id: str) -> list[BankMatchItem]:
        with self._sessions() as s:
            return list(s.scalars(select(BankMatchItem).where(BankMatchItem.transaction_id == transaction_id)))

    def terms_cache(self) -> PaymentTermsCache:
        return PaymentTermsCache(self)


class PaymentTermsCache(MutableMapping[str, PaymentTerms]):
    """Dict-like view of `bank_payment_terms` for `load_open_items(terms_cache=...)`."""

    def __init__(self, ledger: MatchLedger) -> None:
        self._ledger = ledger
        with ledger._sessions() as s:
            self._data = {
                vid: PaymentTerms.model_validate(t)
                for vid, t in s.execute(select(CachedPaymentTerms.voucher_id, CachedPaymentTerms.terms))
            }

    def __getitem__(self, key: str) -> PaymentTerms:
        return self._data[key]

    def __setitem__(self, key: str, value: PaymentTerms) -> None:
        self._data[key] = value
        with self._ledger._sessions.begin() as s:
            s.merge(CachedPaymentTerms(voucher_id=key, terms=json.loads(value.model_dump_json())))

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        with self._ledger._sessions.begin() as s:
            row = s.get(CachedPaymentTerms, key)
            if row is not None:
                s.delete(row)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def is_assigned(payment: Any) -> bool:
    """True when `/v1/payments/{id}` shows the voucher settled (open amount 0 and not voided, or assigned items)."""
    status = str(getattr(payment, "voucher_status", None) or "")
    open_amount = getattr(payment, "open_amount", None)
    if status == "voided":
        return False  # docs/lexware.md#payments: voided vouchers look paid (balanced, open 0) but nothing was assigned
    if open_amount is not None and Decimal(str(open_amount)) == 0:
        return True
    return status in {"paid", "paidoff"}


PaymentOutcome = Literal["no_open_match", "not_assigned", "closed", "draft", "gone", "error"]


class PaymentCheck(BaseModel):
    """What asking `/v1/payments/{voucher_id}` meant for the ledger; `message` says it in one sentence."""

    voucher_id: str
    outcome: PaymentOutcome
    transactions: list[str] = Field(default_factory=list, description="Ledger matches closed or marked.")
    message: str

    @property
    def closed(self) -> list[str]:
        return self.transactions if self.outcome == "closed" else []

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # the webhook inbox stores the repr of what an action returned
        return f"PaymentCheck({self.outcome}: {self.message})"


def check_payment(
    voucher_id: str, client: Any, *, ledger: MatchLedger | None = None, database_url: str | None = None
) -> PaymentCheck:
    """Called on `payment.changed` (the default webhook route) and by the reconcile sweep: ask
    `/v1/payments/{voucher_id}` when the ledger has an open match for it, and record what the answer means.

    - paid, or less open than when matched (a part payment or cash discount assigned since) → the matches close;
    - 406 (the voucher is a draft again, docs/lexware.md#payments) → `voucher_draft`, with a note on finalizing it in Lexware Office;
    - 404 (the draft was deleted) → `voucher_gone`, with a note on assigning the payment to the right invoice.
    Other API errors propagate (a webhook retries them; the sweep records them in its report).
    `database_url`: the ledger's database when no `ledger` is given (the webhook worker passes its inbox's)."""
    from lexflow.transport import errors

    ledger = ledger or MatchLedger(database_url)
    matched_open = ledger.open_amounts_when_matched(voucher_id)
    if not matched_open:
        return PaymentCheck(
            voucher_id=voucher_id, outcome="no_open_match", message=f"no open ledger match for voucher {voucher_id}"
        )
    try:
        payment = client.payments.get(voucher_id)
    except errors.NotFound:
        return _held(ledger, voucher_id, "gone", client)
    except errors.ValidationFailed as exc:
        if exc.status != 406:
            raise
        return _held(ledger, voucher_id, "draft", client)
    ledger.unmark_voucher(voucher_id)  # it answered: not (or no longer) a draft
    if not is_assigned(payment) and not _assigned_since_match(payment, matched_open):
        return PaymentCheck(
            voucher_id=voucher_id, outcome="not_assigned", message=f"voucher {voucher_id}: no payment assigned yet"
        )
    closed = ledger.close_voucher(voucher_id)
    return PaymentCheck(
        voucher_id=voucher_id,
        outcome="closed",
        transactions=closed,
        message=f"voucher {voucher_id} is paid in Lexware Office; closed {', '.join(closed) or 'nothing new'}",
    )


def _assigned_since_match(payment: Any, matched_open: list[Decimal | None]) -> bool:
    """A part payment or cash discount was assigned after lexflow matched: the open amount is below what it was.

    Payment items alone do not say it: a bank payment assigned before the match (an earlier part payment) is listed
    too, and would close a match whose own transaction nobody has assigned yet. Matches recorded without the open
    amount fall back to the items. A voided voucher drops to 0 open without any assignment (docs/lexware.md#payments)."""
    if str(getattr(payment, "voucher_status", None) or "") == "voided":
        return False
    known = [amount for amount in matched_open if amount is not None]
    open_now = getattr(payment, "open_amount", None)
    if known and open_now is not None:
        return Decimal(str(open_now)) < min(known)
    items = getattr(payment, "payment_items", None) or []
    return any(getattr(i, "payment_item_type", None) in ASSIGNED_ITEM_TYPES for i in items)


def confirm_payment(
    voucher_id: str, client: Any, *, ledger: MatchLedger | None = None, database_url: str | None = None
) -> list[str]:
    """`check_payment`, returning only the closed transaction ids (the older interface; webhook configs use it)."""
    return check_payment(voucher_id, client, ledger=ledger, database_url=database_url).closed


def _held(ledger: MatchLedger, voucher_id: str, outcome: Literal["draft", "gone"], client: Any) -> PaymentCheck:
    """Record on the voucher's open matches why Lexware gives no payment state for it, and what a person does."""
    label = ledger.voucher_label(voucher_id)
    status: MatchStatus
    if outcome == "draft":
        status, notice = "voucher_draft", _draft_notice(label, _link(ledger, voucher_id, client))
        summary = f"{label} is a draft in Lexware Office: finalize it there, then assign the payment"
    else:
        status, notice = "voucher_gone", _gone_notice(label)
        summary = f"{label} no longer exists in Lexware Office: assign the payment to the invoice that replaced it"
    marked = ledger.mark_voucher(voucher_id, status, notice)
    return PaymentCheck(
        voucher_id=voucher_id,
        outcome=outcome,
        transactions=marked,
        message=f"{summary} ({len(marked)} match(es) wait; lexflow bank ledger --notes)",
    )


def _draft_notice(label: str, link: str | None) -> str:
    where = f"open {link}" if link else "open it where it lives (lexflow's sandbox has no web app)"
    return (
        f"{NOTICE_MARK}{label} is a draft (again), so no payment can be assigned to it: /v1/payments answers 406 for "
        f"drafts, and the API can neither finalize a draft nor mark it paid (docs/lexware.md#no-payment-writes). "
        f"Do: {where}, finalize the invoice there, then assign this bank transaction to it. "
        "lexflow closes this match on the next payment.changed event or reconcile run."
    )


def _gone_notice(label: str) -> str:
    return (
        f"{NOTICE_MARK}{label} no longer exists (/v1/payments answered 404: a draft deleted in the web app). "
        "Do: assign this bank transaction to the invoice that replaced it, in Lexware Office, then record that with "
        "`lexflow bank decide TRANSACTION --dismiss --by NAME`."
    )


def _link(ledger: MatchLedger, voucher_id: str, client: Any) -> str | None:
    """The deeplink a match stored for this voucher (right resource type), else the invoice permalink; None on the
    sandbox (no web app: a permalink with its id would open a stranger's "not found" page, even one stored before)."""
    from lexflow.lexware.client import deeplinks
    from lexflow.settings import get_settings

    if deeplinks.is_sandbox(client):
        return None
    stored = ledger.stored_link(voucher_id)
    if stored:
        return stored

    return deeplinks.view_url("invoices", voucher_id, get_settings().app_url)


def _without_notice(note: str) -> list[str]:
    return [p for p in (note or "").split("\n\n") if p and not p.startswith(NOTICE_MARK)]


def _status_before_notice(match: BankMatch) -> MatchStatus:
    """The status a match had before `voucher_draft`, from what lexflow did and whether a person decided."""
    if match.decided_by:
        return "confirmed"
    return _STATUS_OF_ACTION.get(match.action, "needs_decision")


_STATUS_OF_ACTION: dict[str, MatchStatus] = {"hint": "hint_sent", "review": "awaiting_assignment"}


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
