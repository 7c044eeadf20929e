"""Amazon Connect outbound campaigns v1 (connectcampaigns, 2021-01-30), on
the same campaigns as v2. v1 shapes are translated to and from the stored v2
definition: ``dialerConfig`` <-> ``channelSubtypeConfig.telephony.outboundMode``
(+ ``capacity``), ``outboundCallConfig`` <-> ``defaultOutboundConfig`` (+
``connectQueueId``). v1 has no Completed state: it reads as Stopped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import campaign_ops as ops
from api.auth import ConnectManager, ConnectReader
from api.errors import validation
from api.routes_common import JsonBody, OptBody, add_tag_routes, add_transition_routes, empty, page_token, svc
from api.state import ServiceState
from campaigns import repository as repo
from campaigns.models import Campaign

router = APIRouter(tags=["Connect v1"])


_MODES = {
    "predictiveDialerConfig": "predictive",
    "progressiveDialerConfig": "progressive",
    "agentlessDialerConfig": "agentless",
}


def v1_state(state: str) -> str:
    return "Stopped" if state == "Completed" else state


def telephony_from_v1(dialer: Any, call: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    tel = dict(base or {})
    if dialer is not None:
        if not isinstance(dialer, dict) or len(dialer) != 1 or next(iter(dialer)) not in _MODES:
            raise validation(
                "dialerConfig must have exactly one of predictiveDialerConfig, progressiveDialerConfig, agentlessDialerConfig"
            )
        ((key, cfg),) = dialer.items()
        if not isinstance(cfg, dict):
            raise validation(f"dialerConfig.{key} must be an object")
        cfg = dict(cfg)
        capacity = cfg.pop("dialingCapacity", None)
        old_mode = (tel.get("outboundMode") or {}).get(_MODES[key]) or {}
        mode_cfg = {**{k: v for k, v in old_mode.items() if k == "pacingStrategies"}, **cfg}
        tel["outboundMode"] = {_MODES[key]: mode_cfg}
        if capacity is not None:
            tel["capacity"] = capacity
        else:
            tel.pop("capacity", None)
    if call is not None:
        if not isinstance(call, dict):
            raise validation("outboundCallConfig must be an object")
        call = dict(call)
        queue = call.pop("connectQueueId", None)
        if queue is not None:
            tel["connectQueueId"] = queue
        default = dict(tel.get("defaultOutboundConfig") or {})
        default.update(call)
        tel["defaultOutboundConfig"] = default
    return tel


def v1_campaign(state: ServiceState, c: Campaign) -> dict[str, Any]:
    tel = (c.definition.get("channelSubtypeConfig") or {}).get("telephony") or {}
    mode = tel.get("outboundMode") or {}
    dialer: dict[str, Any] = {}
    for v1key, v2key in _MODES.items():
        if v2key in mode:
            cfg = {k: v for k, v in (mode[v2key] or {}).items() if k == "bandwidthAllocation"}
            if "capacity" in tel:
                cfg["dialingCapacity"] = tel["capacity"]
            dialer = {v1key: cfg}
    if not dialer and ("preview" in mode or "fixedRate" in mode):
        cfg = {"bandwidthAllocation": (mode.get("preview") or {}).get("bandwidthAllocation", 1.0)}
        dialer = {"progressiveDialerConfig": cfg}
    call = dict(tel.get("defaultOutboundConfig") or {})
    call.pop("ringTimeout", None)
    if "connectQueueId" in tel:
        call["connectQueueId"] = tel["connectQueueId"]
    return {
        "id": c.id,
        "arn": ops.arn(state, c),
        "name": c.name,
        "connectInstanceId": c.instance_id,
        "dialerConfig": dialer,
        "outboundCallConfig": call,
        "tags": repo.tags_of(c),
    }


def _check_v1_id(id: str) -> None:
    if len(id) > 256:
        raise validation("id must be at most 256 characters")


@router.put("/campaigns", summary="CreateCampaign (v1)")
def create_campaign(request: Request, principal: ConnectManager, body: JsonBody):
    for key in ("name", "connectInstanceId", "dialerConfig", "outboundCallConfig"):
        if key not in body:
            raise validation(f"{key} is required")
    extra = set(body) - {"name", "connectInstanceId", "dialerConfig", "outboundCallConfig", "tags"}
    if extra:
        raise validation(f"unknown member(s) {sorted(extra)}")
    v2 = {
        "name": body["name"],
        "connectInstanceId": body["connectInstanceId"],
        "channelSubtypeConfig": {"telephony": telephony_from_v1(body["dialerConfig"], body["outboundCallConfig"])},
    }
    if body.get("tags") is not None:
        v2["tags"] = body["tags"]
    state = svc(request)
    with state.session() as s:
        c = ops.create(s, state, principal, v2)
        return {"id": c.id, "arn": ops.arn(state, c), "tags": repo.tags_of(c)}


@router.get("/campaigns/{id}", summary="DescribeCampaign (v1)")
def describe_campaign(request: Request, principal: ConnectReader, id: str):
    state = svc(request)
    with state.session() as s:
        return {"campaign": v1_campaign(state, ops.load(s, principal, id))}


@router.delete("/campaigns/{id}", summary="DeleteCampaign (v1)")
def delete_campaign(request: Request, principal: ConnectManager, id: str):
    ops.delete_campaign(svc(request), principal, id)
    return empty()


@router.post("/campaigns-summary", summary="ListCampaigns (v1)")
def list_campaigns(request: Request, principal: ConnectReader, body: OptBody = None):
    body = body or {}
    state = svc(request)
    instance = ops.parse_filters(body.get("filters"))
    with state.session() as s:
        out = ops.list_campaigns(
            s,
            state,
            principal,
            max_results=body.get("maxResults"),
            next_token=page_token(body),
            instance_id=instance,
        )
    out["campaignSummaryList"] = [
        {k: v for k, v in c.items() if k in ("id", "arn", "name", "connectInstanceId")}
        for c in out["campaignSummaryList"]
    ]
    return out


@router.get("/campaigns/{id}/state", summary="GetCampaignState (v1)")
def get_campaign_state(request: Request, principal: ConnectReader, id: str):
    state = svc(request)
    with state.session() as s:
        return {"state": v1_state(ops.load(s, principal, id).state)}


@router.post("/campaigns-state", summary="GetCampaignStateBatch (v1)")
def get_campaign_state_batch(request: Request, principal: ConnectReader, body: JsonBody):
    state = svc(request)
    with state.session() as s:
        out = ops.state_batch(s, principal, body.get("campaignIds"))
    for r in out["successfulRequests"]:
        r["state"] = v1_state(r["state"])
    return out


add_transition_routes(router, " (v1)", "_v1")


@router.post("/campaigns/{id}/name", summary="UpdateCampaignName (v1)")
def update_name(request: Request, principal: ConnectManager, id: str, body: JsonBody):
    if "name" not in body:
        raise validation("name is required")
    state = svc(request)
    with state.session() as s:
        ops.update(s, principal, id, {"name": body["name"]})
    return empty()


@router.post("/campaigns/{id}/dialer-config", summary="UpdateCampaignDialerConfig (v1)")
def update_dialer_config(request: Request, principal: ConnectManager, id: str, body: JsonBody):
    if "dialerConfig" not in body:
        raise validation("dialerConfig is required")
    state = svc(request)
    with state.session() as s:
        c = ops.load(s, principal, id)
        csc = dict(c.definition.get("channelSubtypeConfig") or {})
        csc["telephony"] = telephony_from_v1(body["dialerConfig"], None, csc.get("telephony"))
        ops.update(s, principal, id, {"channelSubtypeConfig": csc})
    return empty()


@router.post("/campaigns/{id}/outbound-call-config", summary="UpdateCampaignOutboundCallConfig (v1)")
def update_outbound_call_config(request: Request, principal: ConnectManager, id: str, body: JsonBody):
    call = {
        k: body[k]
        for k in ("connectContactFlowId", "connectSourcePhoneNumber", "answerMachineDetectionConfig")
        if body.get(k) is not None  # null: not given, as botocore never sends it
    }
    state = svc(request)
    with state.session() as s:
        c = ops.load(s, principal, id)
        csc = dict(c.definition.get("channelSubtypeConfig") or {})
        csc["telephony"] = telephony_from_v1(None, call, csc.get("telephony"))
        ops.update(s, principal, id, {"channelSubtypeConfig": csc})
    return empty()


def _v1_phone(req: dict[str, Any]) -> tuple[Any, Any]:
    if "phoneNumber" not in req:
        raise ValueError("phoneNumber is required")
    return req["phoneNumber"], req.get("attributes")


@router.put("/campaigns/{id}/dial-requests", summary="PutDialRequestBatch (v1)")
def put_dial_request_batch(request: Request, principal: ConnectManager, id: str, body: JsonBody):
    state = svc(request)
    with state.session() as s:
        return ops.put_requests(s, state, principal, id, body.get("dialRequests"), phone_of=_v1_phone)


add_tag_routes(router, " (v1)")
