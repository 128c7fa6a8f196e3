"""Property-based fuzz over every action's input through `run()` (issue 13, item 7): an action's own example with one
leaf replaced by a nasty value must end in a result or a clear refusal naming the field, never another exception
or a hang. Bounded: LEXFLOW_FUZZ_EXAMPLES (default 250) examples, a few seconds on the in-process sandbox."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings

from lexflow.actions import ActionError, InvalidInput, Profile, registry, run
from lexflow.audit import Actor, AuditTrail
from lexflow.core.errors import CoreError
from lexflow.transport.errors import LexwareError
from tests.boundaries.fuzzing import mutated_inputs, names_field

ALL = Profile(name="fuzz", scopes=["*"], approval_for=[])
EXAMPLES = int(os.environ.get("LEXFLOW_FUZZ_EXAMPLES", "250"))
PER_CALL_S = 10.0


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory):
    from lexflow.lexware.client import LexwareClient
    from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
    from lexflow.transport.bridge import SyncASGITransport

    app = create_app(SandboxConfig(rate_limit=0, ocr_delay_seconds=None, base_url="http://sandbox.test"))
    transport = SyncASGITransport(app)
    client = LexwareClient(api_key=DEFAULT_API_KEY, base_url="http://sandbox.test", rate_limit=0, transport=transport)
    trail = AuditTrail(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/audit.db")
    yield client, trail
    client.close()
    transport.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(case=mutated_inputs(registry.names()))
def test_every_action_refuses_nasty_input_clearly(fuzz_env, case, tmp_path_factory):
    client, trail = fuzz_env
    name, path, data = case
    started = time.perf_counter()
    try:
        run(name, data, actor=Actor.agent("fuzz"), profile=ALL, client=client, trail=trail)
    except InvalidInput as exc:
        assert names_field(str(exc), path, data), f"{name} {path}: refusal names no field: {exc}"
    except (ActionError, LexwareError, CoreError):  # the provider layer's errors say what and what to do
        pass
    assert time.perf_counter() - started < PER_CALL_S, f"{name} {path} took too long"
