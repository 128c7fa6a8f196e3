"""Webhook signature check (docs/lexware.md#webhook-signature): RSA PKCS#1 v1.5 with SHA-512 over the raw body, header `X-Lxo-Signature`."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["SIGNATURE_HEADER", "verify_webhook_signature"]

SIGNATURE_HEADER = "X-Lxo-Signature"


def verify_webhook_signature(raw_body: bytes, signature_b64: str, public_key_pem: bytes) -> bool:
    """True if `signature_b64` signs exactly `raw_body`. Verify the bytes as received: re-serialising the JSON may
    change them. Returns False (never raises) for a malformed signature; raises ValueError for a bad key."""
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the webhook public key must be an RSA key")
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, raw_body, padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature:
        return False
    return True
