"""The status codes each route really returns, written into the OpenAPI
document (issue 9, item 9).

FastAPI documents a route's success code and a 422 it may never send;
everything the service answers before or beside a route (the body guard's
401/403/413 and its 400 for control characters, the error handlers' shapes)
is added here from one table of rules, so the document and the server stay
in step. ``tests/api/test_fuzz.py`` holds the server to the document with
every schemathesis check.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api import body_schemas
from api.auth import CONNECT_PATHS, native_manager
from api.errors import api_routes, is_connect_path

NATIVE_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}
CONNECT_ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}, "state": {"type": "string"}},
}

NATIVE_TEXT = {
    400: "Bad request: a value the route cannot use (page token, jurisdiction, CSV content, control characters)",
    401: "No valid API key (Authorization: Bearer <key>)",
    403: "The key's role may not do this (a manager key is needed)",
    404: "No such resource for this tenant",
    409: "The resource is not in a state that allows this (the message names the state)",
    413: "The body is larger than this route accepts",
    422: "The request does not match the documented parameters or body (details name each field)",
}
CONNECT_TEXT = {
    400: "ValidationException (InvalidParameterException for GetMetricDataV2)",
    403: "AccessDeniedException (no or invalid credentials, or the key's role may not do this)",
    404: "ResourceNotFoundException",
    409: "InvalidCampaignStateException or ConflictException",
    413: "The body is larger than this operation accepts (x-amzn-ErrorType: ValidationException)",
}

# Connect operations that depend on the campaign's state.
_CONNECT_STATEFUL = re.compile(r"/(start|pause|resume|stop|outbound-requests|dial-requests)$")
# Native routes that can answer 409.
_NATIVE_STATEFUL = re.compile(r"^/sim/(runs/\{run_id\}/|campaigns/\{campaign_id\}/runs$)")


# What the server accepts in path parameters (the routes check it and answer
# 400 or 404 otherwise); a "/" is left out: it would change the route.
PATH_PATTERNS = {
    "id": r"^[-:a-zA-Z0-9]{1,256}$",
    "campaign_id": r"^[-:a-zA-Z0-9]{1,256}$",
    "run_id": r"^[-_.a-zA-Z0-9]{1,256}$",
    "list_id": r"^[-_.a-zA-Z0-9]{1,256}$",
    "instance_id": r"^[-_.a-zA-Z0-9]{1,256}$",
    "name": r"^(abandonment|occupancy|dial_ratio|time_to_agent)$",
    # Event bus and queue names in /sim/eventbus paths (one path segment).
    "bus": r"^[._A-Za-z0-9-]{1,256}$",
    "queue": r"^[._A-Za-z0-9-]{1,80}$",
    "arn": r"^arn:aws:connect-campaigns:[a-z0-9-]{1,30}:[0-9]{12}:campaign/[-a-zA-Z0-9]{1,256}$",
}


# The body guard refuses control characters in every path and query value
# (api/bodyguard.py): a string parameter with no pattern of its own says so.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def _string_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if schema.get("type") == "string":
        return [schema]
    return [s for option in schema.get("anyOf", []) for s in _string_schemas(option)]


def _document_parameters(op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        pattern = PATH_PATTERNS.get(param["name"]) if param.get("in") == "path" else None
        for string in _string_schemas(param.setdefault("schema", {})):
            if pattern:
                string["pattern"] = pattern
            elif "pattern" not in string and "enum" not in string and "const" not in string:
                string["pattern"] = NO_CONTROL_CHARACTERS


def _is_manager_route(route: APIRoute) -> bool:
    def walk(dep: Dependant) -> bool:
        return dep.call is native_manager or any(walk(d) for d in dep.dependencies)

    return walk(route.dependant)


def statuses(route: APIRoute) -> dict[int, str]:
    """The error statuses ``route`` can answer, with what each means."""
    path = route.path_format
    if path == "/healthz":
        return {503: "The database does not answer"}
    if is_connect_path(path):
        codes = [400, 403, 413]
        if "{" in path or path in CONNECT_PATHS:  # an unknown resource (GetMetricDataV2's ResourceArn)
            codes.append(404)
        if _CONNECT_STATEFUL.search(path) or "DELETE" in (route.methods or ()):
            codes.append(409)
        return {c: CONNECT_TEXT[c] for c in sorted(codes)}
    codes = [400, 401, 413, 422]
    if _is_manager_route(route):
        codes.append(403)
    if "{" in path:
        codes.append(404)
    if _NATIVE_STATEFUL.search(path):
        codes.append(409)
    return {c: NATIVE_TEXT[c] for c in sorted(codes)}


def _error_response(text: str, connect: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": text,
        "content": {"application/json": {"schema": CONNECT_ERROR if connect else NATIVE_ERROR}},
    }
    if connect:
        out["headers"] = {"x-amzn-ErrorType": {"schema": {"type": "string"}, "description": "the modelled exception"}}
    return out


def _document_connect_body(route: APIRoute, op: dict[str, Any], schema: dict[str, Any]) -> None:
    """The real shape of a Connect body (api/body_schemas.py) in place of
    FastAPI's free object."""
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return
    version = "v2" if route.path_format.startswith("/v2/") else "v1"
    body = body_schemas.connect_body(version, body_schemas.operation_of(route.summary or ""))
    if body is None:
        return
    content["schema"] = body
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(body_schemas.campaign_components())


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` list the real status codes of every route."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for route in api_routes(app.routes):
            if not route.include_in_schema or (route.openapi_extra and "responses" in route.openapi_extra):
                continue  # a route that documents its own answers (EventBridge's AWS JSON 1.1)
            connect = is_connect_path(route.path_format)
            for method in route.methods or ():
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is None:
                    continue
                _document_parameters(op)
                if connect:
                    _document_connect_body(route, op, schema)
                elif (native_body := body_schemas.NATIVE_BODIES.get((method, route.path_format))) is not None:
                    op["requestBody"]["content"]["application/json"]["schema"] = native_body()
                    schema.setdefault("components", {}).setdefault("schemas", {}).update(
                        {**body_schemas.campaign_components(), **body_schemas.simulation_components()}
                    )
                responses = op.setdefault("responses", {})
                codes = statuses(route)
                if "422" in responses and 422 not in codes:
                    del responses["422"]  # Connect routes answer validation errors with 400
                for code, text in codes.items():
                    if code == 503:
                        responses[str(code)] = {
                            "description": text,
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    else:
                        responses[str(code)] = _error_response(text, connect)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
