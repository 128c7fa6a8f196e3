"""Files (docs/lexware.md#files): upload as a new voucher (blank -> unchecked after OCR), attach to a voucher, download with the
Accept matrix. Checksum de-duplication, exact 5 MiB limit, allowed extensions. IssueList errors."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from lexflow.lexware.sandbox import render
from lexflow.lexware.sandbox.common import new_id, stamp_new, touch
from lexflow.lexware.sandbox.documents import TYPES, VOUCHER_KIND
from lexflow.lexware.sandbox.errors import ApiError, Issue
from lexflow.lexware.sandbox.http import ApiRoute, Ctx, json
from lexflow.sandbox.store import Doc

EXTENSIONS = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xml": "application/xml",
}
MAGIC = {"pdf": (b"%PDF",), "jpg": (b"\xff\xd8",), "jpeg": (b"\xff\xd8",), "png": (b"\x89PNG",)}
XRECHNUNG_ROOTS = ("Invoice", "CreditNote", "CrossIndustryInvoice")


def _issue(source: str, key: str, message: str, status: int = 406) -> ApiError:
    return ApiError(status, message, [Issue(source, key, message)])


async def _read_upload(ctx: Ctx, need_type: bool) -> tuple[bytes, str, str]:
    ctype = ctx.request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ApiError(415, "Unsupported Media Type: file uploads use multipart/form-data.")
    limit = ctx.state.config.max_upload_bytes
    form = await ctx.request.form(max_part_size=limit + 1024 * 1024)
    upload = form.get("file")
    if need_type and form.get("type") != "voucher":
        raise ApiError(400, raw="Invalid or missing upload type.")
    if not isinstance(upload, UploadFile):
        raise ApiError(500, None, style="gateway")
    data = await upload.read()
    name = upload.filename or "upload"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(data) > limit:
        raise _issue("file", "max_file_size_exceeded", f"the file is larger than {limit} bytes")
    if ext not in EXTENSIONS or (ext == "xml" and not ctx.state.config.xml_upload_enabled):
        raise _issue(
            "file", "inacceptable_file_extension", "allowed: pdf, jpg, png, xml (xml needs the E-Rechnung setting)"
        )
    if ext == "xml":
        from lxml import etree

        try:
            root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            raise _issue("file", "invalid_xrechnung", "the XML is not an XRechnung/ZUGFeRD e-invoice") from None
        if etree.QName(root).localname not in XRECHNUNG_ROOTS:
            raise _issue("file", "invalid_xrechnung", "the XML is not an XRechnung/ZUGFeRD e-invoice")
    elif not data.startswith(MAGIC[ext]):
        raise _issue("file", "invalid_file_content", f"the content is not a valid {ext} file")
    return data, name, ext


def _store_file(ctx: Ctx, data: bytes, name: str, ext: str, voucher_id: str, digest: str) -> Doc:
    doc = {
        "id": new_id(),
        "voucherId": voucher_id,
        "_sha256": digest,
        "_name": name,
        "_ext": "jpg" if ext == "jpeg" else ext,
    }
    ctx.state.store.put(ctx.org, "files", doc)
    ctx.state.store.put_blob(ctx.org, doc["id"], data)
    return doc


async def upload_file(ctx: Ctx) -> Response:
    data, name, ext = await _read_upload(ctx, need_type=True)
    digest = hashlib.sha256(data).hexdigest()
    index: dict[str, Any] = ctx.state.store.meta(f"file-digests:{ctx.org}", {})
    existing = index.get(digest)
    if existing and ctx.state.store.get(ctx.org, "files", existing) is not None:
        f = ctx.state.store.get(ctx.org, "files", existing)
        assert f is not None
        return json({"id": f["id"], "voucherId": f["voucherId"]}, 202)
    voucher: Doc = {}
    stamp_new(voucher, ctx.org, ctx.state.clock.stamp())
    # measured live: an upload is a purchase invoice (gross: unchecked vouchers cannot be net) whose remaining
    # fields OCR fills in; so a client can PUT it back as read
    voucher.update({"voucherStatus": "blank", "type": "purchaseinvoice", "taxType": "gross", "files": []})
    f = _store_file(ctx, data, name, ext, voucher["id"], digest)
    voucher["files"] = [f["id"]]
    ctx.state.store.put(ctx.org, VOUCHER_KIND, voucher)
    ctx.state.store.set_meta(f"file-digests:{ctx.org}", {**index, digest: f["id"]})
    ctx.state.schedule_ocr(ctx.org, voucher["id"])
    return json({"id": f["id"], "voucherId": voucher["id"]}, 202)


async def upload_voucher_file(ctx: Ctx) -> Response:
    voucher = ctx.doc(VOUCHER_KIND, "Voucher")
    data, name, ext = await _read_upload(ctx, need_type=False)
    digest = hashlib.sha256(data).hexdigest()
    for fid in voucher.get("files") or []:
        f = ctx.state.store.get(ctx.org, "files", fid)
        if f is not None and f.get("_sha256") == digest:
            return json({"id": fid}, 202)
    f = _store_file(ctx, data, name, ext, voucher["id"], digest)
    voucher.setdefault("files", []).append(f["id"])
    touch(voucher, ctx.state.clock.stamp())
    ctx.state.store.put(ctx.org, VOUCHER_KIND, voucher)
    ctx.state.emit(ctx.org, "voucher.changed", voucher["id"])
    return json({"id": f["id"]}, 202)


def _voucher_file_format(accept: str | None, ext: str) -> str:
    """The Accept matrix (docs/lexware.md#downloads) for bookkeeping voucher files: the original, a PDF rendering of XML, or 404/406."""
    for media in render.accepted_types(accept):
        if media in ("*/*", "application/*"):
            return ext
        if media == "application/xml":
            if ext == "xml":
                return "xml"
            raise ApiError(404, "The original is not XML.")
        if media == "application/pdf" or media in render.IMAGE_TYPES:
            return "pdf" if ext == "xml" else ext
    raise ApiError(406, f"Not Acceptable: {accept!r}.")


async def download_file(ctx: Ctx) -> Response:
    f = ctx.state.store.get(ctx.org, "files", ctx.arg("id"))
    if f is None:
        raise ApiError(404, "File not found", [Issue("id", "not_found", "no file with this id")])
    accept = ctx.request.headers.get("accept")
    if f.get("_documentCollection"):
        coll = f["_documentCollection"]
        doc = ctx.state.store.get(ctx.org, coll, f["_documentId"])
        if doc is None:
            raise ApiError(404, "The document of this file no longer exists.")
        xml_profile = TYPES[coll].xml and doc.get("electronicDocumentProfile") == "XRechnung"
        return render.file_response(
            ctx.state, ctx.org, coll, doc, render.choose_sales_format(accept, xml_profile, False)
        )
    ext = f["_ext"]
    kind = _voucher_file_format(accept, ext)
    data = ctx.state.store.get_blob(ctx.org, f["id"]) or b""
    if kind == "pdf" and ext == "xml":
        data = _xml_preview_pdf(data)
    media = EXTENSIONS.get(kind, "application/octet-stream")
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{f["id"]}.{kind}"'})


def _xml_preview_pdf(xml: bytes) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Courier", size=7)
    text = xml.decode("utf-8", "replace")[:20000].encode("latin-1", "replace").decode("latin-1")
    pdf.multi_cell(0, 3, text)
    return bytes(pdf.output())


ROUTES = [
    ApiRoute("POST", "/v1/files", upload_file, "files.write", "issues", summary="Upload file (new voucher)"),
    ApiRoute("GET", "/v1/files/{id}", download_file, "files.read", "issues", summary="Download file"),
    ApiRoute(
        "POST",
        "/v1/vouchers/{id}/files",
        upload_voucher_file,
        "files.write",
        "issues",
        summary="Upload a file to a voucher",
    ),
]
