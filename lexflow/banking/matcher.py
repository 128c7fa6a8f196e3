"""Match bank transactions to open items. Pure and deterministic: same inputs, same proposals, in the same order.

Classes (`Proposal.kind`):
- `exact`: the amount equals one item's open amount, and the invoice number is in the remittance text (spaces,
  dashes and case do not matter) or the counterparty *is* the customer (same normalised name). Safe to act on.
- `partial`: a plausible allocation a person should confirm: part payments (even one cent short), several invoices
  in one transfer, cash discount within the payment conditions, a misspelt payer name, an IBAN already seen for the
  contact, or an amount that is open exactly once but with no other evidence.
- `ambiguous`: the amount is owed more than once and nothing in the text says which; candidates are listed.
- `reversal`: money returned (R-transaction, `RvslInd`, a debit naming an invoice); a person has to undo by hand.
- `unrelated`: a debit that concerns no open credit note (rent, suppliers): out of scope.
- `unmatched`: a credit lexflow cannot place.

Speed: every lookup goes through a dict (open amount in cents, normalised invoice number, digits of the number,
discounted amount, contact, name blocks), so 10,000 transactions against 10,000 items take well under a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from lexflow.banking.open_items import OpenItem
from lexflow.banking.transactions import BankTransaction, iban_fingerprint

MatchKind = Literal["exact", "partial", "ambiguous", "reversal", "unrelated", "unmatched"]
ACTIONABLE: tuple[MatchKind, ...] = ("exact",)
NEEDS_PERSON: tuple[MatchKind, ...] = ("partial", "ambiguous", "reversal")

_TOKEN = re.compile(r"[A-Z0-9]+")
_NAME_TOKEN = re.compile(r"[a-z0-9]+")
_REVERSAL_WORDS = re.compile(
    r"R(UE|Ü)CK(UEBERWEISUNG|ÜBERWEISUNG|LASTSCHRIFT|BUCHUNG|GABE)|RETOURE|STORNO|RETURN|REVERSAL|NICHT ZUSTELLBAR",
    re.IGNORECASE,
)
_LEGAL_FORMS = frozenset(
    [
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ug",
        "ohg",
        "gbr",
        "ek",
        "e",
        "k",
        "ev",
        "se",
        "kgaa",
        "co",
        "cokg",
        "haftungsbeschraenkt",
        "inc",
        "ltd",
        "llc",
        "und",
        "u",
        "fa",
        "firma",
    ]
)
_FUZZY_MIN = 80.0
_MAX_SPAN_TOKENS = 5
_MAX_SUBSET = 10
_FAR = date(9999, 12, 31)


class Allocation(BaseModel):
    """Part of a transaction applied to one open item. `cash_discount` is what the customer deducted."""

    model_config = ConfigDict(frozen=True)

    voucher_id: str
    voucher_number: str | None
    contact_id: str | None
    amount: Decimal
    cash_discount: Decimal = Decimal("0")
    open_amount: Decimal


class Proposal(BaseModel):
    """What lexflow thinks a transaction is, how sure it is (0..1) and why."""

    model_config = ConfigDict(frozen=True)

    transaction_id: str
    kind: MatchKind
    confidence: float
    amount: Decimal
    allocations: tuple[Allocation, ...] = ()
    candidates: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def voucher_ids(self) -> tuple[str, ...]:
        return tuple(a.voucher_id for a in self.allocations)


def normalise_number(value: str) -> str:
    """`re-2026 0042` → `RE20260042`: what a person may type with spaces, dashes or in lower case."""
    return "".join(_TOKEN.findall(value.upper()))


@lru_cache(maxsize=65536)
def normalise_name(value: str | None) -> str:
    """Lower case, umlauts transliterated (as MT940 does), punctuation and legal forms (GmbH, AG ...) dropped."""
    if not value:
        return ""
    text = value.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(t for t in _NAME_TOKEN.findall(text) if t not in _LEGAL_FORMS)


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value(ROUND_HALF_UP))


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def discounted_cents(item: OpenItem) -> int | None:
    """Open amount minus the cash discount of its payment terms (None without a discount)."""
    terms = item.terms
    if terms is None or not terms.discount_percentage:
        return None
    pct = terms.discount_percentage
    return _cents((item.open_amount * (Decimal(100) - pct) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


class Matcher:
    """Index the open items once, then match any number of transactions against them."""

    def __init__(self, items: Sequence[OpenItem], *, known_ibans: Mapping[str, str] | None = None) -> None:
        self.items = sorted(items, key=self._order)
        self.by_id = {i.voucher_id: i for i in self.items}
        self.by_number: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_digits: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_cents: dict[int, list[OpenItem]] = defaultdict(list)
        self.by_discount: dict[int, list[OpenItem]] = defaultdict(list)
        self.by_contact: dict[str, list[OpenItem]] = defaultdict(list)
        self.contact_names: dict[str, str] = {}
        self.name_exact: dict[str, set[str]] = defaultdict(set)
        self.name_blocks: dict[str, set[str]] = defaultdict(set)
        for item in self.items:
            self.by_cents[item.signed_cents].append(item)
            if item.voucher_number:
                number = normalise_number(item.voucher_number)
                self.by_number[number].append(item)
                digits = "".join(c for c in number if c.isdigit())
                if digits and digits != number and len(digits) >= 3:
                    self.by_digits[digits].append(item)
            d = discounted_cents(item)
            if d is not None:
                self.by_discount[d if item.direction == "receivable" else -d].append(item)
            if item.contact_id:
                self.by_contact[item.contact_id].append(item)
                if item.contact_id not in self.contact_names:
                    name = normalise_name(item.contact_name)
                    self.contact_names[item.contact_id] = name
                    if name:
                        self.name_exact[name].add(item.contact_id)
                        for key in _blocks(name):
                            self.name_blocks[key].add(item.contact_id)
        self.max_number_len = max((len(n) for n in self.by_number), default=0)
        # Every prefix of every number: the token walk stops as soon as the joined text cannot become a number.
        # Letter prefixes of the numbers ("RE", "GS"): a text naming "RE 10423" names an invoice, known or not.
        self.number_prefixes = {
            n.rstrip("0123456789") for n in self.by_number if n.rstrip("0123456789") and n[-1:].isdigit()
        }
        self.prefixes = {n[:k] for n in (*self.by_number, *self.by_digits) for k in range(1, len(n) + 1)}
        # Keys: IBANs or their fingerprints (what the ledger stores); looked up by fingerprint either way.
        self.known_ibans = {
            k if k.startswith("ibanfp-") else iban_fingerprint(k): v for k, v in (known_ibans or {}).items()
        }

    # ------------------------------------------------------------------------------------------------ public
    def match_all(self, transactions: Iterable[BankTransaction]) -> list[Proposal]:
        """Proposals in booking order. An item is claimed exactly once: a second exact hit becomes partial."""
        ordered = sorted(transactions, key=lambda t: (t.booking_date, t.transaction_id))
        claimed: dict[str, str] = {}
        out: list[Proposal] = []
        for tx in ordered:
            proposal = self.match(tx)
            if proposal.kind == "exact":
                taken = [a.voucher_id for a in proposal.allocations if a.voucher_id in claimed]
                if taken:
                    proposal = proposal.model_copy(
                        update={
                            "kind": "partial",
                            "confidence": 0.5,
                            "reasons": (
                                *proposal.reasons,
                                "the same invoice is already paid by another transaction "
                                "of this statement (double payment?)",
                            ),
                        }
                    )
                else:
                    claimed.update({a.voucher_id: tx.transaction_id for a in proposal.allocations})
            out.append(proposal)
        return out

    def match(self, tx: BankTransaction) -> Proposal:
        if tx.currency != "EUR":
            return self._proposal(
                tx, "unmatched", 0.0, reasons=[f"currency {tx.currency}: Lexware Office only knows EUR (§11.8)"]
            )
        text = f"{tx.remittance} {tx.end_to_end_id or ''}"
        refs, weak = self._references(text)
        receivable = tx.amount > 0
        direction = "receivable" if receivable else "payable"
        if tx.reversal or (
            not receivable and (_REVERSAL_WORDS.search(text) or any(i.direction == "receivable" for i in refs))
        ):
            return self._reversal(tx, refs)
        own = [i for i in refs if i.direction == direction]
        if own:
            return self._with_references(tx, own, strong=True)
        weak_own = [i for i in weak if i.direction == direction]
        if len(weak_own) == 1:
            proposal = self._with_references(tx, weak_own, strong=False)
            if proposal.kind != "unmatched":
                return proposal
        named_other = bool(refs or weak) or self._names_a_number(text)
        return self._without_references(tx, direction, named_other=named_other)

    # ------------------------------------------------------------------------------------------ references
    def _references(self, text: str) -> tuple[list[OpenItem], list[OpenItem]]:
        """Items whose number appears in the text (longest spans win), and items found only by the digits."""
        tokens = _TOKEN.findall(text.upper())
        spans: list[tuple[int, int, list[OpenItem]]] = []
        weak: dict[str, OpenItem] = {}
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, min(i + _MAX_SPAN_TOKENS, len(tokens))):
                joined += tokens[j]
                if joined not in self.prefixes:
                    break
                hits = self.by_number.get(joined)
                if hits:
                    spans.append((i, j, hits))
                elif joined.isdigit() and (j == i or tokens[j].isdigit()):
                    for item in self.by_digits.get(joined, ()):
                        weak.setdefault(item.voucher_id, item)
            head = tokens[i]
            if not head.isdigit() and head[-1:].isdigit():  # "RG10042" with the number 10042 behind a prefix
                digits = head.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                if digits.isdigit():
                    for item in self.by_digits.get(digits, ()):
                        weak.setdefault(item.voucher_id, item)
        found: dict[str, OpenItem] = {}
        for i, j, hits in spans:
            if any(a <= i and j <= b and (a, b) != (i, j) for a, b, _ in spans):
                continue  # "RE 2026 0042" also contains the shorter number 20260042: keep the longest
            for item in hits:
                found.setdefault(item.voucher_id, item)
        strong = sorted(found.values(), key=self._order)
        return strong, sorted((w for k, w in weak.items() if k not in found), key=self._order)

    def _with_references(self, tx: BankTransaction, refs: list[OpenItem], *, strong: bool) -> Proposal:
        cents = abs(tx.amount_cents)
        numbers = ", ".join(i.voucher_number or i.voucher_id for i in refs)
        found = f"invoice number {numbers} in the remittance text" if strong else f"digits of {numbers} in the text"
        customer = self._is_customer(tx, refs[0])
        if len(refs) == 1:
            item = refs[0]
            open_cents = abs(item.signed_cents)
            if not strong and cents != open_cents and not customer and self._name_score(tx, item) < _FUZZY_MIN:
                # Bare digits ("ESt 2025") are weak: without the amount or the payer they prove nothing.
                return self._proposal(tx, "unmatched", 0.0, reasons=[found, "neither amount nor payer fit"])
            if cents == open_cents:
                if strong or customer:
                    reasons = [found, f"amount equals the open amount {item.open_amount}"]
                    if not strong:
                        reasons.append("the counterparty is the customer")
                    return self._proposal(
                        tx, "exact", 0.99 if strong else 0.95, [self._alloc(item, cents)], reasons=reasons
                    )
                return self._proposal(
                    tx,
                    "partial",
                    0.7,
                    [self._alloc(item, cents)],
                    reasons=[found, f"amount equals the open amount {item.open_amount}", "payer name differs"],
                )
            typo = self._mistyped(tx, item) if strong else None
            if typo is not None:
                return self._proposal(
                    tx,
                    "partial",
                    0.7,
                    [self._alloc(typo, cents)],
                    reasons=[
                        found,
                        f"but the amount and the payer fit {typo.voucher_number}: number mistyped?",
                    ],
                )
            discount = self._discount_fits(tx, item, cents)
            if discount:
                return self._proposal(
                    tx,
                    "partial",
                    0.9 if strong else 0.7,
                    [self._alloc(item, cents, open_cents - cents)],
                    reasons=[found, discount],
                )
            if cents < open_cents:
                short = _money(open_cents - cents)
                why = (
                    "one cent short: treat as a part payment or write off the cent"
                    if open_cents - cents == 1
                    else f"part payment, {short} stays open"
                )
                return self._proposal(
                    tx, "partial", 0.8 if strong else 0.55, [self._alloc(item, cents)], reasons=[found, why]
                )
            if not strong:
                return self._proposal(tx, "unmatched", 0.0, reasons=[found, "amount does not fit"])
            return self._proposal(
                tx,
                "partial",
                0.5,
                [self._alloc(item, open_cents)],
                reasons=[found, f"overpayment of {_money(cents - open_cents)}: refund or keep as credit"],
            )
        # several invoices named in one transfer
        total = sum(abs(i.signed_cents) for i in refs)
        if total == cents:
            return self._proposal(
                tx,
                "partial",
                0.9,
                [self._alloc(i, abs(i.signed_cents)) for i in refs],
                reasons=[found, f"several invoices in one transfer: the {len(refs)} open amounts add up"],
            )
        with_discount = [(i, self._discounted_if_in_time(tx, i)) for i in refs]
        if all(d is not None for _, d in with_discount) and sum(d or 0 for _, d in with_discount) == cents:
            allocs = [self._alloc(i, d or 0, abs(i.signed_cents) - (d or 0)) for i, d in with_discount]
            return self._proposal(
                tx,
                "partial",
                0.85,
                allocs,
                reasons=[found, "several invoices in one transfer, each less its cash discount"],
            )
        subset = _subset_with_sum(refs, cents)
        if subset:
            return self._proposal(
                tx,
                "partial",
                0.75,
                [self._alloc(i, abs(i.signed_cents)) for i in subset],
                reasons=[found, f"{len(subset)} of the {len(refs)} named invoices add up to the amount"],
            )
        allocs, rest = [], cents
        for item in refs:
            if rest <= 0:
                break
            part = min(rest, abs(item.signed_cents))
            allocs.append(self._alloc(item, part))
            rest -= part
        reasons = [found, "the amounts do not add up: spread oldest first"]
        if rest > 0:
            reasons.append(f"{_money(rest)} left over (overpayment)")
        return self._proposal(tx, "partial", 0.55, allocs, reasons=reasons)

    # ------------------------------------------------------------------------------------- no references
    def _without_references(self, tx: BankTransaction, direction: str, *, named_other: bool = False) -> Proposal:
        cents = tx.amount_cents  # signed, like the index
        candidates = self.by_cents.get(cents, [])
        if len(candidates) == 1:
            item = candidates[0]
            amount_reason = (
                f"amount equals the open amount of {item.voucher_number or item.voucher_id}, and no other item"
            )
            if self._name_equal(tx, item) and not named_other:
                return self._proposal(
                    tx,
                    "exact",
                    0.95,
                    [self._alloc(item, abs(cents))],
                    reasons=[amount_reason, "the counterparty is the customer"],
                )
            if named_other:  # "Rechnung RE10423" but the amount belongs to RE10432: never exact
                amount_reason += "; the text names another or an unknown invoice number"
            return self._evidence_proposal(tx, item, abs(cents), 0, amount_reason)
        if len(candidates) > 1:
            ranked = sorted(candidates, key=lambda i: (-self._name_score(tx, i), self._order(i)))
            reasons = [
                f"amount {tx.amount} is open {len(candidates)} times ("
                + ", ".join(i.voucher_number or i.voucher_id for i in ranked[:5])
                + "); no invoice number in the text"
            ]
            best = ranked[0]
            if self._name_score(tx, best) >= _FUZZY_MIN:
                reasons.append(f"the payer resembles {best.contact_name}, listed first")
            return self._proposal(tx, "ambiguous", 0.3, candidates=[i.voucher_id for i in ranked], reasons=reasons)
        if direction == "payable":
            return self._proposal(
                tx, "unrelated", 0.0, reasons=["debit without an open credit note: not a customer payment"]
            )
        discounted = [i for i in self.by_discount.get(cents, []) if self._discount_fits(tx, i, abs(cents))]
        if len(discounted) == 1:
            item = discounted[0]
            fits = self._discount_fits(tx, item, abs(cents)) or ""
            return self._evidence_proposal(tx, item, abs(cents), abs(item.signed_cents) - abs(cents), fits)
        contact = self._find_contact(tx)
        if contact is None:
            return self._proposal(tx, "unmatched", 0.0, reasons=["no open item with this amount, number or payer"])
        contact_id, why = contact
        own = [i for i in self.by_contact.get(contact_id, []) if i.direction == direction]
        subset = _subset_with_sum(own, abs(cents)) if len(own) > 1 else None
        if subset:
            return self._proposal(
                tx,
                "partial",
                0.7,
                [self._alloc(i, abs(i.signed_cents)) for i in subset],
                reasons=[why, f"{len(subset)} open invoices of this customer add up to the amount"],
            )
        bigger = [i for i in own if abs(i.signed_cents) > abs(cents)]
        if len(own) == 1 and bigger:
            return self._proposal(
                tx,
                "partial",
                0.55,
                [self._alloc(bigger[0], abs(cents))],
                reasons=[why, f"part payment of their only open invoice {bigger[0].voucher_number}"],
            )
        if own:
            return self._proposal(
                tx,
                "ambiguous",
                0.3,
                candidates=[i.voucher_id for i in own],
                reasons=[why, f"the customer has {len(own)} open invoices and none fits the amount"],
            )
        return self._proposal(tx, "unmatched", 0.0, reasons=[why, "but nothing of theirs is open"])

    def _evidence_proposal(
        self, tx: BankTransaction, item: OpenItem, cents: int, discount: int, first: str
    ) -> Proposal:
        reasons = [first]
        confidence = 0.45
        iban = _fp(tx.counterparty_iban)
        if iban and self.known_ibans.get(iban) == item.contact_id:
            reasons.append("the IBAN was already seen for this customer")
            confidence = 0.85
        score = self._name_score(tx, item)
        if score >= 100:
            reasons.append("the counterparty is the customer")
            confidence = max(confidence, 0.85)
        elif score >= _FUZZY_MIN:
            reasons.append(f"payer name resembles {item.contact_name} ({score:.0f}%)")
            confidence = max(confidence, 0.75)
        elif confidence < 0.5:
            reasons.append("no further evidence: check the payer")
        return self._proposal(tx, "partial", confidence, [self._alloc(item, cents, discount)], reasons=reasons)

    def _reversal(self, tx: BankTransaction, refs: list[OpenItem]) -> Proposal:
        named = ", ".join(i.voucher_number or i.voucher_id for i in refs)
        reasons = ["returned or reversed transfer" + (f" naming {named}" if named else "")]
        reasons.append(
            "if the original payment was assigned in Lexware Office, undo that assignment there "
            "(the API cannot change payments, §11.2)"
        )
        return self._proposal(
            tx, "reversal", 0.8 if refs else 0.6, candidates=[i.voucher_id for i in refs], reasons=reasons
        )

    # ---------------------------------------------------------------------------------------------- helpers
    def _names_a_number(self, text: str) -> bool:
        tokens = _TOKEN.findall(text.upper())
        for i, token in enumerate(tokens):
            head = token.rstrip("0123456789")
            if head in self.number_prefixes and (
                len(token) - len(head) >= 3 or (head == token and i + 1 < len(tokens) and tokens[i + 1].isdigit())
            ):
                return True
        return False

    def _mistyped(self, tx: BankTransaction, named: OpenItem) -> OpenItem | None:
        """The one item whose open amount is exactly the transfer's, owed by the payer, with a number one or two
        keystrokes away from the number in the text (RE10423 typed for RE10432)."""
        candidates = [
            i
            for i in self.by_cents.get(tx.amount_cents, [])
            if i.voucher_id != named.voucher_id
            and i.voucher_number
            and named.voucher_number
            and Levenshtein.distance(normalise_number(i.voucher_number), normalise_number(named.voucher_number)) <= 2
            and (self._is_customer(tx, i) or self._name_score(tx, i) >= _FUZZY_MIN)
        ]
        return candidates[0] if len(candidates) == 1 else None

    def _discounted_if_in_time(self, tx: BankTransaction, item: OpenItem) -> int | None:
        d = discounted_cents(item)
        terms = item.terms
        if d is None or terms is None or item.voucher_date is None:
            return None
        if terms.discount_days is not None and tx.booking_date > item.voucher_date + timedelta(
            days=terms.discount_days
        ):
            return None
        return d

    def _discount_fits(self, tx: BankTransaction, item: OpenItem, cents: int) -> str | None:
        d = discounted_cents(item)
        terms = item.terms
        if d is None or terms is None or abs(d - cents) > 1:
            return None
        if item.voucher_date is not None and terms.discount_days is not None:
            last = item.voucher_date + timedelta(days=terms.discount_days)
            if tx.booking_date > last:
                return None
            return f"cash discount {terms.discount_percentage}% within {terms.discount_days} days (until {last})"
        return f"cash discount {terms.discount_percentage}%"

    def _name_score(self, tx: BankTransaction, item: OpenItem) -> float:
        mine = normalise_name(tx.counterparty_name)
        theirs = self.contact_names.get(item.contact_id or "", "") or normalise_name(item.contact_name)
        if not mine or not theirs:
            return 0.0
        if mine == theirs:
            return 100.0
        return min(99.0, fuzz.token_sort_ratio(mine, theirs))

    def _name_equal(self, tx: BankTransaction, item: OpenItem) -> bool:
        return self._name_score(tx, item) >= 100

    def _is_customer(self, tx: BankTransaction, item: OpenItem) -> bool:
        iban = _fp(tx.counterparty_iban)
        return self._name_equal(tx, item) or bool(iban and self.known_ibans.get(iban) == item.contact_id)

    def _find_contact(self, tx: BankTransaction) -> tuple[str, str] | None:
        iban = _fp(tx.counterparty_iban)
        if iban and iban in self.known_ibans and self.known_ibans[iban] in self.by_contact:
            return self.known_ibans[iban], "the IBAN was already seen for this customer"
        name = normalise_name(tx.counterparty_name)
        if not name:
            return None
        exact = self.name_exact.get(name)
        if exact and len(exact) == 1:
            return next(iter(exact)), "the counterparty is the customer"
        pool: set[str] = set()
        for key in _blocks(name):
            pool |= self.name_blocks.get(key, set())
        if not pool or len(pool) > 500:
            return None
        scored = sorted(
            ((fuzz.token_sort_ratio(name, self.contact_names[c]), c) for c in pool), key=lambda s: (-s[0], s[1])
        )
        if scored[0][0] < 88 or (len(scored) > 1 and scored[1][0] >= scored[0][0] - 3):
            return None
        return scored[0][1], f"payer name resembles a customer ({scored[0][0]:.0f}%)"

    @staticmethod
    def _order(item: OpenItem) -> tuple[date, str, str]:
        """Oldest due first: the order of candidates, and of allocations when a transfer is spread."""
        return (item.due_date or item.voucher_date or _FAR, item.voucher_number or "", item.voucher_id)

    @staticmethod
    def _alloc(item: OpenItem, cents: int, discount_cents: int = 0) -> Allocation:
        return Allocation(
            voucher_id=item.voucher_id,
            voucher_number=item.voucher_number,
            contact_id=item.contact_id,
            amount=_money(cents),
            cash_discount=_money(discount_cents),
            open_amount=item.open_amount,
        )

    @staticmethod
    def _proposal(
        tx: BankTransaction,
        kind: MatchKind,
        confidence: float,
        allocations: Sequence[Allocation] = (),
        *,
        candidates: Sequence[str] = (),
        reasons: Sequence[str] = (),
    ) -> Proposal:
        return Proposal(
            transaction_id=tx.transaction_id,
            kind=kind,
            confidence=confidence,
            amount=tx.amount,
            allocations=tuple(allocations),
            candidates=tuple(candidates),
            reasons=tuple(reasons),
        )


def match_transactions(
    transactions: Iterable[BankTransaction], items: Sequence[OpenItem], *, known_ibans: Mapping[str, str] | None = None
) -> list[Proposal]:
    """Convenience: index `items` and match every transaction."""
    return Matcher(items, known_ibans=known_ibans).match_all(transactions)


def _fp(iban: str | None) -> str | None:
    return iban_fingerprint(iban) if iban else None


def _blocks(name: str) -> set[str]:
    """Blocking keys for fuzzy name search: first and last three letters of each word (a typo rarely hits both)."""
    keys = set()
    for token in name.split():
        if len(token) >= 3:
            keys.add("<" + token[:3])
            keys.add(">" + token[-3:])
    return keys


def _subset_with_sum(items: Sequence[OpenItem], cents: int) -> list[OpenItem] | None:
    """The smallest subset (then the oldest) of at most `_MAX_SUBSET` items whose open amounts add up to `cents`."""
    pool = list(items)[:_MAX_SUBSET]
    for size in range(1, len(pool) + 1):
        for combo in combinations(pool, size):
            if sum(abs(i.signed_cents) for i in combo) == cents:
                return list(combo)
    return None
