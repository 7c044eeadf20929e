"""What the native ``/sim`` routers share: the service state, paging
parameters and pages, error helpers, and the look-ups of a caller's campaign
and run. Not-found and bad page tokens raised below the routes are answered
by the handlers in ``api/errors.py``; routes do not catch them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api import campaign_ops as ops
from api.auth import Principal
from api.errors import ConnectError, NativeError
from api.routes_common import TOKEN_PATTERN
from api.state import ServiceState
from campaigns import repository as repo
from campaigns.models import Campaign, Run

Limit = Annotated[int, Query(ge=1, le=500)]
# 30 characters: offsets below 10**15, far beyond any table; a longer token
# was never issued.
Token = Annotated[str | None, Query(max_length=30, pattern=TOKEN_PATTERN, description="nextToken of the previous page")]


def svc(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


def not_found(msg: str) -> NativeError:
    return NativeError(404, "NotFound", msg)


def bad_request(msg: str, details: list[dict[str, str]] | None = None) -> NativeError:
    return NativeError(400, "BadRequest", msg, details)


def page_out(page: repo.Page[Any], items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"items": items, "nextToken": page.next_token}
    if page.total is not None:
        out["total"] = page.total
    return out


def pydantic_details(exc: ValidationError) -> list[dict[str, str]]:
    """Each error as (field, message), the field a dotted path without
    pydantic's internal tags."""
    return [
        {
            "field": ".".join(
                str(p) for p in e["loc"] if not (isinstance(p, str) and (p[:1].isupper() or p.startswith("function-")))
            ),
            "message": e["msg"].removeprefix("Value error, "),
        }
        for e in exc.errors(include_url=False)[:50]
    ]


def campaign_of(s: Session, principal: Principal, campaign_id: str) -> Campaign:
    """The caller's campaign (404 in the native error shape otherwise)."""
    try:
        return ops.load(s, principal, campaign_id)
    except ConnectError as exc:
        raise not_found(exc.message) from None


def run_of(s: Session, principal: Principal, run_id: str) -> Run:
    return repo.get_run(s, tenant=principal.tenant, run_id=run_id)


def run_out(r: Run) -> dict[str, Any]:
    return {
        "id": r.id,
        "campaignId": r.campaign_id,
        "status": r.status,
        "control": r.control,
        "seed": r.seed,
        "contactCount": r.contact_count,
        "progress": round(r.progress, 4),
        "simulatedSeconds": r.sim_done_s,
        "simulatedSecondsTotal": r.sim_total_s,
        "dials": r.dials,
        "attempts": r.attempts,
        "summary": r.summary,
        "error": r.error,
        "createdAt": ops.iso(r.created_at),
        "startedAt": ops.iso(r.started_at),
        "finishedAt": ops.iso(r.finished_at),
        "heartbeatAt": ops.iso(r.heartbeat_at),
    }
