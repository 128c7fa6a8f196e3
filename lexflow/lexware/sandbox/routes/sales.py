"""Sales documents (docs/lexware.md#sales-documents): create (optionally finalized, optionally pursued), get, /document, /file.

There is no PUT, DELETE or list endpoint for these: the gateway answers 403 (or the measured 404 with
`unsupported_method_status=404`), and lists come from /v1/voucherlist.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from lexflow.lexware.models.totals import (
    TAX_TYPES,
    VAT_FREE_TAX_TYPES,
    compute_document_totals,
    dec,
    other_unit_price,
    valid_tax_rates,
)
from lexflow.lexware.sandbox import render
from lexflow.lexware.sandbox.common import (
    check_len,
    check_shapes,
    decimals,
    is_uuid,
    new_id,
    number,
    out,
    parse_timestamp,
    stamp_new,
)
from lexflow.lexware.sandbox.documents import PURSUE, TYPES, DocType, open_amount, related_entry
from lexflow.lexware.sandbox.errors import BERLIN, ApiError, Issue, validation
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, action_result, json, public
from lexflow.lexware.sandbox.masterdata import (
    COUNTRY_CODES,
    DEFAULT_PAYMENT_TERM_DAYS,
    DEFAULT_PRINT_LAYOUT_ID,
    PRINT_LAYOUT_IDS,
    TAX_CLASSIFICATION,
)
from lexflow.lexware.sandbox.state import stamp
from lexflow.sandbox.store import Doc

LINE_TYPES = ("custom", "material", "service", "text")
SHIPPING_TYPES = ("service", "serviceperiod", "delivery", "deliveryperiod", "none")
TAX_SUB_TYPES = (None, "distanceSales", "electronicServices")
SHAPES: dict[str, type | tuple[type, ...]] = {
    "address": dict,
    "lineItems": list,
    "lineItems[]": dict,
    "lineItems[].unitPrice": dict,
    "lineItems[].subItems": list,
    "lineItems[].subItems[]": dict,
    "lineItems[].subItems[].unitPrice": dict,
    "totalPrice": dict,
    "taxConditions": dict,
    "shippingConditions": dict,
    "paymentConditions": dict,
    "paymentConditions.paymentDiscountConditions": dict,
    "xRechnung": dict,
}
INTRODUCTION = "Unsere Lieferungen/Leistungen stellen wir Ihnen wie folgt in Rechnung."
REMARK = "Vielen Dank für die gute Zusammenarbeit."


def _ts(issues: list[Issue], body: dict[str, Any], key: str, path: str = "", required: bool = False) -> datetime | None:
    value = body.get(key)
    if value is None:
        if required:
            issues.append(Issue(f"{path}{key}", "missing", "must not be null"))
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        issues.append(
            Issue(
                f"{path}{key}",
                "pattern",
                "must be a timestamp yyyy-MM-ddTHH:mm:ss.SSSXXX, e.g. 2023-02-21T00:00:00.000+01:00",
            )
        )
    return parsed


def _berlin_date(dt: datetime | None) -> date | None:
    return dt.astimezone(BERLIN).date() if dt is not None else None


def _berlin_stamp(value: str) -> str:
    """A validated timestamp as the API answers it: in Berlin time, whatever offset the client sent (docs/lexware.md#timestamps). The
    voucherlist's date filters and sort read the stored text, and they mean Berlin days."""
    parsed = parse_timestamp(value)
    assert parsed is not None  # validated before a document is built
    return stamp(parsed)


class Draft:
    """A validated create request, ready to be stored."""

    def __init__(self, ctx: Ctx, spec: DocType, body: dict[str, Any], preceding: Doc | None) -> None:
        self.ctx, self.spec, self.body, self.preceding = ctx, spec, body, preceding
        self.issues: list[Issue] = []
        self.contact: Doc | None = None
        self.tax_type: str = ""
        self.tax_date: date | None = None

    # validation ------------------------------------------------------------------------------------------------
    def validate(self) -> None:
        b, issues, spec = self.body, self.issues, self.spec
        check_shapes(b, SHAPES)
        voucher_date = _ts(issues, b, "voucherDate", required=True)
        if spec.collection == "quotations":
            _ts(issues, b, "expirationDate", required=True)
        if b.get("language") not in (None, "de", "en"):
            issues.append(Issue("language", "invalid", "language must be de or en"))
        check_len(issues, b, "title", 25)
        check_len(issues, b, "introduction", 2000)
        check_len(issues, b, "remark", 2000)
        check_len(issues, b, "deliveryTerms", 255)
        if b.get("printLayoutId") is not None and b["printLayoutId"] not in PRINT_LAYOUT_IDS:
            issues.append(Issue("printLayoutId", "invalid", "unknown print layout (see /v1/print-layouts)"))
        self._tax_conditions()
        org = self.ctx.state.organization(self.ctx.org)
        if org.small_business and self.tax_type and self.tax_type != "vatfree":
            issues.append(
                Issue("taxConditions.taxType", "invalid", "a small business (§19 UStG) can only issue vatfree")
            )
        self._address()
        self._tax_sub_type()
        shipping_date = self._shipping()
        self.tax_date = shipping_date or _berlin_date(voucher_date)
        self._totals_block()
        self._line_items()
        self._payment_conditions()
        self._xrechnung()
        if issues:
            raise validation(issues)

    def _tax_conditions(self) -> None:
        tc = self.body.get("taxConditions")
        if not isinstance(tc, dict) or not tc.get("taxType"):
            self.issues.append(Issue("taxConditions.taxType", "missing", "must not be null"))
            return
        if tc["taxType"] not in TAX_TYPES:
            self.issues.append(Issue("taxConditions.taxType", "invalid", f"one of {', '.join(sorted(TAX_TYPES))}"))
            return
        if tc.get("taxSubType") not in TAX_SUB_TYPES:
            self.issues.append(
                Issue("taxConditions.taxSubType", "invalid", "distanceSales, electronicServices or null")
            )
        self.tax_type = tc["taxType"]

    def _address(self) -> None:
        addr = self.body.get("address")
        if not isinstance(addr, dict):
            self.issues.append(Issue("address", "missing", "must not be null"))
            return
        contact_id = addr.get("contactId")
        if contact_id is not None:
            contact = self.ctx.state.store.get(self.ctx.org, "contacts", str(contact_id))
            if contact is None:
                self.issues.append(Issue("address.contactId", "invalid", "no contact with this id"))
            elif "customer" not in (contact.get("roles") or {}):
                self.issues.append(Issue("address.contactId", "invalid", "the contact must have the role customer"))
            else:
                self.contact = contact
        else:
            if not str(addr.get("name") or "").strip():
                self.issues.append(Issue("address.name", "blank", "name is required without a contactId"))
            if not addr.get("countryCode"):
                self.issues.append(
                    Issue("address.countryCode", "missing", "countryCode is required without a contactId")
                )
        code = addr.get("countryCode")
        if code and code not in COUNTRY_CODES:
            self.issues.append(
                Issue(
                    "address.countryCode",
                    "invalid",
                    f"unknown country code; supported: {', '.join(sorted(COUNTRY_CODES))}",
                )
            )
        if self.tax_type in VAT_FREE_TAX_TYPES and self.tax_type != "vatfree" and contact_id is None:
            self.issues.append(
                Issue("address.contactId", "missing", f"taxType {self.tax_type} needs a referenced contact")
            )

    def _country(self) -> str | None:
        """The recipient's country: the document's address, else the referenced contact's billing address."""
        code = (self.body.get("address") or {}).get("countryCode")
        if code:
            return str(code)
        billing = ((self.contact or {}).get("addresses") or {}).get("billing") or [{}]
        return billing[0].get("countryCode")

    def _tax_sub_type(self) -> None:
        """docs/lexware.md#tax-conditions: taxSubType (distance sales, electronic services) only for EU recipients with net/gross; the
        country's taxClassification (/v1/countries) decides what is EU."""
        sub = (self.body.get("taxConditions") or {}).get("taxSubType")
        if sub is None or not self.tax_type:
            return
        if self.tax_type not in ("net", "gross"):
            self.issues.append(
                Issue("taxConditions.taxSubType", "invalid", f"{sub} is only allowed with taxType net or gross")
            )
        country = self._country()
        if country is not None and TAX_CLASSIFICATION.get(country) != "intraCommunity":
            self.issues.append(
                Issue(
                    "taxConditions.taxSubType",
                    "invalid",
                    f"{sub} is only for recipients in another EU country (intraCommunity); {country} is "
                    f"{TAX_CLASSIFICATION.get(country, 'unknown')}",
                )
            )

    def _shipping(self) -> date | None:
        sc = self.body.get("shippingConditions")
        if sc is None:
            if self.spec.shipping_required:
                self.issues.append(Issue("shippingConditions", "missing", "must not be null"))
            return None
        if not self.spec.has_shipping:
            return None
        stype = sc.get("shippingType")
        if stype not in SHIPPING_TYPES:
            self.issues.append(
                Issue("shippingConditions.shippingType", "invalid", f"one of {', '.join(SHIPPING_TYPES)}")
            )
            return None
        start = _ts(self.issues, sc, "shippingDate", "shippingConditions.", required=stype != "none")
        end = _ts(self.issues, sc, "shippingEndDate", "shippingConditions.", required=stype.endswith("period"))
        if start and end and end < start:
            self.issues.append(
                Issue("shippingConditions.shippingEndDate", "invalid", "must not be before shippingDate")
            )
        if stype == "none":
            return None
        return _berlin_date(end if stype.endswith("period") else start)

    def _totals_block(self) -> None:
        tp = self.body.get("totalPrice")
        if tp is None:
            if self.spec.prices:
                self.issues.append(Issue("totalPrice", "missing", "must not be null"))
            return
        if tp.get("currency") != "EUR":
            self.issues.append(Issue("totalPrice.currency", "invalid", "only EUR is supported"))
        for key in ("totalDiscountPercentage", "totalDiscountAbsolute"):
            if tp.get(key) is not None:
                value = number(tp[key])
                if value is None or value < 0 or decimals(value) > 2 or (key.endswith("Percentage") and value > 100):
                    self.issues.append(Issue(f"totalPrice.{key}", "invalid", "a non-negative amount with 2 decimals"))

    def _line_items(self) -> None:
        items = self.body.get("lineItems")
        if not isinstance(items, list) or not items:
            self.issues.append(Issue("lineItems", "empty", "must not be empty"))
            return
        if len(items) > 300:
            self.issues.append(Issue("lineItems", "size", "at most 300 line items"))
        valid_rates = valid_tax_rates(self.tax_date) if self.tax_date else None
        for i, item in enumerate(items):
            self._line_item(f"lineItems[{i}]", item, valid_rates, sub=False)

    def _line_item(self, path: str, item: Any, valid_rates: set[Decimal] | None, sub: bool) -> None:
        issues = self.issues
        if not isinstance(item, dict):
            issues.append(Issue(path, "invalid", "must be an object"))
            return
        ltype = item.get("type")
        if ltype not in LINE_TYPES:
            issues.append(Issue(f"{path}.type", "invalid", "custom, material, service or text"))
            return
        if item.get("id") is not None:
            if ltype not in ("material", "service"):
                issues.append(
                    Issue(f"{path}.id", "invalid", "Only line items of type 'material' or 'service' can contain an ID")
                )
            elif self.ctx.state.store.get(self.ctx.org, "articles", str(item["id"])) is None:
                issues.append(Issue(f"{path}.id", "invalid", "no article with this id"))
        elif ltype in ("material", "service"):
            issues.append(Issue(f"{path}.id", "missing", f"line items of type {ltype} need the article id"))
        check_len(issues, item, "name", 255, f"{path}.")
        check_len(issues, item, "description", 2000, f"{path}.")
        if ltype == "text":
            if not item.get("name") and not item.get("description"):
                issues.append(Issue(f"{path}.name", "blank", "a text line needs a name or a description"))
            return
        if not str(item.get("name") or "").strip():
            issues.append(Issue(f"{path}.name", "blank", "must not be blank"))
        qty = number(item.get("quantity"))
        if qty is None:
            issues.append(Issue(f"{path}.quantity", "missing", "must not be null"))
        elif qty < 0 or decimals(qty) > 4:
            issues.append(Issue(f"{path}.quantity", "invalid", "a non-negative number with at most 4 decimals"))
        if not str(item.get("unitName") or "").strip():
            issues.append(Issue(f"{path}.unitName", "blank", "must not be blank"))
        if item.get("discountPercentage") is not None:
            disc = number(item["discountPercentage"])
            if not self.spec.line_discounts:
                issues.append(
                    Issue(f"{path}.discountPercentage", "invalid", f"no line discounts on {self.spec.collection}")
                )
            elif disc is None or disc < 0 or disc > 100 or decimals(disc) > 2:
                issues.append(Issue(f"{path}.discountPercentage", "invalid", "0..100 with at most 2 decimals"))
        if self.spec.collection == "quotations":
            if sub and item.get("alternative") is not True:
                issues.append(
                    Issue(f"{path}.alternative", "invalid", "sub items must be alternatives (alternative: true)")
                )
            if not sub and item.get("alternative"):
                issues.append(Issue(f"{path}.alternative", "invalid", "only sub items can be alternatives"))
            for j, subitem in enumerate(item.get("subItems") or []):
                self._line_item(f"{path}.subItems[{j}]", subitem, valid_rates, sub=True)
        price = item.get("unitPrice")
        if price is None:
            if self.spec.prices:
                issues.append(Issue(f"{path}.unitPrice", "missing", "must not be null"))
            return
        if price.get("currency") != "EUR":
            issues.append(Issue(f"{path}.unitPrice.currency", "invalid", "only EUR is supported"))
        rate = number(price.get("taxRatePercentage"))
        if rate is None:
            issues.append(Issue(f"{path}.unitPrice.taxRatePercentage", "missing", "must not be empty"))
        elif self.tax_type in VAT_FREE_TAX_TYPES:
            if rate != 0:
                issues.append(
                    Issue(f"{path}.unitPrice.taxRatePercentage", "invalid", f"must be 0 for taxType {self.tax_type}")
                )
        elif valid_rates is not None and rate not in valid_rates:
            allowed = ", ".join(str(r) for r in sorted(valid_rates))
            issues.append(
                Issue(
                    f"{path}.unitPrice.taxRatePercentage",
                    "invalid",
                    f"{rate}% is not valid on {self.tax_date} (valid: {allowed})",
                )
            )
        key = "grossAmount" if self.tax_type == "gross" else "netAmount"
        amount = number(price.get(key))
        if amount is None:
            if self.spec.prices:
                issues.append(
                    Issue(f"{path}.unitPrice.{key}", "missing", f"required for taxType {self.tax_type or 'net'}")
                )
        elif decimals(amount) > 4:
            issues.append(Issue(f"{path}.unitPrice.{key}", "invalid", "at most 4 decimals"))

    def _payment_conditions(self) -> None:
        pc = self.body.get("paymentConditions")
        if pc is None or not self.spec.has_payment_conditions:
            return
        dur = pc.get("paymentTermDuration")
        if dur is not None and (not isinstance(dur, int) or dur < 0):
            self.issues.append(
                Issue("paymentConditions.paymentTermDuration", "invalid", "days, a non-negative integer")
            )

    def _xrechnung(self) -> None:
        xr = self.body.get("xRechnung")
        if self.spec.collection != "invoices" or not isinstance(xr, dict) or not xr.get("buyerReference"):
            return
        cxr = (self.contact or {}).get("xRechnung") or {}
        if not cxr.get("vendorNumberAtCustomer") and not cxr.get("buyerReference"):
            self.issues.append(
                Issue(
                    "xRechnung.buyerReference", "invalid", "the contact has no Leitweg-ID / vendor number for XRechnung"
                )
            )


def _pursue_source(ctx: Ctx, spec: DocType, preceding_id: str | None) -> tuple[str, Doc] | None:
    if spec.collection == "dunnings" and not preceding_id:
        raise validation(
            [Issue("precedingSalesVoucherId", "missing", "a dunning needs precedingSalesVoucherId (an invoice)")]
        )
    if not preceding_id:
        return None
    sources = PURSUE.get(spec.collection, frozenset())
    if not is_uuid(preceding_id):
        raise validation([Issue("precedingSalesVoucherId", "invalid", "not a uuid")])
    for coll in sources:
        doc = ctx.state.store.get(ctx.org, coll, preceding_id)
        if doc is not None:
            break
    else:
        raise validation(
            [
                Issue(
                    "precedingSalesVoucherId",
                    "invalid",
                    f"{spec.collection} cannot follow this document (or it does not exist)",
                )
            ]
        )
    if doc.get("voucherStatus") == "draft":
        raise validation(
            [Issue("precedingSalesVoucherId", "invalid", "a draft cannot be pursued; finalize it in the app")]
        )
    if doc.get("closingInvoice"):
        raise validation([Issue("precedingSalesVoucherId", "invalid", "a closing invoice cannot be pursued")])
    if coll == "quotations" and any(li.get("optional") or li.get("subItems") for li in doc.get("lineItems") or []):
        raise validation(
            [
                Issue(
                    "precedingSalesVoucherId",
                    "invalid",
                    "a quotation with optional or alternative items cannot be pursued",
                )
            ]
        )
    if spec.collection == "credit-notes" and any(
        r.get("voucherType") == "creditnote" for r in doc.get("relatedVouchers") or []
    ):
        raise validation([Issue("precedingSalesVoucherId", "invalid", "only one credit note can relate to an invoice")])
    return coll, doc


def _price_out(price: dict[str, Any] | None, tax_type: str) -> dict[str, Any] | None:
    if price is None:
        return None
    rate = dec(price.get("taxRatePercentage"))
    if tax_type == "gross":
        net, gross = other_unit_price(gross=price.get("grossAmount") or 0, rate=rate)
    else:
        net, gross = other_unit_price(net=price.get("netAmount") or 0, rate=rate)
    return {"currency": "EUR", "netAmount": out(net), "grossAmount": out(gross), "taxRatePercentage": out(rate)}


def _line_out(spec: DocType, item: dict[str, Any], amount: Decimal | None, tax_type: str) -> dict[str, Any]:
    """A line as the API answers it: decimals as JSON floats (1.0, not 1), and the defaults the live shapes carry
    when the client left them out (`discountPercentage` 0.0 where line discounts exist; `optional` and
    `alternative` false on quotations)."""
    if item["type"] == "text":
        return {k: item[k] for k in ("type", "name", "description") if item.get(k) is not None}
    line: dict[str, Any] = {"type": item["type"]}
    if item.get("id"):
        line["id"] = item["id"]
    for key in ("name", "description", "unitName"):
        if item.get(key) is not None:
            line[key] = item[key]
    if item.get("quantity") is not None:
        line["quantity"] = out(dec(item["quantity"]))
    line["unitPrice"] = _price_out(item.get("unitPrice"), tax_type)
    if spec.line_discounts:
        line["discountPercentage"] = out(dec(item.get("discountPercentage") or 0))
    if amount is not None:
        line["lineItemAmount"] = out(amount)
    if spec.collection == "quotations":
        line["optional"] = bool(item.get("optional"))
        line["alternative"] = bool(item.get("alternative"))
    if item.get("subItems"):
        line["subItems"] = [_line_out(spec, s, None, tax_type) for s in item["subItems"]]
    return line


def _address_out(spec: DocType, addr: dict[str, Any], contact: Doc | None) -> dict[str, Any]:
    if contact is None:
        return {k: v for k, v in addr.items() if k in ("name", "supplement", "street", "city", "zip", "countryCode")}
    addresses = contact.get("addresses") or {}
    prefer = ("shipping", "billing") if spec.collection == "delivery-notes" else ("billing", "shipping")
    base: dict[str, Any] = {}
    for kind in prefer:
        if addresses.get(kind):
            base = dict(addresses[kind][0])
            break
    result: dict[str, Any] = {"contactId": contact["id"]}
    from lexflow.lexware.sandbox.routes.contacts import contact_name

    result["name"] = contact_name(contact)
    result.update({k: v for k, v in base.items() if k in ("supplement", "street", "city", "zip", "countryCode")})
    result.update(
        {k: v for k, v in addr.items() if k in ("name", "supplement", "street", "city", "zip", "countryCode")}
    )
    persons = (contact.get("company") or {}).get("contactPersons") or []
    if persons:
        p = persons[0]
        result["contactPerson"] = " ".join(x for x in (p.get("salutation"), p.get("firstName"), p.get("lastName")) if x)
    return result


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " %"


def _payment_conditions(body: dict[str, Any]) -> dict[str, Any]:
    """The payment conditions as answered: `paymentTermLabelTemplate` is read-only (docs/lexware.md#sales-documents): the label the client
    sent (a fixed text), else the account's standard wording with its {paymentRange}/{discountRange}/{discount}
    placeholders, which the label fills in."""
    sent = body.get("paymentConditions") or {}
    days = sent.get("paymentTermDuration", DEFAULT_PAYMENT_TERM_DAYS)
    pc: dict[str, Any] = {k: v for k, v in sent.items() if k != "paymentTermLabelTemplate"}
    pc["paymentTermDuration"] = days
    discount = sent.get("paymentDiscountConditions")
    if discount:
        percent = dec(discount.get("discountPercentage") or 0)
        pc["paymentDiscountConditions"] = {**discount, "discountPercentage": out(percent)}
        template = (
            "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug, "
            "bei Zahlung innerhalb von {discountRange} Tagen {discount} Skonto."
        )
        values = {"paymentRange": days, "discountRange": discount.get("discountRange"), "discount": _percent(percent)}
    else:
        template = "Zahlbar innerhalb von {paymentRange} Tagen ohne Abzug." if days else "Zahlbar sofort, rein netto."
        values = {"paymentRange": days}
    if sent.get("paymentTermLabel") is not None:
        template = str(sent["paymentTermLabel"])
    else:
        pc["paymentTermLabel"] = template.format(**values)
    pc["paymentTermLabelTemplate"] = template
    return pc


def build_document(draft: Draft, finalize: bool, now: str) -> Doc:
    spec, body = draft.spec, draft.body
    tax_type = draft.tax_type
    items = body["lineItems"]
    doc: Doc = {"id": new_id()}
    stamp_new(doc, draft.ctx.org, now)
    status = "open" if finalize and spec.finalizable else "draft"
    doc.update(
        {
            "language": body.get("language") or "de",
            "archived": False,
            "voucherStatus": status,
        }
    )
    if spec.prefix and (status != "draft" or draft.ctx.state.config.draft_voucher_numbers):
        seq = draft.ctx.state.store.next_number(draft.ctx.org, f"number:{spec.collection}", 1001)
        doc["voucherNumber"] = f"{spec.prefix}{seq}"
    doc["voucherDate"] = _berlin_stamp(body["voucherDate"])
    if spec.collection == "quotations":
        doc["expirationDate"] = _berlin_stamp(body["expirationDate"])
    doc["address"] = _address_out(spec, body["address"], draft.contact)
    if spec.prices:
        totals = compute_document_totals(
            items,
            tax_type,
            (body.get("totalPrice") or {}).get("totalDiscountPercentage"),
            (body.get("totalPrice") or {}).get("totalDiscountAbsolute"),
        )
        doc["lineItems"] = [_line_out(spec, i, a, tax_type) for i, a in zip(items, totals.line_amounts, strict=True)]
        total_price: dict[str, Any] = {
            "currency": "EUR",
            "totalNetAmount": out(totals.total_net),
            "totalGrossAmount": out(totals.total_gross),
            "totalTaxAmount": out(totals.total_tax),
        }
        for key in ("totalDiscountAbsolute", "totalDiscountPercentage"):
            if (body.get("totalPrice") or {}).get(key) is not None:
                total_price[key] = out(dec(body["totalPrice"][key]))
        doc["totalPrice"] = total_price
        doc["taxAmounts"] = [
            {
                "taxRatePercentage": out(t["taxRatePercentage"]),
                "taxAmount": out(t["taxAmount"]),
                "netAmount": out(t["netAmount"]),
            }
            for t in totals.tax_amounts
        ]
    else:
        doc["lineItems"] = [_line_out(spec, i, None, tax_type) for i in items]
    doc["taxConditions"] = {
        k: v for k, v in body["taxConditions"].items() if k in ("taxType", "taxSubType", "taxTypeNote")
    }
    if spec.has_payment_conditions:
        doc["paymentConditions"] = _payment_conditions(body)
    if spec.has_shipping and body.get("shippingConditions") is not None:
        doc["shippingConditions"] = {
            k: _berlin_stamp(v) if k in ("shippingDate", "shippingEndDate") and v is not None else v
            for k, v in body["shippingConditions"].items()
        }
    if spec.collection == "invoices":
        doc["dueDate"] = None
        if status == "open":
            due = date.fromisoformat(doc["voucherDate"][:10]) + timedelta(
                days=int(doc["paymentConditions"]["paymentTermDuration"])
            )
            doc["dueDate"] = datetime.combine(due, time(), BERLIN).isoformat(timespec="milliseconds")
        doc["closingInvoice"] = False
        doc["recurringTemplateId"] = None
        if isinstance(body.get("xRechnung"), dict):
            doc["xRechnung"] = {"buyerReference": body["xRechnung"].get("buyerReference")}
    if spec.collection in ("order-confirmations", "delivery-notes"):
        doc["deliveryTerms"] = body.get("deliveryTerms")
    doc["electronicDocumentProfile"] = "NONE"
    doc["relatedVouchers"] = []
    doc["printLayoutId"] = body.get("printLayoutId") or DEFAULT_PRINT_LAYOUT_ID
    doc["title"] = body.get("title") or spec.title
    doc["introduction"] = body.get("introduction") if body.get("introduction") is not None else INTRODUCTION
    doc["remark"] = body.get("remark") if body.get("remark") is not None else REMARK
    return doc


def _xrechnung_profile(draft: Draft, doc: Doc) -> None:
    """Invoices for a contact with a Leitweg-ID become XRechnung when finalized (checked as in docs/lexware.md#xrechnung)."""
    if draft.spec.collection != "invoices" or doc["voucherStatus"] == "draft":
        return
    body_xr = draft.body.get("xRechnung")
    if isinstance(body_xr, dict) and "buyerReference" in body_xr:
        buyer_ref = body_xr.get("buyerReference") or ""
    else:
        buyer_ref = ((draft.contact or {}).get("xRechnung") or {}).get("buyerReference") or ""
    if not buyer_ref:
        return
    issues: list[Issue] = []
    if draft.tax_type != "net":
        issues.append(Issue("taxConditions.taxType", "invalid", "XRechnung needs taxType net"))
    contact = draft.contact or {}
    cxr = contact.get("xRechnung") or {}
    if not cxr.get("vendorNumberAtCustomer"):
        issues.append(Issue("address.contactId", "invalid", "XRechnung needs a contact with vendorNumberAtCustomer"))
    billing = ((contact.get("addresses") or {}).get("billing") or [{}])[0]
    if not billing.get("zip") or not billing.get("city"):
        issues.append(Issue("address.contactId", "invalid", "XRechnung needs a billing address with zip and city"))
    org = draft.ctx.state.organization(draft.ctx.org)
    for label, value in (
        ("company name", org.company_name),
        ("address", org.street and org.zip and org.city),
        ("phone", org.phone),
        ("e-mail", org.email),
        ("tax number or VAT id", org.tax_number or org.vat_registration_id),
        ("bank account in the print layout footer", org.iban),
    ):
        if not value:
            issues.append(Issue("organization", "invalid", f"XRechnung needs the company's {label} (settings)"))
    if issues:
        raise validation(issues)
    doc["electronicDocumentProfile"] = "XRechnung"
    doc.setdefault("xRechnung", {})["buyerReference"] = buyer_ref


def make_create(collection: str):  # type: ignore[no-untyped-def]
    spec = TYPES[collection]

    async def create(ctx: Ctx) -> Response:
        state = ctx.state
        finalize = (ctx.query.get("finalize") or "").lower() == "true"
        source = _pursue_source(ctx, spec, ctx.query.get("precedingSalesVoucherId"))
        draft = Draft(ctx, spec, ctx.body, source[1] if source else None)
        draft.validate()
        if source and spec.collection == "dunnings":
            _check_dunning(draft, source[1])
        now = state.clock.stamp()
        doc = build_document(draft, finalize, now)
        _xrechnung_profile(draft, doc)
        if source and spec.collection == "dunnings":
            doc["address"]["name"] = source[1]["address"].get("name")
        events: list[tuple[str, str]] = [(f"{spec.event}.created", doc["id"])]
        if source:
            src_coll, src = source
            doc["relatedVouchers"].append(related_entry(src_coll, src))
            src.setdefault("relatedVouchers", []).append(related_entry(collection, doc))
            src["updatedDate"] = now
            events.append((f"{TYPES[src_coll].event}.changed", src["id"]))
            if collection == "credit-notes" and doc["voucherStatus"] == "open":
                events += _settle_with_credit_note(state, ctx.org, src, doc, now)
            state.store.put(ctx.org, src_coll, src)
        state.store.put(ctx.org, collection, doc)
        for event_type, resource_id in events:
            state.emit(ctx.org, event_type, resource_id)
        return action_result(ctx, collection, doc, 201)

    create.__name__ = f"create_{collection.replace('-', '_')}"
    return create


def _check_dunning(draft: Draft, invoice: Doc) -> None:
    inv_contact = (invoice.get("address") or {}).get("contactId")
    if (draft.body.get("address") or {}).get("contactId") != inv_contact:
        raise validation([Issue("address.contactId", "invalid", "a dunning must address the invoice's contact")])
    if (invoice.get("taxConditions") or {}).get("taxType") != draft.tax_type:
        raise validation([Issue("taxConditions.taxType", "invalid", "a dunning must use the invoice's taxType")])


def _settle_with_credit_note(state: Any, org: str, invoice: Doc, credit_note: Doc, now: str) -> list[tuple[str, str]]:
    """A finalized credit note pursued from an invoice is paidoff at once and reduces the invoice's open amount."""
    from lexflow.lexware.sandbox.domain import add_payment_item

    credit_note["voucherStatus"] = "paidoff"
    credit_note["_paidDate"] = now
    events = [("credit-note.status.changed", credit_note["id"])]
    if invoice.get("voucherStatus") in ("open",):
        amount = min(dec(credit_note["totalPrice"]["totalGrossAmount"]), open_amount(invoice))
        events += add_payment_item(state, org, "invoices", invoice, amount, "partPaymentCreditNote", now, save=False)
    return events


def make_get(collection: str):  # type: ignore[no-untyped-def]
    async def get(ctx: Ctx) -> Response:
        return json(public(ctx.doc(collection, TYPES[collection].title)))

    get.__name__ = f"get_{collection.replace('-', '_')}"
    return get


def make_document(collection: str):  # type: ignore[no-untyped-def]
    async def document(ctx: Ctx) -> Response:
        doc = ctx.doc(collection, TYPES[collection].title)
        # dunnings are always drafts (docs/lexware.md#dunnings)
        if doc.get("voucherStatus") == "draft" and collection != "dunnings":
            raise ApiError(406, "A document file is only rendered for finalized vouchers (this one is a draft).")
        file_id = render.document_file_id(ctx.state, ctx.org, collection, doc)
        return json({"documentFileId": file_id})

    document.__name__ = f"render_{collection.replace('-', '_')}_document"
    return document


def make_file(collection: str):  # type: ignore[no-untyped-def]
    spec = TYPES[collection]

    async def file(ctx: Ctx) -> Response:
        doc = ctx.doc(collection, TYPES[collection].title)
        if doc.get("voucherStatus") == "draft" and collection != "dunnings":
            raise ApiError(409, "Conflict: drafts have no document file; finalize the document in the app first.")
        xml_profile = spec.xml and doc.get("electronicDocumentProfile") == "XRechnung"
        kind = render.choose_sales_format(ctx.request.headers.get("accept"), xml_profile, subresource=True)
        return render.file_response(ctx.state, ctx.org, collection, doc, kind)

    file.__name__ = f"download_{collection.replace('-', '_')}_file"
    return file


def _routes() -> list[ApiRoute]:
    routes: list[ApiRoute] = []
    for collection, spec in TYPES.items():
        base = f"/v1/{collection}"
        scope_read = f"{collection}.read"
        if spec.creatable:
            routes.append(
                ApiRoute(
                    "POST",
                    base,
                    make_create(collection),
                    f"{collection}.write",
                    "details",
                    True,
                    f"Create {spec.event}",
                )
            )
        routes.append(ApiRoute("GET", base + "/{id}", make_get(collection), scope_read, summary=f"Get {spec.event}"))
        if spec.creatable:
            routes.append(
                ApiRoute(
                    "GET", base + "/{id}/document", make_document(collection), scope_read, summary="Render (deprecated)"
                )
            )
        routes.append(ApiRoute("GET", base + "/{id}/file", make_file(collection), scope_read, summary="Download file"))
    return routes


ROUTES = _routes()


def unsupported_method_routes() -> list[ApiRoute]:
    async def unsupported(ctx: Ctx) -> Response:
        raise ApiError(404, "Not Found: sales documents cannot be changed or deleted through the API.")

    return [
        ApiRoute(method, f"/v1/{collection}/{{id}}", unsupported, None)
        for collection in TYPES
        for method in ("PUT", "DELETE")
    ]
