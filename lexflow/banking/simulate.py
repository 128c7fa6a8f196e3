"""Seeded statements with ground truth: clean payments for open items, or a noisy statement for the benchmark.

Noise: part payments (some one cent short), misspelt payer names, several invoices in one transfer, cash discount
within the terms, invoice numbers typed with spaces/dashes/lower case, amounts owed twice, returned transfers,
unrelated debits and credits. The truth says what a careful bookkeeper would call each transaction; it is derived
from what the generator did, never from the matcher.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from lexflow.banking.matcher import MatchKind, discounted_cents
from lexflow.banking.names import normalise_name
from lexflow.banking.open_items import OpenItem, PaymentTerms
from lexflow.banking.transactions import BankTransaction, assign_ids

_FIRST = [
    "Anna",
    "Bernd",
    "Clara",
    "Dieter",
    "Emma",
    "Felix",
    "Greta",
    "Hans",
    "Ida",
    "Jonas",
    "Karla",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rita",
    "Sven",
    "Tina",
    "Uwe",
    "Vera",
    "Wilhelm",
    "Yvonne",
    "Zoe",
    "Moritz",
    "Lina",
    "Theo",
    "Frieda",
    "Oskar",
    "Ella",
]
_LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Köhler",
    "Herrmann",
    "Walter",
    "König",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Ludwig",
]
_TRADE = [
    "Bau",
    "Elektro",
    "Sanitär",
    "Logistik",
    "Consulting",
    "Software",
    "Design",
    "Druck",
    "Holz",
    "Metall",
    "Garten",
    "Medien",
    "Handel",
    "Technik",
    "Immobilien",
    "Reisen",
    "Optik",
    "Catering",
    "Pflege",
    "Transport",
    "Energie",
    "Dental",
    "Agrar",
]
_LEGAL = ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "OHG")
_CITIES = [
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Leipzig",
    "Dresden",
    "Bremen",
    "Hannover",
    "Nürnberg",
    "Essen",
    "Bonn",
    "Kiel",
    "Mainz",
    "Rostock",
    "Freiburg",
    "Ulm",
    "Jena",
    "Trier",
]
_DEBITS = (
    "Miete Büro",
    "Telekom Rechnung",
    "Stadtwerke Abschlag",
    "Versicherung Beitrag",
    "Leasingrate",
    "Lieferant Wareneinkauf",
    "Steuerberater Honorar",
    "Bankgebühren",
    "Kfz-Steuer",
    "Büromaterial",
)


class TruthEntry(BaseModel):
    """What the transaction really is: its class and the open items it pays."""

    model_config = ConfigDict(frozen=True)

    kind: MatchKind
    voucher_ids: tuple[str, ...] = ()
    scenario: str


class NoisyStatement(BaseModel):
    open_items: list[OpenItem]
    transactions: list[BankTransaction]
    truth: dict[str, TruthEntry]
    known_ibans: dict[str, str]


def _iban(rng: random.Random) -> str:
    return "DE" + f"{rng.randrange(10, 99)}" + "".join(str(rng.randrange(10)) for _ in range(18))


def random_contacts(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """`n` (contact id, name) pairs with distinct normalised names: companies and people."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        if rng.random() < 0.7:
            style = rng.random()
            if style < 0.5:
                name = f"{rng.choice(_LAST)} {rng.choice(_TRADE)} {rng.choice(_LEGAL)}"
            elif style < 0.8:
                name = f"{rng.choice(_TRADE)} {rng.choice(_CITIES)} {rng.choice(_LAST)} {rng.choice(_LEGAL)}"
            else:
                name = f"{rng.choice(_LAST)} & {rng.choice(_LAST)} {rng.choice(_TRADE)} {rng.choice(_LEGAL)}"
        else:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            if rng.random() < 0.3:
                name = f"{rng.choice(_FIRST)} {name}"
        key = normalise_name(name)
        if key in seen:
            continue
        seen.add(key)
        out.append((f"c-{len(out):05d}", name))
    return out


def random_open_items(
    n: int, *, seed: int = 42, contacts: int | None = None, today: date = date(2026, 11, 24)
) -> list[OpenItem]:
    """`n` open items (about 5% credit notes), some with cash discount terms and some with popular round amounts."""
    rng = random.Random(seed)
    people = random_contacts(contacts or max(1, n // 4), rng)
    items = []
    for k in range(n):
        contact_id, name = rng.choice(people)
        credit_note = rng.random() < 0.05
        if rng.random() < 0.06:
            amount = Decimal(rng.choice((100, 119, 150, 200, 238, 250, 297.5, 500, 595, 1190)))
        else:
            amount = Decimal(rng.randrange(1500, 900000)) / 100
        voucher_date = today - timedelta(days=rng.randrange(0, 90))
        terms = PaymentTerms(term_days=rng.choice((14, 30)))
        if not credit_note and rng.random() < 0.3:
            terms = PaymentTerms(
                term_days=30, discount_percentage=Decimal(rng.choice(("2", "3"))), discount_days=rng.choice((10, 14))
            )
        items.append(
            OpenItem(
                voucher_id=f"v-{k:06d}",
                voucher_type="creditnote" if credit_note else "invoice",
                voucher_number=f"{'GS' if credit_note else 'RE'}{10001 + k}",
                voucher_status="overdue" if voucher_date + timedelta(days=terms.term_days or 14) < today else "open",
                contact_id=contact_id,
                contact_name=name,
                open_amount=amount.quantize(Decimal("0.01")),
                total_amount=amount.quantize(Decimal("0.01")),
                voucher_date=voucher_date,
                due_date=voucher_date + timedelta(days=terms.term_days or 14),
                terms=terms,
            )
        )
    return items


def _typed_number(number: str, rng: random.Random) -> str:
    """How people type an invoice number: with spaces, dashes, lower case, split digits."""
    prefix, digits = number[:2], number[2:]
    style = rng.randrange(7)
    if style == 0:
        return number
    if style == 1:
        return f"{prefix} {digits}"
    if style == 2:
        return f"{prefix}-{digits}"
    if style == 3:
        return number.lower()
    if style == 4:
        cut = rng.randrange(1, len(digits))
        return f"{prefix} {digits[:cut]} {digits[cut:]}"
    if style == 5:
        return f"{prefix.lower()}.{digits}"
    return f"{prefix}{digits[:2]} {digits[2:]}"


def _mistype(number: str, rng: random.Random) -> str:
    """Two adjacent digits swapped (RE10432 → RE10423); falls back to changing the last digit."""
    digits = list(number[2:])
    for _ in range(10):
        p = rng.randrange(len(digits) - 1)
        if digits[p] != digits[p + 1]:
            digits[p], digits[p + 1] = digits[p + 1], digits[p]
            return number[:2] + "".join(digits)
    digits[-1] = str((int(digits[-1]) + 1) % 10)
    return number[:2] + "".join(digits)


def _misspell(name: str, rng: random.Random) -> str:
    """One typo in a word of at least five letters (swap, drop or replace), so the name stays recognisable."""
    for _ in range(10):
        typo = _one_typo(name, rng)
        if normalise_name(typo) != normalise_name(name):
            return typo
    return name + "x"


def _one_typo(name: str, rng: random.Random) -> str:
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_words:
        return name + "x"
    i = rng.choice(long_words)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2 :]
    elif kind == 1:
        w = w[:p] + w[p + 1 :]
    else:
        w = w[:p] + rng.choice("aeiounrst") + w[p + 1 :]
    words[i] = w
    return " ".join(words)


def _payer_variant(name: str, rng: random.Random) -> str:
    """The same customer as a bank prints it: legal form dropped or upper case; normalises to the same name."""
    r = rng.random()
    if r < 0.2:
        return name.upper()
    if r < 0.35:
        return " ".join(w for w in name.split() if normalise_name(w))
    return name


def noisy_statement(
    n_transactions: int = 10_000, n_open_items: int = 10_000, *, seed: int = 42, today: date = date(2026, 11, 24)
) -> NoisyStatement:
    """The benchmark statement: `n_transactions` transactions against `n_open_items` open items, with truth."""
    items = random_open_items(n_open_items, seed=seed, today=today)
    rng = random.Random(seed + 1)
    contact_iban: dict[str, str] = {}
    for open_item in items:
        if open_item.contact_id and open_item.contact_id not in contact_iban:
            contact_iban[open_item.contact_id] = _iban(rng)
    known = {iban: cid for cid, iban in sorted(contact_iban.items()) if rng.random() < 0.6}
    amount_count = Counter(i.signed_cents for i in items)
    invoices = [i for i in items if i.direction == "receivable"]
    credit_notes = [i for i in items if i.direction == "payable"]
    rng.shuffle(invoices)
    rng.shuffle(credit_notes)
    by_contact: dict[str, list[OpenItem]] = {}
    for i in invoices:
        by_contact.setdefault(i.contact_id or "", []).append(i)
    used: set[str] = set()
    popular = [i for i in invoices if amount_count[i.signed_cents] > 1]
    unique = [i for i in invoices if amount_count[i.signed_cents] == 1]
    discounting = [
        i
        for i in unique
        if i.terms and i.terms.discount_percentage and amount_count.get(discounted_cents(i) or 0, 0) == 0
    ]

    def take(pool: list[OpenItem]) -> OpenItem | None:
        while pool:
            item = pool.pop()
            if item.voucher_id not in used:
                used.add(item.voucher_id)
                return item
        return None

    rows: list[dict[str, object]] = []
    truth: list[TruthEntry] = []
    weights = [
        ("exact_number", 0.44),
        ("exact_name", 0.06),
        ("part_payment", 0.06),
        ("cent_short", 0.02),
        ("multi", 0.05),
        ("discount", 0.05),
        ("fuzzy_name", 0.04),
        ("known_iban", 0.03),
        ("ambiguous", 0.03),
        ("reversal", 0.03),
        ("credit_note_refund", 0.02),
        ("unrelated_debit", 0.12),
        ("unrelated_credit", 0.05),
        ("number_typo", 0.02),
    ]
    names = [w[0] for w in weights]
    probs = [w[1] for w in weights]

    def booking(item: OpenItem | None) -> date:
        base = item.voucher_date if item and item.voucher_date else today - timedelta(days=30)
        return min(today, base + timedelta(days=rng.randrange(1, 30)))

    def row(
        item: OpenItem | None, amount: Decimal, payer: str | None, text: str, iban: str | None, **extra: object
    ) -> dict[str, object]:
        d = extra.pop("booking", None) or booking(item)
        return {
            "booking_date": d,
            "value_date": d,
            "amount": amount,
            "counterparty_name": payer,
            "counterparty_iban": iban,
            "remittance": text,
            "source": "generated",
            **extra,
        }

    while len(rows) < n_transactions:
        scenario = rng.choices(names, probs)[0]
        item: OpenItem | None = None
        if scenario in ("exact_number", "part_payment", "cent_short", "reversal"):
            item = take(invoices)
        elif scenario in ("exact_name", "fuzzy_name", "known_iban", "number_typo"):
            item = take(unique)
        elif scenario == "discount":
            item = take(discounting)
        elif scenario == "ambiguous":
            item = take(popular)
        elif scenario == "credit_note_refund":
            item = take(credit_notes)
        if item is None and scenario not in ("multi", "unrelated_debit", "unrelated_credit"):
            scenario = "unrelated_debit"
        payer = item.contact_name if item else None
        iban = contact_iban.get(item.contact_id or "") if item else None
        if scenario == "exact_number":
            assert item is not None
            text = rng.choice(("Rechnung {n}", "{n}", "Rg. {n} vielen Dank", "RE-Nr {n} Kd {c}", "Zahlung {n}"))
            text = text.format(n=_typed_number(item.voucher_number or "", rng), c=rng.randrange(100, 999))
            payer = _misspell(payer or "", rng) if rng.random() < 0.2 else payer
            rows.append(row(item, item.open_amount, payer, text, iban if rng.random() < 0.7 else None))
            truth.append(TruthEntry(kind="exact", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "number_typo":
            assert item is not None
            typed = _mistype(item.voucher_number or "", rng)
            rows.append(row(item, item.open_amount, payer, f"Rechnung {typed}", iban))
            truth.append(TruthEntry(kind="partial", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "exact_name":
            assert item is not None
            rows.append(
                row(
                    item,
                    item.open_amount,
                    _payer_variant(payer or "", rng),
                    rng.choice(("Zahlung", "Danke", "Überweisung", "")),
                    None,
                )
            )
            truth.append(TruthEntry(kind="exact", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario in ("part_payment", "cent_short"):
            assert item is not None
            cents = int(item.open_amount * 100)
            paid = cents - 1 if scenario == "cent_short" else max(1, int(cents * rng.uniform(0.2, 0.8)))
            text = (
                f"Teilzahlung {_typed_number(item.voucher_number or '', rng)}"
                if scenario == "part_payment"
                else f"Rechnung {item.voucher_number}"
            )
            rows.append(row(item, Decimal(paid) / 100, payer, text, iban))
            truth.append(TruthEntry(kind="partial", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "multi":
            group = None
            for _ in range(20):
                cid = rng.choice(sorted(by_contact))
                free = [i for i in by_contact[cid] if i.voucher_id not in used]
                if len(free) >= 2:
                    group = free[: rng.choice((2, 2, 3))]
                    break
            if group is None:
                continue
            used.update(i.voucher_id for i in group)
            total = sum((i.open_amount for i in group), Decimal("0"))
            text = "Rechnungen " + ", ".join(_typed_number(i.voucher_number or "", rng) for i in group)
            rows.append(row(group[0], total, group[0].contact_name, text, contact_iban.get(group[0].contact_id or "")))
            truth.append(TruthEntry(kind="partial", voucher_ids=tuple(i.voucher_id for i in group), scenario=scenario))
        elif scenario == "discount":
            assert item is not None and item.terms and item.voucher_date
            d = discounted_cents(item) or 0
            on = item.voucher_date + timedelta(days=rng.randrange(1, (item.terms.discount_days or 10) + 1))
            text = f"{_typed_number(item.voucher_number or '', rng)} abzgl. {item.terms.discount_percentage}% Skonto"
            if rng.random() < 0.4:
                text = "Skonto abgezogen, danke"  # no number: found by the discounted amount
            rows.append(row(item, Decimal(d) / 100, payer, text, iban, booking=min(on, today)))
            truth.append(TruthEntry(kind="partial", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "fuzzy_name":
            assert item is not None
            rows.append(row(item, item.open_amount, _misspell(payer or "", rng), "Zahlung", None))
            truth.append(TruthEntry(kind="partial", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "known_iban":
            assert item is not None
            cid = item.contact_id or ""
            if contact_iban[cid] not in known:
                known[contact_iban[cid]] = cid
            rows.append(
                row(
                    item,
                    item.open_amount,
                    rng.choice(("Buchhaltung", "Zahlungsverkehr", None)),
                    "Überweisung",
                    contact_iban[cid],
                )
            )
            truth.append(TruthEntry(kind="partial", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "ambiguous":
            assert item is not None
            rows.append(
                row(item, item.open_amount, rng.choice(("Online-Zahlung", "Sammelüberweisung", None)), "Zahlung", None)
            )
            truth.append(TruthEntry(kind="ambiguous", scenario=scenario))
        elif scenario == "reversal":
            assert item is not None
            text = rng.choice(("RUECKUEBERWEISUNG {n} Konto erloschen", "Retoure {n}", "Rücklastschrift {n}"))
            rows.append(
                row(
                    item,
                    -item.open_amount,
                    payer,
                    text.format(n=item.voucher_number),
                    iban,
                    reversal=rng.random() < 0.7,
                )
            )
            truth.append(TruthEntry(kind="reversal", scenario=scenario))
        elif scenario == "credit_note_refund":
            assert item is not None
            text = f"Erstattung Gutschrift {_typed_number(item.voucher_number or '', rng)}"
            rows.append(row(item, -item.open_amount, payer, text, iban))
            truth.append(TruthEntry(kind="exact", voucher_ids=(item.voucher_id,), scenario=scenario))
        elif scenario == "unrelated_debit":
            cents = rng.randrange(500, 500000)
            if amount_count.get(-cents):
                continue
            rows.append(
                row(None, Decimal(-cents) / 100, f"{rng.choice(_LAST)} Vermietung", rng.choice(_DEBITS), _iban(rng))
            )
            truth.append(TruthEntry(kind="unrelated", scenario=scenario))
        else:  # unrelated credit: interest, a supplier's refund, a payer nobody knows
            cents = rng.randrange(100, 300000)
            if amount_count.get(cents) or any(amount_count.get(c) for c in range(cents - 2, cents + 3)):
                continue
            rows.append(
                row(
                    None,
                    Decimal(cents) / 100,
                    rng.choice(("Finanzamt", "Zinsgutschrift", "Amazon Payments", "Erstattung")),
                    rng.choice(("Erstattung", "Zinsen", "Gutschrift 4711-00")),
                    None,
                )
            )
            truth.append(TruthEntry(kind="unmatched", scenario=scenario))
    transactions = assign_ids(rows)
    return NoisyStatement(
        open_items=items,
        transactions=transactions,
        truth={t.transaction_id: entry for t, entry in zip(transactions, truth, strict=True)},
        known_ibans=known,
    )
