"""A month of how real German customers pay, with ground truth: the matcher's adversarial benchmark.

Written apart from the matcher (it imports none of its logic): the truth says what a careful bookkeeper would call
each transaction from what the generator did. Three invoice number schemes (`RE10042`, `RE-2026-00042`, plain
`42`), and what real payers and banks do to them:

- payer identity: namesakes among the customers, a parent company paying its subsidiary's invoice, a payer whose
  IBAN the ledger knows as another customer's, a mistyped number that is another customer's invoice at the same
  standard price;
- references: abbreviated lists (`RE1012/13/20`), a credit note deducted in the text, short numbers without prefix,
  numbers glued to words, the letter O for zero, a year or another scheme's number (customer, order number), a
  supplier's invoice number in a debit;
- names: `Nachname, Vorname`, legal forms spelled out or abbreviated, a city appended, names cut at 27 characters,
  `Inh.`, umlauts dropped (MULLER) or transliterated (MUELLER), mojibake (MÃ¼ller);
- amounts: cash discount that equals another customer's full amount, standard prices owed by many, cash deposits and
  payment-provider payouts;
- reversals and batches: fee texts, English chargebacks, bounced refunds arriving as credits, SEPA direct debit
  batches booked as one credit (with and without lexflow's record of the collected items).

`HELD_OUT_SEEDS` are never used while tuning the matcher; `TUNING_SEEDS` are.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lexflow.banking.matcher import CollectedDebit, Proposal
from lexflow.banking.open_items import OpenItem, PaymentTerms
from lexflow.banking.simulate import NoisyStatement, TruthEntry
from lexflow.banking.transactions import BankTransaction, assign_ids

TUNING_SEEDS = (101, 102, 103)
HELD_OUT_SEEDS = (9001, 9002, 9003)

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
    "Jürgen",
    "Björn",
    "Sören",
    "Jörg",
    "Käthe",
    "Thomas",
    "Stefan",
    "Sabine",
    "Petra",
    "Andreas",
    "Michael",
    "Claudia",
    "Martina",
    "Frank",
    "Heike",
    "Ralf",
    "Ute",
    "Dirk",
    "Silke",
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
    "Böhm",
    "Groß",
    "Jäger",
    "Körner",
    "Sommer",
    "Brandt",
    "Haas",
    "Graf",
    "Dietrich",
    "Ziegler",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Seidel",
    "Schubert",
    "Vogt",
    "Stein",
    "Jansen",
    "Lindner",
    "Ernst",
    "Otto",
    "Schuster",
    "Heinrich",
    "Martin",
    "Kraus",
    "Böttcher",
]
_TRADES = [
    "Bau",
    "Elektrotechnik",
    "Sanitär",
    "Logistik",
    "Consulting",
    "Software",
    "Design",
    "Druckerei",
    "Holzbau",
    "Metallbau",
    "Gartenbau",
    "Medien",
    "Handel",
    "Haustechnik",
    "Immobilien",
    "Reisen",
    "Optik",
    "Catering",
    "Pflegedienst",
    "Transporte",
    "Energie",
    "Dentallabor",
    "Agrar",
    "Fliesenleger",
    "Dachdeckerei",
    "Malerbetrieb",
    "Autohaus",
    "Steuerberatung",
    "Getränkehandel",
    "Blumenhaus",
    "Bäckerei",
    "Fleischerei",
]
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
    "Görlitz",
    "Würzburg",
    "Lübeck",
    "Münster",
]
# (short form, how banks and payers spell it out or abbreviate it)
_LEGAL = {
    "GmbH": ("Gesellschaft mit beschränkter Haftung", "G.m.b.H.", "GMBH"),
    "GmbH & Co. KG": ("GmbH u. Co. KG", "GmbH + Co KG", "GMBH CO KG"),
    "UG (haftungsbeschränkt)": ("Unternehmergesellschaft (haftungsbeschränkt)", "UG (haftungsbeschr.)", "UG"),
    "AG": ("Aktiengesellschaft", "AG"),
    "e.K.": ("e. K.", "eK", "e.Kfm."),
    "KG": ("Kommanditgesellschaft", "KG"),
    "OHG": ("OHG", "oHG"),
}
_STANDARD_NET = (50, 75, 99, 100, 120, 150, 199, 250, 299, 350, 500, 990)
_SUPPLIERS = ("Büro Discount GmbH", "Metro Cash & Carry", "Würth GmbH", "Hornbach Baumarkt", "Lieferant Schuster KG")
_PROVIDER_PAYOUTS = (
    ("STRIPE PAYMENTS EUROPE LTD", "STRIPE PAYOUT po_{r}"),
    ("PayPal Europe S.a.r.l. et Cie S.C.A", "PAYPAL AUSZAHLUNG {r}"),
    ("SumUp Payments Limited", "SumUp Auszahlung {d}"),
    ("Stripe", "Transfer from Stripe {r}"),
)


class RealisticMonth(NoisyStatement):
    """A noisy statement plus the direct debits lexflow collected (what a batch credit is split by)."""

    collected: list[CollectedDebit] = []


def _gross(net: Decimal) -> Decimal:
    return (net * Decimal("1.19")).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _iban(rng: random.Random) -> str:
    return "DE" + f"{rng.randrange(10, 99)}" + "".join(str(rng.randrange(10)) for _ in range(18))


class _Contact:
    def __init__(self, cid: str, name: str, *, kind: str, owner: str | None = None, first: str = "", last: str = ""):
        self.id, self.name, self.kind, self.owner, self.first, self.last = cid, name, kind, owner, first, last
        self.iban = ""
        self.parent: _Contact | None = None


def _contacts(n: int, rng: random.Random) -> list[_Contact]:
    """Companies, people and owner-run firms ("Inh."), some parent companies, and a few namesakes."""
    out: list[_Contact] = []
    seen: set[frozenset[str]] = set()

    def add(contact: _Contact) -> None:
        # Different customers have different words in their names (namesakes are added on purpose below); an owner
        # is not also a customer in their own name.
        firm = contact.name.split(" Inh. ")[0]
        for legal in sorted(_LEGAL, key=len, reverse=True):
            firm = firm.removesuffix(" " + legal)
        words = [frozenset(w.lower() for w in firm.split() if w != "&")]
        if contact.owner:
            words.append(frozenset(contact.owner.lower().split()))
        if any(w in seen for w in words):
            return
        seen.update(words)
        out.append(contact)

    while len(out) < n:
        cid = f"k-{len(out):05d}"
        r = rng.random()
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if r < 0.45:
            legal = rng.choice(list(_LEGAL))
            style = rng.random()
            if style < 0.5:
                name = f"{last} {rng.choice(_TRADES)} {legal}"
            elif style < 0.8:
                name = f"{rng.choice(_TRADES)} {last} & {rng.choice(_LAST)} {legal}"
            else:
                name = f"{rng.choice(_TRADES)} {rng.choice(_CITIES)} {last} {legal}"
            add(_Contact(cid, name, kind="company", last=last))
        elif r < 0.55:
            name = f"{rng.choice(_TRADES)} {last} e.K. Inh. {first} {last}"
            add(_Contact(cid, name, kind="owner", owner=f"{first} {last}", first=first, last=last))
        else:
            add(_Contact(cid, f"{first} {last}", kind="person", first=first, last=last))
    # namesakes: about 2 % of the people share their name with another customer
    people = [c for c in out if c.kind == "person"]
    for c in rng.sample(people, k=max(1, len(people) // 50)):
        out.append(_Contact(f"k-{len(out):05d}", c.name, kind="person", first=c.first, last=c.last))
    # parents: about 3 % of the companies belong to a holding that is a customer too and pays for them
    companies = [c for c in out if c.kind == "company"]
    for c in rng.sample(companies, k=max(1, len(companies) // 30)):
        parent = _Contact(f"k-{len(out):05d}", f"{c.last} Holding GmbH {len(out)}", kind="company", last=c.last)
        out.append(parent)
        c.parent = parent
    for c in out:
        c.iban = _iban(rng)
    return out


def _number(scheme: str, k: int) -> str:
    if scheme == "A":
        return f"RE{10001 + k}"
    if scheme == "B":
        return f"RE-2026-{k + 1:05d}"
    return str(k + 1)


def _typed(number: str, rng: random.Random) -> str:
    """How payers write an invoice number: spaces, dashes, case, glued to words, O for zero, the short form."""
    digits = "".join(c for c in number if c.isdigit())
    if number.isdigit():  # plain short scheme: only an invoice word says it is one
        return rng.choice(
            ("Rechnung {n}", "Rg. {n}", "Re-Nr. {n}", "Rechnungsnr. {n}", "RE{n}", "Rechnung Nr. {n}")
        ).format(n=number)
    if number.startswith("RE-"):
        year, seq = number[3:7], number[8:]
        style = rng.randrange(7)
        return (
            number,
            f"RE {year} {seq}",
            f"re-{year}-{seq}",
            f"Rechnung {year}-{seq}",
            f"Rechnung {seq.lstrip('0')}",
            f"RE{year}{seq}",
            f"Zahlung{number}",
        )[style]
    style = rng.randrange(9)
    if style == 0:
        return number
    if style == 1:
        return f"RE {digits}"
    if style == 2:
        return number.lower()
    if style == 3:
        return f"Rechnung{number}"  # glued to the word
    if style == 4:
        return f"{number}danke"
    if style == 5 and "0" in digits:
        return "RE" + digits.replace("0", "O")
    if style == 6:
        return f"Rg.-Nr. {digits}"
    if style == 7:
        return f"RE {digits[:2]} {digits[2:]}"
    return f"RE-{digits}"


def _abbreviated(numbers: list[str]) -> str:
    """ "RE1012/13/20": the first number in full, each further one by the digits that differ."""
    base = numbers[0]
    parts = [base]
    for other in numbers[1:]:
        k = 1
        while k < len(other) and base[: len(base) - k] != other[: len(other) - k]:
            k += 1
        parts.append(other[len(other) - k :])
    return "/".join(parts)


def _spelling(contact: _Contact, rng: random.Random) -> str:
    """The customer's name as a bank prints it; always recognisably the same customer."""
    name = contact.name
    r = rng.random()
    if contact.kind == "person" and r < 0.25:
        return f"{contact.last}, {contact.first}"
    if contact.kind == "owner" and r < 0.35:
        return contact.owner or name
    if r < 0.40:
        for short, variants in _LEGAL.items():
            if name.endswith(short):
                return name[: -len(short)] + rng.choice(variants)
        return name.upper()
    if r < 0.50 and len(name) > 27:
        return name[:27]
    if r < 0.58:
        return f"{name} {rng.choice([c for c in _CITIES if len(c) >= 4])}"
    if r < 0.66:
        return name.upper().replace("Ä", "A").replace("Ö", "O").replace("Ü", "U")
    if r < 0.74:
        return name.upper().replace("Ä", "AE").replace("Ö", "OE").replace("Ü", "UE").replace("ß", "SS")
    if r < 0.80:
        return name.encode("utf-8").decode("cp1252", errors="replace")
    return name


def _misspelt(name: str, rng: random.Random) -> str:
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_words:
        return name
    i = rng.choice(long_words)
    w = words[i]
    p = rng.randrange(1, len(w) - 2)
    words[i] = w[:p] + w[p + 1] + w[p] + w[p + 2 :] if w[p] != w[p + 1] else w[:p] + w[p + 1 :]
    return " ".join(words)


def realistic_month(
    n_transactions: int = 10_000, n_open_items: int = 10_000, *, seed: int = 101, today: date = date(2026, 11, 28)
) -> RealisticMonth:
    """`n_transactions` transactions against `n_open_items` open items, with truth."""
    rng = random.Random(seed)
    contacts = _contacts(max(10, n_open_items // 3), rng)
    by_id = {c.id: c for c in contacts}
    schemes = ["A"] * 50 + ["B"] * 35 + ["C"] * 15
    counters: Counter[str] = Counter()
    items: list[OpenItem] = []

    def new_item(
        contact: _Contact, amount: Decimal, *, credit_note: bool = False, discount: bool = False, number: str = ""
    ) -> OpenItem:
        if number:
            pass
        elif credit_note:
            number = f"GS{counters['GS'] + 1}"
            counters["GS"] += 1
        else:
            scheme = rng.choice(schemes)
            number = _number(scheme, counters[scheme])
            counters[scheme] += 1
        voucher_date = today - timedelta(days=rng.randrange(0, 60))
        terms = PaymentTerms(term_days=rng.choice((14, 30)))
        if discount:
            terms = PaymentTerms(
                term_days=30, discount_percentage=Decimal(rng.choice(("2", "3"))), discount_days=rng.choice((10, 14))
            )
        item = OpenItem(
            voucher_id=f"w-{len(items):06d}",
            voucher_type="creditnote" if credit_note else "invoice",
            voucher_number=number,
            voucher_status="overdue" if voucher_date + timedelta(days=terms.term_days or 14) < today else "open",
            contact_id=contact.id,
            contact_name=contact.name,
            open_amount=amount,
            total_amount=amount,
            voucher_date=voucher_date,
            due_date=voucher_date + timedelta(days=terms.term_days or 14),
            terms=terms,
        )
        items.append(item)
        return item

    for _ in range(n_open_items):
        contact = rng.choice(contacts)
        credit_note = rng.random() < 0.04
        if not credit_note and rng.random() < 0.15:
            amount = _gross(Decimal(rng.choice(_STANDARD_NET)))
        else:
            amount = Decimal(rng.randrange(1500, 900000)) / 100
        new_item(contact, amount, credit_note=credit_note, discount=not credit_note and rng.random() < 0.3)

    known = {c.iban: c.id for c in contacts if rng.random() < 0.5}
    count = Counter(i.signed_cents for i in items)
    invoices = [i for i in items if i.direction == "receivable"]
    notes = [i for i in items if i.direction == "payable"]
    rng.shuffle(invoices)
    rng.shuffle(notes)
    used: set[str] = set()
    by_contact: dict[str, list[OpenItem]] = {}
    for i in invoices:
        by_contact.setdefault(i.contact_id or "", []).append(i)

    def take(pool: list[OpenItem], test=lambda i: True, tries: int = 60) -> OpenItem | None:  # type: ignore[no-untyped-def]
        for _ in range(tries):
            if not pool:
                return None
            k = rng.randrange(len(pool))
            item = pool[k]
            if item.voucher_id in used:
                pool[k] = pool[-1]
                pool.pop()
                continue
            if test(item):
                used.add(item.voucher_id)
                return item
        return None

    def unique(i: OpenItem) -> bool:
        return count[i.signed_cents] == 1

    def standard(i: OpenItem) -> bool:
        return count[i.signed_cents] >= 3

    def person(i: OpenItem) -> _Contact:
        return by_id[i.contact_id or ""]

    name_count = Counter(c.name for c in contacts)

    def recognisable(c: _Contact) -> bool:
        return name_count[c.name] == 1

    rows: list[dict[str, object]] = []
    truth: list[TruthEntry] = []
    collected: list[CollectedDebit] = []

    def when(item: OpenItem | None, days: int = 30) -> date:
        base = item.voucher_date if item and item.voucher_date else today - timedelta(days=30)
        return min(today, base + timedelta(days=rng.randrange(1, days)))

    def add(kind: str, scenario: str, vouchers: tuple[str, ...], amount: Decimal, payer: str | None, text: str,
            iban: str | None, on: date, **extra: object) -> None:  # fmt: skip
        rows.append(
            {
                "booking_date": on,
                "value_date": on,
                "amount": amount,
                "counterparty_name": payer,
                "counterparty_iban": iban,
                "remittance": text,
                "source": "generated",
                **extra,
            }
        )
        truth.append(TruthEntry(kind=kind, voucher_ids=vouchers, scenario=scenario))  # type: ignore[arg-type]

    weights = {
        "number": 0.42,
        "number_unknown_payer": 0.04,
        "name_only": 0.06,
        "part_payment": 0.04,
        "cent_short": 0.01,
        "multi_abbreviated": 0.03,
        "multi_listed": 0.02,
        "discount_number": 0.03,
        "discount_name": 0.02,
        "credit_note_deducted": 0.015,
        "misspelt_payer": 0.025,
        "known_iban_only": 0.02,
        "parent_pays": 0.01,
        "typo_same_price": 0.01,
        "discount_vs_full": 0.008,
        "standard_own": 0.015,
        "standard_unknown": 0.02,
        "namesake": 0.008,
        "iban_of_other": 0.008,
        "batch_recorded": 0.005,
        "batch_unrecorded": 0.005,
        "returned_debit": 0.015,
        "chargeback": 0.005,
        "bounced_refund": 0.005,
        "credit_note_refund": 0.015,
        "rent_and_suppliers": 0.07,
        "supplier_number": 0.015,
        "fee_text": 0.015,
        "interest_tax_year": 0.015,
        "other_scheme_number": 0.01,
        "cash_deposit": 0.01,
        "provider_payout": 0.015,
    }
    names, probs = list(weights), list(weights.values())
    while len(rows) < n_transactions:
        scenario = rng.choices(names, probs)[0]
        if scenario in ("number", "number_unknown_payer"):
            item = take(invoices)
            if item is None:
                break
            c = person(item)
            payer = _spelling(c, rng) if scenario == "number" else rng.choice(("Buchhaltung", "Online-Banking", None))
            text = rng.choice(("{n}", "Rechnung {n}", "{n} vielen Dank", "Zahlung {n} Kd {k}", "Ihre Rechnung {n}"))
            text = text.format(n=_typed(item.voucher_number or "", rng), k=rng.randrange(100, 999))
            iban = c.iban if scenario == "number" else _iban(rng)
            add("exact", scenario, (item.voucher_id,), item.open_amount, payer, text, iban, when(item))
        elif scenario == "name_only":
            item = take(invoices, lambda i: unique(i) and recognisable(person(i)) and not standard(i))
            if item is None:
                continue
            c = person(item)
            add("exact", scenario, (item.voucher_id,), item.open_amount, _spelling(c, rng),
                rng.choice(("Danke", "Zahlung", "Überweisung", "")), None, when(item))  # fmt: skip
        elif scenario in ("part_payment", "cent_short"):
            item = take(invoices, lambda i: i.open_amount > 20)
            if item is None:
                continue
            cents = int(item.open_amount * 100)
            paid_cents = cents - 1 if scenario == "cent_short" else int(cents * rng.uniform(0.2, 0.8))
            text = f"{'Teilzahlung ' if scenario == 'part_payment' else ''}{_typed(item.voucher_number or '', rng)}"
            add("partial", scenario, (item.voucher_id,), Decimal(paid_cents) / 100, person(item).name, text,
                person(item).iban, when(item))  # fmt: skip
        elif scenario in ("multi_abbreviated", "multi_listed"):
            cid = rng.choice(sorted(by_contact))
            scheme_b = scenario == "multi_abbreviated" and rng.random() < 0.4
            free = [
                i
                for i in by_contact[cid]
                if i.voucher_id not in used
                and (scenario == "multi_listed" or (i.voucher_number or "").startswith("RE-" if scheme_b else "RE1"))
            ]
            if len(free) < 2:
                continue
            group = sorted(free[: rng.choice((2, 2, 3))], key=lambda i: i.voucher_number or "")
            used.update(i.voucher_id for i in group)
            numbers = [i.voucher_number or "" for i in group]
            text = (
                "Rechnungen " + _abbreviated(numbers)
                if scenario == "multi_abbreviated"
                else "Rechnungen " + rng.choice((", ", " + ", " u. ")).join(numbers)
            )
            total = sum((i.open_amount for i in group), Decimal("0"))
            c = by_id[cid]
            add("partial", scenario, tuple(i.voucher_id for i in group), total, _spelling(c, rng), text, c.iban,
                when(group[0]))  # fmt: skip
        elif scenario in ("discount_number", "discount_name"):
            item = take(
                invoices,
                lambda i, numbered=scenario == "discount_number": (
                    bool(i.terms and i.terms.discount_percentage) and (numbered or recognisable(person(i)))
                ),
            )
            if item is None or item.terms is None or item.voucher_date is None:
                continue
            pct = item.terms.discount_percentage or Decimal(0)
            paid = (item.open_amount * (100 - pct) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if count[int(paid * 100)] or count[int(paid * 100) - 1] or count[int(paid * 100) + 1]:
                continue  # the discounted amount is another item's full amount: that is discount_vs_full
            on = min(today, item.voucher_date + timedelta(days=rng.randrange(1, (item.terms.discount_days or 10) + 1)))
            text = (
                f"{_typed(item.voucher_number or '', rng)} abzgl. {pct}% Skonto"
                if scenario == "discount_number"
                else rng.choice(("Skonto abgezogen", "abzgl. Skonto", "Zahlung"))
            )
            c = person(item)
            add("partial", scenario, (item.voucher_id,), paid, _spelling(c, rng), text, c.iban, on)
        elif scenario == "discount_vs_full":
            # The payer takes their cash discount; the discounted amount is another customer's full open amount.
            item = take(invoices, lambda i: bool(i.terms and i.terms.discount_percentage) and recognisable(person(i)))
            if item is None or item.terms is None or item.voucher_date is None:
                continue
            pct = item.terms.discount_percentage or Decimal(0)
            paid = (item.open_amount * (100 - pct) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            other = rng.choice([c for c in contacts if c.id != item.contact_id])
            decoy = new_item(other, paid)
            used.add(decoy.voucher_id)
            count[decoy.signed_cents] += 1
            on = min(today, item.voucher_date + timedelta(days=rng.randrange(1, (item.terms.discount_days or 10) + 1)))
            c = person(item)
            add("partial", scenario, (item.voucher_id,), paid, _spelling(c, rng), "Zahlung abzgl. Skonto", None, on)
        elif scenario == "credit_note_deducted":
            note = take(notes)
            if note is None:
                continue
            item = take(
                by_contact.get(note.contact_id or "", []) or [], lambda i, n=note: i.open_amount > n.open_amount
            )
            if item is None:
                used.discard(note.voucher_id)
                continue
            text = f"{item.voucher_number} abzgl. Gutschrift {note.voucher_number}"
            c = person(item)
            add("partial", scenario, (item.voucher_id, note.voucher_id), item.open_amount - note.open_amount,
                _spelling(c, rng), text, c.iban, when(item))  # fmt: skip
        elif scenario == "misspelt_payer":
            item = take(invoices, lambda i: unique(i) and recognisable(person(i)) and person(i).kind != "owner")
            if item is None:
                continue
            misspelt = _misspelt(person(item).name, rng)
            if misspelt == person(item).name:
                used.discard(item.voucher_id)
                continue
            add("partial", scenario, (item.voucher_id,), item.open_amount, misspelt,
                "Zahlung", None, when(item))  # fmt: skip
        elif scenario == "known_iban_only":
            item = take(invoices, lambda i: unique(i))
            if item is None:
                continue
            c = person(item)
            known[c.iban] = c.id
            add("partial", scenario, (item.voucher_id,), item.open_amount, rng.choice(("Buchhaltung", None)),
                "Überweisung", c.iban, when(item))  # fmt: skip
        elif scenario == "parent_pays":
            item = take(invoices, lambda i: person(i).parent is not None and person(i).parent.id in by_contact)  # type: ignore[union-attr]
            if item is None:
                continue
            parent = person(item).parent
            assert parent is not None
            if rng.random() < 0.5:
                known[parent.iban] = parent.id
            text = f"{_typed(item.voucher_number or '', rng)} für {person(item).name}"[:140]
            add("partial", scenario, (item.voucher_id,), item.open_amount, parent.name, text, parent.iban, when(item))
        elif scenario == "typo_same_price":
            # The payer owes a standard price and types the number of another customer's invoice at that price.
            item = take(invoices, lambda i: standard(i) and recognisable(person(i)))
            if item is None:
                continue
            places = [p for p, ch in enumerate(item.voucher_number or "") if ch.isdigit()]
            p = rng.choice(places[:-1])
            number = item.voucher_number or ""
            typo = number[:p] + number[p + 1] + number[p] + number[p + 2 :]  # two neighbours swapped
            if typo == number or p + 1 not in places or any(i.voucher_number == typo for i in items):
                used.discard(item.voucher_id)
                continue
            # ... and that number is another customer's open invoice at the same standard price
            wrong = new_item(
                rng.choice([c for c in contacts if c.id != item.contact_id]), item.open_amount, number=typo
            )
            used.add(wrong.voucher_id)
            count[wrong.signed_cents] += 1
            c = person(item)
            payer = _spelling(c, rng)
            iban = c.iban
            if rng.random() < 0.5:
                known[c.iban] = c.id
            add("partial", scenario, (item.voucher_id,), item.open_amount, payer, f"Rechnung {wrong.voucher_number}",
                iban, when(item))  # fmt: skip
        elif scenario == "standard_own":
            item = take(
                invoices,
                lambda i: (
                    standard(i)
                    and recognisable(person(i))
                    and sum(1 for j in by_contact[i.contact_id or ""] if j.signed_cents == i.signed_cents) == 1
                ),
            )
            if item is None:
                continue
            add("partial", scenario, (item.voucher_id,), item.open_amount, _spelling(person(item), rng), "Zahlung",
                None, when(item))  # fmt: skip
        elif scenario == "standard_unknown":
            item = take(invoices, standard)
            if item is None:
                continue
            add("ambiguous", scenario, (), item.open_amount, rng.choice(("Online-Zahlung", "Sammelüberweisung", None)),
                "Zahlung", None, when(item))  # fmt: skip
        elif scenario == "namesake":
            # Another customer of the same name pays an amount only their namesake owes (e.g. a prepayment).
            item = take(
                invoices,
                lambda i: (
                    unique(i)
                    and not recognisable(person(i))
                    and all(x.id in by_contact for x in contacts if x.name == person(i).name)
                ),
            )
            if item is None:
                continue
            used.discard(item.voucher_id)  # not paid: still open for other scenarios
            c = person(item)
            twin = next(x for x in contacts if x.name == c.name and x.id != c.id)
            add("unmatched", scenario, (), item.open_amount, twin.name, "Zahlung", twin.iban, when(item))
        elif scenario == "iban_of_other":
            item = take(invoices, unique)
            if item is None:
                continue
            used.discard(item.voucher_id)
            other = rng.choice([c for c in contacts if c.id != item.contact_id])
            known[other.iban] = other.id
            add("unmatched", scenario, (), item.open_amount, rng.choice(("Buchhaltung", None)), "Anzahlung",
                other.iban, when(item))  # fmt: skip
        elif scenario in ("batch_recorded", "batch_unrecorded"):
            drawn = [take(invoices, lambda i: i.open_amount < 500) for _ in range(rng.randrange(3, 9))]
            members = [i for i in drawn if i is not None]
            if len(members) < 2:
                continue
            batch_id = f"LS-2026-{seed}-{len(rows):05d}"
            total = sum((i.open_amount for i in members), Decimal("0"))
            if scenario == "batch_recorded":
                collected.extend(
                    CollectedDebit(
                        batch_id=batch_id,
                        voucher_id=i.voucher_id,
                        voucher_number=i.voucher_number,
                        contact_id=i.contact_id,
                        amount=i.open_amount,
                    )
                    for i in members
                )
            text = rng.choice(
                ("SEPA-LS-SAMMLER {n} POSTEN {b}", "SAMMLER-GUTSCHRIFT LASTSCHRIFT {n} POSTEN", "LS-SAMMLER {b}")
            ).format(n=len(members), b=batch_id)
            kind = "partial" if scenario == "batch_recorded" else "ambiguous"
            vouchers = tuple(i.voucher_id for i in members) if kind == "partial" else ()
            add(kind, scenario, vouchers, total, None, text, None, when(None))
        elif scenario in ("returned_debit", "chargeback"):
            item = take(invoices)
            if item is None:
                continue
            c = person(item)
            if scenario == "returned_debit":
                text = rng.choice(
                    (
                        "RUECKLASTSCHRIFT {n} MD01 KEIN MANDAT",
                        "Rücküberweisung {n} Konto erloschen",
                        "Retoure {n}",
                        "{n} RETURNED AC04 ACCOUNT CLOSED",
                    )
                )
            else:
                text = rng.choice(("CHARGEBACK {n}", "Chargeback dispute lost {n}", "Chargeback - item not received"))
            add("reversal", scenario, (), -item.open_amount, c.name, text.format(n=item.voucher_number), c.iban,
                when(item), reversal=scenario == "returned_debit" and rng.random() < 0.4)  # fmt: skip
        elif scenario == "bounced_refund":
            note = take(notes)
            if note is None:
                continue
            c = person(note)
            text = rng.choice(
                (
                    "RETURNED PAYMENT {n} ACCOUNT CLOSED",
                    "Rueckueberweisung Erstattung {n} Konto erloschen",
                    "BOUNCED {n}",
                )
            )
            add("reversal", scenario, (), note.open_amount, c.name, text.format(n=note.voucher_number), c.iban,
                when(note))  # fmt: skip
        elif scenario == "credit_note_refund":
            note = take(notes)
            if note is None:
                continue
            c = person(note)
            add("exact", scenario, (note.voucher_id,), -note.open_amount, _spelling(c, rng),
                f"Erstattung Gutschrift {note.voucher_number}", c.iban, when(note))  # fmt: skip
        elif scenario == "rent_and_suppliers":
            cents = rng.randrange(500, 500000)
            if count[-cents]:
                continue
            add("unrelated", scenario, (), Decimal(-cents) / 100, rng.choice(_SUPPLIERS),
                rng.choice(("Miete Büro", "Leasingrate", "Wareneinkauf", "Telekom", "Versicherung")), _iban(rng),
                when(None))  # fmt: skip
        elif scenario == "supplier_number":
            # The supplier's own invoice happens to carry one of our numbers (same default scheme "RE…").
            ours = rng.choice(invoices)
            cents = rng.randrange(500, 300000)
            if count[-cents] or cents in (abs(ours.signed_cents), int((ours.total_amount or 0) * 100)):
                continue
            add("unrelated", scenario, (), Decimal(-cents) / 100, rng.choice(_SUPPLIERS),
                f"Rechnung {ours.voucher_number} Wareneinkauf", _iban(rng), when(None))  # fmt: skip
        elif scenario == "fee_text":
            ours = rng.choice(invoices)
            text = rng.choice(
                ("ENTGELT RUECKLASTSCHRIFT", "Gebühr Rücklastschrift {n}", "Stornogebühr", "Retourenlabel DHL")
            ).format(n=ours.voucher_number)
            cents = rng.randrange(150, 1500)
            if count[-cents]:
                continue
            add("unrelated", scenario, (), Decimal(-cents) / 100, rng.choice(("Sparkasse", "DHL Paket", None)), text,
                None, when(None))  # fmt: skip
        elif scenario == "interest_tax_year":
            cents = rng.randrange(100, 300000)
            if any(count[c] for c in range(cents - 2, cents + 3)):
                continue
            payer, text = rng.choice(
                (
                    ("Finanzamt Berlin", "Erstattung ESt 2025"),
                    ("Zinsgutschrift", "Zinsen 2026"),
                    ("Handwerkskammer", "Erstattung Beitrag 2025"),
                )
            )
            add("unmatched", scenario, (), Decimal(cents) / 100, payer, text, None, when(None))
        elif scenario == "other_scheme_number":
            # An order or customer number whose digits are an invoice's digits, at an amount nobody owes.
            ours = rng.choice([i for i in invoices if (i.voucher_number or "").startswith("RE1")])
            digits = "".join(ch for ch in ours.voucher_number or "" if ch.isdigit())
            cents = rng.randrange(100, 300000)
            if any(count[c] for c in range(cents - 2, cents + 3)):
                continue
            text = rng.choice(("KD-Nr {d} Anzahlung", "Auftrag {d}", "AB{d} Anzahlung", "Bestellung {d}")).format(
                d=digits
            )
            add("unmatched", scenario, (), Decimal(cents) / 100, rng.choice(("Neukunde GmbH", "M. Unbekannt")), text,
                _iban(rng), when(None))  # fmt: skip
        elif scenario == "cash_deposit":
            ours = rng.choice(invoices)
            amount = ours.open_amount if rng.random() < 0.4 else Decimal(rng.randrange(5000, 200000)) / 100
            add("unmatched", scenario, (), amount, None, rng.choice(("Bareinzahlung Filiale", "EINZAHLUNG AUTOMAT")),
                None, when(None))  # fmt: skip
        else:  # provider payout, sometimes equal to an open amount by chance
            ours = rng.choice(invoices)
            name, template = rng.choice(_PROVIDER_PAYOUTS)
            amount = ours.open_amount if rng.random() < 0.3 else Decimal(rng.randrange(5000, 500000)) / 100
            text = template.format(r=rng.randrange(10**9, 10**10), d=when(None).isoformat())
            add("unmatched", scenario, (), amount, name, text, None, when(None))
    transactions: list[BankTransaction] = assign_ids(rows)
    return RealisticMonth(
        open_items=items,
        transactions=transactions,
        truth={t.transaction_id: entry for t, entry in zip(transactions, truth, strict=True)},
        known_ibans=known,
        collected=collected,
    )


def quality(proposals: list[Proposal], truth: dict[str, TruthEntry]) -> dict[str, float | int]:
    """The goals' figures: exact precision and recall (right class and exactly the true items), and the share of
    the money allocated by exact proposals (what lexflow acts on) that went to an item the payment is not for;
    `wrong_money_share_all` counts partial proposals' allocations too."""
    exact_pred = exact_ok = 0
    exact_truth = sum(1 for t in truth.values() if t.kind == "exact")
    money = {"exact": [Decimal(0), Decimal(0)], "all": [Decimal(0), Decimal(0)]}
    for p in proposals:
        t = truth[p.transaction_id]
        if p.kind == "exact":
            exact_pred += 1
            exact_ok += t.kind == "exact" and set(p.voucher_ids) == set(t.voucher_ids)
        if p.kind in ("exact", "partial"):
            for a in p.allocations:
                wrong = a.voucher_id not in t.voucher_ids
                for key in ("exact", "all") if p.kind == "exact" else ("all",):
                    money[key][0] += a.amount
                    money[key][1] += a.amount if wrong else 0
    return {
        "exact_predicted": exact_pred,
        "exact_truth": exact_truth,
        "exact_correct": exact_ok,
        "exact_precision": round(exact_ok / exact_pred, 5) if exact_pred else 1.0,
        "exact_recall": round(exact_ok / exact_truth, 5) if exact_truth else 1.0,
        "wrong_money_share": float(round(money["exact"][1] / money["exact"][0], 6)) if money["exact"][0] else 0.0,
        "wrong_money_share_all": float(round(money["all"][1] / money["all"][0], 6)) if money["all"][0] else 0.0,
    }
