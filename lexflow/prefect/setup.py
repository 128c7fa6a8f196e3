"""`lexflow prefect setup`: what a Prefect server needs before lexflow flows run on it (idempotent).

- the account rate limit: a global concurrency limit with slot decay (docs/prefect.md#global-concurrency-limits).
  Tasks acquire it strictly, so a missing limit is an error, not silent unlimited traffic;
- the process work pool the deployments in `deployments/prefect.yaml` use;
- the lexflow block types (profile, Slack approvals), so they show in the UI before a document exists.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from lexflow.prefect.limiter import DEFAULT_NAME as RATE_LIMIT_NAME

WORK_POOL = "lexflow-process"


@dataclass
class SetupResult:
    rate_limit: str
    work_pool: str | None
    blocks: list[str]


def ensure_rate_limit(requests_per_second: float = 2.0, name: str = RATE_LIMIT_NAME) -> str:
    """Create or update the limit (`lexflow.prefect.limiter`: leases of about a second's worth of slots); a summary."""
    from lexflow.prefect.limiter import ensure_rate_limit as _ensure

    limit = _ensure(name, rps=requests_per_second)
    slots = "1 slot" if limit.limit == 1 else f"{limit.limit} slots"
    return f"{name}: {limit.slot_decay_per_second:g} requests/s, leases of {slots}"


def ensure_work_pool(name: str = WORK_POOL) -> str:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        with contextlib.suppress(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
    return name


def register_blocks() -> list[str]:
    """Register lexflow's block types (`lexflow.prefect.blocks`) so the UI offers them; their names."""
    from lexflow.prefect.blocks import BLOCK_TYPES

    for block in BLOCK_TYPES:
        block.register_type_and_schema()
    return [block.__name__ for block in BLOCK_TYPES]


def setup(requests_per_second: float = 2.0, work_pool: bool = True) -> SetupResult:
    return SetupResult(
        rate_limit=ensure_rate_limit(requests_per_second),
        work_pool=ensure_work_pool() if work_pool else None,
        blocks=register_blocks(),
    )
