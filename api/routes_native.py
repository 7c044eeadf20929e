"""The native API under ``/sim``: what Connect has no API for. Simulated
contact centers, contact lists, the contacts of a campaign, runs (progress,
summary, events, live stream), compliance reports. Bearer API keys."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api import campaign_ops as ops
from api import livelog
from api import runs as run_ops
from api.auth import Manager, Reader
from api.routes_common import TOKEN_PATTERN
from api.errors import ConnectError, NativeError
from campaigns import lifecycle
from campaigns import repository as repo
from campaigns.document import Simulation, SyntheticContacts, control_character
from campaigns.files import write_atomic
from compliance import audit as compliance_audit
from compliance.rules import UnknownJurisdiction, builtin_name, builtin_names, builtin_rules

router = APIRouter(prefix="/sim", tags=["Native"])

Limit = Annotated[int, Query(ge=1, le=500)]
# 30 characters: offsets below 10**15, far beyond any table; a longer token
# was never issued.
Token = Annotated[str | None, Query(max_length=30, pattern=TOKEN_PATTERN, description="nextToken of the previous page")]
MAX_UPLOAD = 50 * 1024 * 1024


def _svc(request: Request):
    return request.app.state.svc


def _not_found(msg: str) -> NativeError:
    return NativeError(404, "NotFound", msg)


def _bad(msg: str, details=None) -> NativeError:
    return NativeError(400, "BadRequest", msg, details)


def _page(page: repo.Page, items: list) -> dict:
    out: dict[str, Any] = {"items": items, "nextToken": page.next_token}
    if page.total is not None:
        out["total"] = page.total
    return out


def _pydantic_details(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in e["loc"] if not (isinstance(p, str) and (p[:1].isupper() or p.startswith("function-")))),
         "message": e["msg"].removeprefix("Value error, ")}
        for e in exc.errors(include_url=False)[:50]
    ]


def _campaign(s, principal, campaign_id: str):
    try:
        return ops.load(s, principal, campaign_id)
    except ConnectError as exc:
        raise _not_found(exc.message) from None


def _paging(fn):
    try:
        return fn()
    except repo.BadPageToken as exc:
        raise _bad(str(exc)) from None


@router.get("/whoami", summary="The caller's tenant and role")
def whoami(principal: Reader):
    return {"accessKeyId": principal.access_key_id, "tenant": principal.tenant, "role": principal.role}


# ---------------------------------------------------------------------------
# Contact centers (Connect instances): the simulation settings
# ---------------------------------------------------------------------------


class ContactCenterIn(BaseModel):
    """A simulated contact center: the ``simulation`` part of a campaign
    document (agents, behaviour, amd, lines, seed, jurisdiction, ...)
    without contacts, which belong to campaigns."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=128)
    simulation: dict[str, Any]

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (bad := control_character(value, names=True)):
            raise ValueError(f"must not contain control characters (found {bad})")
        return value


def _cc_out(cc) -> dict:
    return {
        "instanceId": cc.instance_id,
        "name": cc.name,
        "simulation": cc.simulation,
        "createdAt": ops.iso(cc.created_at),
        "updatedAt": ops.iso(cc.updated_at),
    }


@router.get("/contact-centers", summary="List simulated contact centers")
def list_contact_centers(request: Request, principal: Reader, limit: Limit = 50, nextToken: Token = None):
    with _svc(request).session() as s:
        page = _paging(lambda: repo.list_contact_centers(s, tenant=principal.tenant, limit=limit, token=nextToken))
        return _page(page, [_cc_out(c) for c in page.items])


@router.put("/contact-centers/{instance_id}", summary="Create or replace a simulated contact center")
def put_contact_center(request: Request, principal: Manager, instance_id: str, body: ContactCenterIn):
    if not re.fullmatch(r"[-_.a-zA-Z0-9]{1,256}", instance_id):
        raise _bad("instance id must be 1..256 characters of [-_.a-zA-Z0-9]")
    sim = dict(body.simulation)
    if "contacts" in sim:
        raise _bad("simulation.contacts: contacts belong to campaigns (PUT /sim/campaigns/{id}/contacts), not to the contact center")
    try:
        model = Simulation.model_validate(sim)
    except ValidationError as exc:
        raise NativeError(422, "ValidationError", "invalid simulation settings", _pydantic_details(exc)) from None
    if model.jurisdiction is not None:
        # A name from the closed list, never a rule file on the server.
        try:
            model.jurisdiction = builtin_name(model.jurisdiction)
        except UnknownJurisdiction:
            raise NativeError(422, "ValidationError", "invalid simulation settings", [{
                "field": "simulation.jurisdiction",
                "message": f"not a built-in rule-set name; known: {', '.join(builtin_names())}"}]) from None
    stored = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    stored.setdefault("jurisdiction", None)
    with _svc(request).session() as s:
        cc, created = repo.put_contact_center(s, tenant=principal.tenant, instance_id=instance_id, simulation=stored, name=body.name)
        out = _cc_out(cc)
    return Response(json.dumps(out), status_code=201 if created else 200, media_type="application/json")


@router.get("/contact-centers/{instance_id}", summary="Describe a simulated contact center")
def get_contact_center(request: Request, principal: Reader, instance_id: str):
    with _svc(request).session() as s:
        try:
            return _cc_out(repo.get_contact_center(s, tenant=principal.tenant, instance_id=instance_id))
        except repo.NotFound as exc:
            raise _not_found(str(exc)) from None


@router.delete("/contact-centers/{instance_id}", status_code=204, summary="Delete a simulated contact center")
def delete_contact_center(request: Request, principal: Manager, instance_id: str):
    with _svc(request).session() as s:
        try:
            repo.delete_contact_center(s, tenant=principal.tenant, instance_id=instance_id)
        except repo.NotFound as exc:
            raise _not_found(str(exc)) from None
    return Response(status_code=204)


# ---------------------------------------------------------------------------
# Contact lists
# ---------------------------------------------------------------------------


def _list_out(row, preview: list | None = None) -> dict:
    out = {
        "id": row.id,
        "name": row.name,
        "defaultRegion": row.default_region,
        "contactCount": row.contact_count,
        "rejectedCount": row.rejected_count,
        "rejected": (row.rejected or {}).get("rows", []),
        "createdAt": ops.iso(row.created_at),
    }
    if preview is not None:
        out["preview"] = preview
    return out


def _contact_out(c) -> dict:
    out = {"position": c.position, "phone": c.phone, "timeZone": c.time_zone, "region": c.region}
    if c.postcode:
        out["postcode"] = c.postcode
    if c.attributes:
        out["attributes"] = c.attributes
    return out


# Columns stored in fixed-width database fields (campaigns.models): longer
# values are refused alike on SQLite (which would keep them) and PostgreSQL.
_CSV_WIDTHS = {"time_zone": 64, "timeZone": 64, "postcode": 16, "zip": 16, "postal_code": 16}


def parse_csv_upload(data: bytes, region: str):
    """Rows of a CSV upload normalised into a ContactList (bad rows in
    ``rejected``) and the time zone each kept row named explicitly."""
    from campaigns.contacts import ZoneSettings, from_rows

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("the file is not UTF-8 text") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _bad(f"file: line {line} contains a NUL character (U+0000); a CSV file is text",
                   [{"field": "file", "message": f"NUL character on line {line}"}])
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise _bad("the CSV file is empty (a header row with a phone column is needed)")
    rows = []
    for n, row in enumerate(reader):
        row = {k: v for k, v in row.items() if k is not None}
        for column, most in _CSV_WIDTHS.items():
            value = row.get(column)
            if isinstance(value, str) and len(value.strip()) > most:
                raise _bad(f"row {n + 1}: {column} is longer than {most} characters",
                           [{"field": f"row {n + 1}.{column}", "message": f"at most {most} characters"}])
        row["_row"] = n
        rows.append(row)
    contacts = from_rows(rows, ZoneSettings(default_region=region))
    explicit = []
    attrs = contacts.attributes or [{} for _ in range(len(contacts))]
    for a in attrs:
        n = int(a.pop("_row", -1))
        src = rows[n] if n >= 0 else {}
        z = (src.get("time_zone") or src.get("timeZone") or "").strip()
        explicit.append(z or None)
    contacts.attributes = attrs if any(attrs) else None
    return contacts, explicit


@router.post("/contact-lists", status_code=201, summary="Upload a contact list (CSV)")
async def upload_contact_list(
    request: Request,
    principal: Manager,
    file: UploadFile | None = None,
    name: Annotated[str | None, Query(max_length=256)] = None,
    defaultRegion: Annotated[str, Query(pattern=r"^[A-Z]{2}$")] = "US",
):
    """Send the CSV as a multipart ``file`` field or as a ``text/csv`` body.
    It needs a phone column (phone, phone_number, phoneNumber, number or
    destinationPhoneNumber) and may have time_zone, postcode and attribute
    columns. Bad rows come back in ``rejected`` with row, column, value and
    reason; the good rows are kept."""
    if file is not None:
        data = await file.read(MAX_UPLOAD + 1)
        if file.filename and (bad := control_character(file.filename, names=True)):
            raise _bad(f"file.filename: must not contain control characters (found {bad})",
                       [{"field": "file.filename", "message": f"control character {bad}"}])
        list_name = name or (file.filename or "contacts.csv")[:256]
    else:
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith(("text/csv", "text/plain", "application/csv")):
            raise _bad("send the CSV as multipart form field 'file' or as a text/csv body")
        data = await request.body()
        list_name = name or "contacts.csv"
    if len(data) > MAX_UPLOAD:
        raise NativeError(413, "TooLarge", f"uploads are limited to {MAX_UPLOAD // (1024 * 1024)} MB")
    contacts, explicit = await run_in_threadpool(parse_csv_upload, data, defaultRegion)
    state = _svc(request)

    def store():
        with state.session() as s:
            row = repo.create_contact_list(
                s, tenant=principal.tenant, name=list_name, default_region=defaultRegion, contacts=contacts, explicit_zones=explicit
            )
            preview = [_contact_out(c) for c in repo.list_contacts(s, list_id=row.id, limit=10).items]
            return _list_out(row, preview)

    return await run_in_threadpool(store)


@router.get("/contact-lists", summary="List contact lists")
def list_contact_lists(request: Request, principal: Reader, limit: Limit = 50, nextToken: Token = None):
    with _svc(request).session() as s:
        page = _paging(lambda: repo.list_contact_lists(s, tenant=principal.tenant, limit=limit, token=nextToken))
        return _page(page, [_list_out(r) for r in page.items])


@router.get("/contact-lists/{list_id}", summary="Describe a contact list (with its rejected rows)")
def get_contact_list(request: Request, principal: Reader, list_id: str):
    with _svc(request).session() as s:
        try:
            return _list_out(repo.get_contact_list(s, tenant=principal.tenant, list_id=list_id))
        except repo.NotFound as exc:
            raise _not_found(str(exc)) from None


@router.get("/contact-lists/{list_id}/contacts", summary="The normalised contacts of a list (paginated)")
def list_contacts(request: Request, principal: Reader, list_id: str, limit: Limit = 100, nextToken: Token = None,
                  timeZone: Annotated[str | None, Query(max_length=64)] = None):
    with _svc(request).session() as s:
        try:
            repo.get_contact_list(s, tenant=principal.tenant, list_id=list_id)
        except repo.NotFound as exc:
            raise _not_found(str(exc)) from None
        page = _paging(lambda: repo.list_contacts(s, list_id=list_id, time_zone=timeZone, limit=limit, token=nextToken))
        return _page(page, [_contact_out(c) for c in page.items])


@router.delete("/contact-lists/{list_id}", status_code=204, summary="Delete a contact list")
def delete_contact_list(request: Request, principal: Manager, list_id: str):
    with _svc(request).session() as s:
        try:
            repo.delete_contact_list(s, tenant=principal.tenant, list_id=list_id)
        except repo.NotFound as exc:
            raise _not_found(str(exc)) from None
    return Response(status_code=204)


# ---------------------------------------------------------------------------
# Campaign extras: contacts, the document a run would simulate, requests
# ---------------------------------------------------------------------------


class CampaignContactsIn(BaseModel):
    """Exactly one of a stored contact list or a synthetic population; an
    empty object clears both (the campaign then dials outbound requests only)."""

    model_config = ConfigDict(extra="forbid")
    contactListId: str | None = None
    synthetic: dict[str, Any] | None = None


@router.put("/campaigns/{campaign_id}/contacts", summary="Choose a campaign's contacts")
def put_campaign_contacts(request: Request, principal: Manager, campaign_id: str, body: CampaignContactsIn):
    if body.contactListId and body.synthetic:
        raise _bad("give contactListId or synthetic, not both")
    synthetic = None
    if body.synthetic is not None:
        try:
            synthetic = SyntheticContacts.model_validate(body.synthetic).model_dump(mode="json", by_alias=True, exclude_none=True)
        except ValidationError as exc:
            raise NativeError(422, "ValidationError", "invalid synthetic population", _pydantic_details(exc)) from None
    with _svc(request).session() as s:
        c = _campaign(s, principal, campaign_id)
        if body.contactListId:
            try:
                repo.get_contact_list(s, tenant=principal.tenant, list_id=body.contactListId)
            except repo.NotFound as exc:
                raise _not_found(str(exc)) from None
        c.contact_list_id = body.contactListId
        c.synthetic = synthetic
        s.flush()
        return {"campaignId": c.id, "contactListId": c.contact_list_id, "synthetic": c.synthetic}


@router.get("/campaigns/{campaign_id}/contacts", summary="A campaign's contacts choice")
def get_campaign_contacts(request: Request, principal: Reader, campaign_id: str):
    with _svc(request).session() as s:
        c = _campaign(s, principal, campaign_id)
        return {"campaignId": c.id, "contactListId": c.contact_list_id, "synthetic": c.synthetic}


@router.get("/campaigns/{campaign_id}/document", summary="The campaign document a run would simulate")
def get_campaign_document(request: Request, principal: Reader, campaign_id: str):
    with _svc(request).session() as s:
        c = _campaign(s, principal, campaign_id)
        return run_ops.build_document(s, c)


@router.get("/campaigns/{campaign_id}/outbound-requests", summary="Outbound requests of a campaign")
def list_outbound_requests(request: Request, principal: Reader, campaign_id: str, limit: Limit = 50, nextToken: Token = None,
                           status: Literal["PENDING", "DISPATCHED"] | None = None):
    with _svc(request).session() as s:
        _campaign(s, principal, campaign_id)
        page = _paging(lambda: repo.list_outbound_requests(s, campaign_id=campaign_id, status=status, limit=limit, token=nextToken))
        return _page(page, [
            {"id": r.id, "clientToken": r.client_token, "phone": r.phone, "expirationTime": ops.iso(r.expiration_time),
             "status": r.status, "runId": r.run_id, "createdAt": ops.iso(r.created_at)}
            for r in page.items
        ])


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


def run_out(r) -> dict:
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


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # 2**53 - 1: the largest integer every JSON client reads exactly.
    seed: int | None = Field(default=None, ge=0, le=2**53 - 1)


@router.post("/campaigns/{campaign_id}/runs", status_code=201, summary="Start a run (StartCampaign with an optional seed)")
def start_run(request: Request, principal: Manager, campaign_id: str, body: Annotated[RunIn | None, Body()] = None):
    state = _svc(request)
    with state.session() as s:
        c = _campaign(s, principal, campaign_id)
        if not lifecycle.can(c.state, "start"):
            raise NativeError(409, "InvalidCampaignState", str(lifecycle.InvalidTransition("start", c.state)))
        try:
            run = run_ops.start_run(s, state, c, seed=body.seed if body else None)
        except ConnectError as exc:
            raise NativeError(422, "ValidationError", exc.message) from None
        return run_out(run)


@router.get("/runs", summary="List runs (filters: campaignId, status)")
def list_runs(request: Request, principal: Reader, limit: Limit = 50, nextToken: Token = None,
              campaignId: Annotated[str | None, Query(max_length=256)] = None,
              status: Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"] | None = None):
    with _svc(request).session() as s:
        page = _paging(lambda: repo.list_runs(s, tenant=principal.tenant, campaign_id=campaignId, status=status, limit=limit, token=nextToken))
        return _page(page, [run_out(r) for r in page.items])


def _run(s, principal, run_id: str):
    try:
        return repo.get_run(s, tenant=principal.tenant, run_id=run_id)
    except repo.NotFound as exc:
        raise _not_found(str(exc)) from None


@router.get("/runs/{run_id}", summary="A run: status, progress, summary")
def get_run(request: Request, principal: Reader, run_id: str):
    with _svc(request).session() as s:
        return run_out(_run(s, principal, run_id))


@router.get("/runs/{run_id}/summary", summary="A run's summary (when finished)")
def get_run_summary(request: Request, principal: Reader, run_id: str):
    with _svc(request).session() as s:
        r = _run(s, principal, run_id)
        if r.summary is None:
            raise NativeError(409, "NotReady", f"run {r.id} is {r.status}; no summary yet")
        return r.summary


def control_run(request: Request, principal: Manager, run_id: str, action: str):
    state = _svc(request)
    with state.session() as s:
        r = _run(s, principal, run_id)
        c = _campaign(s, principal, r.campaign_id)
        current = repo.active_run(s, campaign_id=c.id)
        if current is None or current.id != r.id:
            raise NativeError(409, "InvalidRunState", f"run {r.id} is {r.status}; only the campaign's active run can be steered")
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
    router.add_api_route(f"/runs/{{run_id}}/{_action}", _control_route(_action), methods=["POST"],
                         summary=f"{_action.title()} a run (and its campaign)")


FINISHED = ("completed", "stopped", "failed")


def _run_dir(r) -> Path:
    if not r.events_dir:
        raise NativeError(409, "NotReady", f"run {r.id} is {r.status}; it has no events yet")
    return Path(r.events_dir)


def _finished_dir(r) -> Path:
    """The run folder of a finished run whose events.parquet was written;
    409 naming the run's status otherwise. The worker renames the file into
    place before it marks the run finished, so what is served is whole."""
    if r.status not in FINISHED or not r.events_dir or not (Path(r.events_dir) / "events.parquet").is_file():
        raise NativeError(
            409, "NotReady",
            f"run {r.id} is {r.status}; events.parquet is served once the run has finished (use format=jsonl or /stream meanwhile)",
        )
    return Path(r.events_dir)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/runs/{run_id}/events", summary="Download a run's events (parquet, jsonl) or page through them (json)",
            responses={200: {"content": {"application/vnd.apache.parquet": _BINARY, "application/x-ndjson": _BINARY,
                                         "application/json": {"schema": {"type": "object"}}}}})
def get_run_events(request: Request, principal: Reader, run_id: str,
                   format: Literal["parquet", "jsonl", "json"] = "parquet",
                   eventType: Annotated[str | None, Query(max_length=40)] = None,
                   limit: Limit = 100, nextToken: Token = None):
    with _svc(request).session() as s:
        r = _run(s, principal, run_id)
        if format == "jsonl":
            d = _run_dir(r)
        else:
            d = _finished_dir(r)
    if format == "jsonl":
        reader = livelog.open_reader(d)
        if reader is None:
            raise NativeError(409, "NotReady", "no events yet")
        return StreamingResponse(
            livelog.iterate_bytes(reader), media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{run_id}-events.jsonl"'},
        )
    path = d / "events.parquet"
    if format == "parquet":
        return FileResponse(path, media_type="application/vnd.apache.parquet", filename=f"{run_id}-events.parquet")
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from eventlog import row_to_envelope

    offset = _paging(lambda: repo.decode_token(nextToken))
    table = pq.read_table(path)
    if eventType:
        table = table.filter(pc.equal(table["event_type"], eventType))
    chunk = table.slice(offset, limit)
    nxt = repo.encode_token(offset + limit) if offset + limit < table.num_rows else None
    return {"items": [row_to_envelope(row) for row in chunk.to_pylist()], "nextToken": nxt, "total": table.num_rows}


@router.get("/runs/{run_id}/stream", summary="Live events of a run (server-sent events)")
async def stream_run(request: Request, principal: Reader, run_id: str,
                     eventType: Annotated[str | None, Query(max_length=40)] = None):
    """``event: contact`` carries one EventBridge envelope per message,
    ``event: progress`` the run's progress every second, and ``event: end``
    the final status. Reconnect with ``Last-Event-ID`` to resume."""
    state = _svc(request)

    def snapshot():
        with state.session() as s:
            r = _run(s, principal, run_id)
            return r.status, r.events_dir, run_out(r)

    status, events_dir, _ = await run_in_threadpool(snapshot)
    try:
        start_line = int(request.headers.get("last-event-id", "0"))
    except ValueError:
        start_line = 0

    async def gen():
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

    return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/runs/{run_id}/compliance", summary="Compliance report of a finished run")
def get_run_compliance(request: Request, principal: Reader, run_id: str,
                       jurisdiction: Annotated[str | None, Query(
                           description="A built-in rule-set name (default: the run's own); any other value is one 400",
                           json_schema_extra={"enum": list(builtin_names())})] = None):
    """``jurisdiction`` is a built-in rule-set name (US, UK, AU, AU_RESEARCH,
    NZ; case-insensitive, GB for UK); by default the run's own. It is never
    read as a file: rule packs uploaded by tenants are not offered yet."""
    if jurisdiction is not None:
        chosen = _jurisdiction("jurisdiction", jurisdiction)
    with _svc(request).session() as s:
        r = _run(s, principal, run_id)
        d = _finished_dir(r)
        # A stored document without the key was simulated with the default.
        doc_j = (r.document.get("document") or {}).get("simulation", {}).get(
            "jurisdiction", Simulation.model_fields["jurisdiction"].default)
    if jurisdiction is None:
        if doc_j is None:
            raise _bad(f"run {run_id} was simulated without a jurisdiction; pass jurisdiction= one of {', '.join(builtin_names())}")
        chosen = _jurisdiction("jurisdiction", doc_j)
    cache = d / f"compliance-{chosen}.json"
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
            try:
                os.rename(scratch / "plots", plots)
            except OSError:
                pass  # another request finished first: its plots are the same
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return sorted(p.stem for p in plots.glob("*.png"))


@router.get("/runs/{run_id}/plots", summary="Names of a finished run's plots (rendered on first request)")
def list_run_plots(request: Request, principal: Reader, run_id: str):
    with _svc(request).session() as s:
        r = _run(s, principal, run_id)
        d = _finished_dir(r)
    names = _render_plots(d)
    return {"items": [{"name": n, "href": f"/sim/runs/{run_id}/plots/{n}.png"} for n in names]}


@router.get("/runs/{run_id}/plots/{name}.png", summary="One plot of a finished run (PNG)",
            response_class=FileResponse, responses={200: {"content": {"image/png": _BINARY}}})
def get_run_plot(request: Request, principal: Reader, run_id: str, name: str):
    if name not in _PLOT_NAMES:
        raise _not_found(f"no plot named {name!r}; plots: {', '.join(_PLOT_NAMES)}")
    with _svc(request).session() as s:
        r = _run(s, principal, run_id)
        d = _finished_dir(r)
    _render_plots(d)
    path = d / "plots" / f"{name}.png"
    if not path.exists():
        raise _not_found(f"plot {name} was not drawn for this run (no data for it)")
    return FileResponse(path, media_type="image/png")
