"""An OpenAPI 3.1 document of the sandbox's API surface, built from the route table (GET /_sandbox/openapi.json).

Bodies are described loosely (`object`); the field-level truth is the API reference. What the document adds is the
exact set of paths and methods, the scope each needs, the success code and the error body shape per resource group.
"""

from __future__ import annotations

import re
from typing import Any

_ERROR_SCHEMAS: dict[str, Any] = {
    "GatewayError": {"type": "object", "properties": {"message": {"type": ["string", "null"]}}},
    "IssueList": {
        "type": "object",
        "properties": {
            "IssueList": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "i18nKey": {"type": "string"},
                        "source": {"type": ["string", "null"]},
                        "type": {"type": "string"},
                    },
                },
            }
        },
    },
    "RegularError": {
        "type": "object",
        "properties": {
            "timestamp": {"type": "string"},
            "status": {"type": "integer"},
            "error": {"type": "string"},
            "path": {"type": "string"},
            "traceId": {"type": "string"},
            "message": {"type": ["string", "null"]},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "violation": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
}


def success_status(method: str, path: str) -> int:
    if method == "DELETE":
        return 204
    if method == "POST":
        if path in ("/v1/files",) or path.endswith("/files"):
            return 202
        if path in ("/v1/contacts", "/v1/vouchers"):
            return 200
        return 201
    return 200


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def build_openapi(app: Any) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in app.state.api_routes:
        style = {"issues": "IssueList", "details": "RegularError"}.get(route.style, "GatewayError")
        ok = success_status(route.method, route.path)
        responses: dict[str, Any] = {
            str(ok): {"description": "success"},
            "400": {"description": "bad query or body", **_ref(style)},
            "401": {"description": "missing, invalid or revoked key", **_ref("GatewayError")},
            "403": {"description": f"missing scope {route.scope!r}", **_ref("GatewayError")},
            "404": {"description": "not found", **_ref(style)},
            "429": {"description": "rate limit (request not executed)", **_ref("GatewayError")},
        }
        if route.method in ("POST", "PUT"):
            responses["406"] = {"description": "validation failure", **_ref(style)}
            responses["415"] = {"description": "wrong Content-Type"}
        op: dict[str, Any] = {
            "summary": route.summary or route.handler.__name__.replace("_", " "),
            "operationId": f"{route.method.lower()}_{route.handler.__name__}",
            "tags": [route.path.split("/")[2]],
            "security": [{"bearer": []}],
            "x-scope": route.scope,
            "x-error-style": route.style,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
                for name in re.findall(r"{(\w+)}", route.path)
            ],
            "responses": responses,
        }
        if route.json_body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lexflow Lexware Office sandbox",
            "version": "1",
            "description": "The public API surface the sandbox serves (see docs/sandbox.md). Control API: /_sandbox/.",
        },
        "servers": [{"url": app.state.sandbox.config.base_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _ERROR_SCHEMAS,
        },
        "paths": paths,
    }
