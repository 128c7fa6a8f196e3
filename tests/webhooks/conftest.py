from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.webhooks import helpers

ROTATING_KEY = "webhooks-test-rotating-key"


@pytest.fixture(scope="session")
def keys() -> helpers.KeyPair:
    return helpers.KeyPair()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'webhooks.db'}"


@pytest.fixture(autouse=True)
def _clear_calls() -> Iterator[None]:
    helpers.CALLS.clear()
    helpers.FAILURES.clear()
    yield
    helpers.CALLS.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "route(callable, **worker): the receiver fixture's mapped callable and worker settings"
    )


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """A served sandbox for the webhooks tests, with a second key of the same organisation (to revoke)."""
    from lexflow.lexware.sandbox import SandboxConfig
    from lexflow.lexware.sandbox.config import ApiKeySpec
    from lexflow.testing.served import serve_in_thread

    config = SandboxConfig(
        rate_limit=0,
        allow_http_callbacks=True,
        ocr_delay_seconds=None,
        api_keys=[ApiKeySpec(key=ROTATING_KEY)],
        # made-up https://hooks.example callbacks (CLI e2e) can never pass the TLS pre-check (docs/lexware.md#subscribing) offline;
        # the check itself is tested in tests/sandbox/test_callback_tls.py and tests/webhooks/test_subscriptions.py
        callback_tls_check=False,
    )
    with serve_in_thread(config) as served:
        yield served


@pytest.fixture
def client(sandbox: Any) -> Iterator[Any]:
    """A LexwareClient on the freshly reset sandbox."""
    from lexflow.lexware.client import LexwareClient

    sandbox.reset()
    with LexwareClient(api_key=sandbox.api_key, base_url=sandbox.url, rate_limit=0) as c:
        yield c


@contextmanager
def serve_receiver(sandbox: Any, client: Any, db_url: str, route: Any) -> Iterator[tuple[str, Any]]:
    """The receiver + worker under uvicorn, verifying with the key the sandbox serves; `contact.changed` → route."""
    from lexflow.webhooks.config import WebhookConfig, WorkerSettings
    from lexflow.webhooks.inbox import Inbox
    from lexflow.webhooks.keys import WebhookPublicKey
    from lexflow.webhooks.receiver import create_receiver_app
    from lexflow.webhooks.worker import InboxWorker

    config = WebhookConfig(routes={"contact.changed": route}, worker=WorkerSettings(poll_interval=0.2))
    inbox = Inbox(db_url)
    worker = InboxWorker(inbox, config, client_factory=lambda: client)
    key = WebhookPublicKey(f"{sandbox.url}/_sandbox/webhook-public-key")  # fetched over HTTP, like the official one
    with helpers.serve(create_receiver_app(inbox, key, worker=worker)) as url:
        yield url + "/webhooks/lexware", inbox
