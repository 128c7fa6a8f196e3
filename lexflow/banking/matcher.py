"""Match bank transactions to open items. Pure and deterministic: same inputs, same proposals, in the same order.

Classes (`Proposal.kind`):
- `exact`: the amount equals one item's open amount, and the invoice number is in the remittance text (spaces,
  dashes, case, letters glued on and abbreviated lists do not matter) or the payer *is* the customer (same name
  under every spelling banks produce). Payer identity can veto: a payer whose learnt IBAN or unique name belongs to
  another customer is never exact. Safe to act on.
- `partial`: a plausible allocation a person should confirm: part payments (even one cent short), several invoices
  in one transfer, an invoice less a credit note named in the text, cash discount within the payment conditions, a
  misspelt payer name, an IBAN already seen for the contact, a split SEPA direct debit batch, or an amount that is
  open exactly once but with no other evidence.
- `ambiguous`: the amount is owed more than once and nothing says which; or a direct debit batch lexflow cannot
  split; candidates are listed.
- `reversal`: money returned (R-transaction, `RvslInd`, chargeback, a debit naming an invoice at its amount, a
  bounced refund); a person has to undo by hand. Bank fees for a return are not reversals.
- `unrelated`: a debit that concerns no open credit note (rent, suppliers, fees): out of scope.
- `unmatched`: a credit lexflow cannot place, a cash deposit or a payment provider's payout.

The evidence rules are documented in docs/reconciliation.md, "How the matcher decides".

Speed: every lookup goes through a dict (open amount in cents, normalised invoice number, digits of the number,
discounted amount, contact, name keys and name blocks); no payer is fuzzy-scored against every invoice of an amount.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from itertools import accumulate, combinations
from operator import attrgetter
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from lexflow.banking.names import blocks, compact_name, name_keys, normalise_name, owner_parts
from lexflow.banking.open_items import OpenItem
from lexflow.banking.transactions import BankTransaction, iban_fingerprint

MatchKind = Literal["exact", "partial", "ambiguous", "reversal", "unrelated", "unmatched"]
ACTIONABLE: tuple[MatchKind, ...] = ("exact",)
NEEDS_PERSON: tuple[MatchKind, ...] = ("partial", "ambiguous", "reversal")

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_PIECE_SPLIT = re.compile(r"([A-Z]+|[0-9]+)")
_GLUED_WORD = re.compile(r"(?<![A-Z])[A-Z]++(?=[-.]?[0-9])")  # a word with a number glued on; possessive: linear
_ALNUM_RUN = re.compile(r"[A-Z0-9]+")
_NON_DIGIT = re.compile(r"[^0-9]")
_O_NEXT_TO_DIGIT = re.compile(r"[0-9]O|O[0-9]")
_ABBREVIATED = re.compile(r"([A-Z0-9][A-Z0-9.\-]{0,30}[0-9])((?:/[0-9]{1,6})+)")  # bounded: no backtracking blow-up
_REVERSAL_WORDS = re.compile(
    r"R(UE|Ü)CK(UEBERWEISUNG|ÜBERWEISUNG|LASTSCHRIFT|BUCHUNG|GABE|RUF)|RETOURE|STORNO|RETURN|REVERSAL|REVERSED|"
    r"NICHT ZUSTELLBAR|CHARGE ?BACK|BOUNCED|R-TRANSA[CK]TION|UNPAID",
    re.IGNORECASE,
)
# A fee for a return is the bank's charge, not the returned money ("ENTGELT RUECKLASTSCHRIFT", "Stornogebühr").
_FEE_WORDS = re.compile(r"ENTGELT|GEB(UE|Ü)HR|\bFEES?\b|PORTO|LABEL|AUSLAGEN|PROVISION|SPESEN", re.IGNORECASE)
_PROVIDERS = re.compile(
    r"\b(STRIPE|PAYPAL|SUMUP|SUM UP|ADYEN|MOLLIE|KLARNA|ZETTLE|IZETTLE|SQUARE|SHOPIFY PAYMENTS|AMAZON PAYMENTS|"
    r"UNZER|CONCARDIS|NEXI|PAYONE|WORLDLINE|SECUPAY|COMPUTOP|VIVA WALLET|MYPOS|PAYPLUG)\b",
    re.IGNORECASE,
)
_CASH_DEPOSIT = re.compile(r"BAR-?EINZAHLUNG|EINZAHLUNG|BARGELD|CASH DEPOSIT|EINZAHLAUTOMAT|GELDAUTOMAT", re.IGNORECASE)
_DIRECT_DEBIT_BATCH = re.compile(
    r"LS-?SAMMLER|SAMMLER[- ]?(LS|LASTSCHRIFT)|LASTSCHRIFT-?SAMMLER|SAMMEL-?LASTSCHRIFT|SAMMEL-?LS|"
    r"(LASTSCHRIFT|LS|SEPA|EINZUG)\D{0,25}\d+\s*POSTEN|DIRECT DEBIT BATCH|DD BATCH",
    re.IGNORECASE,
)
# Every word the three patterns above start with, to skip them in one pass for ordinary texts.
_SPECIAL_WORDS = re.compile(  # searched in the upper-case text
    r"R(UE|Ü)CK|RETOUR|STORNO|RETURN|REVERS|ZUSTELLBAR|CHARGE|BOUNCED|R-TRANSA|UNPAID|ENTGELT|GEB(UE|Ü)HR|FEE|PORTO|"
    r"LABEL|AUSLAGEN|PROVISION|SPESEN|SAMMLER|SAMMEL|POSTEN|DIRECT DEBIT|DD BATCH"
)
_POSTEN = re.compile(r"(\d{1,5})\s*(POSTEN|ITEMS|TRANSAKTIONEN|TRANSACTIONS)", re.IGNORECASE)
# Words that say what a number before or glued to them is: an invoice ("Rechnung 42") or something else
# (a customer, order or delivery note number, a tax number) that only looks like one.
_INVOICE_WORDS = frozenset(
    [
        "RE",
        "RG",
        "R",
        "NR",
        "NO",
        "RNR",
        "RGNR",
        "RENR",
        "RECHNUNG",
        "RECHNUNGEN",
        "RECHN",
        "RECH",
        "RECHNUNGSNR",
        "RECHNUNGSNUMMER",
        "INV",
        "INVOICE",
        "BELEG",
        "BELEGNR",
        "FAKTURA",
    ]
)
_OTHER_NUMBER_WORDS = frozenset(
    [
        "KD",
        "KDNR",
        "KUNDE",
        "KUNDEN",
        "KUNDENNR",
        "KUNDENNUMMER",
        "AUFTRAG",
        "AUFTRAGSNR",
        "AUFTRAGSNUMMER",
        "AB",
        "LS",
        "LIEFERSCHEIN",
        "BESTELLUNG",
        "BESTELLNR",
        "BESTELLNUMMER",
        "ORDER",
        "VERTRAG",
        "VERTRAGSNR",
        "VERTRAGSNUMMER",
        "MANDAT",
        "MANDATSREF",
        "STNR",
        "STEUERNR",
        "EST",
        "UST",
        "USTID",
        "PLZ",
        "TEL",
        "TELEFON",
        "KONTO",
        "AZ",
        "AKTENZEICHEN",
        "POLICE",
        "POLICENNR",
        "VS",
        "MITGLIED",
        "MITGLIEDSNR",
        "ANGEBOT",
        "ANG",
        "CUSTOMER",
        "OBJEKT",
        "WOHNUNG",
        "HAUS",
    ]
)
_FUZZY_MIN = 80.0
_MAX_SPAN_TOKENS = 6
_MAX_SUBSET = 10
_CUT_MIN = 16  # a payer name cut by the bank (27 characters in SEPA exports) still has at least this many letters
_FAR = date(9999, 12, 31)
_NO_DISCOUNT = Decimal("0.00")
_NOBODY: frozenset[str] = frozenset()

NameEvidence = Literal["same", "likely", "namesake", "other", "none"]


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
    return _NOT_ALNUM.sub("", value.upper())


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value(ROUND_HALF_UP))


@lru_cache(maxsize=4096)  # few distinct amounts per statement (prices, parts of them); a Decimal is immutable
def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)  # exactly two places, like Decimal("1.00")


def discounted_cents(item: OpenItem) -> int | None:
    """Open amount minus the cash discount of its payment terms (None without a discount)."""
    terms = item.terms
    if terms is None or not terms.discount_percentage:
        return None
    pct = terms.discount_percentage
    return _cents((item.open_amount * (Decimal(100) - pct) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


class CollectedDebit(BaseModel):
    """One item of a SEPA direct debit batch lexflow collected: the bank books the batch as one credit."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    voucher_id: str
    voucher_number: str | None = None
    contact_id: str | None = None
    amount: Decimal


class _Payer:
    """Who paid, as far as lexflow can tell: the contact of a learnt IBAN, contacts with the same name, and contacts
    the name plausibly is (a city appended, cut by the bank; looked up only when a decision needs it)."""

    def __init__(
        self, iban_contact: str | None, same_name: AbstractSet[str], find_likely: Callable[[], frozenset[str]]
    ) -> None:
        self.iban_contact = iban_contact
        self.same_name = same_name
        self._find_likely = find_likely

    @cached_property
    def likely(self) -> frozenset[str]:
        return self._find_likely()

    @cached_property
    def contact(self) -> str | None:
        """The one contact the evidence supports: the IBAN's, else a name nobody else has."""
        if self.iban_contact:
            return self.iban_contact
        if len(self.same_name) == 1:
            return next(iter(self.same_name))
        if not self.same_name and len(self.likely) == 1:
            return next(iter(self.likely))
        return None

    def by_name(self, contact_id: str | None) -> NameEvidence:
        if not contact_id:
            return "none"
        if contact_id in self.same_name:
            return "same" if len(self.same_name) == 1 else "namesake"
        if contact_id in self.likely:  # "Hoffmann Transporte Lübeck" is also "Transporte Lübeck Hoffmann"
            return "likely" if len(self.likely) == 1 and not self.same_name else "namesake"
        if self.same_name:
            return "other"
        return "none"

    def vetoes(self, contact_id: str | None) -> str | None:
        """Why the payer is someone else than this customer, or None."""
        if self.iban_contact:
            return None if self.iban_contact == contact_id else "the payer's IBAN is known for another customer"
        if self.same_name and contact_id not in self.same_name and self.by_name(contact_id) == "other":
            return "the payer's name is another customer's"
        return None

    def supports(self, contact_id: str | None) -> bool:
        """A learnt IBAN or a name that is this customer's and nobody else's."""
        if self.vetoes(contact_id):
            return False
        return self.iban_contact == contact_id or self.by_name(contact_id) in ("same", "likely")

    def named(self, contact_id: str | None) -> bool:
        """The payer's name is this customer's (the strongest evidence without a number)."""
        return not self.vetoes(contact_id) and self.by_name(contact_id) in ("same", "likely")


class Matcher:
    """Index the open items once, then match any number of transactions against them."""

    def __init__(
        self,
        items: Sequence[OpenItem],
        *,
        known_ibans: Mapping[str, str] | None = None,
        collected: Sequence[CollectedDebit] = (),
    ) -> None:
        with _cyclic_gc_paused():
            self._index(items, known_ibans or {}, collected)

    def _index(
        self, items: Sequence[OpenItem], known_ibans: Mapping[str, str], collected: Sequence[CollectedDebit]
    ) -> None:
        self.items = sorted(items, key=self._order)
        self.by_id = {i.voucher_id: i for i in self.items}
        self.by_number: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_digits: dict[str, list[OpenItem]] = defaultdict(list)
        self.numbers: dict[str, str] = {}  # voucher id → normalised number
        self._typo_index: dict[int, dict[str, list[OpenItem]]] = {}  # cents → number less one character → items
        self.by_full_digits: dict[str, list[OpenItem]] = defaultdict(list)  # all digits of a number, five or more
        self.by_cents: dict[int, list[OpenItem]] = defaultdict(list)
        self._ids_by_cents: dict[int, tuple[str, ...]] = {}  # filled on first use (`_ids_at`)
        self.by_discount: dict[int, list[OpenItem]] = defaultdict(list)
        self.by_contact: dict[str, list[OpenItem]] = defaultdict(list)
        self.contact_names: dict[str, str] = {}
        self.name_exact: dict[str, set[str]] = defaultdict(set)
        self.name_compact: dict[str, set[str]] = defaultdict(set)  # first _CUT_MIN letters → contacts
        self.compact_names: dict[str, list[str]] = defaultdict(list)
        for item in self.items:
            self.by_cents[item.signed_cents].append(item)
            if item.voucher_number:
                number = normalise_number(item.voucher_number)
                self.numbers[item.voucher_id] = number
                self.by_number[number].append(item)
                digits = _NON_DIGIT.sub("", number)
                for key in _digit_keys(item.voucher_number, number, digits):
                    self.by_digits[key].append(item)
                if len(digits) >= 5 and digits != number:
                    self.by_full_digits[digits].append(item)
            d = discounted_cents(item)
            if d is not None:
                self.by_discount[d if item.direction == "receivable" else -d].append(item)
            if item.contact_id:
                self.by_contact[item.contact_id].append(item)
                if item.contact_id not in self.contact_names:
                    self._index_name(item.contact_id, item.contact_name)
        # Letter prefixes of the numbers ("RE", "GS"): a text naming "RE 10423" names an invoice, known or not.
        self.number_prefixes = {head for n in self.by_number if n[-1:].isdigit() and (head := n.rstrip("0123456789"))}
        self._glued_prefixes = sorted(self.number_prefixes, key=len, reverse=True)
        # Every prefix of every number: the token walk stops as soon as the joined text cannot become a number.
        self.prefixes: set[str] = set()
        for key in (*self.by_number, *self.by_digits):
            self.prefixes.update(accumulate(key))  # RE1, RE10, ... RE10042
        # Keys: IBANs or their fingerprints (what the ledger stores); looked up by fingerprint either way.
        self.known_ibans = {k if k.startswith("ibanfp-") else _fp(k): v for k, v in known_ibans.items()}
        self.batches: dict[str, list[CollectedDebit]] = defaultdict(list)
        for debit in collected:
            self.batches[debit.batch_id].append(debit)
        self.batches_by_total: dict[int, list[str]] = defaultdict(list)
        for batch_id, debits in sorted(self.batches.items()):
            self.batches_by_total[sum(_cents(d.amount) for d in debits)].append(batch_id)

    def _index_name(self, contact_id: str, name: str | None) -> None:
        normalised = normalise_name(name)
        self.contact_names[contact_id] = normalised
        for key in name_keys(name):
            self.name_exact[key].add(contact_id)
        for part in owner_parts(name or ""):
            compact = compact_name(part)
            if len(compact) >= _CUT_MIN:
                self.name_compact[compact[:_CUT_MIN]].add(contact_id)
                self.compact_names[contact_id].append(compact)

    @cached_property
    def _name_blocks(self) -> dict[str, set[str]]:
        """Blocking keys → contacts, for the fuzzy name search; built on its first use (few statements need it)."""
        found: dict[str, set[str]] = defaultdict(set)
        for contact_id, name in self.contact_names.items():
            for key in blocks(name):
                found[key].add(contact_id)
        return found

    # ------------------------------------------------------------------------------------------------ public
    def match_all(self, transactions: Iterable[BankTransaction]) -> list[Proposal]:
        """Proposals in booking order. An item is claimed exactly once: a second exact hit becomes partial."""
        with _cyclic_gc_paused():
            ordered = sorted(transactions, key=attrgetter("booking_date", "transaction_id"))
            return self._claim_once(ordered, [self.match(tx) for tx in ordered])

    @staticmethod
    def _claim_once(ordered: list[BankTransaction], proposals: list[Proposal]) -> list[Proposal]:
        """The first exact proposal in booking order claims its items; a later one for the same item is partial."""
        claimed: dict[str, str] = {}
        out: list[Proposal] = []
        for tx, proposal in zip(ordered, proposals, strict=True):
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
                tx,
                "unmatched",
                0.0,
                reasons=[f"currency {tx.currency}: Lexware Office only knows EUR (docs/lexware.md#eur-only)"],
            )
        text = f"{tx.remittance} {tx.end_to_end_id or ''}"
        upper = text.upper()
        receivable = tx.amount > 0
        special = _SPECIAL_WORDS.search(upper) is not None  # one pass: most texts have none of the words below
        if special and receivable and _DIRECT_DEBIT_BATCH.search(text):
            return self._direct_debit_batch(tx, text)
        refs, weak = self._references(upper)
        payer = self._payer(tx)
        fee = special and _FEE_WORDS.search(text) is not None
        returned = special and not fee and _REVERSAL_WORDS.search(text) is not None
        if not receivable:
            return self._debit(tx, refs, payer, returned=returned or tx.reversal, fee=fee)
        own = [i for i in refs if i.direction == "receivable"]
        notes = [i for i in refs if i.direction == "payable"]
        if tx.reversal or (returned and not own):
            return self._reversal(tx, refs, "a returned transfer or chargeback arriving as a credit")
        if notes and not own and abs(tx.amount_cents) in {abs(n.signed_cents) for n in notes}:
            return self._reversal(tx, notes, "the refund of a credit note came back (bounced refund)")
        weak_own = [i for i in weak if i.direction == "receivable"]
        if len(weak_own) > 1:  # "Rechnung 42" with several numbers ending in 42: the amount, then the payer pick
            weak_own = [i for i in weak_own if abs(i.signed_cents) == tx.amount_cents] or weak_own
        if len(weak_own) > 1:
            weak_own = [i for i in weak_own if payer.supports(i.contact_id)] or weak_own
        if notes and (own or len(weak_own) == 1):
            netted = self._less_credit_notes(tx, own or weak_own, notes)
            if netted is not None:
                return netted
        if own:
            if weak_own and sum(abs(i.signed_cents) for i in own) != tx.amount_cents:
                # "Rechnungen 649 u. RE10318": a short number beside a full one, if together they add up
                contacts = {i.contact_id for i in own}
                extra = [i for i in weak_own if i.contact_id in contacts or payer.supports(i.contact_id)]
                together = sorted({i.voucher_id: i for i in (*own, *extra)}.values(), key=self._order)
                if sum(abs(i.signed_cents) for i in together) == tx.amount_cents:
                    own = together
            return self._with_references(tx, own, payer, strong=True)
        why_not = self._not_a_customer_payment(tx, text)
        if why_not:
            return self._proposal(tx, "unmatched", 0.0, reasons=[why_not])
        if len(weak_own) == 1:
            proposal = self._with_references(tx, weak_own, payer, strong=False)
            if proposal.kind != "unmatched":
                return proposal
        named_other = bool(refs or weak) or self._names_a_number(upper)
        return self._without_references(tx, payer, named_other=named_other)

    # ------------------------------------------------------------------------------------------ references
    def _pieces(self, upper: str) -> tuple[list[str], list[str]]:
        """Letter and digit runs of the upper-case text and what stands before each: "ZAHLUNGRE10042" → ZAHLUNG, RE,
        10042 (the last two glued: nothing before them); the letter O between digits read as zero ("RE1OO42");
        abbreviated lists spelled out ("RE1012/13/20")."""
        if _O_NEXT_TO_DIGIT.search(upper):
            upper = _ALNUM_RUN.sub(_o_for_zero, upper)
        if "/" in upper:
            upper += "".join(" " + n for n in _expand_abbreviated(upper))
        parts = _PIECE_SPLIT.split(upper)  # before, run, before, run, ..., after the last run
        tokens, before = parts[1::2], parts[0:-1:2]
        number_prefixes = self.number_prefixes
        if number_prefixes.issuperset(_GLUED_WORD.findall(upper)):  # most texts: nothing to cut
            return tokens, before
        cut_tokens: list[str] = []
        cut_before: list[str] = []
        for k, token in enumerate(tokens):
            gap = before[k]
            if (
                token[0] > "9"
                and token not in number_prefixes
                and k + 1 < len(tokens)
                and (parts[2 * k + 2] == "" or (parts[2 * k + 2] in ("-", ".") and tokens[k + 1][0] <= "9"))
            ):
                for prefix in self._glued_prefixes:  # "ZAHLUNGRE10042": the number's prefix glued to a word
                    if token.endswith(prefix) and len(token) > len(prefix):
                        cut_tokens.append(token[: -len(prefix)])
                        cut_before.append(gap)
                        token, gap = prefix, ""
                        break
            cut_tokens.append(token)
            cut_before.append(gap)
        return cut_tokens, cut_before

    def _references(self, upper: str) -> tuple[list[OpenItem], list[OpenItem]]:
        """Items whose number appears in the text (longest spans win), and items found only by the digits.

        Digits alone count only where nothing says they are something else: not after a customer, order or tax
        number word or another scheme's letters glued on ("KD 10042", "AB10042"), and a year or a number of up to
        three digits only right after an invoice word ("Rechnung 42", not "Beitrag 2025")."""
        tokens, before = self._pieces(upper)
        prefixes, by_number = self.prefixes, self.by_number
        spans: list[tuple[int, int, list[OpenItem]]] = []
        weak_spans: list[tuple[int, int, list[OpenItem]]] = []
        n = len(tokens)
        for i, first in enumerate(tokens):
            if first not in prefixes:  # most words: no number starts with them
                continue
            joined = ""
            for j in range(i, min(i + _MAX_SPAN_TOKENS, n)):
                joined += tokens[j]
                if joined not in prefixes:
                    break
                hits = by_number.get(joined)
                digits_only = joined.isdigit()
                if digits_only and not self._digits_may_be_invoice(tokens, before, i, joined):
                    continue
                if digits_only and not hits and i > 0 and tokens[i - 1] in _INVOICE_WORDS:
                    hits = self.by_full_digits.get(joined)  # "Rechnung 2026-01632": every digit of RE-2026-01632
                    if hits:
                        spans.append((i, j, hits))
                        continue
                if hits and not (digits_only and len(joined) < 6):
                    spans.append((i, j, hits))
                elif digits_only:
                    found = [*(hits or ()), *self.by_digits.get(joined, ())]
                    if found:
                        weak_spans.append((i, j, found))
        if not weak_spans:
            if len(spans) == 1 and len(spans[0][2]) == 1:  # the common case: one number naming one item
                return list(spans[0][2]), []
            return (self._sorted(_longest(spans).values()) if spans else []), []
        found_items = _longest(spans)
        weak_items = {k: v for k, v in _longest(weak_spans + spans).items() if k not in found_items}
        return self._sorted(found_items.values()), self._sorted(weak_items.values())

    def _sorted(self, items: Collection[OpenItem]) -> list[OpenItem]:
        return sorted(items, key=self._order) if len(items) > 1 else list(items)

    def _digits_may_be_invoice(self, tokens: list[str], gaps: list[str], i: int, digits: str) -> bool:
        before, glued = None, False
        if i > 0:
            before = tokens[i - 1]
            glued = gaps[i] == ""
        if before in _OTHER_NUMBER_WORDS or (
            before in ("NR", "NO", "NUMMER") and i > 1 and tokens[i - 2] in _OTHER_NUMBER_WORDS
        ):
            return False  # "KD 42", "Kd-Nr. 42"
        invoice_word = before in _INVOICE_WORDS or before in self.number_prefixes
        if glued and before and before.isalpha() and not invoice_word:
            return False  # "AB10042": another scheme's number
        year_like = len(digits) == 4 and 1990 <= int(digits) <= 2039
        return invoice_word or not (len(digits) <= 3 or year_like)

    def _less_credit_notes(self, tx: BankTransaction, own: list[OpenItem], notes: list[OpenItem]) -> Proposal | None:
        """ "RE2113 abzgl. Gutschrift GS19": the invoices less the credit notes named beside them."""
        net = sum(abs(i.signed_cents) for i in own) - sum(abs(n.signed_cents) for n in notes)
        if net != tx.amount_cents:
            return None
        named = ", ".join(i.voucher_number or i.voucher_id for i in (*own, *notes))
        return self._proposal(
            tx,
            "partial",
            0.85,
            [self._alloc(i, abs(i.signed_cents)) for i in (*own, *notes)],
            reasons=[
                f"{named} in the remittance text: the invoices less the credit notes add up to the amount",
                "offset the credit note against the invoice in Lexware Office",
            ],
        )

    def _with_references(self, tx: BankTransaction, refs: list[OpenItem], payer: _Payer, *, strong: bool) -> Proposal:
        cents = abs(tx.amount_cents)
        numbers = ", ".join(i.voucher_number or i.voucher_id for i in refs)
        found = f"invoice number {numbers} in the remittance text" if strong else f"digits of {numbers} in the text"
        if len(refs) == 1:
            item = refs[0]
            open_cents = abs(item.signed_cents)
            veto = payer.vetoes(item.contact_id)
            supported = payer.supports(item.contact_id)
            if not strong and cents != open_cents and not supported and self._name_score(tx, item) < _FUZZY_MIN:
                # Bare digits ("ESt 2025") are weak: without the amount or the payer they prove nothing.
                discount = self._discount_fits(tx, item, cents)
                if not discount:
                    return self._proposal(tx, "unmatched", 0.0, reasons=[found, "neither amount nor payer fit"])
            if cents == open_cents:
                return self._named_at_its_amount(tx, item, payer, found, strong=strong, veto=veto)
            discount = self._discount_fits(tx, item, cents)  # before "mistyped": Skonto is the likelier story
            if discount:
                return self._proposal(
                    tx,
                    "partial",
                    0.9 if strong and not veto else 0.7,
                    [self._alloc(item, cents, open_cents - cents)],
                    reasons=[found, discount, *([veto] if veto else [])],
                )
            typo = self._mistyped(tx, item, payer) if strong else None
            if typo is not None:
                return self._proposal(
                    tx,
                    "partial",
                    0.7,
                    [self._alloc(typo, cents)],
                    reasons=[found, f"but the amount and the payer fit {typo.voucher_number}: number mistyped?"],
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

    def _named_at_its_amount(
        self, tx: BankTransaction, item: OpenItem, payer: _Payer, found: str, *, strong: bool, veto: str | None
    ) -> Proposal:
        """The text names the item and the amount is its open amount: exact unless the payer speaks against it."""
        cents = abs(item.signed_cents)
        reasons = [found, f"amount equals the open amount {item.open_amount}"]
        if veto:  # a parent company paying for a subsidiary, or the wrong invoice number: a person decides
            typo = self._mistyped(tx, item, payer)
            target = typo or item
            if typo:
                reasons.append(f"the payer owes {typo.voucher_number} at the same amount: number mistyped?")
            return self._proposal(tx, "partial", 0.6, [self._alloc(target, cents)], reasons=[*reasons, veto])
        supported = payer.supports(item.contact_id)
        if not supported:
            neighbours = self._near_numbers(item)
            resembles = self._name_score(tx, item)
            if neighbours and (
                resembles < _FUZZY_MIN or any(self._name_score(tx, n) >= resembles for n in neighbours)
            ):  # "RE1021" typed for RE1012, both open at the same standard price
                typo = self._mistyped(tx, item, payer)
                near = ", ".join(n.voucher_number or n.voucher_id for n in neighbours[:3])
                reasons.append(f"{near} is open at the same amount with a number one typo away")
                if typo:
                    reasons.append(f"the payer owes {typo.voucher_number}: number mistyped?")
                    return self._proposal(tx, "partial", 0.7, [self._alloc(typo, cents)], reasons=reasons)
                reasons.append("the payer is not known as this customer: confirm")
                return self._proposal(tx, "partial", 0.7, [self._alloc(item, cents)], reasons=reasons)
        if strong:
            return self._proposal(tx, "exact", 0.99, [self._alloc(item, cents)], reasons=reasons)
        keyword_unique = len(self.by_cents.get(item.signed_cents, ())) == 1
        if supported or keyword_unique:
            reasons.append("the payer is the customer" if supported else "no other open item has this amount")
            return self._proposal(tx, "exact", 0.95, [self._alloc(item, cents)], reasons=reasons)
        return self._proposal(tx, "partial", 0.7, [self._alloc(item, cents)], reasons=[*reasons, "payer name differs"])

    # ------------------------------------------------------------------------------------- no references
    def _without_references(self, tx: BankTransaction, payer: _Payer, *, named_other: bool = False) -> Proposal:
        cents = tx.amount_cents  # signed, like the index
        full = self.by_cents.get(cents, [])
        discounted = (
            [i for i in self.by_discount.get(cents, []) if self._discount_fits(tx, i, cents)] if cents > 0 else []
        )
        if discounted:  # not those already in `full` (open at exactly this amount)
            discounted = [i for i in discounted if i.signed_cents != cents]
        pool = full + discounted
        if not pool:
            if cents < 0:
                return self._proposal(
                    tx, "unrelated", 0.0, reasons=["debit without an open credit note: not a customer payment"]
                )
            return self._by_contact(tx, payer)
        # Only the payer's own contact can be supported by the evidence: no scoring of every candidate.
        own_contact = payer.contact
        mine = (  # the payer's own items in the order of the pool (the same item order), without scanning the pool
            [i for i in self.by_contact.get(own_contact, ()) if i.signed_cents == cents]
            + [i for i in discounted if i.contact_id == own_contact]
            if own_contact
            else []
        )
        if len(mine) == 1 or len(pool) == 1:
            item = mine[0] if mine else pool[0]
            at_full = not any(i is item for i in discounted)
            discount = 0 if at_full else abs(item.signed_cents) - abs(cents)
            first = (
                f"amount equals the open amount of {item.voucher_number or item.voucher_id}"
                if at_full
                else (self._discount_fits(tx, item, abs(cents)) or "cash discount")
            )
            alone = len(full) == 1 and at_full  # other candidates fit only less their discount
            if mine and alone and payer.named(item.contact_id) and not named_other:
                return self._proposal(
                    tx,
                    "exact",
                    0.95,
                    [self._alloc(item, abs(cents))],
                    reasons=[f"{first}, and no other item", "the counterparty is the customer"],
                )
            if len(pool) == 1 and at_full:
                first += ", and no other item"
            if named_other:  # "Rechnung RE10423" but the amount belongs to RE10432: never exact
                first += "; the text names another or an unknown invoice number"
            if len(pool) > 1:
                first += f"; {len(pool) - 1} other open item(s) fit the amount, but the payer owes this one"
            return self._evidence_proposal(tx, item, payer, abs(cents), discount, first)
        ranked = mine + [i for i in pool if i.contact_id != own_contact] if mine else pool
        reasons = [
            f"amount {tx.amount} fits {len(pool)} open items ("
            + ", ".join(i.voucher_number or i.voucher_id for i in ranked[:5])
            + "); no invoice number in the text"
        ]
        if mine:
            reasons.append("the payer owes several of them, listed first")
        candidates = self._ids_at(cents) if not mine and not discounted else [i.voucher_id for i in ranked]
        return self._proposal(tx, "ambiguous", 0.3, candidates=candidates, reasons=reasons)

    def _ids_at(self, cents: int) -> tuple[str, ...]:
        """The ids of the items open at this amount, in item order: a standard price owed by many is asked often."""
        ids = self._ids_by_cents.get(cents)
        if ids is None:
            ids = self._ids_by_cents[cents] = tuple(i.voucher_id for i in self.by_cents.get(cents, ()))
        return ids

    def _by_contact(self, tx: BankTransaction, payer: _Payer) -> Proposal:
        """No open amount fits: who is the payer, and do their open invoices explain the amount?"""
        cents = abs(tx.amount_cents)
        contact = self._find_contact(tx, payer)
        if contact is None:
            return self._proposal(tx, "unmatched", 0.0, reasons=["no open item with this amount, number or payer"])
        contact_id, why = contact
        own = [i for i in self.by_contact.get(contact_id, []) if i.direction == "receivable"]
        subset = _subset_with_sum(own, cents) if len(own) > 1 else None
        if subset:
            return self._proposal(
                tx,
                "partial",
                0.7,
                [self._alloc(i, abs(i.signed_cents)) for i in subset],
                reasons=[why, f"{len(subset)} open invoices of this customer add up to the amount"],
            )
        bigger = [i for i in own if abs(i.signed_cents) > cents]
        if len(own) == 1 and bigger:
            return self._proposal(
                tx,
                "partial",
                0.55,
                [self._alloc(bigger[0], cents)],
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
        self, tx: BankTransaction, item: OpenItem, payer: _Payer, cents: int, discount: int, first: str
    ) -> Proposal:
        reasons = [first]
        confidence = 0.45
        veto = payer.vetoes(item.contact_id)
        if veto:
            reasons.append(veto)
            return self._proposal(tx, "partial", 0.3, [self._alloc(item, cents, discount)], reasons=reasons)
        if payer.iban_contact == item.contact_id:
            reasons.append("the IBAN was already seen for this customer")
            confidence = 0.85
        evidence = payer.by_name(item.contact_id)
        if evidence in ("same", "likely"):
            reasons.append("the counterparty is the customer")
            confidence = max(confidence, 0.85)
        elif evidence == "namesake":
            reasons.append(f"another customer has the same name as {item.contact_name}")
        else:
            score = self._name_score(tx, item)
            if score >= _FUZZY_MIN:
                reasons.append(f"payer name resembles {item.contact_name} ({score:.0f}%)")
                confidence = max(confidence, 0.75)
            elif confidence < 0.5:
                reasons.append("no further evidence: check the payer")
        return self._proposal(tx, "partial", confidence, [self._alloc(item, cents, discount)], reasons=reasons)

    # ------------------------------------------------------------------------- reversals, debits, batches
    def _debit(
        self, tx: BankTransaction, refs: list[OpenItem], payer: _Payer, *, returned: bool, fee: bool
    ) -> Proposal:
        cents = abs(tx.amount_cents)
        if returned:
            return self._reversal(tx, refs)
        invoices = [i for i in refs if i.direction == "receivable"]
        if invoices:
            if fee:
                return self._proposal(
                    tx, "unrelated", 0.0, reasons=["a bank fee (for a return or a cancellation), not returned money"]
                )
            fitting = [
                i
                for i in invoices
                if cents in (abs(i.signed_cents), _cents(i.total_amount or i.open_amount)) or payer.named(i.contact_id)
            ]
            if fitting:
                return self._reversal(tx, fitting)
            return self._proposal(
                tx,
                "unrelated",
                0.0,
                reasons=[
                    "a debit naming "
                    + ", ".join(i.voucher_number or i.voucher_id for i in invoices)
                    + " with neither its amount nor its customer: a supplier's invoice number, not ours"
                ],
            )
        notes = [i for i in refs if i.direction == "payable"]
        if notes:
            return self._with_references(tx, notes, payer, strong=True)
        return self._without_references(tx, payer)

    def _reversal(
        self, tx: BankTransaction, refs: list[OpenItem], why: str = "returned or reversed transfer"
    ) -> Proposal:
        named = ", ".join(i.voucher_number or i.voucher_id for i in refs)
        reasons = [why + (f" naming {named}" if named else "")]
        reasons.append(
            "if the original payment was assigned in Lexware Office, undo that assignment there "
            "(the API cannot change payments: docs/lexware.md#no-payment-writes)"
        )
        return self._proposal(
            tx, "reversal", 0.8 if refs else 0.6, candidates=[i.voucher_id for i in refs], reasons=reasons
        )

    def _direct_debit_batch(self, tx: BankTransaction, text: str) -> Proposal:
        """One credit for a SEPA direct debit batch: split by the items lexflow collected, or ask a person."""
        cents = tx.amount_cents
        count = _POSTEN.search(text)
        candidates = [
            b for b in self.batches_by_total.get(cents, []) if count is None or int(count[1]) == len(self.batches[b])
        ]
        upper = normalise_number(text)
        named = [b for b in candidates if normalise_number(b) and normalise_number(b) in upper]
        # the batch id named in the text, else the total with the stated number of items; a total alone is not enough
        chosen = named if named else candidates if count is not None else []
        if len(chosen) == 1:
            debits = sorted(self.batches[chosen[0]], key=lambda d: (d.voucher_number or "", d.voucher_id))
            allocs = [
                Allocation(
                    voucher_id=d.voucher_id,
                    voucher_number=d.voucher_number,
                    contact_id=d.contact_id,
                    amount=d.amount,
                    open_amount=self.by_id[d.voucher_id].open_amount if d.voucher_id in self.by_id else d.amount,
                )
                for d in debits
            ]
            return self._proposal(
                tx,
                "partial",
                0.9,
                allocs,
                reasons=[
                    f"SEPA direct debit batch {chosen[0]}: split into the {len(debits)} items lexflow collected",
                    "returns of single items arrive later as separate reversals",
                ],
            )
        why = (
            "lexflow has no record of the direct debits it collected"
            if not self.batches
            else f"{len(chosen)} collected batches fit the amount"
            if chosen
            else "no collected batch named in the text, or with this total and number of items"
        )
        return self._proposal(
            tx,
            "ambiguous",
            0.2,
            reasons=[
                "a SEPA direct debit batch booked as one credit: "
                + why
                + "; split it by the bank's batch detail (camt.054 or the online banking view) and assign each item",
            ],
        )

    def _not_a_customer_payment(self, tx: BankTransaction, text: str) -> str | None:
        if _CASH_DEPOSIT.search(text):
            return "a cash deposit, not a transfer from a customer"
        provider = _PROVIDERS.search(f"{tx.counterparty_name or ''} {text}")
        if provider:
            return (
                f"a payout from {provider[0]}: it bundles many payments, which are in the provider's own report, "
                "not in this statement"
            )
        return None

    # ---------------------------------------------------------------------------------------------- helpers
    def _payer(self, tx: BankTransaction) -> _Payer:
        iban = _fp(tx.counterparty_iban)
        keys = name_keys(tx.counterparty_name)
        if len(keys) == 1:  # most names: no "Inh."
            same: AbstractSet[str] = self.name_exact.get(keys[0], _NOBODY)  # read only: no copy
        else:
            same = frozenset().union(*(self.name_exact.get(key, ()) for key in keys))
        name = tx.counterparty_name or ""
        return _Payer(self.known_ibans.get(iban) if iban else None, same, lambda: self._likely(name))

    def _likely(self, name: str) -> frozenset[str]:
        """Customers the payer's name plausibly is: cut by the bank, or with a city appended."""
        likely: set[str] = set()
        compact = compact_name(name)
        if len(compact) >= _CUT_MIN:  # cut by the bank: the payer's name is a prefix of the customer's
            for contact_id in self.name_compact.get(compact[:_CUT_MIN], ()):
                if any(n.startswith(compact) and n != compact for n in self.compact_names[contact_id]):
                    likely.add(contact_id)
        words = normalise_name(name).split()
        for drop in (1, 2):  # a city (or two words of it) appended to the name
            if not likely and len(words) - drop >= 2 and all(len(w) >= 4 and w.isalpha() for w in words[-drop:]):
                likely |= self.name_exact.get(" ".join(sorted(words[:-drop])), set())
        return frozenset(likely)

    def _names_a_number(self, upper: str) -> bool:
        tokens = self._pieces(upper)[0]
        for i, token in enumerate(tokens):
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if token in self.number_prefixes and len(following) >= 3 and following.isdigit():
                return True
        return False

    def _near_numbers(self, item: OpenItem, cents: int | None = None) -> list[OpenItem]:
        """Other items open at the same amount whose number is one typo from this one's: a digit wrong, missing or
        extra, or two neighbours swapped. Looked up by the number with one character left out (built per amount on
        first use), so a price owed by thousands costs no more than a unique one."""
        cents = item.signed_cents if cents is None else cents
        number = self.numbers.get(item.voucher_id)
        bucket = self.by_cents.get(cents, [])
        if not number or not bucket or (len(bucket) == 1 and bucket[0].voucher_id == item.voucher_id):
            return []
        index = self._typo_index.get(cents)
        if index is None:
            index = defaultdict(list)
            for other in bucket:
                for key in _deletions(self.numbers.get(other.voucher_id, "")):
                    index[key].append(other)
            self._typo_index[cents] = index
        near: dict[str, OpenItem] = {}
        for key in _deletions(number):
            for other in index.get(key, ()):
                if (
                    other.voucher_id != item.voucher_id
                    and other.voucher_id not in near
                    and OSA.distance(self.numbers.get(other.voucher_id, ""), number, score_cutoff=1) <= 1
                ):
                    near[other.voucher_id] = other
        return sorted(near.values(), key=self._order)

    def _mistyped(self, tx: BankTransaction, named: OpenItem, payer: _Payer) -> OpenItem | None:
        """The one item whose open amount is exactly the transfer's, owed by the payer, with a number one or two
        keystrokes away from the number in the text (RE10423 typed for RE10432). The payer's own items when lexflow
        knows who paid; else the items one typo away whose customer's name resembles the payer's."""
        number = self.numbers.get(named.voucher_id)
        if not number:
            return None
        cents = tx.amount_cents
        if payer.contact:
            candidates = [
                i
                for i in self.by_contact.get(payer.contact, [])
                if i.signed_cents == cents
                and i.voucher_id != named.voucher_id
                and Levenshtein.distance(self.numbers.get(i.voucher_id, ""), number, score_cutoff=2) <= 2
            ]
        else:
            candidates = [i for i in self._near_numbers(named, cents) if self._name_score(tx, i) >= _FUZZY_MIN]
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
        if d is None or terms is None or abs(d - abs(cents)) > 1:
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

    def _find_contact(self, tx: BankTransaction, payer: _Payer) -> tuple[str, str] | None:
        if payer.iban_contact and payer.iban_contact in self.by_contact:
            return payer.iban_contact, "the IBAN was already seen for this customer"
        if len(payer.same_name) == 1:
            return next(iter(payer.same_name)), "the counterparty is the customer"
        if payer.same_name:
            return None  # namesakes: the name does not say which
        if len(payer.likely) == 1:
            return next(iter(payer.likely)), "the counterparty is the customer (name cut or with a city)"
        name = normalise_name(tx.counterparty_name)
        if not name:
            return None
        pool: set[str] = set()
        for key in blocks(name):
            pool |= self._name_blocks.get(key, set())
        if not pool or len(pool) > 500:
            return None
        choices = {c: self.contact_names[c] for c in sorted(pool)}  # sorted: ties go to the lower id
        scored = process.extract(name, choices, scorer=fuzz.token_sort_ratio, limit=2, score_cutoff=85)
        if not scored or scored[0][1] < 88 or (len(scored) > 1 and scored[1][1] >= scored[0][1] - 3):
            return None
        return scored[0][2], f"payer name resembles a customer ({scored[0][1]:.0f}%)"

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
            cash_discount=_money(discount_cents) if discount_cents else _NO_DISCOUNT,
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


@lru_cache(maxsize=65536)
def _fp(iban: str | None) -> str | None:
    return iban_fingerprint(iban) if iban else None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Matching allocates ~10 small objects per transaction and creates no reference cycles; the cyclic collector
    would rescan the whole heap (all items and transactions) again and again, a fifth of the time. Reference
    counting still frees everything meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:  # nobody else keeps a frozen generation we would thaw
                # What the pause made and kept (the index, the proposals) moves to the oldest generation as is:
                # otherwise the first allocation after `enable` scans all of it at once (~6 % of the time), to find
                # cycles there are none of. Garbage is still freed by reference counting; cycles elsewhere in the
                # process wait for the next full collection.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _digit_keys(raw: str, number: str, digits: str) -> set[str]:
    """Digits by which a payer may name an invoice without its prefix: all of them (`digits`, RE-2026-0004 →
    20260004) and the last group (0004, 4). Short ones count only after an invoice word (`_digits_may_be_invoice`)."""
    if not digits:
        return set()
    last = raw[len(raw.rstrip("0123456789")) :] or digits  # the last group of digits as written
    keys = {digits, last, digits.lstrip("0"), last.lstrip("0")}
    keys.discard("")
    keys.discard(number)
    return keys


def _expand_abbreviated(upper: str) -> list[str]:
    """ "RE1012/13/20" → RE1013, RE1020; "RE-2026-10161/0293" → RE202610293: each part replaces the last digits."""
    out = []
    for m in _ABBREVIATED.finditer(upper):
        base = normalise_number(m[1])
        tail = len(base) - len(base.rstrip("0123456789"))
        for part in m[2].split("/")[1:]:
            if 0 < len(part) <= tail:
                out.append(base[: len(base) - len(part)] + part)
    return out


def _longest(spans: list[tuple[int, int, list[OpenItem]]]) -> dict[str, OpenItem]:
    """Items of the spans not inside a longer span ("RE 2026 0042" also contains the shorter number 20260042).

    By start, longest first: a span ending no later than one before it lies inside that one."""
    found: dict[str, OpenItem] = {}
    reach = -1
    for _, j, hits in spans if len(spans) == 1 else sorted(spans, key=lambda span: (span[0], -span[1])):
        if j <= reach:
            continue
        reach = j
        for item in hits:
            found.setdefault(item.voucher_id, item)
    return found


def _o_for_zero(m: re.Match[str]) -> str:
    """ "RE1OO42" → RE10042: the letter O in the digits of a word that ends in at least two digits and Os."""
    token = m[0]
    if "O" not in token:
        return token
    head = token.rstrip("0123456789O")
    tail = token[len(head) :]
    if (head and not head.isalpha()) or sum(c.isdigit() for c in tail) < 2:
        return token
    return head + tail.replace("O", "0")


def _deletions(number: str) -> set[str]:
    """The number and every way to leave one character out: two numbers one typo apart share one of these."""
    return {number, *(number[:k] + number[k + 1 :] for k in range(len(number)))}


def _subset_with_sum(items: Sequence[OpenItem], cents: int) -> list[OpenItem] | None:
    """The smallest subset (then the oldest) of at most `_MAX_SUBSET` items whose open amounts add up to `cents`."""
    pool = list(items)[:_MAX_SUBSET]
    for size in range(1, len(pool) + 1):
        for combo in combinations(pool, size):
            if sum(abs(i.signed_cents) for i in combo) == cents:
                return list(combo)
    return None
