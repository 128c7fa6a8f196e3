"""What the QuickBooks Online Accounting API can and cannot do (docs/providers.md, docs/quickbooks.md); `instead` is
what lexflow's adapter (lexflow/quickbooks/adapter.py) does about it."""

from __future__ import annotations

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

_NO_DRAFTS = "every QuickBooks invoice is final when it is created; there is no draft state."
_LOCAL_DRAFT = "the draft and its approval live in lexflow; the invoice is created only after a person approved it."

CAPABILITIES = Capabilities(
    provider="quickbooks",
    display_name="QuickBooks Online",
    docs_url="https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice",
    drafts=Support(available=False, detail=_NO_DRAFTS, instead=_LOCAL_DRAFT),
    finalize_later=Support(available=False, detail=_NO_DRAFTS, instead=_LOCAL_DRAFT),
    update_invoice=Support(available=True, detail="`POST /invoice` with the current `SyncToken` (sparse update)"),
    send_email=Support(available=True, detail="`POST /invoice/{id}/send`"),
    record_payment=Support(available=True, detail="`POST /payment` with the invoice as linked transaction"),
    read_bank_transactions=BankReading(
        available=False,
        detail="the bank feed is not exposed; only Deposit, Purchase and Transfer records are.",
        instead="reconciliation reads the bank statement files you export from your bank (CAMT.053, MT940, CSV).",
    ),
    read_receipts=Support(
        available=False,
        detail="a bill is created with its values given; the API does not read them from an attachment.",
        instead="log_expense books a receipt from the values given with it (number, date, amount, category) and "
        'reports "needs data" naming what is missing.',
    ),
    webhooks=Webhooks(
        available=True,
        detail="set up in the developer portal, signed HMAC-SHA256 with the verifier token",
        signing="hmac-sha256",
        signature_header="intuit-signature",
        subscribed_via="developer portal",
    ),
    idempotency=Idempotency(
        available=True, detail="`requestid` query parameter", mechanism="requestid query parameter"
    ),
    optimistic_lock=OptimisticLock(available=True, detail="`SyncToken` (stale: 400, code 5010)", token="SyncToken"),
    currencies=Currencies(available=True, detail="several currencies once enabled (it cannot be switched off)"),
    rate_limit=RateLimit(requests=500, per_seconds=60, concurrent=10, note="per company; also 10 per second"),
    # history sync and dunning (F2b)
    change_feed=Support(
        available=True,
        detail="change data capture `GET /cdc`: every entity in one request, at most 30 days back and 1,000 per "
        "entity (older or fuller: a query per entity instead)",
    ),
    dunning=Support(
        available=False,
        detail="QuickBooks has no dunning or reminder document; reminders are a web-app feature.",
        instead="lexflow e-mails its own payment reminder with the invoice PDF (SMTP), once per invoice and day, and keeps the record in its ledger.",
    ),
    # cancellation (C)
    cancel_invoice=Support(
        available=True,
        detail="`POST /invoice?operation=void`: amounts zeroed, the record and its number kept",
    ),
)
