"""Error shapes.

Connect routes (``/v2/...`` and the v1 paths) answer errors the way the AWS
service does: the status of the modelled exception, an ``x-amzn-ErrorType``
header naming it and ``{"message": ...}`` (plus ``state`` for
InvalidCampaignStateException), so botocore raises the modelled exception
class. Native routes answer ``{"error": code, "message": ..., "details": [...]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from campaigns import repository as repo
from campaigns.uploads import UploadError

CONNECT_STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "InvalidCampaignStateException": 409,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "InternalServerException": 500,
    "UnknownOperationException": 404,
}


class ConnectError(Exception):
    def __init__(self, error_type: str, message: str, **extra: Any):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return CONNECT_STATUS.get(self.error_type, 400)


def validation(message: str) -> ConnectError:
    return ConnectError("ValidationException", message)


def not_found(message: str) -> ConnectError:
    return ConnectError("ResourceNotFoundException", message)


def invalid_state(state: str, message: str) -> ConnectError:
    return ConnectError("InvalidCampaignStateException", message, state=state)


def access_denied(message: str) -> ConnectError:
    return ConnectError("AccessDeniedException", message)


class NativeError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def connect_response(err: ConnectError) -> JSONResponse:
    body = {"message": err.message, **err.extra}
    return JSONResponse(body, status_code=err.status, headers={"x-amzn-ErrorType": err.error_type})


def native_response(err: NativeError) -> JSONResponse:
    body: dict[str, Any] = {"error": err.code, "message": err.message}
    if err.details is not None:
        body["details"] = err.details
    return JSONResponse(body, status_code=err.status, headers=err.headers)


def api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute]:
    """The APIRoutes of an app, through included routers."""
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif (router := getattr(r, "original_router", None)) is not None:
            out.extend(api_routes(router.routes))
        elif children := getattr(r, "routes", None):
            out.extend(api_routes(children))
    return out


def allowed_methods(req: Request) -> str:
    """The methods the OpenAPI document lists for the requested path (the
    ``Allow`` header of a 405: every route of the path, not only the first)."""
    methods: set[str] = set()
    for route in api_routes(req.app.routes):
        if route.include_in_schema and route.matches(req.scope)[0] is not Match.NONE:
            methods |= set(route.methods or ()) - {"HEAD"}
    return ", ".join(sorted(methods))


def is_connect_path(path: str) -> bool:
    return not (path.startswith(("/sim", "/docs", "/openapi")) or path in ("/healthz", "/metrics"))


def _loc(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _with_value(error: Any) -> str:
    """Pydantic's message with the offending value when it is a plain one
    (a number or a short string): errors name the field and the value."""
    value = error.get("input")
    if isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= 80):
        return f"{error['msg']} (got {value!r})"
    return str(error["msg"])


def install(app: FastAPI) -> None:
    @app.exception_handler(ConnectError)
    async def _connect(_req: Request, exc: ConnectError) -> JSONResponse:
        return connect_response(exc)

    @app.exception_handler(NativeError)
    async def _native(_req: Request, exc: NativeError) -> JSONResponse:
        return native_response(exc)

    # Domain errors raised below the routes, answered here once instead of
    # caught in every route: a missing row, a page token we never issued, an
    # unreadable upload.
    @app.exception_handler(repo.NotFound)
    async def _not_found(req: Request, exc: repo.NotFound) -> JSONResponse:
        if is_connect_path(req.url.path):
            return connect_response(not_found(str(exc)))
        return native_response(NativeError(404, "NotFound", str(exc)))

    @app.exception_handler(repo.BadPageToken)
    async def _bad_token(req: Request, exc: repo.BadPageToken) -> JSONResponse:
        if is_connect_path(req.url.path):
            return connect_response(validation(str(exc)))
        return native_response(NativeError(400, "BadRequest", str(exc)))

    @app.exception_handler(UploadError)
    async def _bad_upload(_req: Request, exc: UploadError) -> JSONResponse:
        return native_response(NativeError(400, "BadRequest", exc.message, exc.details))

    @app.exception_handler(RequestValidationError)
    async def _validation(req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if is_connect_path(req.url.path):
            msgs = [f"{_loc(e['loc'])}: {e['msg']}" for e in errors[:5]]
            return connect_response(validation("; ".join(msgs) or "invalid request"))
        details = [{"field": _loc(e["loc"]), "message": _with_value(e)} for e in errors[:50]]
        return native_response(NativeError(422, "ValidationError", "invalid request", details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        if is_connect_path(req.url.path):
            if exc.status_code == 404:
                return connect_response(
                    ConnectError("UnknownOperationException", f"no operation at {req.method} {req.url.path}")
                )
            if exc.status_code == 405:
                err = ConnectError("UnknownOperationException", f"method {req.method} not allowed on {req.url.path}")
                resp = connect_response(err)
                resp.status_code = 405
                resp.headers["Allow"] = allowed_methods(req)
                return resp
            return connect_response(ConnectError("ValidationException", str(exc.detail)))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(req)
        return native_response(NativeError(exc.status_code, "HTTPError", str(exc.detail), headers=headers or None))

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - last resort
        route = req.scope.get("route")
        logging.getLogger("api").exception(
            "unhandled error on %s %s", req.method, route.path if route is not None else "?"
        )
        if is_connect_path(req.url.path):
            return connect_response(ConnectError("InternalServerException", "internal error"))
        return native_response(NativeError(500, "InternalError", "internal error"))
