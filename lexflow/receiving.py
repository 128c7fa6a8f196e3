"""What every HTTP receiver (Slack approvals, Lexware webhooks) does before it trusts a byte: read a bounded body.

Why: an unsigned 200 MB POST must not be buffered whole before its signature is checked (that once cost 400 MB of
memory). `Content-Length` over the limit is refused unread; a body without one (chunked) is streamed and cut off
as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lexflow.errors import LexflowError


class BodyTooLarge(LexflowError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body larger than {limit} bytes")

    def response(self) -> Response:
        return JSONResponse({"detail": f"request body larger than {self.limit} bytes"}, status_code=413)


async def bounded_body(request: Request, limit: int) -> bytes:
    """The raw body, or `BodyTooLarge` once more than `limit` bytes are announced or have arrived."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
