"""The `Provider` interface: one accounting system behind the neutral records of `lexflow.core.models`.

Operations every API has are abstract. Optional ones (`update_invoice`, `record_payment`, bank transactions) default
to raising `CapabilityMissing` from the provider's `capabilities`, so an adapter implements exactly what its API
can do, and a caller that checked `capabilities` first never meets the error.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import ClassVar, Literal

from lexflow.core.capabilities import Capabilities
from lexflow.core.changes import ChangePage, DocumentDetail, DocumentRow
from lexflow.core.errors import RecordNotFound
from lexflow.core.models import (
    BankTransaction,
    Cancellation,
    Customer,
    CustomerDraft,
    CustomerUpdate,
    Dunning,
    DunningDraft,
    Expense,
    ExpenseDraft,
    Invoice,
    InvoiceDraft,
    InvoicePreview,
    InvoiceSummary,
    Payment,
    PaymentDraft,
    StatusFilter,
)
from lexflow.core.tax import TaxMapping
from lexflow.core.totals import Rounding, invoice_preview

#: Provider methods that only work where the named capability is available.
OPTIONAL: dict[str, str] = {
    "update_invoice": "update_invoice",
    "record_payment": "record_payment",
    "get_bank_transaction": "read_bank_transactions",
    "list_bank_transactions": "read_bank_transactions",
    "find_payment": "record_payment",
    "cancel_invoice": "cancel_invoice",
    "find_cancellation": "cancel_invoice",
}


class Provider(ABC):
    """One connected account of one accounting system. Construct it through `lexflow.providers.get_provider`."""

    capabilities: Capabilities
    tax: TaxMapping
    #: What an id of this system looks like: anything else cannot exist, and must not reach a URL.
    id_format: ClassVar[re.Pattern[str]] = re.compile(r".+")

    @property
    def name(self) -> str:
        return self.capabilities.provider

    def not_found_errors(self) -> tuple[type[Exception], ...]:
        """The client's "no such record" errors (a method, so the client's errors load only when used)."""
        return ()

    @contextmanager
    def _found(self, kind: str, id: str) -> Iterator[None]:
        """A malformed id, or the API's "not found", as the neutral `RecordNotFound`."""
        if not self.id_format.match(id):
            raise RecordNotFound(self.capabilities.display_name, kind, id)
        try:
            yield
        except self.not_found_errors():
            raise RecordNotFound(self.capabilities.display_name, kind, id) from None

    # customers -------------------------------------------------------------------------------------------------
    @abstractmethod
    def create_customer(self, draft: CustomerDraft) -> Customer: ...

    @abstractmethod
    def get_customer(self, id: str) -> Customer: ...

    @abstractmethod
    def search_customers(self, *, name: str | None = None, email: str | None = None) -> list[Customer]:
        """Customers whose name contains `name` / who have exactly this e-mail (any letter case)."""

    # invoices --------------------------------------------------------------------------------------------------
    @abstractmethod
    def create_invoice(self, draft: InvoiceDraft) -> Invoice: ...

    @abstractmethod
    def find_invoice(self, reference: str, customer_id: str | None = None) -> Invoice | None:
        """The invoice carrying this business key (created recently), or None: search before create."""

    @abstractmethod
    def get_invoice(self, id: str) -> Invoice: ...

    @abstractmethod
    def list_invoices(
        self,
        statuses: list[StatusFilter] | None = None,
        *,
        customer_id: str | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> Iterator[InvoiceSummary]:
        """Invoices in any of the normalised statuses (`overdue` included), newest first where the API sorts."""

    def update_invoice(self, id: str, draft: InvoiceDraft) -> Invoice:
        self.capabilities.require("update_invoice")
        raise NotImplementedError(f"{type(self).__name__} declares update_invoice but does not implement it")

    # payments --------------------------------------------------------------------------------------------------
    def record_payment(self, payment: PaymentDraft) -> Payment:
        self.capabilities.require("record_payment")
        raise NotImplementedError(f"{type(self).__name__} declares record_payment but does not implement it")

    # expenses --------------------------------------------------------------------------------------------------
    @abstractmethod
    def create_expense(self, draft: ExpenseDraft) -> Expense: ...

    @abstractmethod
    def list_expenses(
        self, *, issued_from: date | None = None, issued_to: date | None = None, supplier_id: str | None = None
    ) -> Iterator[Expense]: ...

    # bank ------------------------------------------------------------------------------------------------------
    def get_bank_transaction(self, id: str) -> BankTransaction:
        self.capabilities.require("read_bank_transactions")
        raise NotImplementedError(f"{type(self).__name__} declares read_bank_transactions but does not implement it")

    def list_bank_transactions(
        self, *, booked_from: date | None = None, booked_to: date | None = None, account_ref: str | None = None
    ) -> Iterator[BankTransaction]:
        self.capabilities.require("read_bank_transactions")
        raise NotImplementedError(f"{type(self).__name__} declares read_bank_transactions but does not implement it")

    # webhooks (the receiver's re-fetch) ------------------------------------------------------------------------
    def for_tenant(self, tenant: str) -> Provider:
        """The adapter for the organisation a webhook event names. A connection that reaches one organisation only
        (Lexware, sevDesk, a QuickBooks realm) is itself; adapters of multi-tenant or single-realm connections
        override this to switch, or to raise `TenantNotConnected` rather than read another company's record."""
        return self

    # reconciliation (recording payments exactly once) ---------------------------------------------------------
    def find_payment(self, reference: str, invoice_id: str) -> Payment | None:
        """The payment recorded on this invoice under this business key (`PaymentDraft.reference`), or None.

        Reconciliation asks before it records, so a rerun or a run after a crash never books a bank line twice,
        even after the API's own idempotency window has passed."""
        self.capabilities.require("record_payment")
        raise NotImplementedError(f"{type(self).__name__} declares record_payment but does not implement find_payment")

    # customers + invoice flows (upsert, duplicate report, preview, PDF) -----------------------------------------
    #: How the provider rounds an invoice's tax: per line, or once per tax rate (lexflow.core.totals).
    invoice_rounding: ClassVar[Rounding] = "line"

    @abstractmethod
    def list_customers(self) -> Iterator[Customer]:
        """Every active customer, in the API's order (the duplicate report reads them all)."""

    @abstractmethod
    def update_customer(self, id: str, update: CustomerUpdate) -> Customer:
        """Apply the given fields (an e-mail is added, the others replaced); fields left None stay untouched."""

    def preview_invoice(self, draft: InvoiceDraft) -> InvoicePreview:
        """The totals the provider will compute for `draft`, computed locally; nothing is sent."""
        return invoice_preview(draft, self.tax, self.invoice_rounding)

    def view_url(self, kind: Literal["customer", "invoice"], id: str) -> str | None:
        """Where a person opens the record in the provider's web app; None where lexflow knows no such link (or the
        account is a sandbox without a web app)."""
        return None

    @abstractmethod
    def invoice_pdf(self, id: str) -> bytes:
        """The invoice's PDF as the provider renders it (a final invoice; some providers refuse drafts)."""

    # history sync and dunning (F2b) ----------------------------------------------------------------------------
    cursor_margin: int = 60
    """Seconds a timestamp cursor lies before the run's start: changes made while a sync reads, and a clock that
    is a little off, are listed again by the next run (stored once: rows are upserted) instead of lost."""

    @abstractmethod
    def changes_since(self, cursor: str | None) -> Iterator[ChangePage]:
        """Every contact and document changed after `cursor` (None: all of them), page by page, by the API's own
        change mechanism (`capabilities.change_feed`). The last page carries the cursor of the next run."""

    def document_detail(self, row: DocumentRow) -> DocumentDetail:
        """The whole document of a listed row that was not `complete` (adapters whose rows are all complete never
        get asked)."""
        raise NotImplementedError(f"{type(self).__name__} lists incomplete rows but reads no details")

    def create_dunning(self, draft: DunningDraft) -> Dunning:
        """The API's own dunning (payment reminder) document for an open invoice, as a draft."""
        self.capabilities.require("dunning")
        raise NotImplementedError(f"{type(self).__name__} declares dunning but does not implement it")

    # cancellation (C) --------------------------------------------------------------------------------------------
    def find_cancellation(self, invoice_id: str) -> Cancellation | None:
        """The invoice's cancellation if it has one (voided, or a linked credit note), else None: the business key
        is the invoice itself, so asking first makes a rerun return the one cancellation instead of a second."""
        self.capabilities.require("cancel_invoice")
        raise NotImplementedError(f"{type(self).__name__} declares cancel_invoice but does not implement it")

    def cancel_invoice(self, invoice_id: str, reason: str) -> Cancellation:
        """Cancel a final invoice the way the API can (`capabilities.cancel_invoice` says how); a state the API
        refuses (a draft, a paid invoice where only a void exists) raises `NotCancellable` naming the fix."""
        self.capabilities.require("cancel_invoice")
        raise NotImplementedError(f"{type(self).__name__} declares cancel_invoice but does not implement it")
