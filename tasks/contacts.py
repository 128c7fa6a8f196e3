"""Contact tasks: upsert a customer (idempotent per CRM record and data), find duplicates, look contacts up."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.operations import crash_point
from tasks.common import KEEP, business_key, digest, run_action


def _upsert_key(_ctx: Any, p: dict[str, Any]) -> str:
    """CRM record + its data (not the contact id the ledger adds): unchanged CRM data is not sent again."""
    data = {k: v for k, v in p["customer"].items() if k != "contact_id"}
    return business_key("upsert-customer", p["crm_source"], p["crm_id"], digest(data))


@task(name="upsert-customer", persist_result=True, cache_key_fn=_upsert_key, cache_expiration=KEEP)
def upsert_customer(
    customer: dict[str, Any], crm_source: str, crm_id: str, profile: str | None = None
) -> dict[str, Any]:
    """`upsert_customer` for one CRM record. The same record with the same data is not sent again (cache key)."""
    out = run_action("upsert_customer", customer, profile=profile)
    crash_point("contact:answer")  # written, result not stored: the rerun's search finds the contact again
    return out.model_dump(mode="json")


@task(name="find-duplicate-contacts", cache_policy=NO_CACHE)
def find_duplicate_contacts(
    threshold: int = 90, customers_only: bool = False, profile: str | None = None
) -> dict[str, Any]:
    out = run_action(
        "find_duplicate_contacts", {"threshold": threshold, "customers_only": customers_only}, profile=profile
    )
    return out.model_dump(mode="json")


@task(name="get-contact", cache_policy=NO_CACHE)
def get_contact(contact_id: str, profile: str | None = None) -> dict[str, Any]:
    out = run_action("contacts_get", {"id": contact_id}, profile=profile)
    return dict(out.model_dump(mode="json", by_alias=True)["result"])


@task(name="find-contacts-by-email", cache_policy=NO_CACHE)
def find_contacts_by_email(email: str, profile: str | None = None) -> list[dict[str, Any]]:
    out = run_action("contacts_list", {"email": email, "size": 25}, profile=profile)
    page = out.model_dump(mode="json", by_alias=True)["result"]
    return list(page.get("content") or [])
