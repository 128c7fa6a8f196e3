"""Links into the Lexware Office web app (docs/lexware.md#deeplinks): not API calls, for humans (Slack messages, reports)."""

from __future__ import annotations

from lexflow.transport import errors

__all__ = ["RESOURCES", "SANDBOX_NO_LINK", "edit_url", "files_url", "is_sandbox", "link_for", "view_url"]

DEFAULT_APP_URL = "https://app.lexware.de"

SANDBOX_NO_LINK = (
    "No link: these records exist only in lexflow's sandbox, which has no web app (a Lexware Office link with a "
    'sandbox id would open a stranger\'s "not found" page).'
)
"""What a person reads instead of a link on the sandbox."""

RESOURCES: dict[str, str] = {
    "invoices": "invoices",
    "invoice": "invoices",
    "down_payment_invoices": "invoices",
    "downpaymentinvoice": "invoices",
    "credit_notes": "credit-notes",
    "creditnote": "credit-notes",
    "delivery_notes": "delivery-notes",
    "deliverynote": "delivery-notes",
    "dunnings": "dunnings",
    "dunning": "dunnings",
    "order_confirmations": "order-confirmations",
    "orderconfirmation": "order-confirmations",
    "quotations": "quotations",
    "quotation": "quotations",
    "vouchers": "vouchers",
    "voucher": "vouchers",
    "salesinvoice": "vouchers",
    "salescreditnote": "vouchers",
    "purchaseinvoice": "vouchers",
    "purchasecreditnote": "vouchers",
    "recurring_templates": "recurring-templates",
    "contacts": "contacts",
    "contact": "contacts",
}
"""Client attribute names, voucherlist `voucherType`s and singular names → the permalink segment."""

_NO_VIEW = {"recurring-templates"}
_NO_EDIT = {"contacts"}


def _segment(resource: str) -> str:
    key = resource.strip().lower().replace("-", "_")
    seg = RESOURCES.get(key) or RESOURCES.get(key.replace("_", ""))
    if seg is None:
        raise errors.UnsupportedByApi(
            f"there is no web-app link for {resource!r}",
            hint="Use one of: " + ", ".join(sorted({k for k in RESOURCES if "_" in k or k.endswith("s")})),
        )
    return seg


def view_url(resource: str, id: str, app_url: str = DEFAULT_APP_URL) -> str:
    seg = _segment(resource)
    if seg in _NO_VIEW:
        return edit_url(resource, id, app_url)  # recurring templates only have an edit page
    return f"{app_url.rstrip('/')}/permalink/{seg}/view/{id}"


def edit_url(resource: str, id: str, app_url: str = DEFAULT_APP_URL) -> str:
    """Edit page; for documents that may not be edited the web app redirects to the view page."""
    seg = _segment(resource)
    if seg in _NO_EDIT:
        raise errors.UnsupportedByApi("contacts have a view link only", hint="Use view_url")
    return f"{app_url.rstrip('/')}/permalink/{seg}/edit/{id}"


def files_url(app_url: str = DEFAULT_APP_URL) -> str:
    """The page of newly uploaded files (no id)."""
    return f"{app_url.rstrip('/')}/permalink/files/view"


def is_sandbox(client: object) -> bool:
    """True when `client` talks to lexflow's sandbox (embedded, or served on a loopback address), whose ids exist in
    no Lexware Office web app: a permalink with them would open a stranger's "not found" page."""
    from urllib.parse import urlsplit

    host = urlsplit(str(getattr(client, "base_url", "") or "")).hostname or ""
    return host in {"sandbox.local", "localhost", "::1"} or host.startswith("127.")


def link_for(client: object, resource: str, id: str, app_url: str = DEFAULT_APP_URL) -> str | None:
    """The web-app view link for a record read or written through `client`; None on the sandbox (no web app)."""
    if is_sandbox(client):
        return None
    return view_url(resource, id, app_url)
