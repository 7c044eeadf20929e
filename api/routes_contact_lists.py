"""Contact lists under ``/sim``: CSV uploads (parsed by
``campaigns.uploads``), their normalised contacts and rejected rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import campaign_ops as ops
from api.auth import Manager, Reader
from api.errors import NativeError
from api.native import Limit, Token, bad_request, page_out, svc
from campaigns import repository as repo
from campaigns.document import control_character
from campaigns.models import Contact, ContactListRow
from campaigns.uploads import parse_csv_upload

router = APIRouter(prefix="/sim", tags=["Native"])
MAX_UPLOAD = 50 * 1024 * 1024


def _list_out(row: ContactListRow, preview: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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


def _contact_out(c: Contact) -> dict[str, Any]:
    out = {"position": c.position, "phone": c.phone, "timeZone": c.time_zone, "region": c.region}
    if c.postcode:
        out["postcode"] = c.postcode
    if c.attributes:
        out["attributes"] = c.attributes
    return out


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
            raise bad_request(
                f"file.filename: must not contain control characters (found {bad})",
                [{"field": "file.filename", "message": f"control character {bad}"}],
            )
        list_name = name or (file.filename or "contacts.csv")[:256]
    else:
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith(("text/csv", "text/plain", "application/csv")):
            raise bad_request("send the CSV as multipart form field 'file' or as a text/csv body")
        data = await request.body()
        list_name = name or "contacts.csv"
    if len(data) > MAX_UPLOAD:
        raise NativeError(413, "TooLarge", f"uploads are limited to {MAX_UPLOAD // (1024 * 1024)} MB")
    contacts, explicit = await run_in_threadpool(
        parse_csv_upload, data, defaultRegion
    )  # UploadError: 400 (api/errors.py)
    state = svc(request)

    def store():
        with state.session() as s:
            row = repo.create_contact_list(
                s,
                tenant=principal.tenant,
                name=list_name,
                default_region=defaultRegion,
                contacts=contacts,
                explicit_zones=explicit,
            )
            preview = [_contact_out(c) for c in repo.list_contacts(s, list_id=row.id, limit=10).items]
            return _list_out(row, preview)

    return await run_in_threadpool(store)


@router.get("/contact-lists", summary="List contact lists")
def list_contact_lists(request: Request, principal: Reader, limit: Limit = 50, nextToken: Token = None):
    with svc(request).session() as s:
        page = repo.list_contact_lists(s, tenant=principal.tenant, limit=limit, token=nextToken)
        return page_out(page, [_list_out(r) for r in page.items])


@router.get("/contact-lists/{list_id}", summary="Describe a contact list (with its rejected rows)")
def get_contact_list(request: Request, principal: Reader, list_id: str):
    with svc(request).session() as s:
        return _list_out(repo.get_contact_list(s, tenant=principal.tenant, list_id=list_id))


@router.get("/contact-lists/{list_id}/contacts", summary="The normalised contacts of a list (paginated)")
def list_contacts(
    request: Request,
    principal: Reader,
    list_id: str,
    limit: Limit = 100,
    nextToken: Token = None,
    timeZone: Annotated[str | None, Query(max_length=64)] = None,
):
    with svc(request).session() as s:
        repo.get_contact_list(s, tenant=principal.tenant, list_id=list_id)
        page = repo.list_contacts(s, list_id=list_id, time_zone=timeZone, limit=limit, token=nextToken)
        return page_out(page, [_contact_out(c) for c in page.items])


@router.delete("/contact-lists/{list_id}", status_code=204, summary="Delete a contact list")
def delete_contact_list(request: Request, principal: Manager, list_id: str):
    with svc(request).session() as s:
        repo.delete_contact_list(s, tenant=principal.tenant, list_id=list_id)
    return Response(status_code=204)
