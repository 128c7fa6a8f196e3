"""Lexware's webhook public key (from a file, a URL or PEM text) and signature checks against it.

The signature itself is checked by the client's helper (`lexflow.lexware.client.signature`), the one implementation in
lexflow: RSA PKCS#1 v1.5 with SHA-512 over the raw body bytes. This module only finds and caches the key, and
fetches a URL key again (at most every `refresh_after` seconds) when a signature fails, so a key rotation heals
itself without letting forged requests hammer the key server.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from lexflow.lexware.client.signature import verify_webhook_signature
from lexflow.webhooks.errors import PublicKeyError


class WebhookPublicKey:
    """A public key source: a PEM file path, an http(s) URL, or the PEM bytes themselves."""

    def __init__(
        self,
        source: str | Path | bytes,
        *,
        refresh_after: float = 300.0,
        timeout: float = 10.0,
        description: str | None = None,
    ) -> None:
        self._source = source
        self._description = description
        self._refresh_after = refresh_after
        self._timeout = timeout
        self._pem: bytes | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        if self._description:
            return self._description
        if isinstance(self._source, bytes):
            return "inline PEM"
        return str(self._source)

    @property
    def is_url(self) -> bool:
        return isinstance(self._source, str) and self._source.startswith(("http://", "https://"))

    def pem(self) -> bytes:
        """The key, loaded on first use."""
        with self._lock:
            if self._pem is None:
                self._pem = self._load()
                self._loaded_at = time.monotonic()
            return self._pem

    def verify(self, raw_body: bytes, signature_b64: str) -> bool:
        """True if `signature_b64` is Lexware's signature over exactly these bytes."""
        if not signature_b64:
            return False
        if verify_webhook_signature(raw_body, signature_b64, self.pem()):
            return True
        if self.is_url and time.monotonic() - self._loaded_at >= self._refresh_after:
            with self._lock:
                self._pem = None
            return verify_webhook_signature(raw_body, signature_b64, self.pem())
        return False

    def _load(self) -> bytes:
        source = self._source
        if isinstance(source, bytes):
            pem = source
        elif self.is_url:
            try:
                response = httpx.get(str(source), timeout=self._timeout, follow_redirects=True)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise PublicKeyError(
                    f"could not fetch the webhook public key from {source}: {exc}; "
                    "pass --public-key FILE with a downloaded copy"
                ) from None
            pem = response.content
        else:
            path = Path(source).expanduser()
            if not path.is_file():
                raise PublicKeyError(f"webhook public key file {path} does not exist; pass --public-key FILE|URL")
            pem = path.read_bytes()
        if b"-----BEGIN PUBLIC KEY-----" not in pem and b"-----BEGIN RSA PUBLIC KEY-----" not in pem:
            raise PublicKeyError(f"{self.description} is not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')")
        return pem
