"""Collect the HTTP calls a client makes while one action runs (via `client.add_call_listener`).

One listener is attached per client, once; it appends to whichever collector is active in the current context
(contextvars are per thread and per asyncio task), so concurrent runs sharing a client do not mix their calls.
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lexflow.audit.records import HttpCall

_current: contextvars.ContextVar[list[HttpCall] | None] = contextvars.ContextVar("lexflow_audit_calls", default=None)
_attached: set[int] = set()


def _listener(call: Any) -> None:
    sink = _current.get()
    if sink is None:
        return
    path = str(getattr(call, "path", ""))
    sink.append(
        HttpCall(
            method=str(getattr(call, "method", "")),
            path=path.split("?", 1)[0],  # never keep query strings: they can carry e-mails or names
            status=getattr(call, "status", None),
            elapsed_ms=float(getattr(call, "elapsed_ms", 0.0) or 0.0),
            attempt=int(getattr(call, "attempt", 1) or 1),
        )
    )


def attach(client: Any) -> None:
    """Make `client` report its calls to the audit collector (idempotent per client)."""
    if client is None or id(client) in _attached:
        return
    add = getattr(client, "add_call_listener", None)
    if add is None:
        return
    add(_listener)
    _attached.add(id(client))
    with contextlib.suppress(TypeError):  # forget the id when the client goes away, so a new one can reuse it
        weakref.finalize(client, _attached.discard, id(client))


@contextmanager
def collect_calls(client: Any = None) -> Iterator[list[HttpCall]]:
    """Within the block, every HTTP attempt of `client` (and of any attached client) lands in the yielded list."""
    attach(client)
    calls: list[HttpCall] = []
    token = _current.set(calls)
    try:
        yield calls
    finally:
        _current.reset(token)
