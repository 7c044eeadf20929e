"""Amazon Connect ``GetMetricDataV2`` (service ``connect``, 2017-08-08:
``POST /metrics/data``, REST-JSON, SigV4 service name ``connect``) over the
tenant's simulated runs, so ``boto3.client("connect").get_metric_data_v2``
works against the service.

The runs measured are the finished runs (completed or stopped) of the
campaigns the request's ``CAMPAIGN`` filter names (ids or campaign ARNs), or
of every campaign of the instance when it names none, whose contact events
fall within ``StartTime``..``EndTime`` of simulated time. The metrics and
their definitions are ``analysis.connect_metrics``'s."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from api.auth import CONNECT_SERVICE, Principal, signed_principal
from api.errors import ConnectError, not_found
from api.routes_common import JsonBody, svc
from api.state import ServiceState
from campaigns.models import Campaign, Run
from campaigns.tenants import account_for

if TYPE_CHECKING:
    from analysis.connect_metrics import Execution

router = APIRouter(tags=["Connect metrics"])

FINISHED = ("completed", "stopped")
_INSTANCE_ARN = re.compile(r"arn:aws[\w-]*:connect:([a-z0-9-]{1,30}):(\d{12}):instance/([-_.a-zA-Z0-9]{1,256})")


async def _metrics_principal(request: Request) -> Principal:
    return await signed_principal(request, CONNECT_SERVICE)


MetricsReader = Annotated[Principal, Depends(_metrics_principal)]


def invalid(message: str) -> ConnectError:
    return ConnectError("InvalidParameterException", message)


def _instance(state: ServiceState, principal: Principal, arn: Any) -> str:
    """The instance id of ``ResourceArn``; it must be the caller's account
    and the service's region."""
    m = _INSTANCE_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if m is None:
        raise invalid(
            f"ResourceArn: expected arn:aws:connect:<region>:<account>:instance/<instance id>, got {str(arn)[:120]!r}"
        )
    region, account, instance = m.groups()
    if region != state.settings.region or account != account_for(principal.tenant):
        raise not_found(f"ResourceArn: no instance {arn} for this account and region")
    return instance


def _campaign_ids(body: dict[str, Any]) -> set[str] | None:
    filters = body.get("Filters")
    if not isinstance(filters, list):
        return None
    ids: set[str] = set()
    named = False
    for f in filters:
        if isinstance(f, dict) and f.get("FilterKey") == "CAMPAIGN" and isinstance(f.get("FilterValues"), list):
            named = True
            ids |= {v.rsplit("/", 1)[-1] for v in f["FilterValues"] if isinstance(v, str)}
    return ids if named else None


def _start_ms(run: Run) -> int | None:
    try:
        start = run.document["document"]["campaign"]["schedule"]["startTime"]
        when = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    return round((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() * 1000)


def executions_for(state: ServiceState, principal: Principal, instance: str, ids: set[str] | None) -> list[Execution]:
    """The finished runs of the tenant's campaigns on ``instance`` (only
    those ``ids`` names, when given), as executions. Paths come from the
    database (the worker wrote them), never from the request."""
    # Loaded at the first request, not at server start: pandas and DuckDB
    # add 1.3 s to the server's import and memory it otherwise never uses
    # (measured with python -X importtime).
    from analysis.connect_metrics import Execution, execution_from_summary

    with state.session() as s:
        q = (
            select(Run, Campaign.instance_id)
            .join(Campaign, Campaign.id == Run.campaign_id)
            .where(Run.tenant == principal.tenant, Campaign.tenant == principal.tenant)
            .where(Campaign.instance_id == instance, Run.status.in_(FINISHED), Run.events_dir.is_not(None))
            .order_by(Run.created_at, Run.id)
        )
        if ids is not None:
            q = q.where(Run.campaign_id.in_(sorted(ids)[:100]))
        rows = [(r.id, r.campaign_id, r.events_dir, dict(r.summary or {}), _start_ms(r)) for r, _ in s.execute(q)]
    out = []
    for run_id, campaign_id, events_dir, summary, start_ms in rows:
        events = Path(str(events_dir)) / "events.parquet"
        if not events.is_file():
            continue
        timeline: Path | None = Path(str(events_dir)) / "timeline.parquet"
        if timeline is not None and not timeline.is_file():
            timeline = None
        if start_ms is None:
            out.append(Execution(campaign_id, events, timeline, execution_id=run_id))
        else:
            out.append(execution_from_summary(campaign_id, events, timeline, summary, start_ms, execution_id=run_id))
    return out


def _epoch(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


def _wire(response: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as epoch seconds, REST-JSON's default."""
    for r in response["MetricResults"]:
        iv = r["MetricInterval"]
        iv["StartTime"], iv["EndTime"] = _epoch(iv["StartTime"]), _epoch(iv["EndTime"])
    return response


@router.post("/metrics/data", summary="GetMetricDataV2")
async def get_metric_data(request: Request, principal: MetricsReader, body: JsonBody) -> dict[str, Any]:
    state = svc(request)
    instance = _instance(state, principal, body.get("ResourceArn"))
    unknown = set(body) - {
        "ResourceArn",
        "StartTime",
        "EndTime",
        "Interval",
        "Filters",
        "Groupings",
        "Metrics",
        "NextToken",
        "MaxResults",
    }
    if unknown:
        raise invalid(f"unknown member(s) {sorted(unknown)[:5]}")

    def compute() -> dict[str, Any]:
        from analysis.connect_metrics import InvalidParameter, get_metric_data_v2  # see executions_for

        executions = executions_for(state, principal, instance, _campaign_ids(body))
        request_args = {k: v for k, v in body.items() if k != "ResourceArn"}
        try:
            return _wire(get_metric_data_v2(executions, **request_args))
        except InvalidParameter as exc:
            raise invalid(str(exc)) from None

    return await run_in_threadpool(compute)
