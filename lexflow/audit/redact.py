"""Redaction of secrets and personal data before anything reaches the audit trail, a log line or an artifact.

Two passes: keys whose *name* says "secret" (api_key, token, password, signing_secret, iban, ...) lose their whole
value; every remaining string is scanned for values that *look* secret (IBANs, e-mail addresses, bearer tokens,
JWTs, PEM blocks). The result is safe to store and to show; it keeps the shape of the input so reviewers still see
what was asked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, SecretBytes, SecretStr

REDACTED = "[redacted]"
MAX_TEXT = 4000  # longer strings are stored as size + digest

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|token|secret|password|passwd|authorization|bearer|signature|private[_-]?key|"
    r"client[_-]?secret|cookie|session|iban|bic|account[_-]?number|credential)",
    re.IGNORECASE,
)
# Keys whose values are personal data: kept as a short fingerprint so two records can still be correlated.
_PERSONAL_KEY = re.compile(r"(e[-_]?mail|phone|mobile|fax)", re.IGNORECASE)

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL)
_SLACK = re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]+")


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible tag for a personal value (enough to correlate, not to recover)."""
    return "sha256:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:12]


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """Replace secret-looking substrings (and any known secret values) in free text."""
    for secret in extra_secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _SLACK.sub(REDACTED, text)
    text = _EMAIL.sub(lambda m: "[email " + fingerprint(m.group(0)) + "]", text)
    return _mask_ibans(text)


def _mask_ibans(text: str) -> str:
    """Mask every mod-97-valid IBAN, compact or in groups, also when more capitals follow (`... BIC COBADEFF`)."""
    out, pos = [], 0
    for m in _IBAN_START.finditer(text):
        if m.start() < pos:
            continue
        end = _iban_end(text, m.start())
        if end:
            out.append(text[pos : m.start()])
            out.append("[iban ..." + re.sub(r"\s", "", text[m.start() : end])[-2:] + "]")
            pos = end
    out.append(text[pos:])
    return "".join(out)


def _iban_end(text: str, start: int) -> int | None:
    """End offset of the longest valid IBAN starting at `start` (15..34 characters, single spaces allowed)."""
    compact: list[str] = []
    ends: list[int] = []
    i = start
    while i < len(text) and len(compact) < 34:
        ch = text[i]
        if ch == " " and compact and i + 1 < len(text) and text[i + 1] != " ":
            i += 1
            continue
        if not (ch.isascii() and (ch.isdigit() or ch.isupper())):
            break
        compact.append(ch)
        i += 1
        ends.append(i)
    for n in range(len(compact), 14, -1):
        boundary = ends[n - 1] >= len(text) or not text[ends[n - 1]].isalnum()
        if boundary and _valid_iban("".join(compact[:n])):
            return ends[n - 1]
    return None


def _valid_iban(compact: str) -> bool:
    if not (15 <= len(compact) <= 34 and compact[:2].isalpha() and compact[2:4].isdigit()):
        return False
    # A UUID or voucher number fragment rarely passes the mod-97 check; real IBANs always do.
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def redact(value: Any, extra_secrets: Iterable[str] = (), _key: str = "") -> Any:
    """Return a JSON-able copy of `value` with secrets removed and personal data fingerprinted."""
    extra = tuple(extra_secrets)
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if _SECRET_KEY.search(key) and v not in (None, "", [], {}):
                out[key] = REDACTED
            elif _PERSONAL_KEY.search(key) and isinstance(v, str) and v:
                out[key] = fingerprint(v)
            else:
                out[key] = redact(v, extra, key)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, extra, _key) for v in value]
    if isinstance(value, bytes):
        return f"[{len(value)} bytes]"
    if isinstance(value, str):
        if _PERSONAL_KEY.search(_key) and value:
            return fingerprint(value)
        if len(value) > MAX_TEXT or "base64" in _key.lower():
            # File contents and other blobs: keep a size and a digest, not the bytes (they may hold anything).
            return f"[{len(value)} chars sha256:{hashlib.sha256(value.encode()).hexdigest()[:16]}]"
        return redact_text(value, extra)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value), extra)


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces): what the hash chain is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str:
    """sha256 over the canonical JSON of an (already redacted) value."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
