"""Amazon EventBridge (``events``, 2015-10-07) on the service's endpoint:
AWS JSON 1.1 (``POST /`` with ``X-Amz-Target: AWSEvents.<Operation>``),
SigV4 for service ``events`` with the same keys and tenants as the Connect
API, errors as ``{"__type": ..., "message": ...}`` so botocore raises the
modelled exceptions. Plus two native endpoints: a bus's simulator settings
(speed, chaos) and reading the service's SQS-style queues (targets and
dead-letter queues)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Manager, Principal, Reader, signed_principal
from api.contract import PATH_PATTERNS
from api.errors import ConnectError, NativeError
from eventbus.operations import EventsError, Operations
from eventbus.runtime import Config, ServerRuntime

router = APIRouter(tags=["EventBridge"])
log = logging.getLogger("api.events")
SERVICE = "events"
TARGET_PREFIX = "AWSEvents."
CONTENT_TYPE = "application/x-amz-json-1.1"
_lock = threading.Lock()


def runtime(request: Request) -> ServerRuntime:
    """The service's event-bus runtime, made on first use."""
    state = request.app.state.svc
    rt = getattr(state, "eventbus_runtime", None)
    if rt is None:
        with _lock:
            rt = getattr(state, "eventbus_runtime", None)
            if rt is None:
                rt = ServerRuntime(state.engine, Config.from_env(state.settings.data_dir, state.settings.region))
                state.eventbus_runtime = rt
    return rt


def _error(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"__type": code, "message": message},
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-ErrorType": code},
    )


_AMZ_JSON = {"schema": {"type": "object"}}
# The operation is named by a header and its body depends on it (AWS JSON 1.1):
# the document says so, with the content type both ways.
_EVENTS_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Amz-Target",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": sorted(TARGET_PREFIX + op for op in Operations.operation_names())},
        }
    ],
    "requestBody": {"required": False, "content": {CONTENT_TYPE: _AMZ_JSON}},
    "responses": {
        "200": {"description": "The operation's result", "content": {CONTENT_TYPE: _AMZ_JSON}},
        # Refused before the route (api/bodyguard.py): the JSON error shape.
        "400": {
            "description": "A modelled AWS error (__type names it)",
            "content": {CONTENT_TYPE: _AMZ_JSON, "application/json": _AMZ_JSON},
        },
        "403": {
            "description": "Not signed, or a role that may not call it",
            "content": {CONTENT_TYPE: _AMZ_JSON, "application/json": _AMZ_JSON},
        },
        "404": {"description": "ResourceNotFoundException", "content": {CONTENT_TYPE: _AMZ_JSON}},
        "409": {
            "description": "ResourceAlreadyExistsException, ConcurrentModificationException",
            "content": {CONTENT_TYPE: _AMZ_JSON},
        },
        "413": {"description": "The body is over the limit", "content": {"application/json": _AMZ_JSON}},
    },
}


class ChaosIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicates: float = Field(0.0, ge=0, le=1)
    reorderWindow: int = Field(1, ge=1, le=10_000)
    seed: int = Field(0, ge=0, le=2**53 - 1)


class BusSettingsIn(BaseModel):
    """The simulator's settings of a bus: ``speed`` (simulated seconds per
    real second; none: as fast as the run goes) and ``chaos``."""

    model_config = ConfigDict(extra="forbid")
    speed: float | None = Field(None, gt=0, le=1e9)
    chaos: ChaosIn | None = None


@router.post(
    "/", summary="EventBridge (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>)", openapi_extra=_EVENTS_OPENAPI
)
async def events_endpoint(request: Request) -> JSONResponse:
    target = request.headers.get("x-amz-target") or ""
    if not target.startswith(TARGET_PREFIX):
        return _error("UnknownOperationException", f"X-Amz-Target {target!r} is not an AWSEvents operation")
    try:
        principal: Principal = await signed_principal(request, SERVICE)
    except ConnectError as exc:
        return _error(exc.error_type, exc.message, 400 if exc.error_type != "AccessDeniedException" else 403)
    raw = await request.body()
    try:
        body: Any = json.loads(raw or b"{}")
    except ValueError:
        return _error("SerializationException", "the request body is not valid JSON")
    if not isinstance(body, dict):
        return _error("SerializationException", "the request body must be a JSON object")
    ops = Operations(runtime(request), principal.tenant, can_manage=principal.can_manage)
    op = target[len(TARGET_PREFIX) :]
    try:
        result = await run_in_threadpool(ops.call, op, body)
    except EventsError as exc:
        return _error(exc.code, exc.message, exc.status)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # A member of the wrong shape deep in a request (a string where the
        # model has a structure): the caller's error, not ours.
        log.info("%s: malformed request: %r", op, exc)
        return _error(
            "ValidationException", f"{op}: a request member has the wrong type or shape ({type(exc).__name__}: {exc})"
        )
    return JSONResponse(result, media_type=CONTENT_TYPE)


# response_model=None: the return annotation is for mypy; FastAPI must not turn it into a response model.
@router.put(
    "/sim/eventbus/buses/{bus}/settings", summary="Simulator settings of a bus: speed, chaos", response_model=None
)
def put_bus_settings(
    request: Request,
    principal: Manager,
    bus: Annotated[str, Path(pattern=PATH_PATTERNS["bus"])],
    body: BusSettingsIn,
) -> dict[str, Any]:
    ops = Operations(runtime(request), principal.tenant)
    try:
        return ops.call("PutBusSettings", {"Name": bus, "Settings": body.model_dump(exclude_none=True)})
    except EventsError as exc:
        raise NativeError(404 if exc.code == "ResourceNotFoundException" else 422, exc.code, exc.message) from None


@router.get(
    "/sim/eventbus/queues/{queue}", summary="Messages of one of the service's SQS-style queues", response_model=None
)
def read_queue(
    request: Request,
    principal: Reader,
    queue: Annotated[str, Path(pattern=PATH_PATTERNS["queue"])],
    after: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(1000, ge=1, le=10_000),
) -> dict[str, Any]:
    store = runtime(request).store
    return {
        "queue": queue,
        "messages": store.dead_letters(tenant=principal.tenant, queue=queue, after_id=after, limit=limit),
    }
