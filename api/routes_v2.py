"""Amazon Connect outbound campaigns v2 (connectcampaignsv2, 2024-04-23):
the campaign operations under ``/v2``, with the model's paths, methods, JSON
shapes and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api import campaign_ops as ops
from api.auth import ConnectManager, ConnectReader
from api.errors import validation
from api.routes_common import JsonBody, OptBody, add_tag_routes, add_transition_routes, empty, page_token, svc
from campaigns import repository as repo

router = APIRouter(prefix="/v2", tags=["Connect v2"])


@router.put("/campaigns", summary="CreateCampaign")
def create_campaign(request: Request, principal: ConnectManager, body: JsonBody):
    state = svc(request)
    with state.session() as s:
        c = ops.create(s, state, principal, body)
        return {"id": c.id, "arn": ops.arn(state, c), "tags": repo.tags_of(c)}


@router.get("/campaigns/{id}", summary="DescribeCampaign")
def describe_campaign(request: Request, principal: ConnectReader, id: str):
    state = svc(request)
    with state.session() as s:
        return {"campaign": ops.describe(state, ops.load(s, principal, id))}


@router.delete("/campaigns/{id}", summary="DeleteCampaign")
def delete_campaign(request: Request, principal: ConnectManager, id: str):
    ops.delete_campaign(svc(request), principal, id)
    return empty()


@router.post("/campaigns-summary", summary="ListCampaigns")
def list_campaigns(request: Request, principal: ConnectReader, body: OptBody = None):
    body = body or {}
    state = svc(request)
    instance = ops.parse_filters(body.get("filters"))
    with state.session() as s:
        return ops.list_campaigns(
            s,
            state,
            principal,
            max_results=body.get("maxResults"),
            next_token=page_token(body),
            instance_id=instance,
        )


@router.get("/campaigns/{id}/state", summary="GetCampaignState")
def get_campaign_state(request: Request, principal: ConnectReader, id: str):
    state = svc(request)
    with state.session() as s:
        return {"state": ops.load(s, principal, id).state}


@router.post("/campaigns-state", summary="GetCampaignStateBatch")
def get_campaign_state_batch(request: Request, principal: ConnectReader, body: JsonBody):
    state = svc(request)
    with state.session() as s:
        return ops.state_batch(s, principal, body.get("campaignIds"))


add_transition_routes(router)


def _update(field: str, name: str) -> Callable[..., Response]:
    def handler(request: Request, principal: ConnectManager, id: str, body: JsonBody):
        if field not in body:
            raise validation(f"{field} is required")
        if body[field] is None:
            raise validation(f"{field} must not be null")
        extra = set(body) - {field}
        if extra:
            raise validation(f"unknown member(s) {sorted(extra)}")
        state = svc(request)
        with state.session() as s:
            ops.update(s, principal, id, {field: body[field]})
        return empty()

    handler.__name__ = name
    return handler


_UPDATES = {
    "name": ("name", "UpdateCampaignName"),
    "schedule": ("schedule", "UpdateCampaignSchedule"),
    "channel-subtype-config": ("channelSubtypeConfig", "UpdateCampaignChannelSubtypeConfig"),
    "communication-time": ("communicationTimeConfig", "UpdateCampaignCommunicationTime"),
    "communication-limits": ("communicationLimitsOverride", "UpdateCampaignCommunicationLimits"),
    "entry-limits": ("entryLimitsConfig", "UpdateCampaignEntryLimits"),
    "flow": ("connectCampaignFlowArn", "UpdateCampaignFlowAssociation"),
    "source": ("source", "UpdateCampaignSource"),
}
for _path, (_field, _op) in _UPDATES.items():
    router.add_api_route(f"/campaigns/{{id}}/{_path}", _update(_field, _op), methods=["POST"], summary=_op)


CHANNELS = ("TELEPHONY", "SMS", "EMAIL", "WHATSAPP")


def _require_channel(name: str, value: str) -> None:
    if value not in CHANNELS:
        raise validation(f"{name} must be TELEPHONY, SMS, EMAIL or WHATSAPP")


@router.delete("/campaigns/{id}/channel-subtype-config", summary="DeleteCampaignChannelSubtypeConfig")
def delete_channel_subtype_config(
    request: Request,
    principal: ConnectManager,
    id: str,
    channelSubtype: Literal["TELEPHONY", "SMS", "EMAIL", "WHATSAPP"] = Query(...),
):
    _require_channel("channelSubtype", channelSubtype)
    state = svc(request)
    with state.session() as s:
        c = ops.load(s, principal, id)
        csc = dict(c.definition.get("channelSubtypeConfig") or {})
        csc.pop({"WHATSAPP": "whatsApp"}.get(channelSubtype, channelSubtype.lower()), None)
        ops.update(s, principal, id, {"channelSubtypeConfig": csc})
    return empty()


@router.delete("/campaigns/{id}/communication-time", summary="DeleteCampaignCommunicationTime")
def delete_communication_time(
    request: Request,
    principal: ConnectManager,
    id: str,
    config: Literal["TELEPHONY", "SMS", "EMAIL", "WHATSAPP"] = Query(...),
):
    _require_channel("config", config)
    state = svc(request)
    with state.session() as s:
        c = ops.load(s, principal, id)
        ctc = c.definition.get("communicationTimeConfig")
        if ctc:
            ctc = dict(ctc)
            ctc.pop({"WHATSAPP": "whatsApp"}.get(config, config.lower()), None)
            ops.update(s, principal, id, {"communicationTimeConfig": ctc})
    return empty()


@router.delete("/campaigns/{id}/communication-limits", summary="DeleteCampaignCommunicationLimits")
def delete_communication_limits(
    request: Request, principal: ConnectManager, id: str, config: Literal["ALL_CHANNEL_SUBTYPES"] = Query(...)
):
    if config != "ALL_CHANNEL_SUBTYPES":
        raise validation("config must be ALL_CHANNEL_SUBTYPES")
    state = svc(request)
    with state.session() as s:
        c = ops.load(s, principal, id)
        clo = c.definition.get("communicationLimitsOverride")
        if clo:
            clo = {k: v for k, v in clo.items() if k != "allChannelSubtypes"}
            ops.update(s, principal, id, {"communicationLimitsOverride": clo or None})
    return empty()


@router.delete("/campaigns/{id}/entry-limits", summary="DeleteCampaignEntryLimits")
def delete_entry_limits(request: Request, principal: ConnectManager, id: str):
    state = svc(request)
    with state.session() as s:
        ops.load(s, principal, id)
        ops.update(s, principal, id, {"entryLimitsConfig": None})
    return empty()


def _v2_phone(req: dict[str, Any]) -> tuple[Any, Any]:
    csp = req.get("channelSubtypeParameters")
    if not isinstance(csp, dict) or not isinstance(csp.get("telephony"), dict):
        raise ValueError("channelSubtypeParameters.telephony is required (only telephony is simulated)")
    tel = csp["telephony"]
    if "destinationPhoneNumber" not in tel:
        raise ValueError("destinationPhoneNumber is required")
    return tel["destinationPhoneNumber"], tel.get("attributes")


@router.put("/campaigns/{id}/outbound-requests", summary="PutOutboundRequestBatch")
def put_outbound_request_batch(request: Request, principal: ConnectManager, id: str, body: JsonBody):
    state = svc(request)
    with state.session() as s:
        return ops.put_requests(s, state, principal, id, body.get("outboundRequests"), phone_of=_v2_phone)


add_tag_routes(router)
