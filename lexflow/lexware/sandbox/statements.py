"""Bank statement export (CAMT.053 or MT940) for the company's open invoices, with the ground truth of each line.

The real API exposes no bank transactions (docs/lexware.md#no-bank-transactions): this is the test bench for lexflow's reconciliation. With
`noise`, the statement looks like a real one: part payments, misspelt payer names, several invoices in one transfer,
invoice numbers with spaces, invoices nobody paid, and unrelated debits/credits. The ground truth tells, per
transaction, which invoices it pays and how much of each (`class`: exact | partial | none).

The files are written by `lexflow.banking.writers` (`write_camt053` / `write_mt940`) and read back with
`lexflow.banking.readers.parse_statement`; `transactionId` in the ground truth is the id that reader derives, the
sandbox's own reference is `bankReference`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from lexflow.lexware.sandbox.common import date_of
from lexflow.lexware.sandbox.documents import open_amount

if TYPE_CHECKING:
    from lexflow.lexware.sandbox.state import SandboxState
    from lexflow.sandbox.store import Doc

UNRELATED_DEBITS = [("Hausverwaltung Krämer GmbH", "Miete Büro {month}"), ("Telekom Deutschland GmbH", "Rechnung Mobilfunk {month}"),
                    ("Finanzamt Berlin", "USt-VZ {month}"), ("Techniker Krankenkasse", "Beitrag {month}"),
                    ("Aral AG", "Kartenzahlung Tankstelle"), ("Amazon EU S.a.r.l.", "Bestellung 302-{n}")]  # fmt: skip
UNRELATED_CREDITS = [("Finanzamt Berlin", "Erstattung ESt {year}"), ("PayPal Europe", "Auszahlung PP.{n}")]


@dataclass
class _Line:
    amount: Decimal
    name: str
    remittance: str
    on: date
    invoices: list[tuple[str, Decimal]] = field(default_factory=list)
    klass: Literal["exact", "partial", "none"] = "none"


def _iban(rng: random.Random) -> str:
    bban = f"{rng.randint(10000000, 99999999)}{rng.randint(0, 9999999999):010d}"
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    check = 98 - int(digits) % 97
    return f"DE{check:02d}{bban}"


def _misspell(name: str, rng: random.Random) -> str:
    choice = rng.randint(0, 3)
    if choice == 0 and len(name) > 4:
        i = rng.randint(1, len(name) - 3)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if choice == 1 and len(name) > 4:
        i = rng.randint(1, len(name) - 2)
        return name[:i] + name[i + 1 :]
    if choice == 2:
        return name.upper().replace("Ü", "UE").replace("Ö", "OE").replace("Ä", "AE").replace("ß", "SS")
    return name.replace("GmbH & Co. KG", "GmbH u. Co KG").replace("GmbH", "GMBH")


def _spaced(number: str, rng: random.Random) -> str:
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    prefix = number[: len(number) - len(digits)]
    return rng.choice([f"{prefix} {digits}", f"{prefix}-{digits}", f"{prefix} {digits[:2]} {digits[2:]}"])


def _open_invoices(state: SandboxState, org: str) -> list[Doc]:
    docs = [d for d in state.store.iter(org, "invoices") if d.get("voucherStatus") == "open" and open_amount(d) > 0]
    return sorted(docs, key=lambda d: (d.get("voucherDate") or "", d["id"]))


def _plan(state: SandboxState, org: str, noise: bool, rng: random.Random, unrelated: int) -> list[_Line]:
    today = state.clock.today()
    lines: list[_Line] = []
    invoices = _open_invoices(state, org)
    queue = list(invoices)
    while queue:
        inv = queue.pop(0)
        name = (inv.get("address") or {}).get("name") or "Unbekannt"
        number = inv.get("voucherNumber") or ""
        due = open_amount(inv)
        start = date_of(inv.get("voucherDate")) or today
        on = min(today, start + timedelta(days=rng.randint(1, 20)))
        if not noise:
            lines.append(_Line(due, name, f"Rechnung {number}", on, [(inv["id"], due)], "exact"))
            continue
        roll = rng.random()
        if roll < 0.18:
            continue  # nobody paid this one yet
        payer = _misspell(name, rng) if rng.random() < 0.3 else name
        ref = _spaced(number, rng) if rng.random() < 0.25 else number
        if roll < 0.33:
            part = (due * Decimal(rng.choice([25, 40, 50, 60])) / 100).quantize(Decimal("0.01"))
            lines.append(_Line(part, payer, f"Teilzahlung {ref}", on, [(inv["id"], part)], "partial"))
        elif roll < 0.45 and queue:
            mates = [queue.pop(0) for _ in range(min(len(queue), rng.randint(1, 2)))]
            group = [inv, *mates]
            paid = [(d["id"], open_amount(d)) for d in group]
            numbers = ", ".join(_spaced(d.get("voucherNumber") or "", rng) if rng.random() < 0.2
                                else d.get("voucherNumber") or "" for d in group)  # fmt: skip
            total = sum((a for _, a in paid), Decimal(0))
            lines.append(_Line(total, payer, f"Sammelzahlung {numbers}", on, paid, "exact"))
        else:
            text = rng.choice(["{ref}", "Rechnung {ref}", "RG-NR {ref} Kd {kd}", "{ref} vielen Dank"])
            remittance = text.format(ref=ref, kd=rng.randint(10001, 19999))
            lines.append(_Line(due, payer, remittance, on, [(inv["id"], due)], "exact"))
    if noise:
        for _n in range(unrelated):
            on = today - timedelta(days=rng.randint(0, 60))
            if rng.random() < 0.8:
                who, text = rng.choice(UNRELATED_DEBITS)
                amount = -(Decimal(rng.randint(1500, 250000)) / 100)
            else:
                who, text = rng.choice(UNRELATED_CREDITS)
                amount = Decimal(rng.randint(1000, 90000)) / 100
            remittance = text.format(month=f"{on:%m/%Y}", year=on.year - 1, n=rng.randint(1000000, 9999999))
            lines.append(_Line(amount, who, remittance, on))
    return sorted(lines, key=lambda x: x.on)


def export_statement(
    state: SandboxState, org: str, fmt: str = "camt053", noise: bool = True, seed: int = 1, unrelated: int = 5
) -> dict[str, Any]:
    """`{format, account, statement, groundTruth}` for the organisation's open invoices (deterministic by seed)."""
    from lexflow.banking.readers import parse_statement
    from lexflow.banking.transactions import BankTransaction
    from lexflow.banking.writers import write_camt053, write_mt940

    rng = random.Random(seed)
    account = state.organization(org).iban
    lines = _plan(state, org, noise, rng, unrelated)
    transactions: list[BankTransaction] = []
    truth: list[dict[str, Any]] = []
    payers: dict[str, str] = {}
    for n, line in enumerate(lines, 1):
        tx_id = f"SBX{seed:04d}{n:06d}"
        e2e = f"E2E-{seed}-{n:06d}" if line.amount > 0 and (not noise or rng.random() < 0.7) else None
        iban = payers.setdefault(line.name, _iban(rng))
        transactions.append(
            BankTransaction(
                transaction_id=tx_id,
                booking_date=line.on,
                value_date=line.on,
                amount=line.amount,
                counterparty_name=line.name,
                counterparty_iban=iban,
                counterparty_bic="COBADEFFXXX",
                remittance=line.remittance,
                end_to_end_id=e2e,
                bank_reference=tx_id,
                account_iban=account,
            )
        )
        truth.append(
            {
                "transactionId": tx_id,  # replaced below by the id lexflow's statement reader derives
                "bankReference": tx_id,
                "endToEndId": e2e,
                "bookingDate": line.on.isoformat(),
                "amount": float(line.amount),
                "invoiceIds": [i for i, _ in line.invoices],
                "amounts": [float(a) for _, a in line.invoices],
                "class": line.klass,
            }
        )
    stmt_id = f"SBX-{state.clock.today():%Y%m%d}-{seed}"
    if fmt == "camt053":
        statement = write_camt053(transactions, account_iban=account, statement_id=stmt_id).decode("utf-8")
    elif fmt == "mt940":
        statement = write_mt940(transactions, account_iban=account, statement_id=stmt_id)
    else:
        raise ValueError(f"format must be camt053 or mt940, not {fmt!r}")
    # Key the ground truth by the transaction ids lexflow's reader gives these lines (a content hash that is the
    # same for CAMT and MT940), so a reconciliation test can join matcher output and truth directly.
    parsed = parse_statement(statement.encode("utf-8"))
    if len(parsed) != len(truth) or any(p.amount != t.amount for p, t in zip(parsed, transactions, strict=False)):
        raise RuntimeError(f"lexflow.banking could not read back the {fmt} statement it wrote ({len(parsed)} lines)")
    for row, tx in zip(truth, parsed, strict=True):
        row["transactionId"] = tx.transaction_id
    return {"format": fmt, "account": account, "statement": statement, "groundTruth": truth}
