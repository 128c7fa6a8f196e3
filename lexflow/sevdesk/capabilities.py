"""What the sevDesk API can and cannot do (docs/sevdesk.md, docs/providers.md), and its tax references."""

from __future__ import annotations

from decimal import Decimal

from lexflow.core.capabilities import (
    BankReading,
    Capabilities,
    Currencies,
    Idempotency,
    OptimisticLock,
    RateLimit,
    Support,
    Webhooks,
)
from lexflow.core.models import TaxRef
from lexflow.core.tax import TaxMapping

_GIVE_VALUES = (
    "log_expense books a receipt from the values given with it (number, date, amount, category) and reports "
    '"needs data" naming what is missing.'
)

CAPABILITIES = Capabilities(
    provider="sevdesk",
    display_name="sevDesk",
    docs_url="https://api.sevdesk.de/",
    drafts=Support(available=True, detail="status 100 (draft) is the only status an invoice is created in"),
    finalize_later=Support(available=True, detail="`sendBy` or `sendViaEmail` turns a draft (100) into open (200)"),
    update_invoice=Support(
        available=True,
        detail="drafts only (`saveInvoice` with the id); an open invoice must be reset to draft first",
    ),
    send_email=Support(available=True, detail="`POST /Invoice/{id}/sendViaEmail` (subject and text required)"),
    record_payment=Support(available=True, detail="`PUT /Invoice/{id}/bookAmount`, partial payments too (status 750)"),
    read_bank_transactions=BankReading(
        available=True,
        detail="`GET /CheckAccountTransaction`: the bank's own lines (bank sync or imported statement)",
        statement_lines=True,
    ),
    read_receipts=Support(
        available=False,
        detail="a voucher is saved with its values given; the API does not read them from the file.",
        instead=_GIVE_VALUES,
    ),
    webhooks=Webhooks(
        available=False,
        detail="sevDesk has no webhooks.",
        instead="lexflow polls for changes with the `updateAfter` filter.",
    ),
    idempotency=Idempotency(
        available=False,
        detail="no idempotency keys.",
        instead="an unknown outcome is settled by an exact lookup on a business key (invoice number, the "
        "reference in `customerInternalNote`, a customer's e-mail) before anything is sent again.",
    ),
    optimistic_lock=OptimisticLock(
        available=False,
        detail="no version token: the last write wins.",
        instead="lexflow reads the record again right before a write: only a draft is changed, an invoice finalized "
        "meanwhile is refused.",
    ),
    currencies=Currencies(available=True, detail="any ISO 4217 code"),
    rate_limit=RateLimit(
        requests=1,
        per_seconds=1,
        published=False,
        note="no published limit; many failing requests can get the token blocked",
    ),
    # history sync and dunning (F2b)
    change_feed=Support(
        available=True,
        detail="`updateAfter` (Unix seconds) on contacts, invoices, credit notes and vouchers; an invoice's "
        "positions are read once per changed invoice",
    ),
    dunning=Support(
        available=True,
        detail="`POST /Invoice/Factory/createInvoiceReminder`: a reminder invoice (type MA) as draft",
    ),
    # cancellation (C)
    cancel_invoice=Support(
        available=True,
        detail="`POST /Invoice/{id}/cancelInvoice`: a paid cancellation invoice (type SR) whose origin is the "
        "invoice; drafts are deleted instead",
    ),
)

TAX = TaxMapping(
    provider="sevDesk",
    keys={"standard": "19", "reduced": "7", "zero": "0"},
    codes={str(p): TaxRef(code=str(p), rate=Decimal(p), label=f"{p} %") for p in (0, 7, 19)},
)
"""A position's tax rate under tax rule 1 (taxable sales, sevdesk-Update 2.0) for invoices and rule 9 (deductible
input tax) for expenses: the rates both rules allow (docs/sevdesk.md)."""
