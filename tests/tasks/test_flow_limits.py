"""On the flow path every provider's account takes its pace and its calls in flight from the Prefect server (issue 17:
one limiter per provider and tenant for all workers; issues 19/20: Xero's and QuickBooks' limits across workers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from lexflow.prefect.blocks import LexflowProfile
from lexflow.prefect.credentials import XeroCredentials
from lexflow.prefect.limiter import PrefectGate, PrefectLimiter, ensure_rate_limit, limit_names
from lexflow.xero.sandbox.config import DEFAULT_TENANTS
from tasks.common import client_for_profile, flow_profile, run_action, use_client

pytestmark = pytest.mark.prefect

TENANT = DEFAULT_TENANTS[1].tenant_id


@flow
def add_customer(profile: str, name: str) -> str:
    return str(run_action("create_customer", {"name": name}, profile=profile).customer.id)


def _limits_of(client: Any) -> Any:
    return client.client.limiter  # the Xero adapter's client keeps its `AccountLimiter` as `limiter`


def test_two_flow_runs_on_one_xero_account_share_its_prefect_limits(prefect_flows: Path) -> None:
    from prefect.client.orchestration import get_client

    XeroCredentials(tenant_id=TENANT).save("limits-xero", overwrite=True)  # the embedded Xero sandbox's tenant
    for name in ("limits-xero-a", "limits-xero-b"):  # two profiles, one account
        LexflowProfile(scopes=["*"], approval_for=[], provider="xero", credentials="limits-xero").save(
            name, overwrite=True
        )
    with use_client(lambda: None):
        first = _limits_of(client_for_profile(flow_profile("limits-xero-a")))
    rate_name, in_flight_name = limit_names(first.account)
    assert rate_name.startswith("xero-api-") and in_flight_name == f"{rate_name}-in-flight"
    assert TENANT not in rate_name  # a digest of the account, not its id
    with get_client(sync_client=True) as prefect:  # created on first use with Xero's documented limits
        assert prefect.read_global_concurrency_limit_by_name(rate_name).slot_decay_per_second == 1.0
        assert prefect.read_global_concurrency_limit_by_name(in_flight_name).limit == 5
    ensure_rate_limit(rate_name, rps=1000.0)  # an operator's value wins (and keeps the test fast)

    clients = []
    for profile in ("limits-xero-a", "limits-xero-b"):
        with use_client(lambda: None):  # each run builds its own client, as a second worker would
            add_customer(profile, f"Geteilt {profile} Ltd")
            clients.append(client_for_profile(flow_profile(profile)).client)
    assert clients[0] is not clients[1]  # two connections ...
    one, two = (client.limiter for client in clients)
    assert isinstance(one.pace, PrefectLimiter) and isinstance(one.gate, PrefectGate)
    assert one.pace is two.pace and one.gate is two.gate  # ... on one pace and one cap, both kept by Prefect
    assert (one.pace.name, one.gate.name) == (rate_name, in_flight_name)
    assert one.pace.book.leases >= 2 and one.gate.taken >= 2  # every request of both runs took a slot of each
    assert one.budget is not None  # the daily budget stays the machine's file
