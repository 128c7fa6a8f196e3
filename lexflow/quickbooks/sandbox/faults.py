"""QuickBooks error bodies: the JSON `Fault` envelope, and the XML throttle body QuickBooks sends even to JSON
clients (docs/quickbooks.md#what-the-client-does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.responses import Response

from lexflow.errors import LexflowError


class Fault(LexflowError):
    """Raised by the domain; rendered as `{"Fault": {"Error": [...], "type": ...}, "time": ...}`."""

    def __init__(
        self, status: int, code: str, message: str, detail: str = "", element: str = "", type_: str = "ValidationFault"
    ) -> None:
        self.status, self.code, self.message, self.detail, self.element, self.type = (
            status,
            code,
            message,
            detail,
            element,
            type_,
        )
        super().__init__(f"{code} {message}: {detail}")

    def body(self, now: datetime) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}
        return {"Fault": {"Error": [error], "type": self.type}, "time": stamp(now)}


def stamp(now: datetime) -> str:
    return now.isoformat(timespec="milliseconds")


def required(element: str) -> Fault:
    return Fault(
        400,
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid(element: str, detail: str, code: str = "2050") -> Fault:
    return Fault(
        400,
        code,
        "Invalid Reference Id" if code == "2500" else "Request has invalid or unsupported property",
        detail,
        element,
    )


def business(detail: str, element: str = "") -> Fault:
    return Fault(
        400,
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def not_found(entity: str, id_: str) -> Fault:
    return Fault(
        400,
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, "
        f"customers, items, vendors or employees. ({entity} {id_})",
    )


def stale() -> Fault:
    return Fault(
        400,
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and lexflow sandbox were working on this at the same time. lexflow sandbox finished "
        "before you did, so your work was not saved.",
    )


def duplicate_name() -> Fault:
    return Fault(
        400,
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already using this name. "
        "Please use a different name.",
    )


def unauthenticated() -> Fault:
    return Fault(
        401, "3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401", "", "", "AuthenticationFault"
    )


def unauthorized_realm() -> Fault:
    return Fault(
        403,
        "003100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        "",
        "",
        "AuthorizationFault",
    )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def throttle_response(now: datetime) -> Response:
    """HTTP 429 with the XML body QuickBooks sends for throttling, whatever the Accept header said."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{stamp(now)}" xmlns="http://schema.intuit.com/finance/v3">'
        f'<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
        f"statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault>"
        f"</IntuitResponse>"
    )
    return Response(xml, 429, media_type="application/xml")
