"""Runs under ``/sim``: start (StartCampaign with an optional seed), list,
describe, summary, and pause / resume / stop."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api import runs as run_ops
from api.auth import Manager, Reader
from api.errors import ConnectError, NativeError
from api.native import Limit, Token, campaign_of, page_out, run_of, run_out, svc
from campaigns import lifecycle
from campaigns import repository as repo

router = APIRouter(prefix="/sim", tags=["Native"])


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # 2**53 - 1: the largest integer every JSON client reads exactly.
    seed: int | None = Field(default=None, ge=0, le=2**53 - 1)


@router.post(
    "/campaigns/{campaign_id}/runs", status_code=201, summary="Start a run (StartCampaign with an optional seed)"
)
def start_run(request: Request, principal: Manager, campaign_id: str, body: Annotated[RunIn | None, Body()] = None):
    state = svc(request)
    with state.session() as s:
        c = campaign_of(s, principal, campaign_id)
        if not lifecycle.can(c.state, "start"):
            raise NativeError(409, "InvalidCampaignState", str(lifecycle.InvalidTransition("start", c.state)))
        try:
            run = run_ops.start_run(s, state, c, seed=body.seed if body else None)
        except ConnectError as exc:
            raise NativeError(422, "ValidationError", exc.message) from None
        return run_out(run)


@router.get("/runs", summary="List runs (filters: campaignId, status)")
def list_runs(
    request: Request,
    principal: Reader,
    limit: Limit = 50,
    nextToken: Token = None,
    campaignId: Annotated[str | None, Query(max_length=256)] = None,
    status: Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"] | None = None,
):
    with svc(request).session() as s:
        page = repo.list_runs(
            s, tenant=principal.tenant, campaign_id=campaignId, status=status, limit=limit, token=nextToken
        )
        return page_out(page, [run_out(r) for r in page.items])


@router.get("/runs/{run_id}", summary="A run: status, progress, summary")
def get_run(request: Request, principal: Reader, run_id: str):
    with svc(request).session() as s:
        return run_out(run_of(s, principal, run_id))


@router.get("/runs/{run_id}/summary", summary="A run's summary (when finished)")
def get_run_summary(request: Request, principal: Reader, run_id: str):
    with svc(request).session() as s:
        r = run_of(s, principal, run_id)
        if r.summary is None:
            raise NativeError(409, "NotReady", f"run {r.id} is {r.status}; no summary yet")
        return r.summary


def control_run(request: Request, principal: Manager, run_id: str, action: str):
    state = svc(request)
    with state.session() as s:
        r = run_of(s, principal, run_id)
        c = campaign_of(s, principal, r.campaign_id)
        current = repo.active_run(s, campaign_id=c.id)
        if current is None or current.id != r.id:
            raise NativeError(
                409, "InvalidRunState", f"run {r.id} is {r.status}; only the campaign's active run can be steered"
            )
        if not lifecycle.can(c.state, action):
            raise NativeError(409, "InvalidCampaignState", str(lifecycle.InvalidTransition(action, c.state)))
        run_ops.control_run(s, c, action)
        return run_out(r)


def _control_route(action: str):
    def handler(request: Request, principal: Manager, run_id: str):
        return control_run(request, principal, run_id, action)

    handler.__name__ = f"{action}_run"
    return handler


# One route per action (not /runs/{id}/{action}): a POST to another run
# path (/runs/{id}/summary) is then a 405, as the OpenAPI document says.
for _action in ("pause", "resume", "stop"):
    router.add_api_route(
        f"/runs/{{run_id}}/{_action}",
        _control_route(_action),
        methods=["POST"],
        summary=f"{_action.title()} a run (and its campaign)",
    )
