"""CRM leads → customers in the accounting system (any provider, `LEXFLOW_PROVIDER`): validate, upsert without
duplicates (the neutral `upsert_customer`), remember CRM id ↔ customer id.

Input is a CRM export (CSV or JSON file) or a list of records; `FieldMapping` says which column holds what.
Each lead ends as created, updated, unchanged or needs review (invalid data, several matching contacts, or
a second CRM record that resolved to a contact another CRM record already owns: a duplicate in the CRM).

No `from __future__ import annotations`: `serve()` ships the flow with cloudpickle, which keeps only the globals the
body uses, so the parameter type `CrmRecord` must be a real object in the signature, not a string.
"""

import csv
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lexflow.actions.neutral.customers import UpsertCustomerInput
from lexflow.core.models import Address
from lexflow.ledger import Ledger
from lexflow.prefect.artifacts import audit_artifact, table_artifact
from lexflow.prefect.flow import CrmRecord, lexflow_flow
from tasks.common import current_provider, run_logger
from tasks.contacts import upsert_customer


class FieldMapping(BaseModel):
    """Source column for each lead field; None = the export has no such column."""

    model_config = ConfigDict(extra="forbid")

    crm_id: str = "id"
    name: str = "company"
    email: str | None = "email"
    phone: str | None = "phone"
    street: str | None = "street"
    zip: str | None = "zip"
    city: str | None = "city"
    country_code: str | None = "country"
    first_name: str | None = None
    last_name: str | None = None
    kind: str | None = None


class Lead(BaseModel):
    """A lead after mapping, validated before anything reaches the accounting system."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    crm_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=255)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    country_code: str = Field(default="DE", min_length=2, max_length=2)
    first_name: str | None = None
    last_name: str | None = None
    kind: str = Field(default="company", pattern="^(company|person)$")

    def customer(self, customer_id: str | None = None) -> UpsertCustomerInput:
        """The `upsert_customer` input for this lead (a person's first and last name make its name)."""
        name = self.name
        if self.kind == "person" and (self.first_name or self.last_name):
            name = " ".join(x for x in (self.first_name, self.last_name) if x)
        address = None
        if self.street or self.zip or self.city:
            address = Address(street=self.street, zip=self.zip, city=self.city, country_code=self.country_code)
        return UpsertCustomerInput(
            name=name, kind=self.kind, email=self.email, phone=self.phone, address=address, customer_id=customer_id
        )


def load_records(source: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records from a list, a .json file (a list or {"records": [...]}) or a .csv file (header row)."""
    if isinstance(source, list):
        return [dict(r) for r in source]
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"CRM export {path} does not exist")
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data.get("records", []) if isinstance(data, dict) else data)
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return list(csv.DictReader(fh))
    raise ValueError(f"CRM export {path}: use a .csv or .json file (got {path.suffix or 'no extension'})")


def map_record(record: dict[str, Any], mapping: FieldMapping) -> Lead:
    """Apply the mapping and validate; empty strings count as missing. ValidationError names the lead field."""
    values: dict[str, Any] = {}
    for field, column in mapping.model_dump().items():
        if column is None:
            continue
        value = record.get(column)
        if value not in (None, ""):
            values[field] = str(value).strip() if field != "country_code" else str(value).strip().upper()
    return Lead.model_validate(values)


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))


@lexflow_flow(name="crm-lead-to-customer", persist_result=True)
def crm_lead_to_customer(
    source: str | list[CrmRecord],
    mapping: FieldMapping | None = None,
    crm_source: str = "crm",
    profile: str | None = None,
    database_url: str | None = None,
) -> list[dict[str, Any]]:
    """Upsert every lead as a customer; returns (and publishes as a table artifact) one row per lead."""
    log = run_logger()
    mapping = mapping or FieldMapping()
    if isinstance(source, str) and not Path(source).expanduser().exists():
        hint = (
            f"Nothing to do: the CRM export {source} does not exist (yet). Point the CRM's export at that path or "
            "change the deployment's `source` parameter; `lexflow sandbox seed` writes a sample export there."
        )
        log.warning(hint)
        table_artifact("crm-lead-to-customer", [], hint)
        return []
    ledger = Ledger(database_url)
    provider = current_provider(profile)
    records = load_records(source)
    rows: list[dict[str, Any]] = []
    # Which CRM record owns each contact (a record marked for review owns nothing).
    owner: dict[str, str] = {
        link.contact_id: link.crm_id
        for link in ledger.links(crm_source)
        if link.contact_id and link.status != "needs_review"
    }
    for i, record in enumerate(records):
        crm_id = str(record.get(mapping.crm_id) or f"row-{i + 1}")
        try:
            lead = map_record(record, mapping)
            known = ledger.contact_for(lead.crm_id, crm_source)
            # linked before: update exactly that customer (the e-mail may have changed)
            customer = lead.customer(known if known and owner.get(known) == lead.crm_id else None)
        except ValidationError as exc:
            msg = f"invalid lead: {_problem(exc)}"
            ledger.link_contact(crm_source, crm_id, None, "needs_review", record.get(mapping.email or ""), msg)
            rows.append(
                {
                    "outcome": "needs review",
                    "detail": msg,
                    "contact": "",
                    "crm_id": crm_id,
                    "name": record.get(mapping.name),
                }
            )
            continue
        out = upsert_customer(customer, crm_source=crm_source, crm_id=lead.crm_id, profile=profile)
        status: str = out.status
        cid = out.customer.id if out.customer else None
        detail = out.message
        if status == "clarification":
            names = ", ".join(f"{c.name} ({c.id})" for c in out.candidates)
            status, detail = "needs_review", f"several customers match: {names}; pick one and rerun with its id"
        elif cid and owner.get(cid) not in (None, lead.crm_id):
            status = "needs_review"
            detail = f"duplicate in the CRM: same customer as CRM record {owner[cid]} (matched by {out.matched_by})"
        if cid and status != "needs_review":
            owner[cid] = lead.crm_id
        ledger.link_contact(crm_source, lead.crm_id, cid, status, lead.email, detail)
        rows.append(
            {
                "outcome": status.replace("_", " "),
                "detail": detail,
                "contact": (provider.view_url("customer", cid) if cid else None) or cid or "",
                "crm_id": lead.crm_id,
                "name": lead.name,
            }
        )
    counts = {k: sum(1 for r in rows if r["outcome"] == k) for k in ("created", "updated", "unchanged", "needs review")}
    log.info("leads: %s", counts)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    table_artifact("crm-lead-to-customer", rows, f"CRM leads → customers: {summary}.")
    audit_artifact()
    return rows
