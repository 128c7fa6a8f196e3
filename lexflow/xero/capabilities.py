"""What the Xero Accounting API can and cannot do (docs/providers.md). No adapter yet: `instead` is what it will do."""

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

CAPABILITIES = Capabilities(
    provider="xero",
    display_name="Xero",
    docs_url="https://developer.xero.com/documentation/api/accounting/overview",
    drafts=Support(available=True, detail="`DRAFT` (and `SUBMITTED`, Xero's own approval state)"),
    finalize_later=Support(available=True, detail="setting `Status` to `AUTHORISED`"),
    update_invoice=Support(
        available=True, detail="`POST /Invoices/{id}`: drafts freely, authorised ones until a payment is applied"
    ),
    send_email=Support(available=True, detail="`POST /Invoices/{id}/Email` (1,000 a day; not from the demo company)"),
    record_payment=Support(available=True, detail="`PUT /Payments` against the invoice and a bank account"),
    read_bank_transactions=BankReading(
        available=True,
        detail="`GET /BankTransactions`: Xero's spend and receive records, not the bank feed's statement lines "
        "(those need the restricted Finance API); reconciliation reads statement files",
        statement_lines=False,
    ),
    read_receipts=Support(
        available=False,
        detail="a bill is created with its values given; the API does not read them from an attachment.",
        instead="log_expense books a receipt from the values given with it (number, date, amount, category) and "
        'reports "needs data" naming what is missing.',
    ),
    webhooks=Webhooks(
        available=True,
        detail="set up in the developer portal, signed HMAC-SHA256 with the webhook key; no payment events",
        signing="hmac-sha256",
        signature_header="x-xero-signature",
        subscribed_via="developer portal",
    ),
    idempotency=Idempotency(
        available=True, detail="`Idempotency-Key` header (kept for minutes)", mechanism="Idempotency-Key header"
    ),
    optimistic_lock=OptimisticLock(
        available=False,
        detail="no version token: the last write wins.",
        instead="lexflow reads the record again right before a write and refuses if it changed since it was shown.",
    ),
    currencies=Currencies(available=True, detail="several currencies on plans that include it"),
    rate_limit=RateLimit(requests=60, per_seconds=60, concurrent=5, daily=5000, note="per tenant"),
    # history sync and dunning (F2b)
    change_feed=Support(
        available=True,
        detail="`If-Modified-Since` on Contacts and Invoices (paged, lines included); a change that does not touch "
        "the record itself (some allocations) is not listed",
    ),
    dunning=Support(
        available=False,
        detail="invoice reminders are a setting of the web app; the API has no reminder document.",
        instead="lexflow e-mails its own payment reminder with the invoice PDF (SMTP), once per invoice and day, and keeps the record in its ledger.",
    ),
    # cancellation (C)
    cancel_invoice=Support(
        available=True,
        detail="`Status: VOIDED` on an invoice without payments or allocated credit notes; Xero refuses to void a "
        "paid one (remove its payments first)",
    ),
)
