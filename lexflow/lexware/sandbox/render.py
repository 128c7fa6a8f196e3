"""Document files: a real PDF (fpdf2) of a sales document, and XRechnung UBL XML (lxml) for XRechnung invoices.

Renderings are cached per (document id, version); sales documents are immutable through the API, so the cache
only grows with the number of documents whose file was requested.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from lexflow.lexware.models.totals import dec
from lexflow.lexware.sandbox.common import date_of, new_id
from lexflow.lexware.sandbox.errors import ApiError
from lexflow.sandbox.store import Doc

IMAGE_TYPES = ("image/jpeg", "image/png", "image/jpg", "image/*")
_CACHE_LIMIT = 512


def _cache(state: Any) -> dict[tuple[str, str, int, str], bytes]:
    """Rendered files of this sandbox by (org, id, version, kind). Per state, and emptied by a reset: seeded ids
    repeat, so a cache shared across sandboxes or resets could hand out another sandbox's rendering."""
    found: dict[tuple[str, str, int, str], bytes] | None = getattr(state, "_render_cache", None)
    if found is None:
        found = {}
        state._render_cache = found
        state.on_reset.append(found.clear)
    return found


def accepted_types(accept: str | None) -> list[str]:
    if not accept:
        return ["*/*"]
    return [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]


def choose_sales_format(accept: str | None, xml_profile: bool, subresource: bool) -> str:
    """The Accept matrix (docs/lexware.md#downloads) for sales documents: 'pdf' or 'xml', else 404 (no XML) / 406 (unsupported media type)."""
    for media in accepted_types(accept):
        if media in ("*/*", "application/*"):
            return "xml" if (xml_profile and subresource) else "pdf"
        if media == "application/pdf":
            return "pdf"
        if media == "application/xml":
            if xml_profile:
                return "xml"
            raise ApiError(404, "This document has no XML (e-invoice) representation; ask for application/pdf.")
        if media in IMAGE_TYPES and not subresource:
            return "pdf"
    raise ApiError(406, f"Not Acceptable: {accept!r}; use */*, application/pdf or application/xml.")


def document_file_id(state: Any, org: str, collection: str, doc: Doc) -> str:
    """The file id behind /document (created once, stored on the document as files.documentFileId)."""
    existing = (doc.get("files") or {}).get("documentFileId")
    if existing and state.store.get(org, "files", existing) is not None:
        return str(existing)
    file_id = new_id()
    state.store.put(
        org,
        "files",
        {"id": file_id, "_documentCollection": collection, "_documentId": doc["id"], "voucherId": doc["id"]},
    )
    doc["files"] = {"documentFileId": file_id}
    state.store.put(org, collection, doc)
    return file_id


def file_response(state: Any, org: str, collection: str, doc: Doc, kind: str) -> Response:
    cache = _cache(state)
    key = (org, doc["id"], int(doc.get("version", 0)), kind)
    data = cache.get(key)
    if data is None:
        if kind == "xml":
            data = xrechnung_xml(state.organization(org), doc, collection)
        else:
            data = pdf_bytes(state.organization(org), doc, collection)
        if len(cache) >= _CACHE_LIMIT:
            cache.pop(next(iter(cache)))
        cache[key] = data
    name = doc.get("voucherNumber") or doc["id"]
    media = "application/xml" if kind == "xml" else "application/pdf"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


def _money(value: Any) -> str:
    text = f"{dec(value):,.2f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".") + " EUR"


def _latin(text: Any) -> str:
    return str(text or "").encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(org: Any, doc: Doc, collection: str) -> bytes:
    """A one-page-per-30-lines A4 rendering: letterhead, address, number/date, line table, tax and totals."""
    from fpdf import FPDF  # imported on first rendering: keeps every sandbox start (and CLI command) fast

    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # small documents; keeps the text greppable for tests and users
    pdf.set_title(_latin(f"{doc.get('title') or collection} {doc.get('voucherNumber') or ''}".strip()))
    pdf.set_author(_latin(org.company_name))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 5, _latin(f"{org.company_name} · {org.street} · {org.zip} {org.city}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    addr = doc.get("address") or {}
    for line in (
        addr.get("name"),
        addr.get("contactPerson"),
        addr.get("supplement"),
        addr.get("street"),
        f"{addr.get('zip') or ''} {addr.get('city') or ''}".strip(),
        addr.get("countryCode") if addr.get("countryCode") not in (None, "DE") else None,
    ):
        if line:
            pdf.cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, _latin(doc.get("title") or collection), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    vdate = date_of(doc.get("voucherDate"))
    meta = [
        ("Nummer", doc.get("voucherNumber") or "-"),
        ("Datum", vdate.strftime("%d.%m.%Y") if vdate else "-"),
    ]
    due = date_of(doc.get("dueDate"))
    if due:
        meta.append(("Fällig am", due.strftime("%d.%m.%Y")))
    for label, value in meta:
        pdf.cell(40, 5, _latin(label + ":"))
        pdf.cell(0, 5, _latin(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if doc.get("introduction"):
        pdf.multi_cell(0, 5, _latin(doc["introduction"]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    widths = (10, 80, 20, 20, 30, 30)
    pdf.set_font("Helvetica", "B", 9)
    for w, head in zip(widths, ("Pos.", "Bezeichnung", "Menge", "USt.", "Einzelpreis", "Betrag"), strict=True):
        pdf.cell(w, 6, _latin(head), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    gross_mode = (doc.get("taxConditions") or {}).get("taxType") == "gross"
    for pos, item in enumerate(doc.get("lineItems") or [], start=1):
        price = item.get("unitPrice") or {}
        unit = price.get("grossAmount" if gross_mode else "netAmount")
        cells = (
            str(pos),
            item.get("name") or item.get("description") or "",
            f"{item.get('quantity', '')} {item.get('unitName', '')}".strip() if item.get("type") != "text" else "",
            f"{price.get('taxRatePercentage')} %" if price else "",
            _money(unit) if unit is not None else "",
            _money(item["lineItemAmount"]) if item.get("lineItemAmount") is not None else "",
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 6, _latin(text)[:48])
        pdf.ln()
    total = doc.get("totalPrice") or {}
    if total.get("totalGrossAmount") is not None:
        pdf.ln(2)
        rows = [("Gesamtbetrag netto", total.get("totalNetAmount"))]
        rows += [
            (f"zzgl. Umsatzsteuer {t['taxRatePercentage']} %", t["taxAmount"]) for t in doc.get("taxAmounts") or []
        ]
        rows.append(("Gesamtbetrag brutto", total.get("totalGrossAmount")))
        for i, (label, value) in enumerate(rows):
            pdf.set_font("Helvetica", "B" if i == len(rows) - 1 else "", 10)
            pdf.cell(150, 6, _latin(label), align="R")
            pdf.cell(40, 6, _latin(_money(value)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=9)
    for key in ("remark",):
        if doc.get(key):
            pdf.multi_cell(0, 5, _latin(doc[key]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-30)
    pdf.set_font("Helvetica", size=7)
    pdf.cell(
        0,
        4,
        _latin(f"{org.company_name} · St.-Nr. {org.tax_number} · USt-IdNr. {org.vat_registration_id}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 4, _latin(f"{org.bank_name} · IBAN {org.iban} · BIC {org.bic}"))
    return bytes(pdf.output())


UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def xrechnung_xml(org: Any, doc: Doc, collection: str) -> bytes:
    """An XRechnung 3.0 UBL invoice of the document (structure per EN 16931; not validated by KoSIT here)."""
    from lxml import etree

    nsmap = {None: UBL, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{UBL}}}Invoice", nsmap=nsmap)

    def cbc(parent: Any, tag: str, text: Any, **attrs: str) -> Any:
        el = etree.SubElement(parent, f"{{{CBC}}}{tag}", **attrs)
        el.text = str(text)
        return el

    def cac(parent: Any, tag: str) -> Any:
        return etree.SubElement(parent, f"{{{CAC}}}{tag}")

    def amount(parent: Any, tag: str, value: Any) -> None:
        cbc(parent, tag, f"{dec(value):.2f}", currencyID="EUR")

    cbc(root, "CustomizationID", XRECHNUNG_ID)
    cbc(root, "ProfileID", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
    cbc(root, "ID", doc.get("voucherNumber") or doc["id"])
    cbc(root, "IssueDate", str(date_of(doc.get("voucherDate"))))
    if doc.get("dueDate"):
        cbc(root, "DueDate", str(date_of(doc["dueDate"])))
    cbc(root, "InvoiceTypeCode", "381" if collection == "credit-notes" else "380")
    cbc(root, "DocumentCurrencyCode", "EUR")
    cbc(root, "BuyerReference", (doc.get("xRechnung") or {}).get("buyerReference") or "")

    supplier = cac(cac(root, "AccountingSupplierParty"), "Party")
    cbc(cac(supplier, "PartyName"), "Name", org.company_name)
    saddr = cac(supplier, "PostalAddress")
    cbc(saddr, "StreetName", org.street)
    cbc(saddr, "CityName", org.city)
    cbc(saddr, "PostalZone", org.zip)
    cbc(cac(saddr, "Country"), "IdentificationCode", org.country_code)
    tax_scheme = cac(supplier, "PartyTaxScheme")
    cbc(tax_scheme, "CompanyID", org.vat_registration_id)
    cbc(cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    cbc(cac(supplier, "PartyLegalEntity"), "RegistrationName", org.company_name)
    contact = cac(supplier, "Contact")
    cbc(contact, "Telephone", org.phone)
    cbc(contact, "ElectronicMail", org.email)

    addr = doc.get("address") or {}
    customer = cac(cac(root, "AccountingCustomerParty"), "Party")
    caddr = cac(customer, "PostalAddress")
    for tag, key in (("StreetName", "street"), ("CityName", "city"), ("PostalZone", "zip")):
        if addr.get(key):
            cbc(caddr, tag, addr[key])
    cbc(cac(caddr, "Country"), "IdentificationCode", addr.get("countryCode") or "DE")
    cbc(cac(customer, "PartyLegalEntity"), "RegistrationName", addr.get("name") or "")

    means = cac(root, "PaymentMeans")
    cbc(means, "PaymentMeansCode", "58")
    account = cac(means, "PayeeFinancialAccount")
    cbc(account, "ID", org.iban)
    cbc(account, "Name", org.company_name)

    total = doc.get("totalPrice") or {}
    tax_total = cac(root, "TaxTotal")
    amount(tax_total, "TaxAmount", total.get("totalTaxAmount", 0))
    for t in doc.get("taxAmounts") or []:
        sub = cac(tax_total, "TaxSubtotal")
        amount(sub, "TaxableAmount", t["netAmount"])
        amount(sub, "TaxAmount", t["taxAmount"])
        cat = cac(sub, "TaxCategory")
        cbc(cat, "ID", "S" if dec(t["taxRatePercentage"]) > 0 else "Z")
        cbc(cat, "Percent", f"{dec(t['taxRatePercentage']):.2f}")
        cbc(cac(cat, "TaxScheme"), "ID", "VAT")
    monetary = cac(root, "LegalMonetaryTotal")
    amount(monetary, "LineExtensionAmount", total.get("totalNetAmount", 0))
    amount(monetary, "TaxExclusiveAmount", total.get("totalNetAmount", 0))
    amount(monetary, "TaxInclusiveAmount", total.get("totalGrossAmount", 0))
    amount(monetary, "PayableAmount", total.get("totalGrossAmount", 0))

    n = 0
    for item in doc.get("lineItems") or []:
        if item.get("type") == "text":
            continue
        n += 1
        line = cac(root, "InvoiceLine")
        cbc(line, "ID", n)
        cbc(line, "InvoicedQuantity", item.get("quantity"), unitCode="C62")
        amount(line, "LineExtensionAmount", item.get("lineItemAmount", 0))
        it = cac(line, "Item")
        cbc(it, "Name", item.get("name") or "")
        cat = cac(it, "ClassifiedTaxCategory")
        rate = dec((item.get("unitPrice") or {}).get("taxRatePercentage"))
        cbc(cat, "ID", "S" if rate > 0 else "Z")
        cbc(cat, "Percent", f"{rate:.2f}")
        cbc(cac(cat, "TaxScheme"), "ID", "VAT")
        amount(cac(line, "Price"), "PriceAmount", (item.get("unitPrice") or {}).get("netAmount", Decimal(0)))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
