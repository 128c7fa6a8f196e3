"""What a history sync reads: pages of changed records, in the shape of lexflow's sync store, with a cursor.

Each provider lists changes its own way (Lexware's voucher list by `updatedDateFrom`, sevDesk's `updateAfter`, Xero's
`If-Modified-Since`, QuickBooks' change data capture); `Provider.changes_since(cursor)` hides which, and
`Capabilities.change_feed` says it in words (docs/flows.md#sync-history). The sync engine (`lexflow.sync`) stores
the pages and moves the cursor only after a complete run, so a crashed run is rerun from the same cursor and loses
nothing; storing is an upsert by id, so reading a record twice never stores it twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CURSOR_MAX = 10
"""A cursor is stored in a column of ten characters: a day (`2026-11-24`) or Unix seconds (`1796000000`)."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactRow(_Row):
    """One customer or supplier as the store keeps it: a few columns to query plus the API's JSON unchanged."""

    id: str = Field(min_length=1, max_length=64)
    name: str = ""
    email: str | None = None
    version: int | None = Field(default=None, description="The provider's optimistic-lock counter, if numeric.")
    customer_number: int | None = None
    vendor_number: int | None = None
    archived: bool | None = None
    data: dict[str, Any]


class DocumentRow(_Row):
    """One document (invoice, credit note, expense ...) as lists show it.

    `updated` is the provider's change marker: the stored detail is current while it equals the row's. `complete`:
    `data` already is the whole document (Xero, QuickBooks); otherwise the sync fetches it with
    `Provider.document_detail` (Lexware's voucher list rows, sevDesk invoices without their positions)."""

    id: str = Field(min_length=1, max_length=64)
    type: str = Field(description="invoice, creditnote, purchaseinvoice, ... (Lexware's voucherType words).")
    status: str | None = Field(default=None, description="The provider's own status, unchanged.")
    number: str | None = None
    date: str | None = None
    due_date: str | None = None
    updated: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    total: Decimal | None = None
    open_amount: Decimal | None = None
    deleted: bool = False
    complete: bool = False
    data: dict[str, Any]


class ChangePage(_Row):
    """One page of changes: contacts or documents (one kind per page, so each page is audited as one read).

    `cursor`: where the next run starts once everything up to this page is stored (None: not known yet). Adapters
    end with a page carrying the final cursor, empty if nothing changed."""

    kind: Literal["contacts", "documents"]
    contacts: list[ContactRow] = []
    documents: list[DocumentRow] = []
    cursor: str | None = Field(default=None, max_length=CURSOR_MAX)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in (self.contacts if self.kind == "contacts" else self.documents)]


class DocumentDetail(_Row):
    """The full document for a row that was not complete; `missing`: deleted since it was listed (404)."""

    data: dict[str, Any]
    operation: str = Field(description="What was read, for the audit record (e.g. `invoices_get`).")
    missing: bool = False
    unsupported: bool = Field(default=False, description="The API has no detail endpoint for this type.")
