"""An OpenAPI 3.1 document of the sandbox's API surface, built from the route table (GET /_sandbox/openapi.json)."""

from __future__ import annotations

import re
from typing import Any


def build_openapi(app: Any) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in app.state.api_routes:
        op: dict[str, Any] = {
            "summary": route.summary or route.handler.__name__.replace("_", " "),
            "operationId": route.handler.__name__,
            "security": [{"bearer": []}],
            "x-scope": route.scope,
            "x-error-style": route.style,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
                for name in re.findall(r"{(\w+)}", route.path)
            ],
            "responses": {"default": {"description": "See docs/sandbox.md and the API reference."}},
        }
        if route.json_body:
            op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "lexflow Lexware Office sandbox", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }
