"""Seed a realistic German company: contacts, articles, sales documents in every status, bookkeeping vouchers.

`seed_company(state, org, vouchers=N, seed=S)` writes straight into the store (no HTTP, no webhook events), so
20,000 vouchers take a few seconds. The same seed and sandbox date give the same data (ids included): every random
choice comes from one `random.Random(seed)` and ids are drawn from it too. Dates spread over the 18 months before the
sandbox's today; invoice states: draft, open (not yet due), overdue, paid, part-paid, voided. A few customers are
near-duplicates of others (same e-mail in other case, name without legal form) for the duplicate report.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from lexflow.lexware.models.totals import compute_document_totals
from lexflow.lexware.sandbox.errors import BERLIN
from lexflow.lexware.sandbox.masterdata import DEFAULT_PRINT_LAYOUT_ID
from lexflow.sandbox.store import Doc

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState

FIRST = ["Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Laura", "Maximilian", "Lea", "Paul", "Hannah", "Jan",
         "Katharina", "Tobias", "Julia", "Stefan", "Sabine", "Thomas", "Monika", "Jürgen", "Birgit", "Uwe", "Petra"]  # fmt: skip
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann"]  # fmt: skip
TRADES = ["Bau", "Elektro", "Holzbau", "Sanitär", "Metallbau", "Dachdeckerei", "Malerbetrieb", "Gartenbau", "Logistik",
          "Medien", "Software", "Catering", "Druckerei", "Immobilien", "Consulting", "Reinigung", "Autohaus"]  # fmt: skip
FORMS = ["GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "OHG", "UG (haftungsbeschränkt)"]
STREETS = ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Goethestraße", "Lindenallee",
           "Kirchplatz", "Am Markt", "Industriestraße", "Mühlenweg", "Rosenstraße", "Bergstraße"]  # fmt: skip
CITIES = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"), ("60311", "Frankfurt am Main"),
          ("70173", "Stuttgart"), ("40213", "Düsseldorf"), ("04109", "Leipzig"), ("44135", "Dortmund"), ("45127", "Essen"),
          ("28195", "Bremen"), ("01067", "Dresden"), ("30159", "Hannover"), ("90402", "Nürnberg"), ("93047", "Regensburg")]  # fmt: skip
VENDORS = ["Telekom Deutschland GmbH", "Stadtwerke Musterstadt", "Würth GmbH & Co. KG", "Hornbach Baumarkt AG",
           "Allianz Versicherungs-AG", "Aral Tankstelle", "DB Fernverkehr AG", "Büromarkt Böttcher AG",
           "Vodafone GmbH", "IONOS SE", "Hetzner Online GmbH", "Conrad Electronic SE"]  # fmt: skip
ARTICLES = [("Beratung", "SERVICE", "Stunde", 95), ("Montage", "SERVICE", "Stunde", 68), ("Anfahrt", "SERVICE", "Pauschal", 45),
            ("Wartungsvertrag", "SERVICE", "Monat", 120), ("Projektleitung", "SERVICE", "Tag", 780),
            ("Kabel NYM-J 3x1,5", "PRODUCT", "Meter", 1.89), ("Schraubensortiment", "PRODUCT", "Set", 24.9),
            ("LED-Panel 60x60", "PRODUCT", "Stück", 49.5), ("Fachbuch Steuerrecht", "PRODUCT", "Stück", 39.9),
            ("Holzdielen Eiche", "PRODUCT", "m²", 54), ("Schulung", "SERVICE", "Tag", 890), ("Software-Lizenz", "PRODUCT", "Jahr", 240)]  # fmt: skip
# outgo categories of /v1/posting-categories (Wareneingang, Bürobedarf): a seeded purchase voucher survives GET -> PUT
PURCHASE_CATEGORIES = ["8f8664a2-fd86-11e1-a21f-0800200c9a66", "8f8664a4-fd86-11e1-a21f-0800200c9a66"]
SALES_CATEGORY = "8f8664a0-fd86-11e1-a21f-0800200c9a66"

# share of the sales documents / bookkeeping vouchers
MIX = (("invoices", 0.55), ("credit-notes", 0.05), ("quotations", 0.10), ("vouchers", 0.30))
INVOICE_STATES = (
    ("paid", 0.52),
    ("open", 0.14),
    ("overdue", 0.12),
    ("partpaid", 0.08),
    ("draft", 0.08),
    ("voided", 0.06),
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for name, share in weighted:
        x -= share
        if x < 0:
            return name
    return weighted[-1][0]


def _stamp(day: date, rng: random.Random) -> str:
    moment = datetime.combine(day, time(rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59)), BERLIN)
    return moment.isoformat(timespec="milliseconds")


def _midnight(day: date) -> str:
    return datetime.combine(day, time(), BERLIN).isoformat(timespec="milliseconds")


def _f(d: Decimal) -> float:
    return float(d)


def _payment_conditions(days: int) -> dict[str, Any]:
    template = "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug."
    return {
        "paymentTermLabel": template.format(paymentRange=days),
        "paymentTermLabelTemplate": template,
        "paymentTermDuration": days,
    }


class _Seeder:
    def __init__(self, state: SandboxState, org: str, seed: int) -> None:
        self.state, self.org = state, org
        self.rng = random.Random(seed)
        self.today = state.clock.today()

    def id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self, max_back: int = 548, min_back: int = 0) -> date:
        return self.today - timedelta(days=self.rng.randint(min_back, max_back))

    def base(self, created: date) -> Doc:
        stamp = _stamp(created, self.rng)
        return {"id": self.id(), "organizationId": self.org, "createdDate": stamp, "updatedDate": stamp, "version": 1}

    def address(self) -> dict[str, str]:
        zip_, city = self.rng.choice(CITIES)
        return {"street": f"{self.rng.choice(STREETS)} {self.rng.randint(1, 140)}", "zip": zip_, "city": city,
                "countryCode": "DE"}  # fmt: skip

    # contacts ------------------------------------------------------------------------------------------------
    def contacts(self, n: int) -> list[Doc]:
        store, rng = self.state.store, self.rng
        docs: list[Doc] = []
        for i in range(n):
            vendor = i % 7 == 6
            doc = self.base(self.day(900, 540))
            roles: dict[str, Any] = {}
            if vendor:
                roles["vendor"] = {"number": store.next_number(self.org, "vendor-number", 70001)}
            else:
                roles["customer"] = {"number": store.next_number(self.org, "customer-number", 10001)}
            if vendor or rng.random() < 0.7:
                if vendor and i // 7 < len(VENDORS):
                    name = VENDORS[i // 7]
                else:
                    name = f"{rng.choice(LAST)} {rng.choice(TRADES)} {rng.choice(FORMS)}"
                first, last = rng.choice(FIRST), rng.choice(LAST)
                doc["company"] = {
                    "name": name,
                    "taxNumber": f"{rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(10000, 99999)}",
                    "vatRegistrationId": f"DE{rng.randint(100000000, 999999999)}",
                    "allowTaxFreeInvoices": False,
                    "contactPersons": [
                        {
                            "salutation": rng.choice(["Herr", "Frau"]),
                            "firstName": first,
                            "lastName": last,
                            "primary": True,
                            "emailAddress": f"{first}.{last}@example.de".lower(),
                        }
                    ],
                }
                domain = "".join(c for c in name.split(" ")[0].lower() if c.isalnum()) or "firma"
                email = f"rechnung@{domain}-{i}.de"
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                doc["person"] = {"salutation": rng.choice(["Herr", "Frau"]), "firstName": first, "lastName": last}
                email = f"{first}.{last}{i}@mail.example".lower()
            doc.update(
                {
                    "roles": roles,
                    "addresses": {"billing": [self.address()]},
                    "emailAddresses": {"business": [email]},
                    "phoneNumbers": {"business": [f"+49 {rng.randint(30, 989)} {rng.randint(100000, 9999999)}"]},
                    "note": "",
                    "archived": False,
                }
            )
            docs.append(doc)
        # near-duplicates: same e-mail in other case, name without its legal form
        companies = [d for d in docs if "company" in d and "customer" in d["roles"]]
        for original in companies[: max(1, min(5, len(companies) // 20))] if companies else []:
            dup = self.base(self.day(300, 10))
            dup.update(
                {
                    "roles": {"customer": {"number": store.next_number(self.org, "customer-number", 10001)}},
                    "company": {"name": original["company"]["name"].rsplit(" ", 1)[0]},
                    "addresses": original["addresses"],
                    "emailAddresses": {"business": [original["emailAddresses"]["business"][0].upper()]},
                    "archived": False,
                }
            )
            docs.append(dup)
        store.put_many(self.org, "contacts", docs)
        return docs

    def articles(self, n: int) -> list[Doc]:
        docs: list[Doc] = []
        for i in range(n):
            title, kind, unit, price = ARTICLES[i % len(ARTICLES)]
            if i >= len(ARTICLES):
                title = f"{title} Variante {i // len(ARTICLES) + 1}"
            net = Decimal(str(price))
            doc = self.base(self.day(900, 540))
            doc["version"] = 0
            doc.update(
                {
                    "title": title,
                    "description": f"{title} ({unit})",
                    "type": kind,
                    "articleNumber": f"ART-{1000 + i}",
                    "gtin": None,
                    "note": None,
                    "unitName": unit,
                    "price": {
                        "netPrice": price,
                        "grossPrice": _f((net * Decimal("1.19")).quantize(Decimal("0.01"))),
                        "leadingPrice": "NET",
                        "taxRate": 19,
                    },
                    "archived": False,
                }
            )
            docs.append(doc)
        self.state.store.put_many(self.org, "articles", docs)
        return docs

    # sales documents -----------------------------------------------------------------------------------------
    def _lines(self, articles: list[Doc]) -> tuple[list[dict[str, Any]], Any]:
        rng = self.rng
        items = []
        for _ in range(rng.randint(1, 4)):
            art = rng.choice(articles)
            qty = rng.choice([1, 1, 2, 3, 5, 8, 10, 0.5, 1.5]) if art["type"] == "SERVICE" else rng.randint(1, 40)
            rate = 7 if "Fachbuch" in art["title"] else 19
            items.append({"id": art["id"], "type": "material" if art["type"] == "PRODUCT" else "service",
                          "name": art["title"], "quantity": float(qty), "unitName": art["unitName"],
                          "unitPrice": {"currency": "EUR", "netAmount": art["price"]["netPrice"],
                                        "taxRatePercentage": rate},
                          "discountPercentage": 0.0})  # fmt: skip
        totals = compute_document_totals(cast("list[Mapping[str, Any]]", items), "net")
        for item, amount in zip(items, totals.line_amounts, strict=True):
            price = item["unitPrice"]
            gross = Decimal(str(price["netAmount"])) * (1 + Decimal(price["taxRatePercentage"]) / 100)
            price["grossAmount"] = _f(gross.quantize(Decimal("0.0001")))
            item["lineItemAmount"] = _f(amount)
        return items, totals

    def sales_doc(
        self, kind: str, number: str | None, status: str, day: date, contact: Doc, articles: list[Doc]
    ) -> Doc:
        items, totals = self._lines(articles)
        doc = self.base(day)
        billing = contact["addresses"]["billing"][0]
        name = contact["company"]["name"] if "company" in contact else (
            f"{contact['person']['firstName']} {contact['person']['lastName']}")  # fmt: skip
        titles = {"invoices": "Rechnung", "credit-notes": "Rechnungskorrektur", "quotations": "Angebot"}
        doc.update(
            {
                "language": "de",
                "archived": False,
                "voucherStatus": status,
                "voucherNumber": number,
                "voucherDate": _midnight(day),
                "address": {"contactId": contact["id"], "name": name, **billing},
                "lineItems": items,
                "totalPrice": {"currency": "EUR", "totalNetAmount": _f(totals.total_net),
                               "totalGrossAmount": _f(totals.total_gross), "totalTaxAmount": _f(totals.total_tax)},
                "taxAmounts": [{"taxRatePercentage": _f(t["taxRatePercentage"]), "taxAmount": _f(t["taxAmount"]),
                                "netAmount": _f(t["netAmount"])} for t in totals.tax_amounts],
                "taxConditions": {"taxType": "net"},
                "relatedVouchers": [],
                "printLayoutId": DEFAULT_PRINT_LAYOUT_ID,
                "title": titles[kind],
                "introduction": "Vielen Dank für Ihren Auftrag. Wir stellen Ihnen folgende Leistungen in Rechnung.",
                "remark": "Mit freundlichen Grüßen",
                "electronicDocumentProfile": "NONE",
            }
        )  # fmt: skip
        if number is None:
            doc.pop("voucherNumber")
        if kind == "quotations":
            for item in items:
                item.update({"optional": False, "alternative": False})
        return doc

    def number(self, kind: str, prefix: str, status: str) -> str | None:
        """The next number of the range; drafts get one too unless `draft_voucher_numbers` is off (as the API)."""
        if status == "draft" and not self.state.config.draft_voucher_numbers:
            return None
        return f"{prefix}{self.state.store.next_number(self.org, f'number:{kind}', 1001)}"

    def _correctable(self, invoices: list[Doc]) -> Doc | None:
        """A paid invoice without a credit note yet (one credit note per invoice, docs/lexware.md#credit-notes)."""
        for _ in range(8):
            inv = self.rng.choice(invoices) if invoices else None
            if inv is not None and inv["voucherStatus"] == "paid" and not inv["relatedVouchers"]:
                return inv
        return None

    def _link(self, credit_note: Doc, invoice: Doc) -> None:
        """A full correction pursued from the invoice: same lines, paidoff at once, settles the invoice (docs/lexware.md#corrections-by-credit-note)."""
        for key in ("address", "lineItems", "totalPrice", "taxAmounts"):
            credit_note[key] = invoice[key]
        day = max(invoice["voucherDate"], credit_note["voucherDate"])
        credit_note["voucherDate"] = day
        credit_note["_paidDate"] = day
        credit_note["introduction"] = f"Rechnungskorrektur zur Rechnung {invoice.get('voucherNumber')}"
        gross = invoice["totalPrice"]["totalGrossAmount"]
        invoice["_payments"] = [{"paymentItemType": "partPaymentCreditNote", "postingDate": day, "amount": gross,
                                 "currency": "EUR"}]  # fmt: skip
        invoice["_paidDate"] = day
        invoice["relatedVouchers"] = [{"id": credit_note["id"], "voucherNumber": credit_note.get("voucherNumber"),
                                       "voucherType": "creditnote"}]  # fmt: skip
        credit_note["relatedVouchers"] = [{"id": invoice["id"], "voucherNumber": invoice.get("voucherNumber"),
                                           "voucherType": "invoice"}]  # fmt: skip

    def invoices_etc(self, counts: dict[str, int], contacts: list[Doc], articles: list[Doc]) -> dict[str, int]:
        rng, store, org = self.rng, self.state.store, self.org
        customers = [c for c in contacts if "customer" in c["roles"]]
        result: dict[str, int] = {}
        invoices: list[Doc] = []
        states: dict[str, int] = {}
        for _ in range(counts["invoices"]):
            state = _pick(rng, INVOICE_STATES)
            term = rng.choice([7, 14, 14, 30, 30])
            if state == "open":
                day = self.day(term - 1, 0)
            elif state in ("overdue", "partpaid"):
                day = self.day(200, term + 1)
            else:
                day = self.day()
            stored = {"overdue": "open", "partpaid": "open"}.get(state, state)
            number = self.number("invoices", "RE", stored)
            doc = self.sales_doc("invoices", number, stored, day, rng.choice(customers), articles)
            doc["paymentConditions"] = _payment_conditions(term)
            doc["shippingConditions"] = {"shippingType": "delivery", "shippingDate": _midnight(day)}
            doc["dueDate"] = None if stored == "draft" else _midnight(day + timedelta(days=term))
            doc["closingInvoice"] = False
            doc["recurringTemplateId"] = None
            gross = Decimal(str(doc["totalPrice"]["totalGrossAmount"]))
            if state == "paid":
                paid_on = min(self.today, day + timedelta(days=rng.randint(1, term + 10)))
                doc["_payments"] = [{"paymentItemType": "partPaymentFinancialTransaction",
                                     "postingDate": _midnight(paid_on), "amount": _f(gross), "currency": "EUR"}]  # fmt: skip
                doc["_paidDate"] = _midnight(paid_on)
                doc["updatedDate"] = _stamp(paid_on, rng)
                doc["version"] = 2
            elif state == "partpaid":
                part = (gross * Decimal(rng.choice([20, 30, 40, 50])) / 100).quantize(Decimal("0.01"))
                paid_on = day + timedelta(days=rng.randint(1, term))
                doc["_payments"] = [{"paymentItemType": "partPaymentFinancialTransaction",
                                     "postingDate": _midnight(paid_on), "amount": _f(part), "currency": "EUR"}]  # fmt: skip
                doc["updatedDate"] = _stamp(min(paid_on, self.today), rng)
                doc["version"] = 2
            states[state] = states.get(state, 0) + 1
            invoices.append(doc)
        result["invoices"] = len(invoices)
        result.update({f"invoices.{k}": v for k, v in sorted(states.items())})

        credit_notes: list[Doc] = []
        for _ in range(counts["credit-notes"]):
            status = rng.choice(["open", "paidoff", "paidoff", "draft"])
            number = self.number("credit-notes", "GS", status)
            doc = self.sales_doc("credit-notes", number, status, self.day(), rng.choice(customers), articles)
            if status == "paidoff" and rng.random() < 0.5 and (target := self._correctable(invoices)) is not None:
                self._link(doc, target)
            elif status == "paidoff":
                gross = doc["totalPrice"]["totalGrossAmount"]
                doc["_payments"] = [{"paymentItemType": "partPaymentFinancialTransaction",
                                     "postingDate": doc["voucherDate"], "amount": gross, "currency": "EUR"}]  # fmt: skip
                doc["_paidDate"] = doc["voucherDate"]
            credit_notes.append(doc)
        store.put_many(org, "invoices", invoices)
        store.put_many(org, "credit-notes", credit_notes)
        result["credit-notes"] = len(credit_notes)

        quotations: list[Doc] = []
        for _ in range(counts["quotations"]):
            status = rng.choice(["draft", "open", "open", "accepted", "accepted", "rejected"])
            day = self.day()
            number = self.number("quotations", "AG", status)
            doc = self.sales_doc("quotations", number, status, day, rng.choice(customers), articles)
            doc["expirationDate"] = _midnight(day + timedelta(days=30))
            doc["paymentConditions"] = _payment_conditions(14)
            quotations.append(doc)
        store.put_many(org, "quotations", quotations)
        result["quotations"] = len(quotations)
        return result

    def vouchers(self, n: int, contacts: list[Doc]) -> int:
        rng = self.rng
        vendors = [c for c in contacts if "vendor" in c["roles"]] or contacts
        docs: list[Doc] = []
        for i in range(n):
            day = self.day()
            purchase = rng.random() < 0.85
            rate = Decimal(rng.choice([19, 19, 19, 7, 0]))
            net = Decimal(rng.randint(500, 250000)) / 100
            tax = (net * rate / 100).quantize(Decimal("0.01"))
            status = rng.choice(["paid", "paid", "paid", "open", "unchecked"]) if i % 50 else "voided"
            vendor = rng.choice(vendors)
            # unchecked vouchers cannot be taxType net (docs/lexware.md#bookkeeping-vouchers)
            gross_items = status == "unchecked"
            doc = self.base(day)
            doc.update(
                {
                    "voucherStatus": status,
                    "type": "purchaseinvoice" if purchase else "salesinvoice",
                    "voucherNumber": f"{'ER' if purchase else 'BR'}-{day.year}-{i + 1:05d}",
                    "voucherDate": _midnight(day),
                    "shippingDate": None if purchase else _midnight(day),  # sales vouchers only (docs/lexware.md#bookkeeping-vouchers)
                    "dueDate": _midnight(day + timedelta(days=14)),
                    "totalGrossAmount": _f(net + tax),
                    "totalTaxAmount": _f(tax),
                    "taxType": "gross" if gross_items else "net",
                    "useCollectiveContact": False,
                    "contactId": vendor["id"],
                    "contactName": None,
                    "remark": None,
                    "voucherItems": [{"amount": _f(net + tax if gross_items else net), "taxAmount": _f(tax), "taxRatePercent": _f(rate),
                                      "categoryId": rng.choice(PURCHASE_CATEGORIES) if purchase else SALES_CATEGORY}],
                    "files": [],
                    "archived": False,
                }
            )  # fmt: skip
            if status == "paid":
                doc["_payments"] = [{"paymentItemType": "partPaymentFinancialTransaction",
                                     "postingDate": doc["dueDate"], "amount": _f(net + tax), "currency": "EUR"}]  # fmt: skip
                doc["_paidDate"] = doc["dueDate"]
            docs.append(doc)
        self.state.store.put_many(self.org, "vouchers", docs)
        return len(docs)


def _templates(s: _Seeder, n: int, contacts: list[Doc], articles: list[Doc]) -> int:
    """Active recurring templates (maintenance contracts) that the clock turns into invoices."""
    customers = [c for c in contacts if "customer" in c["roles"]]
    intervals = {"MONTHLY": 30, "QUARTERLY": 91, "ANNUALLY": 365}
    for _ in range(n):
        interval = s.rng.choice(list(intervals))
        start = s.day(540, 200)
        upcoming = s.today + timedelta(days=s.rng.randint(1, intervals[interval]))
        doc = s.sales_doc("invoices", None, "draft", start, s.rng.choice(customers), articles[:5])
        for key in ("voucherStatus", "voucherDate", "archived", "relatedVouchers", "electronicDocumentProfile"):
            doc.pop(key, None)
        doc["paymentConditions"] = _payment_conditions(14)
        doc["recurringTemplateSettings"] = {
            "id": s.id(),
            "startDate": start.isoformat(),
            "endDate": None,
            "finalize": True,
            "shippingType": "serviceperiod",
            "executionInterval": interval,
            "nextExecutionDate": upcoming.isoformat(),
            "lastExecutionFailed": False,
            "lastExecutionErrorMessage": None,
            "executionStatus": "ACTIVE",
        }
        s.state.store.put(s.org, "recurring-templates", doc)
    return n


def seed_company(
    state: SandboxState,
    org: str,
    vouchers: int = 500,
    seed: int = 42,
    contacts: int | None = None,
    articles: int | None = None,
) -> dict[str, Any]:
    """Add a company's worth of data to `org` (on top of what is there; reset first for an exact picture).

    `vouchers` counts invoices, credit notes, quotations and bookkeeping vouchers together (max 20,000)."""
    if not 0 <= vouchers <= 20_000:
        raise ValueError("vouchers must be between 0 and 20,000")
    s = _Seeder(state, org, seed)
    n_contacts = contacts if contacts is not None else max(12, min(2000, vouchers // 15))
    n_articles = articles if articles is not None else max(len(ARTICLES), min(300, vouchers // 100))
    people = s.contacts(n_contacts)
    goods = s.articles(max(1, n_articles))
    counts = {kind: int(vouchers * share) for kind, share in MIX}
    counts["invoices"] += vouchers - sum(counts.values())
    result: dict[str, Any] = {"contacts": len(people), "articles": len(goods)}
    if vouchers:
        result.update(s.invoices_etc(counts, people, goods))
        result["vouchers"] = s.vouchers(counts["vouchers"], people)
        result["recurring-templates"] = _templates(s, max(1, min(20, vouchers // 500)), people, goods)
    result["total"] = sum(result.get(k, 0) for k in ("invoices", "credit-notes", "quotations", "vouchers"))
    return result
