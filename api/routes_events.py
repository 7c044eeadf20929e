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
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth import Manager, Principal, Reader, signed_principal
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
    return JSONResponse({"__type": code, "message": message}, status_code=status, media_type=CONTENT_TYPE,
                        headers={"x-amzn-ErrorType": code})


@router.post("/", summary="EventBridge (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>)")
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
    op = target[len(TARGET_PREFIX):]
    try:
        result = await run_in_threadpool(ops.call, op, body)
    except EventsError as exc:
        return _error(exc.code, exc.message, exc.status)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # A member of the wrong shape deep in a request (a string where the
        # model has a structure): the caller's error, not ours.
        log.info("%s: malformed request: %r", op, exc)
        return _error("ValidationException", f"{op}: a request member has the wrong type or shape ({type(exc).__name__}: {exc})")
    return JSONResponse(result, media_type=CONTENT_TYPE)


# response_model=None: the return annotation is for mypy; FastAPI must not turn it into a response model.
@router.put("/sim/eventbus/buses/{name}/settings", summary="Simulator settings of a bus: speed, chaos", response_model=None)
def put_bus_settings(request: Request, principal: Manager, name: str, body: dict[str, Any]) -> dict[str, Any]:
    ops = Operations(runtime(request), principal.tenant)
    try:
        return ops.call("PutBusSettings", {"Name": name, "Settings": body})
    except EventsError as exc:
        raise NativeError(404 if exc.code == "ResourceNotFoundException" else 422, exc.code, exc.message) from None


@router.get("/sim/eventbus/queues/{queue}", summary="Messages of one of the service's SQS-style queues", response_model=None)
def read_queue(request: Request, principal: Reader, queue: str, after: int = Query(0, ge=0), limit: int = Query(1000, ge=1, le=10_000)) -> dict[str, Any]:
    store = runtime(request).store
    return {"queue": queue, "messages": store.dead_letters(tenant=principal.tenant, queue=queue, after_id=after, limit=limit)}
