"""The 55 documented API operations as actions, generated from one compact table (docs/lexware.md#operations).

Names are `<resource>_<operation>` (e.g. `contacts_get`, `invoices_file`) so they never collide with the
business actions (`upsert_customer`, `create_invoice`, ...), which encode the right way to combine them.
Models come from `lexflow.lexware.models` when it has them; otherwise the schema stays an open JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from lexflow.actions.io import EXAMPLE_ID, UUID_PATTERN, FileContent, FileOutput, Input, Output, SavesFile
from lexflow.actions.registry import Action, Effect, Registry

JsonObject = dict[str, Any]


def _model(name: str) -> Any:
    """A `lexflow.lexware.models` class by name (every operation's model exists: a missing one fails at import)."""
    import lexflow.lexware.models as models

    found = getattr(models, name)
    assert isinstance(found, type) and issubclass(found, BaseModel), name
    return found


def _page_of(name: str) -> Any:
    from lexflow.lexware.models import Page

    return Page[_model(name)]  # type: ignore[misc]  # a model chosen at run time


def _pascal(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------------- input shapes
class IdInput(Input):
    id: str = Field(pattern=UUID_PATTERN, description="Lexware id (UUID) of the resource.")


class FileRequest(IdInput, SavesFile):
    accept: Literal["application/pdf", "application/xml", "*/*"] = Field(
        default="application/pdf", description="PDF, or XML for XRechnung/ZUGFeRD data (invoices and credit notes)."
    )


class PageInput(Input):
    page: int = Field(default=0, ge=0, description="0-based page number.")
    size: int = Field(default=25, ge=1, le=250, description="Page size (max 250).")


class ContactFilter(PageInput):
    email: str | None = Field(
        default=None, min_length=3, description="E-mail filter (≥3 chars; % and _ are wildcards)."
    )
    name: str | None = Field(default=None, min_length=3, description="Name filter (≥3 chars; % and _ are wildcards).")
    number: int | None = Field(default=None, description="Customer or vendor number.")
    customer: bool | None = None
    vendor: bool | None = None


class ArticleFilter(PageInput):
    size: int = Field(default=25, ge=25, le=250, description="Page size, 25..250 (articles refuse smaller sizes).")
    article_number: str | None = None
    gtin: str | None = None
    type: Literal["PRODUCT", "SERVICE"] | None = None


class TemplateFilter(PageInput):
    sort: str | None = Field(default=None, description="e.g. 'nextExecutionDate,ASC'.")


class VoucherListFilter(PageInput):
    size: int = Field(default=250, ge=1, le=250)
    voucher_type: str = Field(
        default="any", description="Comma-separated: invoice, creditnote, salesinvoice, purchaseinvoice, ..., or any."
    )
    voucher_status: str = Field(
        default="any", description="Comma-separated: draft, open, paid, paidoff, voided, overdue (alone), ..., or any."
    )
    archived: bool | None = None
    contact_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    voucher_date_from: date | None = None
    voucher_date_to: date | None = None
    updated_date_from: date | None = None
    updated_date_to: date | None = None
    voucher_number: str | None = None


class NumberInput(Input):
    number: str = Field(min_length=1, description="Exact voucher number.")


class UploadInput(FileContent):
    pass


class VoucherUploadInput(FileContent):
    voucher_id: str = Field(pattern=UUID_PATTERN, description="Bookkeeping voucher to attach the file to.")


class SubscriptionInput(Input):
    event_type: str = Field(description="e.g. invoice.status.changed, contact.changed, payment.changed.")
    callback_url: str = Field(pattern=r"^https?://", description="HTTPS URL Lexware will POST events to.")


class NoInput(Input):
    pass


class AssignmentHintInput(Input):
    """Partner-only transaction-assignment hint: needs a partner OAuth token and LEXWARE_ALLOW_PARTNER_ENDPOINTS=true."""

    voucher_id: str = Field(
        pattern=UUID_PATTERN, description="The invoice or bookkeeping voucher the incoming payment belongs to."
    )
    external_reference: str = Field(
        min_length=1,
        description="The payment's transaction id as it will reach Lexware (PayPal/Stripe transaction id, bank "
        "transaction reference).",
    )


def _body_input(model_name: str, doc: bool) -> type[Input]:
    fields: dict[str, Any] = {
        "body": (_model(model_name), Field(description=f"The {model_name} to create (API JSON)."))
    }
    if doc:
        fields["finalize"] = (
            bool,
            Field(default=False, description="Create finalized (open, numbered, irreversible) instead of a draft."),
        )
        fields["preceding_sales_voucher_id"] = (
            str | None,
            Field(default=None, pattern=UUID_PATTERN, description="Pursue from this document (links them)."),
        )
    return create_model(f"Create{model_name}Input", __base__=Input, **fields)


def _update_input(model_name: str) -> type[Input]:
    return create_model(
        f"Update{model_name}Input",
        __base__=Input,
        id=(str, Field(pattern=UUID_PATTERN)),
        changes=(
            JsonObject,
            Field(description="Fields to change (API JSON); merged into the current record, version handled for you."),
        ),
    )


def _result_output(name: str, model: Any) -> type[Output]:
    return create_model(f"{_pascal(name)}Output", __base__=Output, result=(model, ...))


# -------------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Op:
    resource: str  # client attribute, e.g. "credit_notes"
    op: str  # get | list | page | create | create_doc | update | delete | document | file | ...
    model: str = ""  # lexflow.lexware.models class name


_DOCS = ("credit_notes", "delivery_notes", "invoices", "order_confirmations", "quotations")
_MODEL = {
    "credit_notes": "CreditNote",
    "delivery_notes": "DeliveryNote",
    "invoices": "Invoice",
    "order_confirmations": "OrderConfirmation",
    "quotations": "Quotation",
    "dunnings": "Dunning",
    "down_payment_invoices": "DownPaymentInvoice",
}

OPERATIONS: list[Op] = [
    *(Op("articles", o, "Article") for o in ("create", "get", "update", "delete", "page")),
    *(Op("contacts", o, "Contact") for o in ("create", "get", "update", "page")),
    Op("countries", "list", "Country"),
    *(Op(r, o, _MODEL[r]) for r in _DOCS if r != "quotations" for o in ("create_doc", "get", "document", "file")),
    *(Op("dunnings", o, "Dunning") for o in ("create_dunning", "get", "document", "file")),
    *(Op("down_payment_invoices", o, "DownPaymentInvoice") for o in ("get", "file")),
    *(Op("event_subscriptions", o, "EventSubscription") for o in ("create_subscription", "get", "list", "delete")),
    Op("files", "upload"),
    Op("files", "download"),
    Op("payments", "get", "Payment"),
    Op("payment_conditions", "list", "PaymentCondition"),
    Op("posting_categories", "list", "PostingCategory"),
    Op("print_layouts", "list", "PrintLayout"),
    Op("profile", "get_profile", "Profile"),
    *(Op("quotations", o, "Quotation") for o in ("create_doc", "get", "document", "file")),
    Op("recurring_templates", "get", "RecurringTemplate"),
    Op("recurring_templates", "page", "RecurringTemplate"),
    Op("voucherlist", "page", "VoucherListItem"),
    *(Op("vouchers", o, "Voucher") for o in ("create", "get", "update", "find_by_number", "upload_file")),
]

_WORDS = {  # resource → (one, several), as a person writes them (agents read these descriptions)
    "countries": ("country", "countries"),
    "payment_conditions": ("payment condition", "payment conditions"),
    "posting_categories": ("posting category", "posting categories"),
    "voucherlist": ("voucher list entry", "voucher list entries"),
    "profile": ("profile", "profile"),
}
_NAME_OP = {
    "create_doc": "create",
    "create_dunning": "create",
    "create_subscription": "create",
    "page": "list",
    "get_profile": "get",
    "find_by_number": "find_by_number",
}
_FILTERS = {"contacts": ContactFilter, "articles": ArticleFilter, "recurring_templates": TemplateFilter}


def _noun(resource: str) -> str:
    """`credit_notes` → `credit note`."""
    return _WORDS.get(resource, (resource.replace("_", " ").removesuffix("s"), ""))[0]


def _plural(resource: str) -> str:
    """`credit_notes` → `credit notes`, `countries` → `countries`."""
    return _WORDS.get(resource, ("", resource.replace("_", " ")))[1]


def _a(noun: str) -> str:
    """`an article`, `a contact`."""
    return f"{'an' if noun[:1] in 'aeio' else 'a'} {noun}"


def _spec(o: Op) -> tuple[str, str, Any, Any, Effect, bool, Any, str, dict[str, Any]]:
    """name, description, input, output, effect, idempotent, handler, scope suffix, example for one table row."""
    name = f"{o.resource}_{_NAME_OP.get(o.op, o.op)}"
    noun = _noun(o.resource)
    res_model = _model(o.model) if o.model else JsonObject
    ex_id: dict[str, Any] = {"id": EXAMPLE_ID}

    def api(client: Any) -> Any:
        return getattr(client, o.resource)

    if o.op == "get":
        return (
            name, f"Read one {noun} by id (GET /v1/{o.resource.replace('_', '-')}/{{id}}).",
            IdInput, _result_output(name, res_model), "read", True,
            lambda c, d: {"result": _jsonable(api(c).get(d.id))}, "read", ex_id,
        )  # fmt: skip
    if o.op == "get_profile":
        return (
            name, "Read the account profile: company, tax type, small-business flag and features.",
            NoInput, _result_output(name, res_model), "read", True,
            lambda c, d: {"result": _jsonable(api(c).get())}, "read", {},
        )  # fmt: skip
    if o.op == "list":
        return (
            name, f"List all {_plural(o.resource)} (small master-data list, no paging).",
            NoInput, _result_output(name, list[res_model]), "read", True,  # type: ignore[valid-type]
            lambda c, d: {"result": _jsonable(list(api(c).list()))}, "read", {},
        )  # fmt: skip
    if o.op == "page":
        inp = _FILTERS.get(o.resource, VoucherListFilter if o.resource == "voucherlist" else PageInput)
        desc = {
            "voucherlist": "One page of the voucher list: the only way to list invoices, credit notes and other "
            "vouchers, filtered by type, status, contact and dates. Dates are yyyy-MM-dd.",
        }.get(o.resource, f"One page of {_plural(o.resource)}, with the API's filters. Page through with `page`.")

        def page(c: Any, d: Any) -> dict[str, Any]:
            filters = d.model_dump(exclude_none=True, exclude={"page", "size"})
            return {"result": _jsonable(api(c).page(page=d.page, size=d.size, **filters))}

        return (name, desc, inp, _result_output(name, _page_of(o.model)), "read", True, page, "read",
                {"page": 0, "size": 25} if o.resource != "voucherlist" else {"voucher_type": "invoice", "voucher_status": "open"})  # fmt: skip
    if o.op == "create":
        inp = _body_input(o.model, doc=False)
        desc = f"Create {_a(noun)} from API JSON. No idempotency key exists: do not blindly retry after a timeout."
        if o.resource == "contacts":
            desc += " Prefer `upsert_customer`, which searches first and never duplicates."
        return (name, desc, inp, _result_output(name, _model("ActionResult")), "write", False,
                lambda c, d: {"result": _jsonable(api(c).create(d.body))}, "write", {"body": _EXAMPLES.get(o.resource, {})})  # fmt: skip
    if o.op == "create_doc":
        inp = _body_input(o.model, doc=True)

        def create_doc(c: Any, d: Any) -> dict[str, Any]:
            res = api(c).create(d.body, finalize=d.finalize, preceding_sales_voucher_id=d.preceding_sales_voucher_id)
            return {"result": _jsonable(res)}

        return (
            name,
            f"Create {_a(noun)} (draft, or finalized with finalize=true). The API cannot edit, delete or finalize it "
            "afterwards; a finalized document is permanent.",
            inp, _result_output(name, _model("ActionResult")), "irreversible", False, create_doc, "write",
            {"body": _EXAMPLES.get(o.resource, _EXAMPLES["invoices"]), "finalize": False},
        )  # fmt: skip
    if o.op == "create_dunning":
        inp = create_model(
            "CreateDunningRawInput", __base__=Input, body=(_model("Dunning"), ...),
            preceding_sales_voucher_id=(str, Field(pattern=UUID_PATTERN, description="The invoice being dunned.")),
        )  # fmt: skip
        return (
            name, "Create a dunning (always a draft) pursued from an invoice. Prefer `create_dunning`.",
            inp, _result_output(name, _model("ActionResult")), "write", False,
            lambda c, d: {"result": _jsonable(api(c).create(d.body, preceding_sales_voucher_id=d.preceding_sales_voucher_id))},
            "write", {"body": _EXAMPLES["invoices"], "preceding_sales_voucher_id": EXAMPLE_ID},
        )  # fmt: skip
    if o.op == "create_subscription":
        return (
            name, "Subscribe a callback URL to a webhook event type (HTTPS only; a duplicate gives 409).",
            SubscriptionInput, _result_output(name, _model("ActionResult")), "write", False,
            lambda c, d: {"result": _jsonable(api(c).create(d.event_type, d.callback_url))}, "write",
            {"event_type": "invoice.status.changed", "callback_url": "https://example.org/hooks/lexware"},
        )  # fmt: skip
    if o.op == "update":
        return (
            name, f"Change {_a(noun)}: read, merge `changes`, write back with the current version (PUT replaces the "
            "whole record; the client merges so nothing is lost).",
            _update_input(o.model), _result_output(name, _model("ActionResult")), "write", True,
            lambda c, d: {"result": _jsonable(api(c).update(d.id, d.changes))}, "write",
            {"id": EXAMPLE_ID, "changes": {"note": "updated by lexflow"}},
        )  # fmt: skip
    if o.op == "delete":
        return (
            name, f"Delete {_a(noun)}. Only articles and event subscriptions can be deleted through the API.",
            IdInput, create_model(f"{_pascal(name)}Output", __base__=Output, deleted=(str, ...)),
            "irreversible" if o.resource == "articles" else "write", True,
            lambda c, d: (api(c).delete(d.id), {"deleted": d.id})[1], "write", ex_id,
        )  # fmt: skip
    if o.op == "document":
        return (
            name, f"Render a finalized {noun} (deprecated /document endpoint): returns the file id; drafts give 406.",
            IdInput, create_model(f"{_pascal(name)}Output", __base__=Output, document_file_id=(str, ...)), "read", True,
            lambda c, d: {"document_file_id": str(api(c).document(d.id))}, "read", ex_id,
        )  # fmt: skip
    if o.op == "file":
        return (
            name, f"Download a finalized {noun} as PDF (or XML e-invoice where supported). Drafts give 409.",
            FileRequest, FileOutput, "read", True,
            lambda c, d: FileOutput.from_download(api(c).file(d.id, accept=d.accept), d),
            "read", ex_id,
        )  # fmt: skip
    if o.op == "download":
        return (
            name, "Download a stored file (bookkeeping voucher receipts) by file id.",
            FileRequest, FileOutput, "read", True,
            lambda c, d: FileOutput.from_download(api(c).download(d.id, accept=d.accept), d),
            "read", ex_id,
        )  # fmt: skip
    if o.op == "upload":
        return (
            name, "Upload a receipt (pdf/jpg/png, ≤5 MB) as a new bookkeeping voucher file; OCR creates a voucher. "
            "Prefer `create_expense`, which also completes the voucher.",
            UploadInput, _result_output(name, _model("FileUpload")), "write", False,
            lambda c, d: {"result": _jsonable(api(c).upload(d.read(), d.filename))}, "write",
            {"filename": "receipt.pdf", "content_base64": "JVBERi0xLjQK"},
        )  # fmt: skip
    if o.op == "upload_file":
        return (
            name, "Attach a file to an existing bookkeeping voucher.",
            VoucherUploadInput, _result_output(name, _model("FileUpload")), "write", False,
            lambda c, d: {"result": _jsonable(api(c).upload_file(d.voucher_id, d.read(), d.filename))}, "write",
            {"voucher_id": EXAMPLE_ID, "filename": "receipt.pdf", "content_base64": "JVBERi0xLjQK"},
        )  # fmt: skip
    if o.op == "find_by_number":
        return (
            name, "Find bookkeeping vouchers by exact voucher number (deprecated endpoint, still works).",
            NumberInput, _result_output(name, JsonObject | None), "read", True,
            lambda c, d: {"result": _jsonable(api(c).find_by_number(d.number))}, "read", {"number": "RE-2026-001"},
        )  # fmt: skip
    raise ValueError(f"no action spec for {o}")


_EXAMPLES: dict[str, dict[str, Any]] = {
    "contacts": {"version": 0, "roles": {"customer": {}}, "company": {"name": "Muster GmbH"}},
    "articles": {
        "title": "Beratung",
        "type": "SERVICE",
        "unitName": "Stunde",
        "price": {"netPrice": 100.0, "leadingPrice": "NET", "taxRate": 19},
    },
    "invoices": {
        "voucherDate": "2026-11-24T00:00:00.000+01:00",
        "address": {"name": "Muster GmbH", "countryCode": "DE"},
        "lineItems": [
            {
                "type": "custom",
                "name": "Beratung",
                "quantity": 2,
                "unitName": "Stunde",
                "unitPrice": {"currency": "EUR", "netAmount": 100.0, "taxRatePercentage": 19},
            }
        ],
        "totalPrice": {"currency": "EUR"},
        "taxConditions": {"taxType": "net"},
        "shippingConditions": {"shippingType": "none"},
    },
    "vouchers": {
        "type": "purchaseinvoice",
        "voucherNumber": "R-2026-17",
        "voucherDate": "2026-11-20",
        "totalGrossAmount": 119.0,
        "totalTaxAmount": 19.0,
        "taxType": "gross",
        "useCollectiveContact": True,
        "voucherItems": [
            {
                "amount": 119.0,
                "taxAmount": 19.0,
                "taxRatePercent": 19,
                "categoryId": "8f8664a1-fd86-11e1-a21f-0800200c9a66",
            }
        ],
    },
}


def _finalize_effect(d: Any) -> Effect:
    return "irreversible" if d.finalize else "write"


_SALES_BASE = {k: v for k, v in _EXAMPLES["invoices"].items() if k != "shippingConditions"}
_EXAMPLES["credit_notes"] = _SALES_BASE
_EXAMPLES["quotations"] = {**_SALES_BASE, "expirationDate": "2026-12-24T00:00:00.000+01:00"}


# ------------------------------------------------------------------------------------- partner-only (opt-in)
PARTNER_SETTING = "LEXWARE_ALLOW_PARTNER_ENDPOINTS"


def _partner_switched_off() -> str | None:
    """Why partner-only actions are off in this process (the same setting `connect()` passes), or None."""
    from lexflow.settings import get_settings

    if get_settings().allow_partner_endpoints:
        return None
    return f"partner-only endpoint, switched off; needs a partner OAuth token and {PARTNER_SETTING}=true"


def partner_hint_action() -> Action:
    """`POST /v1/transaction-assignment-hint` (docs/lexware.md#transaction-assignment-hint): not one of the 55 public operations, so not in OPERATIONS.

    The client refuses it unless it was made with `allow_partner_endpoints=True`; listings leave it out while the
    process setting is off (`Action.unavailable`)."""
    name = "transaction_assignment_hints_create"

    def handler(c: Any, d: Any) -> dict[str, Any]:
        return {"result": _jsonable(c.transaction_assignment_hints.create(d.voucher_id, d.external_reference))}

    return Action(
        name=name,
        description=(
            "Partner-only: tell Lexware which incoming payment transaction belongs to a voucher "
            "(POST /v1/transaction-assignment-hint), so Lexware can assign it automatically when the transaction "
            "arrives. It does not mark anything paid; one hint per voucher (a second answers 406). Needs a partner "
            f"OAuth token with scope transaction-assignment-hint.write and {PARTNER_SETTING}=true; otherwise it is "
            "refused before anything is sent."
        ),
        input_model=AssignmentHintInput,
        output_model=_result_output(name, JsonObject),
        scope="transaction_assignment_hints:write",
        effect="write",
        handler=handler,
        examples=({"voucher_id": EXAMPLE_ID, "external_reference": "PAYPAL-9TX12345AB678901C"},),
        group="partner",
        unavailable=_partner_switched_off,
    )


def register_operations(reg: Registry) -> None:
    for o in OPERATIONS:
        name, desc, inp, out, effect, idem, handler, level, example = _spec(o)
        # A draft can still be deleted in the web app; only finalizing is permanent.
        input_effect = _finalize_effect if o.op == "create_doc" else None
        reg.add(
            Action(
                name=name,
                description=desc,
                input_model=inp,
                output_model=out,
                scope=f"{o.resource}:{level}",
                effect=effect,
                handler=handler,
                examples=(example,),
                idempotent=idem,
                group="lexware",
                input_effect=input_effect,
            )
        )
    reg.add(partner_hint_action())
