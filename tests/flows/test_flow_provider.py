"""`flow_provider` hands the flows the configured provider's connection: tasks see that provider's adapter."""

from __future__ import annotations

import pytest

from lexflow.providers import provider_of

pytestmark = pytest.mark.prefect


def test_tasks_get_the_configured_providers_connection(flow_provider) -> None:
    from lexflow.providers import provider_name
    from tasks.common import get_client, run_action

    assert provider_name() == flow_provider.name
    assert get_client() is flow_provider.client
    assert provider_of(get_client()).name == flow_provider.name
    made = run_action("create_customer", {"name": "Fixture GmbH", "email": "fixture@kunde.de"})
    assert flow_provider.provider.get_customer(made.customer.id).name == "Fixture GmbH"
