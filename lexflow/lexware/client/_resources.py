"""Resource namespaces (`client.contacts`, `client.invoices`, ...): all 55 documented operations (docs/lexware.md#operations).

Each method builds an operation (a generator of I/O steps, see `transport.py`) and hands it to the client's driver,
so the same classes serve the sync client (values, iterators) and the async client (awaitables, async iterators).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from lexflow.lexware.client.paging import DATE_FILTERS, WINDOW, split_range, to_api_filters
from lexflow.lexware.models import (
    ActionResult,
    Article,
    Contact,
    Country,
    CreditNote,
    DeliveryNote,
    DownPaymentInvoice,
    Dunning,
    EventSubscription,
    FileDownload,
    FileUpload,
    Invoice,
    OrderConfirmation,
    Page,
    Payment,
    PaymentCondition,
    PostingCategory,
    PrintLayout,
    Profile,
    Quotation,
    RecurringTemplate,
    Voucher,
    VoucherListItem,
    carries_reference,
)
from lexflow.lexware.models._base import BERLIN, plain_date
from lexflow.lexware.models.write import check_write, non_eur_fields
from lexflow.transport import errors
from lexflow.transport.base import Call, Item, Op

if TYPE_CHECKING:
    from lexflow.transport.base import BaseClient

M = TypeVar("M", bound=BaseModel)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png", "xml"})
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}


# ------------------------------------------------------------------------------------------------ helpers
def body_of(value: Any) -> dict[str, Any]:
    """A request body from a model or a dict (models keep unknown fields; None values are left out)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        return copy.deepcopy(value)
    raise TypeError(f"expected a model or a dict, got {type(value).__name__}")


def check_body(kind: str, body: dict[str, Any]) -> None:
    """Strict on write: refuse what the API cannot do or would refuse, before sending."""
    bad_currency = non_eur_fields(body)
    if bad_currency:
        raise errors.UnsupportedByApi(
            "the Lexware Office API supports only EUR",
            issues=[errors.FieldIssue(p, "unsupported_currency", "only EUR") for p in bad_currency],
            hint="Convert the amounts to EUR and set currency to EUR (foreign currencies exist only as UI conversions)",
        )
    problems = check_write(kind, body)
    if problems:
        raise errors.InvalidRequest(
            f"this {kind.replace('_', ' ')} would be refused by the API",
            issues=[errors.FieldIssue(f, code, msg) for f, code, msg in problems],
            hint="Fix the fields listed and send again",
        )


def deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Merge `change` into `base`: nested dicts merge, everything else (lists included) replaces."""
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _filename_from(headers: Mapping[str, str]) -> str | None:
    disposition = headers.get("Content-Disposition") or ""
    for part in disposition.split(";"):
        part = part.strip()
        if part.lower().startswith("filename="):
            return part.split("=", 1)[1].strip().strip('"')
    return None


class Resource:
    """Base namespace: knows its client and path."""

    path: str = ""

    def __init__(self, client: BaseClient) -> None:
        self._c = client

    def _run(self, op: Op) -> Any:
        return self._c._run(op)

    def _iter(self, op: Op) -> Any:
        return self._c._iter(op)

    def _write_op(self, call: Call, model: type[BaseModel] = ActionResult) -> Op:
        """POST/PUT and parse the answer (an action result unless told otherwise)."""
        data = yield from self._c.json_op(call)
        return model.model_validate(data)

    def _file_op(self, call: Call) -> Op:
        """GET a file: its bytes, media type and the server's filename (Content-Disposition)."""
        response = yield from self._c.request(call)
        media = (response.headers.get("Content-Type") or "application/octet-stream").split(";")[0].strip()
        return FileDownload(content=response.content, media_type=media, filename=_filename_from(response.headers))

    def _get_op(self, model: type[M], id: str, path: str | None = None) -> Op:
        data = yield from self._c.json_op(Call("GET", f"{path or self.path}/{id}"))
        return model.model_validate(data)

    def _page_op(self, model: type[M], params: dict[str, Any], path: str | None = None) -> Op:
        data = yield from self._c.json_op(Call("GET", path or self.path, params=params))
        return Page[model].model_validate(data)  # type: ignore[valid-type]

    def _all_op(self, model: type[M], params: dict[str, Any], size: int = 250) -> Op:
        """Every item of every page (stops at the last page)."""
        page = 0
        while True:
            p = yield from self._page_op(model, {**params, "page": page, "size": size})
            for item in p.content:
                yield Item(item)
            if p.last or not p.content:
                return None
            page += 1

    def _list_op(self, model: type[M], path: str | None = None) -> Op:
        data = yield from self._c.json_op(Call("GET", path or self.path))
        rows = data.get("content", []) if isinstance(data, dict) else data or []
        return [model.model_validate(r) for r in rows]


_SERVER_MOVED = frozenset({"version", "updatedDate"})
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _when(value: str) -> date | datetime | None:
    """A plain date (`yyyy-MM-dd`) or a timestamp (naive ones in Berlin time, the API's zone); None otherwise."""
    if _PLAIN_DATE.match(value):
        return date.fromisoformat(value)
    if len(value) < 19 or value[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BERLIN)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def same_value(stored: Any, sent: Any) -> bool:
    """Whether a value read back from the API equals a value we sent, the way the API stores it: numbers by value
    (`10` == `10.0` == `"10.00"`), a plain date equals the API's timestamp of that day in Berlin time, timestamps
    compare as instants. Everything else compares exactly."""
    if isinstance(sent, bool) or isinstance(stored, bool):
        return stored is sent
    if _is_number(sent) or _is_number(stored):
        if stored is None or sent is None:
            return False
        amount = _decimal(stored)
        return amount is not None and amount == _decimal(sent)
    if isinstance(sent, str) and isinstance(stored, str) and sent != stored:
        a, b = _when(stored), _when(sent)
        if a is None or b is None:
            return False
        if isinstance(a, datetime) and isinstance(b, datetime):
            return a == b
        return _day(a) == _day(b)
    return bool(stored == sent)


def _day(value: date | datetime) -> date:
    return value.astimezone(BERLIN).date() if isinstance(value, datetime) else value


def _holds(record: Any, sent: Any) -> bool:
    """Whether `record` (read back) carries every value of `sent` (a PUT body), apart from what the server moves on by
    itself (`version`, `updatedDate`). Fields the server adds are not compared; values compare as the API stores
    them (`same_value`: dates go out plain and come back as timestamps, 10.0 may come back as 10)."""
    if isinstance(sent, dict):
        return isinstance(record, dict) and all(k in _SERVER_MOVED or _holds(record.get(k), v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(record, list) and len(record) == len(sent) and all(map(_holds, record, sent))
    return same_value(record, sent)


class _Updatable(Resource):
    """GET → merge → PUT with the current version; one retry on a version conflict; never drops untouched fields."""

    kind = ""
    model: type[BaseModel] = BaseModel

    def _update_op(self, id: str, change: Callable[[Any], Any] | dict[str, Any] | BaseModel) -> Op:
        sent: dict[str, Any] | None = None
        for attempt in (1, 2):
            current = yield from self._c.json_op(Call("GET", f"{self.path}/{id}"))
            if sent is not None and _holds(current, sent):
                # The conflict came from our own PUT repeated after its answer was lost (a 5xx or timeout after the
                # write): the record already is what we sent, and a change that is not idempotent must not be
                # applied a second time.
                return ActionResult.model_validate(current)
            if callable(change) and not isinstance(change, BaseModel):
                obj = self.model.model_validate(current)
                returned = change(obj)
                # the model keeps every field it does not know (extra="allow"), so its dump is the whole record;
                # a field the function set to None is left out, which clears it (PUT replaces the record)
                body = body_of(returned if isinstance(returned, BaseModel | dict) else obj)
            else:
                body = deep_merge(current, body_of(change))
            body["version"] = current.get("version", body.get("version"))
            body = self._prepare_put(current, body)
            check_body(self.kind, body)
            try:
                return (yield from self._write_op(Call("PUT", f"{self.path}/{id}", json=body)))
            except errors.VersionConflict:
                if attempt == 2:
                    raise
                sent = body
            except errors.ServerError:
                # Every attempt lost its answer (5xx/timeout): one read settles whether a PUT committed.
                after = yield from self._c.json_op(Call("GET", f"{self.path}/{id}"))
                if _holds(after, body):
                    return ActionResult.model_validate(after)
                raise
        raise AssertionError("unreachable")

    def _prepare_put(self, current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        return body

    def update(self, id: str, change: Callable[[Any], Any] | dict[str, Any] | BaseModel) -> ActionResult:
        """Change a record safely. `change` is a dict merged into the current record (nested dicts merge, lists
        replace), a model, or a function that edits the parsed record in place (or returns a new one)."""
        return self._run(self._update_op(id, change))  # type: ignore[no-any-return]

    def replace(self, id: str, record: BaseModel | dict[str, Any]) -> ActionResult:
        """Plain PUT of a full record (you manage `version`); prefer `update`."""
        body = body_of(record)
        check_body(self.kind, body)
        return self._run(self._write_op(Call("PUT", f"{self.path}/{id}", json=body)))  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ resources
class ProfileResource(Resource):
    path = "/v1/profile"

    def get(self) -> Profile:
        return self._run(self._single())  # type: ignore[no-any-return]

    def _single(self) -> Op:
        data = yield from self._c.json_op(Call("GET", self.path))
        return Profile.model_validate(data)


class ContactsResource(_Updatable):
    path = "/v1/contacts"
    kind = "contact"
    model = Contact

    def get(self, id: str) -> Contact:
        return self._run(self._get_op(Contact, id))  # type: ignore[no-any-return]

    @staticmethod
    def _filters(
        email: str | None, name: str | None, number: int | None, customer: bool | None, vendor: bool | None
    ) -> dict[str, Any]:
        return {"email": email, "name": name, "number": number, "customer": customer, "vendor": vendor}

    def page(
        self,
        page: int = 0,
        size: int = 25,
        *,
        email: str | None = None,
        name: str | None = None,
        number: int | None = None,
        customer: bool | None = None,
        vendor: bool | None = None,
    ) -> Page[Contact]:
        params = {**self._filters(email, name, number, customer, vendor), "page": page, "size": size}
        return self._run(self._page_op(Contact, params))  # type: ignore[no-any-return]

    def list(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        number: int | None = None,
        customer: bool | None = None,
        vendor: bool | None = None,
    ) -> Iterator[Contact]:
        """All matching contacts over all pages (name ascending; `%`/`_` are wildcards)."""
        return self._iter(self._all_op(Contact, self._filters(email, name, number, customer, vendor)))  # type: ignore[no-any-return]

    def create(self, contact: Contact | dict[str, Any]) -> ActionResult:
        """Create a contact (version 0). An unknown outcome is settled by searching e-mail, then name."""
        body = body_of(contact)
        body.setdefault("version", 0)
        check_body("contact", body)
        call = Call(
            "POST",
            self.path,
            json=body,
            lookup=lambda: self._lookup(body),
            what_to_check="the contacts list (search by name or e-mail)",
        )
        return self._run(self._write_op(call))  # type: ignore[no-any-return]

    def _lookup(self, body: dict[str, Any]) -> Op:
        emails = [e for group in (body.get("emailAddresses") or {}).values() for e in (group or [])]
        company, person = body.get("company") or {}, body.get("person") or {}
        name = company.get("name") or " ".join(p for p in (person.get("firstName"), person.get("lastName")) if p)
        params: dict[str, Any] = {"email": emails[0]} if emails else {"name": person.get("lastName") or name}
        if len(str(next(iter(params.values())) or "")) < 3:
            return None
        page = yield from self._page_op(Contact, {**params, "size": 250})
        matches = [c for c in page.content if c.display_name == name]
        if len(matches) > 1:
            raise errors.AmbiguousWrite(
                f"the create's outcome is unknown and {len(matches)} contacts named {name!r} exist",
                method="POST",
                path=self.path,
                hint="Check the contacts in the web app before creating it again: "
                + ", ".join(str(c.id) for c in matches),
            )
        if not matches:
            return None
        return {"id": matches[0].id, "version": matches[0].version, "resourceUri": None}


class ArticlesResource(_Updatable):
    path = "/v1/articles"
    kind = "article"
    model = Article

    def get(self, id: str) -> Article:
        return self._run(self._get_op(Article, id))  # type: ignore[no-any-return]

    def page(
        self,
        page: int = 0,
        size: int = 25,
        *,
        article_number: str | None = None,
        gtin: str | None = None,
        type: str | None = None,
    ) -> Page[Article]:
        """Articles reject sizes below 25 (measured), so `size` is raised to 25."""
        params = {"articleNumber": article_number, "gtin": gtin, "type": type, "page": page, "size": max(size, 25)}
        return self._run(self._page_op(Article, params))  # type: ignore[no-any-return]

    def list(
        self, *, article_number: str | None = None, gtin: str | None = None, type: str | None = None
    ) -> Iterator[Article]:
        return self._iter(self._all_op(Article, {"articleNumber": article_number, "gtin": gtin, "type": type}))  # type: ignore[no-any-return]

    def create(self, article: Article | dict[str, Any]) -> ActionResult:
        """Create an article; an unknown outcome is settled by its articleNumber when it has one."""
        body = body_of(article)
        check_body("article", body)
        number = body.get("articleNumber")
        lookup = (lambda: self._lookup(str(number))) if number else None
        call = Call("POST", self.path, json=body, lookup=lookup, what_to_check="the article list")
        return self._run(self._write_op(call))  # type: ignore[no-any-return]

    def _lookup(self, number: str) -> Op:
        page = yield from self._page_op(Article, {"articleNumber": number, "size": 25})
        exact = [a for a in page.content if a.article_number == number]  # the filter's own matching is not trusted
        return {"id": exact[0].id, "version": exact[0].version} if len(exact) == 1 else None

    def delete(self, id: str) -> None:
        self._run(self._c.json_op(Call("DELETE", f"{self.path}/{id}")))


class SalesDocumentResource(Resource):
    """Create (optionally finalized, optionally pursuing another document), get, render (deprecated), file."""

    kind = "invoice"
    model: type[BaseModel] = Invoice
    can_finalize = True
    file_types: tuple[str, ...] = ("application/pdf", "*/*")
    voucher_type = "invoice"

    def get(self, id: str) -> Any:
        return self._run(self._get_op(self.model, id))

    def create(
        self,
        document: BaseModel | dict[str, Any],
        finalize: bool = False,
        preceding_sales_voucher_id: str | None = None,
        *,
        correlation_ref: str | None = None,
    ) -> ActionResult:
        """Create the document. `finalize=True` makes it final at once (it can never be finalized later).

        `correlation_ref`: a string you also put into the document's `remark`, `introduction` or `title`. If the
        POST's outcome is unknown (timeout, 5xx, 504), the client searches recent documents for it instead of
        failing; without it such an outcome raises `AmbiguousWrite`.
        """
        body = body_of(document)
        check_body(self.kind, body)
        if correlation_ref and not _carries(body, correlation_ref):
            raise errors.InvalidRequest(
                "correlation_ref must appear as a word of its own (spaces or the text's ends around it) in the "
                "document's remark, introduction or title",
                issues=[errors.FieldIssue("remark", "missing_reference", correlation_ref)],
                hint="Add the reference to remark (it is stored with the document) and send again",
            )
        params: dict[str, Any] = {}
        if finalize:
            if not self.can_finalize:
                raise errors.UnsupportedByApi(
                    f"{self.kind}s cannot be finalized through the API (they are always drafts)",
                    hint="Create it without finalize and finish it in the web app",
                )
            params["finalize"] = True
        if preceding_sales_voucher_id:
            params["precedingSalesVoucherId"] = preceding_sales_voucher_id
        lookup = (lambda: self._lookup(body, correlation_ref, preceding_sales_voucher_id)) if correlation_ref else None
        call = Call(
            "POST",
            self.path,
            params=params,
            json=body,
            lookup=lookup,
            what_to_check=f"the voucher list for a new {self.kind.replace('_', ' ')}",
        )
        return self._run(self._write_op(call))  # type: ignore[no-any-return]

    def _lookup(self, body: dict[str, Any], ref: str | None, preceding_id: str | None) -> Op:
        """The newest documents of this type (for the document's contact) whose text carries the reference."""
        ids = yield from self._candidates(body, preceding_id)
        for doc_id in ids:
            doc = yield from self._c.json_op(Call("GET", f"{self.path}/{doc_id}"))
            if ref and _carries(doc, ref):
                return {"id": doc["id"], "version": doc.get("version"), "createdDate": doc.get("createdDate")}
        return None

    def _candidates(self, body: dict[str, Any], preceding_id: str | None) -> Op:
        """Ids to check: the 50 newest voucherlist rows of this type (no date filter, so a sandbox clock or a
        time zone cannot hide the new one)."""
        params: dict[str, Any] = {
            "voucherType": self.voucher_type,
            "voucherStatus": "any",
            "sort": "createdDate,DESC",
            "size": 50,
            "page": 0,
            "contactId": (body.get("address") or {}).get("contactId"),
        }
        page = yield from self._page_op(VoucherListItem, params, path="/v1/voucherlist")
        return [row.id for row in page.content]

    def document(self, id: str) -> str:
        """Deprecated render endpoint: triggers PDF rendering and returns the `documentFileId` (drafts → 406)."""
        return self._run(self._document_op(id))  # type: ignore[no-any-return]

    def _document_op(self, id: str) -> Op:
        data = yield from self._c.json_op(Call("GET", f"{self.path}/{id}/document"))
        return str(data["documentFileId"])

    def file(self, id: str, accept: str = "application/pdf") -> FileDownload:
        """The document's file: `application/pdf`, `application/xml` (XRechnung/ZUGFeRD data; invoices and credit
        notes only) or `*/*` (XML for an XRechnung, else PDF). Drafts answer 409."""
        if accept not in self.file_types:
            raise errors.UnsupportedByApi(
                f"{self.path} files are available as {', '.join(self.file_types)} only (asked for {accept})",
                hint="Ask for application/pdf",
            )
        return self._run(self._file_op(Call("GET", f"{self.path}/{id}/file", accept=accept)))  # type: ignore[no-any-return]


def _carries(document: dict[str, Any], ref: str) -> bool:
    """The document's remark, introduction or title holds `ref` exactly (a token, never a substring: `AUFTRAG-2`
    must not find `AUFTRAG-20`'s invoice after a lost answer)."""
    return any(carries_reference(str(document.get(f) or ""), ref) for f in ("remark", "introduction", "title"))


class InvoicesResource(SalesDocumentResource):
    path, kind, model, voucher_type = "/v1/invoices", "invoice", Invoice, "invoice"
    file_types = ("application/pdf", "application/xml", "*/*")


class CreditNotesResource(SalesDocumentResource):
    path, kind, model, voucher_type = "/v1/credit-notes", "credit_note", CreditNote, "creditnote"
    file_types = ("application/pdf", "application/xml", "*/*")


class OrderConfirmationsResource(SalesDocumentResource):
    path, kind, model, voucher_type = (
        "/v1/order-confirmations",
        "order_confirmation",
        OrderConfirmation,
        "orderconfirmation",
    )


class QuotationsResource(SalesDocumentResource):
    path, kind, model, voucher_type = "/v1/quotations", "quotation", Quotation, "quotation"


class DeliveryNotesResource(SalesDocumentResource):
    path, kind, model, voucher_type = "/v1/delivery-notes", "delivery_note", DeliveryNote, "deliverynote"


class DunningsResource(SalesDocumentResource):
    path, kind, model, voucher_type = "/v1/dunnings", "dunning", Dunning, "dunning"
    can_finalize = False

    def create(  # type: ignore[override]
        self,
        document: BaseModel | dict[str, Any],
        preceding_sales_voucher_id: str | None = None,
        finalize: bool = False,
        *,
        correlation_ref: str | None = None,
    ) -> ActionResult:
        """A dunning is always a follow-up of an invoice (or down payment invoice) and always a draft."""
        if not preceding_sales_voucher_id:
            raise errors.InvalidRequest(
                "a dunning needs preceding_sales_voucher_id (the invoice it reminds of)",
                issues=[errors.FieldIssue("precedingSalesVoucherId", "required", "the invoice id")],
                hint="Pass preceding_sales_voucher_id=<invoice id>",
            )
        if finalize:
            raise errors.UnsupportedByApi("dunnings are always drafts: the API ignores finalize for them")
        return super().create(document, False, preceding_sales_voucher_id, correlation_ref=correlation_ref)

    def _candidates(self, body: dict[str, Any], preceding_id: str | None) -> Op:
        """Dunnings are not in the voucherlist (measured); they appear among the invoice's relatedVouchers."""
        if not preceding_id:
            return []
        invoice = yield from self._c.json_op(Call("GET", f"/v1/invoices/{preceding_id}"))
        related = invoice.get("relatedVouchers") or []
        return [r["id"] for r in reversed(related) if str(r.get("voucherType", "")).lower() == "dunning"]


class DownPaymentInvoicesResource(Resource):
    """Read-only (created in the web app)."""

    path = "/v1/down-payment-invoices"

    def get(self, id: str) -> DownPaymentInvoice:
        return self._run(self._get_op(DownPaymentInvoice, id))  # type: ignore[no-any-return]

    def file(self, id: str, accept: str = "application/pdf") -> FileDownload:
        return self._run(self._file_op(Call("GET", f"{self.path}/{id}/file", accept=accept)))  # type: ignore[no-any-return]


class RecurringTemplatesResource(Resource):
    path = "/v1/recurring-templates"

    def get(self, id: str) -> RecurringTemplate:
        return self._run(self._get_op(RecurringTemplate, id))  # type: ignore[no-any-return]

    def page(self, page: int = 0, size: int = 25, sort: str | None = None) -> Page[RecurringTemplate]:
        return self._run(self._page_op(RecurringTemplate, {"page": page, "size": size, "sort": sort}))  # type: ignore[no-any-return]

    def list(self, sort: str | None = None) -> Iterator[RecurringTemplate]:
        return self._iter(self._all_op(RecurringTemplate, {"sort": sort}))  # type: ignore[no-any-return]


def _voucherlist_params(voucher_type: Any, voucher_status: Any, filters: dict[str, Any]) -> dict[str, Any]:
    statuses = voucher_status if isinstance(voucher_status, str) else ",".join(voucher_status)
    if "overdue" in statuses.split(",") and statuses != "overdue":
        raise errors.InvalidRequest(
            "voucherStatus overdue cannot be combined with other statuses",
            issues=[errors.FieldIssue("voucherStatus", "invalid_value", statuses)],
            hint="Query overdue on its own",
        )
    types = voucher_type if isinstance(voucher_type, str) else ",".join(voucher_type)
    params = {"voucherType": types, "voucherStatus": statuses, **to_api_filters(filters)}
    for key in DATE_FILTERS:
        params[key] = plain_date(params.get(key))
        value = params[key]
        if value is not None and (not isinstance(value, str) or len(value) != 10):
            raise errors.InvalidRequest(
                f"{key} must be a plain date yyyy-MM-dd (got {value!r})",
                issues=[errors.FieldIssue(key, "invalid_format", "yyyy-MM-dd")],
                hint="Pass a datetime.date or 'YYYY-MM-DD'",
            )
    return params


class VoucherlistResource(Resource):
    """The only way to list sales documents and vouchers (docs/lexware.md#voucher-list)."""

    path = "/v1/voucherlist"

    def page(
        self,
        voucher_type: str | list[str] = "any",
        voucher_status: str | list[str] = "any",
        page: int = 0,
        size: int = 250,
        **filters: Any,
    ) -> Page[VoucherListItem]:
        """One page. Filters: archived, contact_id, voucher_date_from/to, created_date_from/to,
        updated_date_from/to (dates), voucher_number, sort (camelCase names are accepted too)."""
        params = {**_voucherlist_params(voucher_type, voucher_status, filters), "page": page, "size": size}
        return self._run(self._page_op(VoucherListItem, params))  # type: ignore[no-any-return]

    def iter(
        self, voucher_type: str | list[str] = "any", voucher_status: str | list[str] = "any", **filters: Any
    ) -> Iterator[VoucherListItem]:
        """Every matching row over all pages. Past the API's 10,000-entry window the voucher-date range is split
        by itself (rows without a voucherDate are only reached when the result fits the window)."""
        params = _voucherlist_params(voucher_type, voucher_status, filters)
        return self._iter(self._iter_op(params))  # type: ignore[no-any-return]

    def _iter_op(self, params: dict[str, Any]) -> Op:
        seen: set[str] = set()
        pending: list[dict[str, Any]] = [params]
        while pending:
            current = pending.pop(0)
            first = yield from self._page_op(VoucherListItem, {**current, "page": 0, "size": 250})
            if first.total_elements >= WINDOW:
                halves = split_range(current.get("voucherDateFrom"), current.get("voucherDateTo"))
                if halves is None:
                    raise errors.LexwareError(
                        "more than 10,000 vouchers on a single day match these filters",
                        hint="Add filters (voucher_type, voucher_status, contact_id) to stay under the API's window",
                    )
                pending[:0] = [{**current, "voucherDateFrom": a, "voucherDateTo": b} for a, b in halves]
                continue
            p, page = first, 0
            while True:
                for row in p.content:
                    if row.id not in seen:
                        seen.add(row.id)
                        yield Item(row)
                if p.last or not p.content:
                    break
                page += 1
                p = yield from self._page_op(VoucherListItem, {**current, "page": page, "size": 250})
        return None


class VouchersResource(_Updatable):
    path = "/v1/vouchers"
    kind = "voucher"
    model = Voucher

    def get(self, id: str) -> Voucher:
        return self._run(self._get_op(Voucher, id))  # type: ignore[no-any-return]

    def create(self, voucher: Voucher | dict[str, Any]) -> ActionResult:
        """Create a bookkeeping voucher (plain dates; totals must equal the items). An unknown outcome is settled
        by a voucher with the same number, type, supplier, gross amount and date: suppliers number independently,
        so the number alone may find another supplier's voucher."""
        body = body_of(voucher)
        check_body("voucher", body)
        number = body.get("voucherNumber")
        lookup = (lambda: self._lookup(body)) if number else None
        check = f"the vouchers numbered {number} of this supplier ({_supplier(body)})"
        call = Call("POST", self.path, json=body, lookup=lookup, what_to_check=check)
        return self._run(self._write_op(call))  # type: ignore[no-any-return]

    def _lookup(self, body: dict[str, Any]) -> Op:
        number = str(body["voucherNumber"])
        page, found = 0, []
        while True:
            p = yield from self._page_op(Voucher, {"voucherNumber": number, "page": page, "size": 250})
            found += [v for v in p.content if _same_voucher(v.model_dump(mode="json", by_alias=True), body)]
            if p.last or not p.content:
                break
            page += 1
        if len(found) > 1:
            raise errors.AmbiguousWrite(
                f"the create's outcome is unknown and {len(found)} vouchers numbered {number} match it "
                "(same supplier, amount and date)",
                method="POST",
                path=self.path,
                hint="It was NOT repeated. Check these vouchers in the web app before creating it again: "
                + ", ".join(str(v.id) for v in found),
            )
        return {"id": found[0].id, "version": found[0].version} if found else None

    def _prepare_put(self, current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Echoing voucherStatus is refused unless it is `open` (which books an unchecked voucher); files are kept
        unless the change lists them explicitly (a missing file id deletes the file, docs/lexware.md#bookkeeping-vouchers)."""
        if body.get("voucherStatus") != "open":
            body.pop("voucherStatus", None)
        for key in ("voucherDate", "shippingDate", "dueDate"):
            value = body.get(key)
            if isinstance(value, str) and "T" in value:
                body[key] = value[:10]
        return body

    def find_by_number(self, number: str) -> Voucher | None:
        """Deprecated `GET /v1/vouchers?voucherNumber=` (exact match); None if there is none."""
        return self._run(self._find_op(number))  # type: ignore[no-any-return]

    def _find_op(self, number: str) -> Op:
        page = yield from self._page_op(Voucher, {"voucherNumber": number})
        return page.content[0] if page.content else None

    def upload_file(self, voucher_id: str, content: bytes, filename: str) -> FileUpload:
        """Attach a file to an existing voucher (`POST /v1/vouchers/{id}/files`, no `type` part)."""
        files = _upload_parts(content, filename)
        call = Call("POST", f"{self.path}/{voucher_id}/files", files=files, retry_post=True)
        return self._run(self._write_op(call, FileUpload))  # type: ignore[no-any-return]


_VOUCHER_KEY = ("type", "totalGrossAmount", "voucherDate")


def _supplier(body: dict[str, Any]) -> str:
    if body.get("useCollectiveContact"):
        return f"collective contact, name {body.get('contactName')!r}"
    return f"contact {body.get('contactId')}"


def _same_voucher(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether a stored voucher is the one `sent` would have created: the number (the API matches it without case),
    the supplier (contact id, or the collective contact's name), type, gross amount and voucher date."""
    if str(stored.get("voucherNumber") or "").casefold() != str(sent.get("voucherNumber") or "").casefold():
        return False
    collective = bool(sent.get("useCollectiveContact"))
    if bool(stored.get("useCollectiveContact")) != collective:
        return False
    supplier = "contactName" if collective else "contactId"
    if (stored.get(supplier) or None) != (sent.get(supplier) or None):
        return False
    return all(same_value(stored.get(k), sent.get(k)) for k in _VOUCHER_KEY)


def _upload_parts(content: bytes, filename: str) -> dict[str, Any]:
    """Check size (≤ 5 MiB) and extension before sending; the multipart `file` part."""
    ext = PurePath(filename).suffix.lower().lstrip(".")
    if ext not in UPLOAD_EXTENSIONS:
        raise errors.InvalidRequest(
            f"files of type .{ext or '?'} cannot be uploaded",
            issues=[errors.FieldIssue("file", "inacceptable_file_extension", "pdf, jpg, jpeg, png or xml")],
            hint="Convert it to PDF, JPG or PNG (XML only for e-invoices with E-Rechnung enabled)",
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise errors.InvalidRequest(
            f"the file is {len(content)} bytes; at most 5 MiB ({MAX_UPLOAD_BYTES} bytes) are accepted",
            issues=[errors.FieldIssue("file", "max_file_size_exceeded", "at most 5 MiB")],
            hint="Compress or split the file",
        )
    return {"file": (PurePath(filename).name, content, MEDIA_TYPES[ext])}


class FilesResource(Resource):
    path = "/v1/files"

    def upload(self, content: bytes, filename: str, type: str = "voucher") -> FileUpload:
        """Upload a receipt: creates a voucher (`voucherId`) that OCR fills in. Duplicate content returns the
        existing ids (the server deduplicates by checksum), so an unknown outcome is safely retried."""
        if type != "voucher":
            raise errors.UnsupportedByApi("the only upload type is 'voucher'")
        call = Call("POST", self.path, files=_upload_parts(content, filename), data={"type": type}, retry_post=True)
        return self._run(self._write_op(call, FileUpload))  # type: ignore[no-any-return]

    def download(self, id: str, accept: str = "*/*") -> FileDownload:
        return self._run(self._file_op(Call("GET", f"{self.path}/{id}", accept=accept)))  # type: ignore[no-any-return]


class PaymentsResource(Resource):
    path = "/v1/payments"

    def get(self, voucher_id: str) -> Payment:
        """Payment state of an invoice, credit note or voucher (drafts → 406). Read-only: payments cannot be set."""
        return self._run(self._get_op(Payment, voucher_id))  # type: ignore[no-any-return]


class _MasterList(Resource):
    model: type[BaseModel] = BaseModel

    def list(self) -> list[Any]:
        return self._run(self._list_op(self.model))  # type: ignore[no-any-return]


class CountriesResource(_MasterList):
    path, model = "/v1/countries", Country


class PaymentConditionsResource(_MasterList):
    path, model = "/v1/payment-conditions", PaymentCondition


class PostingCategoriesResource(_MasterList):
    path, model = "/v1/posting-categories", PostingCategory


class PrintLayoutsResource(_MasterList):
    path, model = "/v1/print-layouts", PrintLayout


class EventSubscriptionsResource(Resource):
    path = "/v1/event-subscriptions"

    def create(self, event_type: str, callback_url: str) -> ActionResult:
        """Subscribe (HTTPS callbacks only upstream; a duplicate answers 409). An unknown outcome is settled by
        listing the subscriptions. Event types are matched in lowercase (docs/lexware.md#event-types), so they are sent (and looked up) so."""
        event_type = event_type.strip().lower()
        body = {"eventType": event_type, "callbackUrl": callback_url}
        call = Call(
            "POST",
            self.path,
            json=body,
            lookup=lambda: self._lookup(event_type, callback_url),
            what_to_check="the event subscriptions",
        )
        return self._run(self._write_op(call))  # type: ignore[no-any-return]

    def _lookup(self, event_type: str, callback_url: str) -> Op:
        subs = yield from self._list_op(EventSubscription)
        for s in subs:
            if s.event_type == event_type and s.callback_url == callback_url:
                return {"id": s.subscription_id, "createdDate": s.created_date}
        return None

    def get(self, subscription_id: str) -> EventSubscription:
        return self._run(self._get_op(EventSubscription, subscription_id))  # type: ignore[no-any-return]

    def list(self) -> list[EventSubscription]:
        return self._run(self._list_op(EventSubscription))  # type: ignore[no-any-return]

    def delete(self, subscription_id: str) -> None:
        self._run(self._c.json_op(Call("DELETE", f"{self.path}/{subscription_id}")))


class TransactionAssignmentHintsResource(Resource):
    """Partner-only `POST /v1/transaction-assignment-hint` (docs/lexware.md#transaction-assignment-hint): tells Lexware which incoming payment
    transaction belongs to a voucher, so it can assign it automatically when the transaction arrives. It does not
    mark anything paid, and only one hint per voucher is accepted (a second answers 406).

    Not part of the public API: it needs a partner OAuth token with `transaction-assignment-hint.write`. The client
    refuses it before sending unless made with `allow_partner_endpoints=True` (`connect()`: the setting
    `LEXWARE_ALLOW_PARTNER_ENDPOINTS`)."""

    path = "/v1/transaction-assignment-hint"

    def create(self, voucher_id: str, external_reference: str) -> dict[str, Any]:
        """Send the hint; `external_reference` is the payment's transaction id (PayPal, Stripe, bank)."""
        return self._run(self._create_op(voucher_id, external_reference))  # type: ignore[no-any-return]

    def _create_op(self, voucher_id: str, external_reference: str) -> Op:
        # Checked inside the op, so the async client raises on await like every other error.
        if not self._c.allow_partner_endpoints:
            raise _partner_endpoint_disabled("POST", self.path)
        body = {"voucherId": voucher_id, "externalReference": external_reference}
        return (yield from self._c.json_op(Call("POST", self.path, json=body, what_to_check="the voucher's hint")))


def _partner_endpoint_disabled(method: str, path: str) -> errors.PartnerEndpointDisabled:
    """The refusal for a partner-only endpoint while the opt-in is off: what it is, what it needs, how to enable."""
    return errors.PartnerEndpointDisabled(
        "refused before sending: this is a partner-only endpoint, not part of the public API (see docs/lexware.md#transaction-assignment-hint). "
        "It needs a Lexware partner OAuth app (partnership agreement) whose access token holds the "
        "transaction-assignment-hint.write scope; a plain API key gets 403/404",
        method=method,
        path=path,
        hint="To use it with a partner OAuth token, set LEXWARE_ALLOW_PARTNER_ENDPOINTS=true (read by connect() "
        "and the actions) or create the client with allow_partner_endpoints=True",
    )
