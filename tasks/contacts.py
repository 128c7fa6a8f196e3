"""Customer tasks on the neutral actions: upsert (idempotent per CRM record and data), find duplicates, look up."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from lexflow.actions.neutral.customers import (
    CustomerList,
    FindDuplicatesOutput,
    UpsertCustomerInput,
    UpsertCustomerOutput,
)
from lexflow.core.models import Customer
from lexflow.operations import crash_point
from tasks.common import KEEP, business_key, current_provider, digest, run_action


def _upsert_key(_ctx: Any, p: dict[str, Any]) -> str:
    """Provider + CRM record + its data (not the customer id the ledger adds): unchanged CRM data is not sent again,
    and the same CRM record on another provider is a customer there too."""
    data = p["customer"].model_dump(mode="json", exclude={"customer_id"}, exclude_none=True)
    provider = current_provider(p.get("profile")).name
    return business_key("upsert-customer", provider, p["crm_source"], p["crm_id"], digest(data))


@task(name="upsert-customer", persist_result=True, cache_key_fn=_upsert_key, cache_expiration=KEEP)
def upsert_customer(
    customer: UpsertCustomerInput, crm_source: str, crm_id: str, profile: str | None = None
) -> UpsertCustomerOutput:
    """`upsert_customer` for one CRM record. The same record with the same data is not sent again (cache key)."""
    out: UpsertCustomerOutput = run_action("upsert_customer", customer, profile=profile)
    crash_point("contact:answer")  # written, result not stored: the rerun's search finds the customer again
    return out


@task(name="find-duplicate-contacts", cache_policy=NO_CACHE)
def find_duplicate_contacts(threshold: int = 90, profile: str | None = None) -> FindDuplicatesOutput:
    out: FindDuplicatesOutput = run_action("find_duplicate_contacts", {"threshold": threshold}, profile=profile)
    return out


@task(name="get-customer", cache_policy=NO_CACHE)
def get_customer(customer_id: str, profile: str | None = None) -> Customer:
    out: Customer = run_action("get_customer", {"id": customer_id}, profile=profile)
    return out


@task(name="find-customers-by-email", cache_policy=NO_CACHE)
def find_customers_by_email(email: str, profile: str | None = None) -> list[Customer]:
    out: CustomerList = run_action("search_customers", {"email": email}, profile=profile)
    return out.items
