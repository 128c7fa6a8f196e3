"""Reset leaves nothing derived behind (both paths), config fields with their environment fallbacks, signing key."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import ValidationError
from starlette.testclient import TestClient
from typer.testing import CliRunner

from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app, sandbox_state
from lexflow.lexware.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from lexflow.lexware.sandbox.webhooks import dispatcher
from lexflow.testing.sandbox_control import SandboxControl

from .helpers import company_contact
from .test_webhooks import Receiver

REDIRECT = "https://partner.example/cb"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _http(**config: Any) -> TestClient:
    settings = {"rate_limit": 0, "ocr_delay_seconds": None, "allow_http_callbacks": True, **config}
    app = create_app(SandboxConfig(**settings))
    return TestClient(app, base_url="http://sandbox.test", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})


def _code(http: TestClient, client_id: str = DEFAULT_CLIENT_ID) -> str:
    params = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code"}
    location = http.get("/oauth2/authorize", params=params, follow_redirects=False).headers["location"]
    return location.split("code=")[1].split("&")[0]


def _exchange(http: TestClient, code: str, auth: tuple[str, str] = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)) -> Any:
    return http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code}, auth=auth)


def _via_state(http: TestClient) -> None:
    sandbox_state(http.app).reset()  # what ServedSandbox.reset() does


def _via_control(http: TestClient) -> None:
    assert http.post("/_sandbox/reset").json()["reset"] is True


@pytest.mark.parametrize("reset", [_via_state, _via_control], ids=["state", "control"])
def test_reset_drops_everything_derived_from_the_sandbox(
    reset: Callable[[TestClient], None], receiver: Receiver
) -> None:
    with _http(webhook_time_scale=0.5, rate_limit=0.2, rate_burst=3) as http:
        state = sandbox_state(http.app)
        control = SandboxControl(http, DEFAULT_API_KEY)
        control.webhook_time_scale(1.0)
        receiver.scripts["/reset-503"] = [503]
        hook = {"eventType": "contact.created", "callbackUrl": f"{receiver.url}/reset-503"}
        assert http.post("/v1/event-subscriptions", json=hook).status_code == 201
        assert http.post("/v1/contacts", json=company_contact()).status_code == 200
        assert dispatcher(state).wait_idle() and dispatcher(state).pending() == 1  # a retry waits 10 s
        assert [http.get("/v1/profile").status_code for _ in range(2)] == [200, 429]  # bucket empty
        token = _exchange(http, _code(http)).json()["access_token"]
        pending_code = _code(http)
        control.faults(route="GET /v1/contacts", kind="503", count=3)
        rotated = control.rotate_webhook_key(bits=2048)

        reset(http)

        assert http.get("/v1/profile").status_code == 200  # full bucket again
        assert http.get("/v1/contacts").status_code == 200  # no fault rule left
        deliveries = http.get("/_sandbox/webhooks/deliveries").json()
        assert deliveries == {"content": [], "pending": 0, "timeScale": 0.5}  # the configured scale again
        assert _exchange(http, pending_code).json()["error"] == "invalid_grant"  # no code survives a reset
        assert http.get("/v1/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert [k.kind for k in state.keys.all()] == ["api_key"]  # issued tokens are forgotten, not just revoked
        assert control.webhook_public_key() == rotated  # the signing key is not data: receivers keep verifying


def test_config_fields_and_their_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOK_TIME_SCALE", "OAUTH_EXPIRES_IN", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"):
        monkeypatch.delenv(f"LEXFLOW_SANDBOX_{name}", raising=False)
    default = SandboxConfig()
    assert (default.webhook_time_scale, default.oauth_expires_in, default.webhook_key_bits) == (1.0, 3600, 4096)
    assert {k: v.get_secret_value() for k, v in default.oauth_clients.items()} == {
        DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET
    }
    monkeypatch.setenv("LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE", "0.01")
    monkeypatch.setenv("LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN", "60")
    monkeypatch.setenv("LEXFLOW_SANDBOX_OAUTH_CLIENT_ID", "env-app")
    monkeypatch.setenv("LEXFLOW_SANDBOX_OAUTH_CLIENT_SECRET", "env-secret")
    from_env = SandboxConfig()
    assert (from_env.webhook_time_scale, from_env.oauth_expires_in) == (0.01, 60)
    assert list(from_env.oauth_clients) == ["env-app"] and "env-secret" not in repr(from_env)
    assert SandboxConfig(webhook_time_scale=2, oauth_clients={"mine": "pw"}).webhook_time_scale == 2.0
    monkeypatch.setenv("LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN", "0")
    with pytest.raises(ValidationError, match=r"LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN='0'.*greater than or equal to 1"):
        SandboxConfig()
    monkeypatch.delenv("LEXFLOW_SANDBOX_OAUTH_EXPIRES_IN")
    for bad in ({"webhook_time_scale": -1}, {"oauth_clients": {}}, {"oauth_clients": {"a:b": "x"}},
                {"webhook_key_bits": 1024}, {"oauth_expires_in": 0}):  # fmt: skip
        with pytest.raises(ValidationError, match=next(iter(bad))):
            SandboxConfig(**bad)


def test_oauth_config_is_what_the_authorization_server_uses() -> None:
    with _http(oauth_clients={"partner-app": "pw"}, oauth_expires_in=120) as http:
        assert _exchange(http, _code(http, "partner-app"), ("partner-app", "pw")).json()["expires_in"] == 120
        assert http.get("/oauth2/authorize", params={"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT,
                                                     "response_type": "code"}).status_code == 400  # fmt: skip


def test_signing_key_is_4096_bits_shared_per_process_and_rotatable(receiver: Receiver) -> None:
    with _http() as first, _http(webhook_time_scale=0.00001) as second:
        pem = first.get("/_sandbox/webhook-public-key").content
        key = serialization.load_pem_public_key(pem)
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 4096  # Lexware's size
        assert second.get("/_sandbox/webhook-public-key").content == pem  # generated once per process
        fresh = SandboxControl(second, DEFAULT_API_KEY).rotate_webhook_key(bits=2048)
        assert fresh != pem and first.get("/_sandbox/webhook-public-key").content == pem  # only that sandbox
        second.post(
            "/v1/event-subscriptions", json={"eventType": "contact.created", "callbackUrl": f"{receiver.url}/rot"}
        )
        second.post("/v1/contacts", json=company_contact())
        deadline = time.monotonic() + 10
        while not receiver.to("/rot") and time.monotonic() < deadline:
            time.sleep(0.01)
        call = receiver.to("/rot")[0]
        rotated = serialization.load_pem_public_key(fresh)
        assert isinstance(rotated, rsa.RSAPublicKey) and rotated.key_size == 2048
        signature = base64.b64decode(call["headers"]["X-Lxo-Signature"])
        rotated.verify(signature, call["body"], padding.PKCS1v15(), hashes.SHA512())
        dispatcher(sandbox_state(second.app)).close()
        assert second.post("/_sandbox/webhooks/rotate-key", json={"bits": 1024}).status_code == 400


def test_serve_refuses_bad_options_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from lexflow.sandbox.cli import app

    runner = CliRunner()
    bad_client = runner.invoke(app, ["serve", "--oauth-client", "no-secret"])
    assert bad_client.exit_code == 2 and "ID:SECRET" in bad_client.output
    monkeypatch.setenv("LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE", "fast")
    bad_env = runner.invoke(app, ["serve"])
    assert bad_env.exit_code == 2 and "LEXFLOW_SANDBOX_WEBHOOK_TIME_SCALE" in bad_env.output


def test_renderings_do_not_outlive_a_reset_or_leak_between_sandboxes() -> None:
    """Seeded ids repeat for a seed: after a reset (or in another sandbox) the same id/version is another document."""

    def first_invoice_pdf(http: TestClient) -> tuple[str, bytes]:
        listed = http.get("/v1/voucherlist", params={"voucherType": "invoice", "voucherStatus": "open,paid"}).json()
        invoice_id = min(item["id"] for item in listed["content"])
        pdf = http.get(f"/v1/invoices/{invoice_id}/file", headers={"Accept": "application/pdf"})
        assert pdf.status_code == 200
        return invoice_id, pdf.content

    def seeded_later(http: TestClient) -> tuple[str, bytes]:
        control = SandboxControl(http, DEFAULT_API_KEY)
        control.clock_advance(days=40)  # same seed, other dates
        control.seed(vouchers=20, seed=5)
        return first_invoice_pdf(http)

    with _http() as http:
        SandboxControl(http, DEFAULT_API_KEY).seed(vouchers=20, seed=5)
        before = first_invoice_pdf(http)
        with _http() as other:
            elsewhere = seeded_later(other)
        assert elsewhere[0] == before[0] and elsewhere[1] != before[1]  # no rendering shared between sandboxes
        SandboxControl(http, DEFAULT_API_KEY).reset()
        after = seeded_later(http)
        assert after[0] == before[0] and after[1] != before[1]  # nor kept across a reset
