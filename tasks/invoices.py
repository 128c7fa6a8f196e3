"""Invoice tasks: preview (read), create finalized (irreversible, once per request key), PDF download."""

from __future__ import annotations

import base64
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.common import KEEP, key_from, run_action


@task(name="preview-invoice", cache_policy=NO_CACHE)
def preview_invoice(draft: dict[str, Any], profile: str | None = None) -> dict[str, Any]:
    """Totals computed locally with the server's rules: what the approver sees is what will be created."""
    return run_action("preview_invoice", draft, profile=profile).model_dump(mode="json")


def finalized_invoice_input(draft: dict[str, Any], expected_total_gross: str) -> dict[str, Any]:
    """The exact `create_invoice` input `create_invoice` runs: what an approval for it must be bound to."""
    return {**draft, "finalize": True, "expected_total_gross": expected_total_gross}


@task(
    name="create-invoice",
    persist_result=True,
    cache_key_fn=key_from("create-invoice", "request_key"),
    cache_expiration=KEEP,
)
def create_invoice(
    draft: dict[str, Any], request_key: str, approval_ref: str, expected_total_gross: str, profile: str | None = None
) -> dict[str, Any]:
    """Create the invoice finalized. Keyed by the request, so a retry, resume or rerun never creates a second one.

    `approval_ref` must name an approval bound to `finalized_invoice_input(draft, expected_total_gross)`."""
    data = finalized_invoice_input(draft, expected_total_gross)
    out = run_action("create_invoice", data, profile=profile, approval_ref=approval_ref)
    return out.model_dump(mode="json")


@task(name="invoice-pdf", cache_policy=NO_CACHE)
def invoice_pdf(invoice_id: str, profile: str | None = None) -> bytes:
    """The finalized invoice as PDF bytes (not persisted: it can be downloaded again at any time)."""
    out = run_action("invoice_document", {"invoice_id": invoice_id, "include_content": True}, profile=profile)
    return base64.b64decode(out.content_base64 or "")
