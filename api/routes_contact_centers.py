"""Simulated contact centers (the ``simulation`` settings of a Connect
instance) and the caller's identity, under ``/sim``."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api import campaign_ops as ops
from api.auth import Manager, Reader
from api.errors import NativeError
from api.native import Limit, Token, bad_request, page_out, pydantic_details, svc
from campaigns import repository as repo
from campaigns.document import Simulation, control_character
from campaigns.models import ContactCenter
from compliance.rules import UnknownJurisdiction, builtin_name, builtin_names

router = APIRouter(prefix="/sim", tags=["Native"])


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


def _cc_out(cc: ContactCenter) -> dict[str, Any]:
    return {
        "instanceId": cc.instance_id,
        "name": cc.name,
        "simulation": cc.simulation,
        "createdAt": ops.iso(cc.created_at),
        "updatedAt": ops.iso(cc.updated_at),
    }


@router.get("/contact-centers", summary="List simulated contact centers")
def list_contact_centers(request: Request, principal: Reader, limit: Limit = 50, nextToken: Token = None):
    with svc(request).session() as s:
        page = repo.list_contact_centers(s, tenant=principal.tenant, limit=limit, token=nextToken)
        return page_out(page, [_cc_out(c) for c in page.items])


@router.put(
    "/contact-centers/{instance_id}",
    summary="Create or replace a simulated contact center",
    responses={
        200: {"description": "Replaced", "content": {"application/json": {"schema": {"type": "object"}}}},
        201: {"description": "Created", "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
def put_contact_center(request: Request, principal: Manager, instance_id: str, body: ContactCenterIn):
    if not re.fullmatch(r"[-_.a-zA-Z0-9]{1,256}", instance_id):
        raise bad_request("instance id must be 1..256 characters of [-_.a-zA-Z0-9]")
    sim = dict(body.simulation)
    if "contacts" in sim:
        raise bad_request(
            "simulation.contacts: contacts belong to campaigns (PUT /sim/campaigns/{id}/contacts), not to the contact center"
        )
    try:
        # Strict, as JSON: "5" is not a number (the OpenAPI document gives the types).
        model = Simulation.model_validate_json(json.dumps(ops.integral_as_int(sim)), strict=True)
    except ValidationError as exc:
        raise NativeError(422, "ValidationError", "invalid simulation settings", pydantic_details(exc)) from None
    if model.jurisdiction is not None:
        # A name from the closed list, never a rule file on the server.
        try:
            model.jurisdiction = builtin_name(model.jurisdiction)
        except UnknownJurisdiction:
            raise NativeError(
                422,
                "ValidationError",
                "invalid simulation settings",
                [
                    {
                        "field": "simulation.jurisdiction",
                        "message": f"not a built-in rule-set name; known: {', '.join(builtin_names())}",
                    }
                ],
            ) from None
    stored = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    stored.setdefault("jurisdiction", None)
    with svc(request).session() as s:
        cc, created = repo.put_contact_center(
            s, tenant=principal.tenant, instance_id=instance_id, simulation=stored, name=body.name
        )
        out = _cc_out(cc)
    return Response(json.dumps(out), status_code=201 if created else 200, media_type="application/json")


@router.get("/contact-centers/{instance_id}", summary="Describe a simulated contact center")
def get_contact_center(request: Request, principal: Reader, instance_id: str):
    with svc(request).session() as s:
        cc = repo.get_contact_center(s, tenant=principal.tenant, instance_id=instance_id)
        assert cc is not None  # without missing_ok, a missing one raises NotFound (a 404)
        return _cc_out(cc)


@router.delete("/contact-centers/{instance_id}", status_code=204, summary="Delete a simulated contact center")
def delete_contact_center(request: Request, principal: Manager, instance_id: str):
    with svc(request).session() as s:
        repo.delete_contact_center(s, tenant=principal.tenant, instance_id=instance_id)
    return Response(status_code=204)
