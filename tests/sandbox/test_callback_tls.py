"""docs/lexware.md#subscribing: subscribing sends a HEAD to the https callbackUrl to check its TLS certificate; a failure is a 406.

A real TLS receiver on 127.0.0.1 with a certificate from a throw-away CA (EC keys: generated in milliseconds).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server as http_server
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from starlette.testclient import TestClient

from lexflow.lexware.sandbox import DEFAULT_API_KEY, SandboxConfig, create_app
from lexflow.lexware.sandbox.webhooks import dispatcher
from lexflow.sandbox.gateway import free_port

from .helpers import company_contact


def _certificate(subject: str, key: Any, issuer: x509.Name, signer: Any, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


class TlsReceiver:
    """HTTPS receiver that records HEAD and POST requests; its certificate is issued by `ca_file`."""

    def __init__(self, directory: Path) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lexflow test CA")])
        ca_cert = _certificate("lexflow test CA", ca_key, ca_name, ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate("127.0.0.1", key, ca_name, ca_key, ca=False)
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_file, key_file = directory / "cert.pem", directory / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.calls: list[dict[str, Any]] = []
        receiver = self

        class Handler(http_server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                receiver.calls.append({"method": "HEAD", "path": self.path})
                self.send_response(405)  # a POST-only receiver: still a valid TLS endpoint
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append(
                    {"method": "POST", "path": self.path, "body": raw, "signature": self.headers["X-Lxo-Signature"]}
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http_server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def of(self, method: str, path: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method and c["path"] == path]


@pytest.fixture(scope="module")
def tls_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsReceiver]:
    receiver = TlsReceiver(tmp_path_factory.mktemp("tls"))
    yield receiver
    receiver.server.shutdown()


def _client(**config: Any) -> TestClient:
    app = create_app(
        SandboxConfig(**{"rate_limit": 0, "ocr_delay_seconds": None, "callback_tls_check": True, **config})
    )
    return TestClient(app, base_url="http://sandbox.test", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})


def _subscribe(http: TestClient, url: str, event_type: str = "contact.created") -> Any:
    return http.post("/v1/event-subscriptions", json={"eventType": event_type, "callbackUrl": url})


def test_the_check_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEXFLOW_SANDBOX_CALLBACK_TLS_CHECK", raising=False)  # tests/conftest.py switches it off
    assert SandboxConfig().callback_tls_check is True
    monkeypatch.setenv("LEXFLOW_SANDBOX_CALLBACK_TLS_CHECK", "false")
    assert SandboxConfig().callback_tls_check is False
    assert SandboxConfig(callback_tls_check=True).callback_tls_check is True  # explicit values win


def test_trusted_certificate_head_checked_then_subscribed_and_delivered(tls_receiver: TlsReceiver) -> None:
    with _client(callback_ca_bundle=tls_receiver.ca_file, webhook_time_scale=0.00001) as http:
        r = _subscribe(http, f"{tls_receiver.url}/trusted")
        assert r.status_code == 201, r.text
        assert len(tls_receiver.of("HEAD", "/trusted")) == 1  # the pre-check, answered 405: only TLS matters
        assert tls_receiver.of("POST", "/trusted") == []
        http.post("/v1/contacts", json=company_contact())
        deadline = time.monotonic() + 10
        while not tls_receiver.of("POST", "/trusted") and time.monotonic() < deadline:
            time.sleep(0.01)
        (call,) = tls_receiver.of("POST", "/trusted")  # delivery verifies against the same CA bundle
        public = serialization.load_pem_public_key(http.get("/_sandbox/webhook-public-key").content)
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(base64.b64decode(call["signature"]), call["body"], padding.PKCS1v15(), hashes.SHA512())
        dispatcher(http.app.state.sandbox).close()  # type: ignore[attr-defined]


def test_untrusted_certificate_is_refused_with_406_and_nothing_is_stored(tls_receiver: TlsReceiver) -> None:
    with _client() as http:  # certifi's public CAs do not know the test CA
        r = _subscribe(http, f"{tls_receiver.url}/untrusted?token=s3cret")
        assert r.status_code == 406, r.text
        body = r.json()
        assert body["status"] == 406 and body["path"] == "/v1/event-subscriptions"  # the regular error body
        (detail,) = body["details"]
        assert detail["field"] == "callbackUrl" and "certificate did not verify" in detail["message"]
        assert "s3cret" not in r.text  # the URL (which may carry a receiver's token) is not echoed
        assert http.get("/v1/event-subscriptions").json() == {"content": []}
    assert tls_receiver.of("HEAD", "/untrusted?token=s3cret") == []  # the handshake failed before any request


def test_unreachable_https_callback_is_refused() -> None:
    with _client() as http:
        r = _subscribe(http, f"https://127.0.0.1:{free_port()}/nobody")
        assert r.status_code == 406
        assert "could not be reached" in r.json()["details"][0]["message"]


def test_switched_off_or_http_callbacks_are_not_contacted(tls_receiver: TlsReceiver) -> None:
    with _client(callback_tls_check=False) as http:
        assert _subscribe(http, f"{tls_receiver.url}/unchecked").status_code == 201
    assert tls_receiver.of("HEAD", "/unchecked") == []
    with _client(allow_http_callbacks=True) as http:  # http has no certificate to check
        assert _subscribe(http, f"http://127.0.0.1:{free_port()}/plain").status_code == 201


def test_duplicates_are_refused_before_any_check(tls_receiver: TlsReceiver) -> None:
    with _client(callback_ca_bundle=tls_receiver.ca_file) as http:
        assert _subscribe(http, f"{tls_receiver.url}/dup").status_code == 201
        assert _subscribe(http, f"{tls_receiver.url}/dup").status_code == 409
    assert len(tls_receiver.of("HEAD", "/dup")) == 1


def test_ca_bundle_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="callback_ca_bundle"):
        SandboxConfig(callback_ca_bundle=tmp_path / "missing.pem")
