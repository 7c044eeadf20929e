"""What Connect has no API for about a campaign, under ``/sim/campaigns``:
its contacts (a stored list or a synthetic population), the document a
run would simulate, its outbound requests."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from api import campaign_ops as ops
from api import runs as run_ops
from api.auth import Manager, Reader
from api.errors import NativeError
from api.native import Limit, Token, bad_request, campaign_of, page_out, pydantic_details, svc
from campaigns import repository as repo
from campaigns.document import SyntheticContacts

router = APIRouter(prefix="/sim", tags=["Native"])


class CampaignContactsIn(BaseModel):
    """Exactly one of a stored contact list or a synthetic population; an
    empty object clears both (the campaign then dials outbound requests only)."""

    model_config = ConfigDict(extra="forbid")
    contactListId: str | None = None
    synthetic: dict[str, Any] | None = None


@router.put("/campaigns/{campaign_id}/contacts", summary="Choose a campaign's contacts")
def put_campaign_contacts(request: Request, principal: Manager, campaign_id: str, body: CampaignContactsIn):
    if body.contactListId and body.synthetic:
        raise bad_request("give contactListId or synthetic, not both")
    synthetic = None
    if body.synthetic is not None:
        try:
            # Strict, as JSON: "5" is not a count (the OpenAPI document gives the types).
            synthetic = SyntheticContacts.model_validate_json(
                json.dumps(ops.integral_as_int(body.synthetic)), strict=True
            ).model_dump(mode="json", by_alias=True, exclude_none=True)
        except ValidationError as exc:
            raise NativeError(422, "ValidationError", "invalid synthetic population", pydantic_details(exc)) from None
    with svc(request).session() as s:
        c = campaign_of(s, principal, campaign_id)
        if body.contactListId:
            repo.get_contact_list(s, tenant=principal.tenant, list_id=body.contactListId)
        c.contact_list_id = body.contactListId
        c.synthetic = synthetic
        s.flush()
        return {"campaignId": c.id, "contactListId": c.contact_list_id, "synthetic": c.synthetic}


@router.get("/campaigns/{campaign_id}/contacts", summary="A campaign's contacts choice")
def get_campaign_contacts(request: Request, principal: Reader, campaign_id: str):
    with svc(request).session() as s:
        c = campaign_of(s, principal, campaign_id)
        return {"campaignId": c.id, "contactListId": c.contact_list_id, "synthetic": c.synthetic}


@router.get("/campaigns/{campaign_id}/document", summary="The campaign document a run would simulate")
def get_campaign_document(request: Request, principal: Reader, campaign_id: str):
    with svc(request).session() as s:
        c = campaign_of(s, principal, campaign_id)
        return run_ops.build_document(s, c)


@router.get("/campaigns/{campaign_id}/outbound-requests", summary="Outbound requests of a campaign")
def list_outbound_requests(
    request: Request,
    principal: Reader,
    campaign_id: str,
    limit: Limit = 50,
    nextToken: Token = None,
    status: Literal["PENDING", "DISPATCHED"] | None = None,
):
    with svc(request).session() as s:
        campaign_of(s, principal, campaign_id)
        page = repo.list_outbound_requests(s, campaign_id=campaign_id, status=status, limit=limit, token=nextToken)
        return page_out(
            page,
            [
                {
                    "id": r.id,
                    "clientToken": r.client_token,
                    "position": r.position,
                    "phone": r.phone,
                    "expirationTime": ops.iso(r.expiration_time),
                    "status": r.status,
                    "runId": r.run_id,
                    "createdAt": ops.iso(r.created_at),
                }
                for r in page.items
            ],
        )
