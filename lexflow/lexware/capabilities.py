"""What the Lexware Office public API can and cannot do (docs/lexware.md, docs/providers.md)."""

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

CAPABILITIES = Capabilities(
    provider="lexware",
    display_name="Lexware Office",
    docs_url="https://developers.lexware.io/docs/",
    drafts=Support(available=True, detail="an invoice created without `finalize` stays a draft"),
    finalize_later=Support(
        available=False,
        detail="`finalize` only works when the invoice is created; no API call finalizes an existing draft.",
        instead="lexflow keeps the draft and its approval itself and creates the invoice finalized once a person "
        "approved it.",
    ),
    update_invoice=Support(
        available=False,
        detail="sales documents have no PUT: an invoice cannot be changed after creation, not even a draft.",
        instead="changes happen on lexflow's draft before approval; a finalized invoice is corrected with "
        "cancel_invoice (a linked credit note) and a new invoice.",
    ),
    send_email=Support(
        available=False,
        detail="no documented endpoint sends an invoice by e-mail.",
        instead="lexflow downloads the PDF (invoice_document) and sends it with its own mailer (SMTP).",
    ),
    record_payment=Support(
        available=False,
        detail="an invoice's status cannot be changed through the API and there is no endpoint to write a "
        "payment; invoices become paid by an assignment in the web app or the bank connector.",
        instead="reconciliation matches statement lines to open invoices and shows each match to a person, who "
        "assigns it in Lexware (with a partner app, a transaction assignment hint lets Lexware assign it itself); "
        "cancel_invoice settles an invoice with a linked credit note.",
    ),
    read_bank_transactions=BankReading(
        available=False,
        detail="the public API exposes no bank accounts or bank transactions, only a voucher's payment state.",
        instead="reconciliation reads the bank statement files you export from your bank (CAMT.053, MT940, CSV).",
    ),
    read_receipts=Support(
        available=True,
        detail="`POST /v1/files` (type voucher) makes a voucher and reads the receipt's values into it (OCR); "
        "the `voucher.created` webhook says when",
    ),
    webhooks=Webhooks(
        available=True,
        detail="event subscriptions through the API, signed RSA-SHA512 with Lexware's public key",
        signing="rsa-sha512",
        signature_header="X-Lxo-Signature",
        subscribed_via="api",
    ),
    idempotency=Idempotency(
        available=False,
        detail="no idempotency keys.",
        instead="an unknown outcome is settled by an exact lookup on a business key (an invoice's reference in its "
        "remark, an expense's voucher number, a customer's e-mail) before anything is sent again.",
    ),
    optimistic_lock=OptimisticLock(
        available=True, detail="integer `version` on contacts and vouchers (stale: 409)", token="version"
    ),
    currencies=Currencies(
        available=False,
        detail="every currency field is documented as EUR only",
        instead="amounts in another currency are refused before anything is sent; convert them to EUR first.",
        codes=("EUR",),
    ),
    rate_limit=RateLimit(requests=2, per_seconds=1, note="one bucket for all endpoints; a 429 was not executed"),
    # history sync and dunning (F2b)
    change_feed=Support(
        available=True,
        detail="voucher list `updatedDateFrom` (whole days), then one detail read per changed document; contacts "
        "have no change filter and are listed in full",
    ),
    dunning=Support(available=True, detail="`POST /v1/dunnings?precedingSalesVoucherId=` (always a draft)"),
    # cancellation (C)
    cancel_invoice=Support(
        available=True,
        detail="a finalized credit note for the full amount, pursued from the invoice "
        "(`POST /v1/credit-notes?finalize=true&precedingSalesVoucherId=`); one per invoice, paid ones too; no void "
        "or delete exists",
    ),
)

_PERCENT = {str(p): TaxRef(code=str(p), rate=Decimal(p), label=f"{p} %") for p in (0, 5, 7, 16, 19)}

TAX = TaxMapping(
    provider="Lexware Office",
    keys={"standard": "19", "reduced": "7", "zero": "0"},
    codes=_PERCENT,
)
"""Lexware takes a percentage per line (5 and 16 only for July to December 2020, when Germany lowered them)."""
