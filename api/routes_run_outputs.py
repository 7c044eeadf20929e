"""What a run leaves, under ``/sim/runs/{id}``: its events (Parquet, JSON
lines, pages), the live stream (SSE), the compliance report and plots.
Files are served only once whole (409 with the run's status before)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

import pyarrow.compute as pc
import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse

from api import livelog
from api.auth import Reader
from api.errors import NativeError
from api.native import Limit, Token, bad_request, not_found, run_of, run_out, svc
from campaigns import repository as repo
from campaigns.document import Simulation
from campaigns.files import write_atomic
from campaigns.models import Run
from compliance import audit as compliance_audit
from compliance.audit import AUDIT_VERSION
from compliance.rules import UnknownJurisdiction, builtin_name, builtin_names, builtin_rules
from eventlog import row_to_envelope

router = APIRouter(prefix="/sim", tags=["Native"])

FINISHED = ("completed", "stopped", "failed")


def _run_dir(r: Run) -> Path:
    if not r.events_dir:
        raise NativeError(409, "NotReady", f"run {r.id} is {r.status}; it has no events yet")
    return Path(r.events_dir)


def _finished_dir(r: Run) -> Path:
    """The run folder of a finished run whose events.parquet was written;
    409 naming the run's status otherwise. The worker renames the file into
    place before it marks the run finished, so what is served is whole."""
    if r.status not in FINISHED or not r.events_dir or not (Path(r.events_dir) / "events.parquet").is_file():
        raise NativeError(
            409,
            "NotReady",
            f"run {r.id} is {r.status}; events.parquet is served once the run has finished (use format=jsonl or /stream meanwhile)",
        )
    return Path(r.events_dir)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/runs/{run_id}/events",
    summary="Download a run's events (parquet, jsonl) or page through them (json)",
    responses={
        200: {
            "content": {
                "application/vnd.apache.parquet": _BINARY,
                "application/x-ndjson": _BINARY,
                "application/json": {"schema": {"type": "object"}},
            }
        }
    },
)
def get_run_events(
    request: Request,
    principal: Reader,
    run_id: str,
    format: Literal["parquet", "jsonl", "json"] = "parquet",
    eventType: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 100,
    nextToken: Token = None,
):
    with svc(request).session() as s:
        r = run_of(s, principal, run_id)
        if format == "jsonl":
            d = _run_dir(r)
        else:
            d = _finished_dir(r)
    if format == "jsonl":
        reader = livelog.open_reader(d)
        if reader is None:
            raise NativeError(409, "NotReady", "no events yet")
        return StreamingResponse(
            livelog.iterate_bytes(reader),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{run_id}-events.jsonl"'},
        )
    path = d / "events.parquet"
    if format == "parquet":
        return FileResponse(path, media_type="application/vnd.apache.parquet", filename=f"{run_id}-events.parquet")
    offset = repo.decode_token(nextToken)
    table = pq.read_table(path)
    if eventType:
        table = table.filter(pc.equal(table["event_type"], eventType))
    chunk = table.slice(offset, limit)
    nxt = repo.encode_token(offset + limit) if offset + limit < table.num_rows else None
    return {"items": [row_to_envelope(row) for row in chunk.to_pylist()], "nextToken": nxt, "total": table.num_rows}


@router.get("/runs/{run_id}/stream", summary="Live events of a run (server-sent events)")
async def stream_run(
    request: Request, principal: Reader, run_id: str, eventType: Annotated[str | None, Query(max_length=40)] = None
):
    """``event: contact`` carries one EventBridge envelope per message,
    ``event: progress`` the run's progress every second, and ``event: end``
    the final status. Reconnect with ``Last-Event-ID`` to resume."""
    state = svc(request)

    def snapshot():
        with state.session() as s:
            r = run_of(s, principal, run_id)
            return r.status, r.events_dir, run_out(r)

    await run_in_threadpool(snapshot)  # an unknown run is a 404 before the stream starts
    try:
        start_line = int(request.headers.get("last-event-id", "0"))
    except ValueError:
        start_line = 0

    async def gen() -> AsyncIterator[str]:
        line_no = 0
        reader = None
        last_progress = 0.0
        loop = asyncio.get_running_loop()
        needle = f'"eventType":"{eventType}"'.encode() if eventType else None
        try:
            while True:
                if await request.is_disconnected():
                    return
                status, events_dir, out = await run_in_threadpool(snapshot)
                if reader is None and events_dir:
                    reader = await run_in_threadpool(livelog.open_reader, events_dir)
                if reader is not None:
                    # File reads and decompression run in a thread: the
                    # event loop never waits on the disk.
                    lines = await run_in_threadpool(reader.read_lines, 2000)
                    for line in lines:
                        line_no += 1
                        if line_no <= start_line or (needle is not None and needle not in line):
                            continue
                        yield f"id: {line_no}\nevent: contact\ndata: {line.decode()}\n\n"
                    more = len(lines) == 2000
                else:
                    more = False
                now = loop.time()
                if now - last_progress >= 1.0:
                    last_progress = now
                    yield f"event: progress\ndata: {json.dumps({k: out[k] for k in ('status', 'progress', 'dials', 'simulatedSeconds')})}\n\n"
                finished = status in FINISHED
                if finished and not more:
                    yield f"event: end\ndata: {json.dumps({'status': status, 'error': out['error']})}\n\n"
                    return
                if not more:
                    await asyncio.sleep(0.25)
        finally:
            if reader is not None:
                reader.close()

    return StreamingResponse(
        gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/runs/{run_id}/compliance", summary="Compliance report of a finished run")
def get_run_compliance(
    request: Request,
    principal: Reader,
    run_id: str,
    jurisdiction: Annotated[
        str | None,
        Query(
            description="A built-in rule-set name (default: the run's own); any other value is one 400",
            json_schema_extra={"enum": list(builtin_names())},
        ),
    ] = None,
):
    """``jurisdiction`` is a built-in rule-set name (US, UK, AU, AU_RESEARCH,
    NZ; case-insensitive, GB for UK); by default the run's own. It is never
    read as a file: rule packs uploaded by tenants are not offered yet."""
    if jurisdiction is not None:
        chosen = _jurisdiction("jurisdiction", jurisdiction)
    with svc(request).session() as s:
        r = run_of(s, principal, run_id)
        d = _finished_dir(r)
        # A stored document without the key was simulated with the default.
        doc_j = (
            (r.document.get("document") or {})
            .get("simulation", {})
            .get("jurisdiction", Simulation.model_fields["jurisdiction"].default)
        )
    if jurisdiction is None:
        if doc_j is None:
            raise bad_request(
                f"run {run_id} was simulated without a jurisdiction; pass jurisdiction= one of {', '.join(builtin_names())}"
            )
        chosen = _jurisdiction("jurisdiction", doc_j)
    # The audit's version is in the name: a report cached by an older audit
    # (one that counted never-dialled requests as calls) is not served.
    cache = d / f"compliance-{chosen}.v{AUDIT_VERSION}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    report = compliance_audit(str(d / "events.parquet"), builtin_rules(chosen))
    data = json.loads(json.dumps(report.to_dict(), default=str))
    write_atomic(cache, json.dumps(data).encode())
    return data


def _jurisdiction(field: str, value: object) -> str:
    """The canonical built-in rule-set name, or one 400 naming the field.
    The message depends on the value only, never on the file system."""
    try:
        return builtin_name(value)
    except UnknownJurisdiction:
        # The value is not echoed: one answer for every unknown name.
        text = f"not a built-in rule-set name; known: {', '.join(builtin_names())} (rule packs of your own are not offered over HTTP yet)"
        raise NativeError(400, "BadRequest", f"{field}: {text}", [{"field": field, "message": text}]) from None


_PLOT_NAMES = ("abandonment", "occupancy", "dial_ratio", "time_to_agent")


def _render_plots(d: Path) -> list[str]:
    """Draw the plots once, in a scratch folder renamed to ``plots`` when
    complete, so a concurrent request never serves a half-written PNG."""
    from analysis.plots import render_run_plots  # matplotlib: loaded on first use only

    plots = d / "plots"
    if not plots.is_dir():
        scratch = Path(tempfile.mkdtemp(prefix=".plots-", dir=d))
        try:
            for f in d.iterdir():
                if f.is_file() and not f.name.startswith("."):
                    (scratch / f.name).symlink_to(f.resolve())
            render_run_plots(scratch)
            # OSError: another request finished first; its plots are the same.
            with contextlib.suppress(OSError):
                os.rename(scratch / "plots", plots)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return sorted(p.stem for p in plots.glob("*.png"))


@router.get("/runs/{run_id}/plots", summary="Names of a finished run's plots (rendered on first request)")
def list_run_plots(request: Request, principal: Reader, run_id: str):
    with svc(request).session() as s:
        r = run_of(s, principal, run_id)
        d = _finished_dir(r)
    names = _render_plots(d)
    return {"items": [{"name": n, "href": f"/sim/runs/{run_id}/plots/{n}.png"} for n in names]}


@router.get(
    "/runs/{run_id}/plots/{name}.png",
    summary="One plot of a finished run (PNG)",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": _BINARY}}},
)
def get_run_plot(request: Request, principal: Reader, run_id: str, name: str):
    if name not in _PLOT_NAMES:
        raise not_found(f"no plot named {name!r}; plots: {', '.join(_PLOT_NAMES)}")
    with svc(request).session() as s:
        r = run_of(s, principal, run_id)
        d = _finished_dir(r)
    _render_plots(d)
    path = d / "plots" / f"{name}.png"
    if not path.exists():
        raise not_found(f"plot {name} was not drawn for this run (no data for it)")
    return FileResponse(path, media_type="image/png")
