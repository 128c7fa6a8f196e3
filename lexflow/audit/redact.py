"""Redaction of secrets and personal data before anything reaches the audit trail, a log line or an artifact.

Two passes: keys whose *name* says "secret" (api_key, token, password, signing_secret, iban, ...) lose their whole
value; every remaining string is scanned for values that *look* secret (IBANs, e-mail addresses, bearer tokens,
JWTs, PEM blocks). The result is safe to store and to show; it keeps the shape of the input so reviewers still see
what was asked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

from pydantic import BaseModel, SecretBytes, SecretStr

REDACTED = "[redacted]"
MAX_TEXT = 4000  # longer strings are stored as size + digest
MAX_SCAN = 200_000
"""Free text longer than this is cut before scanning (a log line or error message never needs more)."""
MIN_KNOWN_SECRET = 12
"""Configured values shorter than this (a block name, a flag) are not treated as secrets by value."""

_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|token|secret|password|passwd|authorization|bearer|signature|private[_-]?key|"
    r"client[_-]?secret|cookie|session|iban|bic|account[_-]?number|credential)",
    re.IGNORECASE,
)
# Keys whose values are personal data: kept as a short fingerprint so two records can still be correlated.
_PERSONAL_KEY = re.compile(r"(e[-_]?mail|phone|mobile|fax)", re.IGNORECASE)

# Every pattern runs in linear time on any input (issue 13): a match can only start where a run of its characters
# starts (look-behind), and possessive quantifiers (`++`, Python 3.11) never give characters back, so no start
# position rescans what an earlier one already read. `bench/redaction.py` measures 1 MB adversarial strings.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])(?=[A-Z]{2}[0-9]{2})")
_IBAN_RUN = re.compile(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){0,30}")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)*+")
_EMAIL_TLD = re.compile(r"\.[A-Za-z]{2}")
_BEARER = re.compile(r"(?i)\bbearer\s++[A-Za-z0-9._~+/=\-]++")
_JWT = re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]++\.[A-Za-z0-9_\-]++\.[A-Za-z0-9_\-]*+")
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z ]++-----")
_PEM_END = re.compile(r"-----END [A-Z ]++-----")
_SLACK = re.compile(r"(?<![A-Za-z0-9\-])xox[abposr]-[A-Za-z0-9\-]++")
_URL_PASSWORD = re.compile(r"(?<=://)([^\s/?#@:]{0,256}+):[^\s/?#@]{1,256}+@")


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible tag for a personal value (enough to correlate, not to recover)."""
    return "sha256:" + hashlib.sha256(value.strip().lower().encode("utf-8", "backslashreplace")).hexdigest()[:12]


_remembered: dict[str, None] = {}


def remember_secrets(values: Iterable[str]) -> None:
    """Secrets that are in no environment variable (a Prefect credentials block's key or token): from now on this
    process redacts them by value too."""
    for value in values:
        if value and len(value) >= MIN_KNOWN_SECRET:
            _remembered[value] = None


def known_secrets() -> tuple[str, ...]:
    """Configured secret values, removed by value wherever they appear (an API key pasted into a note, say).

    Read from the environment (`LEXWARE_*`/`LEXFLOW_*`/`SLACK_*` variables named like a key, token, secret or
    password, and the password of `LEXFLOW_SMTP_URL`), from lexflow's settings (which may come from `.env`) and
    from the credentials blocks this process loaded (`remember_secrets`).
    """
    found: dict[str, None] = dict(_remembered)
    for name, value in os.environ.items():
        if not name.startswith(("LEXWARE_", "LEXFLOW_", "SLACK_")):
            continue
        if name.endswith("_URL"):
            pw = urlsplit(value).password if "@" in value else None
            if pw and len(pw) >= 4:
                found[unquote(pw)] = None
                found[pw] = None
        elif _SECRET_KEY.search(name) and len(value) >= MIN_KNOWN_SECRET:
            found[value] = None
    with suppress(Exception):  # an invalid environment is not this caller's problem
        from lexflow.settings import get_settings

        settings = get_settings()
        for field in type(settings).model_fields:
            value = getattr(settings, field)
            if isinstance(value, SecretStr) and len(value.get_secret_value()) >= MIN_KNOWN_SECRET:
                found[value.get_secret_value()] = None
    return tuple(found)


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """Replace secret-looking substrings (and any known secret values) in free text. Linear in `len(text)`."""
    return _redact_text_with(text, (*extra_secrets, *known_secrets()))


def _redact_text_with(text: str, secrets: tuple[str, ...], personal: bool = True) -> str:
    # Lone surrogates cannot be stored or sent as UTF-8: keep them visible as escapes instead of failing later.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > MAX_SCAN:
        text = text[:MAX_SCAN] + f" [... {len(text) - MAX_SCAN} more characters not shown]"
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return _redact_patterns(text, personal)


def _redact_patterns(text: str, personal: bool = True) -> str:
    text = _without_pem(text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + ":" + REDACTED + "@", text)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _SLACK.sub(REDACTED, text)
    if personal:
        text = _EMAIL.sub(_email_tag, text)
    return mask_ibans(text)


def _email_tag(m: re.Match[str]) -> str:
    """`local@domain.tld` → a fingerprint; `local@host` without a top-level domain stays (`user@localhost`)."""
    value = m.group(0)
    if _EMAIL_TLD.search(value, value.index("@")) is None:
        return value
    return "[email " + fingerprint(value) + "]"


def _without_pem(text: str) -> str:
    """PEM blocks out, found by a forward scan (a BEGIN with no END later means no more blocks: stop there)."""
    out, pos = [], 0
    while (begin := _PEM_BEGIN.search(text, pos)) is not None:
        end = _PEM_END.search(text, begin.end())
        if end is None:
            break
        out.append(text[pos : begin.start()] + REDACTED)
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


def mask_ibans(text: str) -> str:
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


_IBAN_DIGIT = {c: (10 if c.isdigit() else 100, int(c, 36)) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _iban_end(text: str, start: int) -> int | None:
    """End offset of the longest valid IBAN starting at `start` (15..34 characters, single spaces allowed)."""
    run = _IBAN_RUN.match(text, start)
    if run is None:
        return None
    chunk = run.group()
    compact = chunk.replace(" ", "")
    if len(compact) < 15:
        return None
    # mod 97 of (rest + country and check digits), the rest growing one character at a time: O(34) per start.
    head = 0
    for ch in compact[:4]:
        shift, value = _IBAN_DIGIT[ch]
        head = head * shift + value
    head_shift = 10 ** (len(str(head)) if head else 1) % 97
    remainders, r = [], 0
    for ch in compact[4:]:
        shift, value = _IBAN_DIGIT[ch]
        r = (r * shift + value) % 97
        remainders.append((r * head_shift + head) % 97)
    ends = [start + i + 1 for i, ch in enumerate(chunk) if ch != " "]
    for n in range(len(compact), 14, -1):
        if remainders[n - 5] == 1 and (ends[n - 1] >= len(text) or not text[ends[n - 1]].isalnum()):
            return ends[n - 1]
    return None


def redact(value: Any, extra_secrets: Iterable[str] = ()) -> Any:
    """Return a JSON-able copy of `value` with secrets removed and personal data fingerprinted."""
    return _redact(value, (*extra_secrets, *known_secrets()), "")


def _redact(value: Any, extra: tuple[str, ...], _key: str) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k).encode("utf-8", "backslashreplace").decode("utf-8")
            if _SECRET_KEY.search(key) and v not in (None, "", [], {}):
                out[key] = REDACTED
            elif _PERSONAL_KEY.search(key) and isinstance(v, str) and v:
                out[key] = fingerprint(v)
            else:
                out[key] = _redact(v, extra, key)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(v, extra, _key) for v in value]
    if isinstance(value, bytes):
        return f"[{len(value)} bytes]"
    if isinstance(value, str):
        if _PERSONAL_KEY.search(_key) and value:
            return fingerprint(value)
        if len(value) > MAX_TEXT or "base64" in _key.lower():
            # File contents and other blobs: keep a size and a digest, not the bytes (they may hold anything).
            blob = value.encode("utf-8", "backslashreplace")
            return f"[{len(value)} chars sha256:{hashlib.sha256(blob).hexdigest()[:16]}]"
        return _redact_text_with(value, extra)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _redact_text_with(str(value), extra)


def redact_secrets(value: Any) -> Any:
    """Secrets and IBANs out, everything else as it was (e-mail addresses too): for values that must still work
    when used again, such as flow parameters Prefect stores and reuses when a run is retried from its UI."""
    return _secrets_only(value, known_secrets())


def _secrets_only(value: Any, known: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if _SECRET_KEY.search(str(k)) and v not in (None, "", [], {}) else _secrets_only(v, known)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_secrets_only(v, known) for v in value]
    if isinstance(value, str):
        return _redact_text_with(value, known, personal=False)
    return value


class RedactingFilter(logging.Filter):
    """Redacts every record that passes (message, arguments, traceback text) before any handler formats it.

    Installed on lexflow's and Prefect's loggers and their handlers (`install_log_redaction`), so nothing secret
    reaches a console, a log file or the run logs Prefect stores in its database.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_lexflow_redacted", False):
            return True
        try:
            record.msg = redact_text(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = redact_text(record.exc_text)
        except Exception:  # a log call with bad arguments: let the handler report it as it would
            return True
        record._lexflow_redacted = True
        return True


LOGGERS = ("lexflow", "flows", "tasks", "prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.extra")


def install_log_redaction(loggers: Iterable[str] = LOGGERS) -> None:
    """Add `RedactingFilter` to these loggers, to their handlers and to the root logger's (idempotent).

    A logger's own filter sees only records logged on it; its handlers' filters also see records propagated from
    child loggers (`lexflow.webhooks.receiver`), which is why both get one.
    """
    targets: list[logging.Logger] = [logging.getLogger(), *(logging.getLogger(n) for n in loggers)]
    for logger in targets:
        for holder in (logger, *logger.handlers):
            if not any(isinstance(f, RedactingFilter) for f in holder.filters):
                holder.addFilter(RedactingFilter())


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces): what the hash chain is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str:
    """sha256 over the canonical JSON of an (already redacted) value."""
    return hashlib.sha256(canonical_json(value).encode("utf-8", "backslashreplace")).hexdigest()
