"""Input limits every exposure shares (`run()`, the CLI's `--input`, MCP arguments): size, depth, text, numbers.

Why: a long or strange value must end in a clear refusal naming the field, never a frozen process (a 200 KB
argument once blocked the MCP server), a traceback (`UnicodeEncodeError` for a lone surrogate) or a silent
acceptance (`1e999` as an amount). Pydantic validates the shape; these checks bound what it cannot.
"""

from __future__ import annotations

import base64
import math
from decimal import Decimal
from typing import Any

MAX_INPUT_BYTES = 8 * 1024 * 1024
"""A whole input (JSON): room for a 5 MiB file as base64, the largest file Lexware Office accepts."""
MAX_TEXT = 20_000
"""Characters in one text field; file contents (keys containing `base64`) may use the whole input size."""
MAX_DEPTH = 32
"""Nesting of objects and lists (a document with line items is 4 deep)."""
MAX_NUMBER = Decimal("1e12")
"""Amounts, quantities and rates above this are refused (no Lexware amount comes near it)."""


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(input)"


def text_problem(value: str, path: tuple[Any, ...] = ()) -> str | None:
    """Why a text value is refused (too long, invalid Unicode, NUL), or None."""
    key = str(path[-1]) if path else ""
    limit = MAX_INPUT_BYTES if "base64" in key.lower() else MAX_TEXT
    if len(value) > limit:
        return f"{_where(path)}: text of {len(value)} characters is longer than the limit of {limit}; shorten it"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"{_where(path)}: contains an unpaired surrogate at position {exc.start} (not valid Unicode); "
            "send UTF-8 text"
        )
    if "\x00" in value:
        return f"{_where(path)}: contains a NUL character; remove it"
    if "base64" in key.lower():
        try:
            base64.b64decode(value, validate=True)
        except ValueError as exc:  # binascii.Error is a ValueError
            return f"{_where(path)}: not valid base64 ({exc}); send the file's bytes base64-encoded"
    return None


def raw_problems(data: Any, path: tuple[Any, ...] = (), depth: int = 0, out: list[str] | None = None) -> list[str]:
    """Problems in unvalidated input (dicts, lists, strings, numbers as sent), each naming its field."""
    out = [] if out is None else out
    if len(out) >= 5:
        return out
    if depth > MAX_DEPTH:
        out.append(f"{_where(path)}: nested deeper than {MAX_DEPTH} levels")
        return out
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and (problem := text_problem(k, (*path, "(key)"))):
                out.append(problem)
            raw_problems(v, (*path, k), depth + 1, out)
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            raw_problems(v, (*path, i), depth + 1, out)
    elif isinstance(data, str):
        if problem := text_problem(data, path):
            out.append(problem)
    elif (problem := number_problem(data, path)) is not None:
        out.append(problem)
    return out


def number_problem(value: Any, path: tuple[Any, ...] = ()) -> str | None:
    """Why a number is refused (not finite, too large), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_where(path)}: {value} is not a number; send a finite amount"
    if isinstance(value, Decimal) and not value.is_finite():
        return f"{_where(path)}: {value} is not a number; send a finite amount"
    number = Decimal(value)  # exact for int and float, no context rounding on construction
    if abs(number) >= MAX_NUMBER:
        if isinstance(value, int) and value.bit_length() > 80:  # str() of a 5000-digit int raises
            shown = f"a {len(str(value)) if value.bit_length() < 10_000 else 'huge'}-digit number"
        else:
            shown = str(value) if len(str(value)) <= 24 else str(value)[:12] + "…"
        return f"{_where(path)}: {shown} is too large (at most {MAX_NUMBER:,.0f})"
    return None


def validated_problems(data: Any, path: tuple[Any, ...] = (), out: list[str] | None = None) -> list[str]:
    """Numbers after validation (`"1e999"` became a Decimal): finite and within bounds, each naming its field."""
    out = [] if out is None else out
    if isinstance(data, dict):
        for k, v in data.items():
            validated_problems(v, (*path, k), out)
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            validated_problems(v, (*path, i), out)
    elif (problem := number_problem(data, path)) is not None:
        out.append(problem)
    return out
