"""The FastAPI application: routers, error shapes, auth, metrics, and the
lifespan that migrates the database, recovers interrupted runs and starts
the run supervisor (and on shutdown stops workers, marking runs interrupted)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from api import (
    campaign_ops,
    contract,
    errors,
    routes_campaign_setup,
    routes_connect_metrics,
    routes_contact_centers,
    routes_contact_lists,
    routes_events,
    routes_run_outputs,
    routes_runs,
    routes_v1,
    routes_v2,
)
from api.auth import Reader
from api.bodyguard import BodyGuard
from api.observability import AccessLog, setup_logging
from api.query_guard import strict_query
from api.state import ServiceState
from api.supervisor import Supervisor
from campaigns.db import migrate
from campaigns.settings import Settings

# One router per resource: the Connect operations (v2, v1), Connect's
# metrics, EventBridge, and the native /sim resources.
ROUTERS = (
    routes_v2.router,
    routes_contact_centers.router,
    routes_contact_lists.router,
    routes_campaign_setup.router,
    routes_runs.router,
    routes_run_outputs.router,
    routes_v1.router,
    routes_events.router,
    routes_connect_metrics.router,
)

log = logging.getLogger("api")


def create_app(
    settings: Settings | None = None, *, supervise: bool = True, configure_logging: bool = True, freeze_gc: bool = False
) -> FastAPI:
    """``freeze_gc`` (for the server process, not for tests that build many
    apps): once started, move every object alive to the permanent generation
    (``gc.freeze()``), so the cyclic collector stops rescanning the hundreds
    of thousands of objects the imports left (SQLAlchemy, pydantic, pyarrow,
    numpy...) — a full collection took 60-120 ms, stalling every request
    in flight. It also warms up what the first requests would otherwise load
    (the phone-number metadata)."""
    settings = settings or Settings.from_env()
    if configure_logging:
        setup_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state: ServiceState = app.state.svc
        migrate(state.engine)
        if supervise:
            state.supervisor = Supervisor(state)
            state.supervisor.start()
        if freeze_gc:
            campaign_ops.warm_up()
            gc.collect()
            gc.freeze()
        log.info("service ready (database %s)", state.engine.dialect.name)
        try:
            yield
        finally:
            if state.supervisor is not None:
                state.supervisor.shutdown()
            state.engine.dispose()
            log.info("service stopped")

    app = FastAPI(
        title="Outbound dialer simulator",
        version="0.1.0",
        description=(
            "Amazon Connect outbound campaigns v2 (`/v2/...`) and v1 APIs over a discrete-event simulator, "
            "plus native endpoints under `/sim`. Connect paths take AWS SigV4 or a bearer API key; "
            "`/sim` and `/metrics` take a bearer API key."
        ),
        lifespan=lifespan,
        dependencies=[Depends(strict_query)],  # unknown or repeated query parameters: a validation error
    )
    app.state.svc = ServiceState(settings)
    errors.install(app)
    # Outermost last: the access log sees every answer, the body guard
    # authenticates and bounds the body before any route parses it.
    app.add_middleware(BodyGuard, state=app.state.svc)
    app.add_middleware(AccessLog, state=app.state.svc)

    for router in ROUTERS:
        app.include_router(router)
    contract.install(app)

    @app.get("/healthz", tags=["Operations"], summary="Liveness and database check (no credentials)")
    def healthz(request: Request) -> Response:
        # A Response annotation is never taken as a response model.
        try:
            with request.app.state.svc.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except Exception:
            return Response('{"status":"unavailable"}', status_code=503, media_type="application/json")
        return JSONResponse({"status": "ok"})

    @app.get(
        "/metrics",
        tags=["Operations"],
        summary="Prometheus metrics (bearer key)",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics(request: Request, principal: Reader) -> Response:
        state = request.app.state.svc
        return Response(state.metrics.render(state), media_type="text/plain; version=0.0.4")

    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory api.app:app_from_env``."""
    return create_app()
