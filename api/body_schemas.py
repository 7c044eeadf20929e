"""JSON Schemas of the Connect request bodies, for the OpenAPI document.

The routes read their bodies as plain JSON objects (they check them against
botocore's model and ``campaigns.document``), so FastAPI documents them as
free objects. This module writes what they really accept, so a client, and
schemathesis's "positive data accepted" check, know the valid bodies:

- the campaign definition (CreateCampaign v2 and the UpdateCampaign*
  members) comes from the pydantic model the server validates with
  (``campaigns.document.ConnectCampaign``, with the simulator's outbound
  modes), tightened where a validator says more than pydantic's schema:
  time zones, ISO durations, times of day, no NUL in any text (the body
  guard refuses it), no control characters in names;
- the other operations come from botocore's service models
  (``connectcampaignsv2`` 2024-04-23, ``connectcampaigns`` 2021-01-30), with
  the same tightening, and objects left open where the server ignores
  members it does not know.

Rules across fields are stated in ``description`` only, JSON Schema cannot
say them: a schedule's endTime after its startTime, a time range's end after
its start, a restricted period's end not before its start.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import botocore.session
from botocore.model import Shape

from api.routes_common import TOKEN_PATTERN
from campaigns.document import OUTCOMES, ConnectCampaign, Simulation
from campaigns.synthetic import SUPPORTED_COUNTRIES
from compliance.rules import builtin_names

COMPONENT_PREFIX = "Campaign."
NO_NUL = r"^[^\x00]*$"
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# campaigns.document._ISO_DURATION, without the named groups and the "P1DT"
# it refuses (a T with nothing after it); at most 6 digits a part, which
# keeps every duration inside Python's timedelta.
_N = r"[-+]?\d{1,6}"
_TIME_PART = (
    rf"T(?:{_N}H(?:{_N}M)?(?:{_N}(?:[.,]\d{{0,9}})?S)?|{_N}M(?:{_N}(?:[.,]\d{{0,9}})?S)?|{_N}(?:[.,]\d{{0,9}})?S)"
)
ISO_DURATION = rf"^(?:PT|P(?:{_N}D)?(?:{_TIME_PART})?)$"
INSTANCE_FILTER = r"^[-_.a-zA-Z0-9]{0,256}$"
TIME_OF_DAY = r"^T(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$"
TAG_KEY = {"pattern": r"^[a-zA-Z+\-=._:/]{1,128}$", "not": {"pattern": "^aws:"}}
FREE_JSON_REF = {"$ref": f"#/components/schemas/{COMPONENT_PREFIX}FreeJson"}
OPEN_MEMBERS = {"propertyNames": {"pattern": NO_NUL}, "additionalProperties": FREE_JSON_REF}

# Members whose validator is stricter than their pydantic type.
_BY_NAME: dict[str, dict[str, Any]] = {
    "refreshFrequency": {"pattern": ISO_DURATION},
    "minEntryInterval": {"pattern": ISO_DURATION},
    "name": {"pattern": ONE_LINE},
}
_CROSS_FIELD = {
    "Schedule": "endTime must be after startTime.",
    "TimeRange": "endTime must be after startTime (a window across midnight is two ranges on two days).",
    "RestrictedPeriod": "endDate must not be before startDate.",
    "TelephonyOutboundMode": "Exactly one mode is set.",
}


@cache
def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if len(z) <= 50)


def _tighten(node: Any, name: str | None = None) -> Any:
    """Add what the validators check to a pydantic JSON Schema, in place."""
    if isinstance(node, list):
        for item in node:
            _tighten(item, name)
        return node
    if not isinstance(node, dict):
        return node
    node.pop("title", None)
    node.pop("default", None)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node["$ref"] = "#/components/schemas/" + COMPONENT_PREFIX + ref.rsplit("/", 1)[1]
    if node.get("type") == "string" and "enum" not in node and "format" not in node:
        extra = _BY_NAME.get(name or "")
        if name in ("startTime", "endTime") and "pattern" not in node:
            extra = {"pattern": TIME_OF_DAY}
        if name in ("defaultTimeZone", "timeZone"):
            node.pop("maxLength", None)
            extra = {"enum": _zones()}
        node.update(extra or {})
        node.setdefault("pattern", NO_NUL)
    if node.get("type") == "object" and node.get("additionalProperties") is True:
        node.pop("additionalProperties")
        node.update({"propertyNames": {"pattern": NO_NUL}, "additionalProperties": FREE_JSON_REF})
    if name == "tags" and node.get("type") == "object":
        node.update({"propertyNames": TAG_KEY, "maxProperties": 50})
        node["additionalProperties"] = {"type": "string", "maxLength": 256, "pattern": NO_NUL}
    for key, sub in list(node.items()):
        if key == "properties":
            for prop, schema in sub.items():
                _tighten(schema, prop)
        elif key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
            _tighten(sub, name)
    return node


def _free_json() -> dict[str, Any]:
    """Any JSON value without NUL: what a free member (``source``, the sms
    and email settings kept as given) may hold."""
    return {
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": FREE_JSON_REF},
            {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": FREE_JSON_REF},
        ]
    }


@cache
def campaign_components() -> dict[str, dict[str, Any]]:
    """components/schemas entries: the campaign definition and its parts."""
    schema = ConnectCampaign.model_json_schema(by_alias=True)
    defs = schema.pop("$defs")
    out = {COMPONENT_PREFIX + k: _tighten(v) for k, v in defs.items()}
    out[COMPONENT_PREFIX + "ConnectCampaign"] = _tighten(schema)
    out[COMPONENT_PREFIX + "FreeJson"] = _free_json()
    for short, text in _CROSS_FIELD.items():
        out[COMPONENT_PREFIX + short]["description"] = text
    mode = out[COMPONENT_PREFIX + "TelephonyOutboundMode"]
    mode["oneOf"] = [{"required": [m], "properties": {m: {"type": "object"}}} for m in mode["properties"]]
    return out


def _campaign_member(member: str) -> dict[str, Any]:
    """An UpdateCampaign* member: the definition's member, null excluded."""
    schema = copy.deepcopy(campaign_components()[COMPONENT_PREFIX + "ConnectCampaign"]["properties"][member])
    options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
    return options[0] if len(options) == 1 else {"anyOf": options}


# -- botocore shapes ---------------------------------------------------------

_SESSION = botocore.session.get_session()


def _shape_schema(shape: Shape, closed: bool) -> dict[str, Any]:
    t = shape.type_name
    meta = shape.metadata
    if t == "structure":
        # A union (DialerConfig) is read member by member by the server:
        # closed. An optional member may be null: the server reads null as
        # absent.
        closed = closed or bool(shape.metadata.get("union"))
        props = {
            n: _shape_schema(m, closed)
            for n, m in shape.members.items()
            if m.serialization.get("location") is None and n not in shape.serialization.get("exclude", ())
        }
        required = [r for r in shape.required_members if r in props]
        if not shape.metadata.get("union"):
            props = {n: p if n in required else {"anyOf": [p, {"type": "null"}]} for n, p in props.items()}
        out: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        if closed:
            out["additionalProperties"] = False
        else:  # the server ignores members it does not know, but the body guard refuses NUL anywhere
            out.update(OPEN_MEMBERS)
        if shape.metadata.get("union"):
            out.update(minProperties=1, maxProperties=1)
        return out
    if t == "list":
        out = {"type": "array", "items": _shape_schema(shape.member, closed)}
        if "min" in meta:
            out["minItems"] = meta["min"]
        if "max" in meta:
            out["maxItems"] = meta["max"]
        return out
    if t == "map":
        out = {
            "type": "object",
            "propertyNames": _shape_schema(shape.key, closed),
            "additionalProperties": _shape_schema(shape.value, closed),
        }
        out["propertyNames"].pop("type", None)
        return out
    if t == "string":
        if shape.enum:
            return {"type": "string", "enum": list(shape.enum)}
        out = {"type": "string", "pattern": NO_NUL}
        if "min" in meta:
            out["minLength"] = meta["min"]
        if "max" in meta:
            out["maxLength"] = meta["max"]
        return out
    if t in ("integer", "long"):
        out = {"type": "integer"}
    elif t in ("double", "float"):
        out = {"type": "number"}
    elif t == "boolean":
        return {"type": "boolean"}
    elif t == "timestamp":
        return {"type": "string", "format": "date-time"}
    else:
        return FREE_JSON_REF
    if "min" in meta:
        out["minimum"] = meta["min"]
    if "max" in meta:
        out["maximum"] = meta["max"]
    return out


def botocore_body(service: str, operation: str, *, closed: bool = False) -> dict[str, Any]:
    """The JSON body of ``operation`` as botocore's model writes it (path
    members left out). ``closed``: unknown members are refused."""
    op = _SESSION.get_service_model(service).operation_model(operation)
    return _shape_schema(op.input_shape, closed)


def _put_requests_body(member: str) -> dict[str, Any]:
    """A batch answers 200 whatever its entries hold: an entry the server
    cannot take comes back in ``failedRequests`` (``InvalidInput``)."""
    return {
        "type": "object",
        "required": [member],
        **OPEN_MEMBERS,
        "properties": {
            member: {
                "type": "array",
                "minItems": 1,
                "maxItems": 25,
                "items": FREE_JSON_REF,
                "description": "1 to 25 requests (clientToken, expirationTime, the destination number, attributes); "
                "an entry the server cannot take is answered in failedRequests with InvalidInput",
            }
        },
    }


def connect_body(version: str, operation: str) -> dict[str, Any] | None:
    """The request-body schema of a Connect operation (``version`` "v2" or
    "v1"), or None for operations without a body."""
    if version == "v2":
        service = "connectcampaignsv2"
        if operation == "CreateCampaign":
            return {"$ref": f"#/components/schemas/{COMPONENT_PREFIX}ConnectCampaign"}
        if operation.startswith("UpdateCampaign"):
            (member,) = botocore_body(service, operation)["properties"]
            return {
                "type": "object",
                "required": [member],
                "additionalProperties": False,
                "properties": {member: _campaign_member(member)},
            }
        if operation == "PutOutboundRequestBatch":
            return _put_requests_body("outboundRequests")
    else:
        service = "connectcampaigns"
        if operation == "PutDialRequestBatch":
            return _put_requests_body("dialRequests")
    try:
        body = botocore_body(service, operation, closed=operation == "CreateCampaign")
    except Exception:  # not an operation of the model (a path without a body)
        return None
    if not body["properties"]:
        return None
    body = _v1_and_shared(body, operation)
    if operation == "ListCampaigns":  # the body is optional; null is no body
        return {"anyOf": [body, {"type": "null"}]}
    return body


def _v1_and_shared(body: dict[str, Any], operation: str) -> dict[str, Any]:
    props = body["properties"]
    if "name" in props:
        props["name"] = _campaign_member("name")
    if "connectInstanceId" in props:
        props["connectInstanceId"] = _campaign_member("connectInstanceId")
    if "tags" in props:
        props["tags"] = _campaign_member("tags")
    if "nextToken" in props:
        props["nextToken"] = {
            "anyOf": [{"type": "string", "maxLength": 1000, "pattern": TOKEN_PATTERN}, {"type": "null"}]
        }
    if "filters" in props:
        # v1 and v2 alike (v2's model asks for at least one character; an
        # empty id matches no campaign).
        value = {"type": "string", "pattern": INSTANCE_FILTER}
        instance = {"type": "object", **OPEN_MEMBERS, "required": ["value", "operator"]}
        instance["properties"] = {"value": value, "operator": {"type": "string", "enum": ["Eq"]}}
        filters = {"type": "object", "additionalProperties": False}
        filters["properties"] = {"instanceIdFilter": {"anyOf": [instance, {"type": "null"}]}}
        props["filters"] = {"anyOf": [filters, {"type": "null"}]}
    if "campaignIds" in props:
        props["campaignIds"]["items"] = {"type": "string", "pattern": r"^[-:/a-zA-Z0-9]{1,256}$"}
    return body


def _mix(keys: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {
                "type": "object",
                "description": f"weights by {what}: at least one, each >= 0, not all zero",
                "propertyNames": keys,
                "minProperties": 1,
                "additionalProperties": {"type": "number", "minimum": 0},
                "not": {"additionalProperties": {"const": 0}},
            },
            {"type": "null"},
        ]
    }


def campaign_contacts_body() -> dict[str, Any]:
    """PUT /sim/campaigns/{id}/contacts: a stored list or a synthetic
    population (``campaigns.document.SyntheticContacts``), not both."""
    synthetic = {
        "type": "object",
        "additionalProperties": False,
        "required": ["count"],
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 50_000_000},
            "areaCodes": _mix({"pattern": r"^[2-9][0-9]{2}$"}, "North American area code"),
            "countries": _mix({"enum": sorted(SUPPORTED_COUNTRIES)}, "country"),
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "Exactly one of a stored contact list or a synthetic population; an empty object clears both",
        "properties": {
            "contactListId": {"anyOf": [{"type": "string", "pattern": NO_NUL}, {"type": "null"}]},
            "synthetic": {"anyOf": [synthetic, {"type": "null"}]},
        },
        "not": {
            "required": ["contactListId", "synthetic"],
            "properties": {"contactListId": {"type": "string", "minLength": 1}, "synthetic": {"type": "object"}},
        },
    }


SIM_PREFIX = "Sim."
_DIST_REF = {"$ref": f"#/components/schemas/{SIM_PREFIX}Distribution"}
_DIST_KINDS = {"Fixed", "Exponential", "Lognormal", "Gamma", "Uniform", "Empirical"}
SHIFT_TIME = r"^T?(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
_SIM_CROSS_FIELD = {
    "OutcomeShares": "The shares must sum to 1 (within 1e-6).",
    "HourOverride": "With the campaign's shares for the other outcomes, the hour's shares must be >= 0 and sum to 1.",
    "Agents": "The shifts staff at most count agents.",
    "Breaks": "every and length are positive durations.",
}


def _distribution() -> dict[str, Any]:
    """A distribution as the document writes it (campaigns.distributions):
    a bare number (fixed) or a one-key mapping ``{kind: parameters}``."""
    nonneg = {"type": "number", "minimum": 0}
    pos = {"type": "number", "exclusiveMinimum": 0}

    def params(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": required, "properties": props}

    def kind(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": [name], "properties": {name: schema}}

    return {
        "description": "a number (fixed), or {fixed|exponential|lognormal|gamma|uniform|empirical: {...}}; "
        "uniform: high >= low; empirical: weights (if given) one per value, not all zero",
        "anyOf": [
            nonneg,
            kind("fixed", {"anyOf": [nonneg, params(["value"], value=nonneg)]}),
            kind("exponential", params(["mean"], mean=pos)),
            kind("lognormal", params(["mean", "sd"], mean=pos, sd=nonneg)),
            kind("gamma", params(["mean", "sd"], mean=pos, sd=pos)),
            kind("uniform", params(["low", "high"], low=nonneg, high=nonneg)),
            kind(
                "empirical",
                params(
                    ["values"],
                    values={"type": "array", "minItems": 1, "items": nonneg},
                    weights={"anyOf": [{"type": "array", "items": nonneg}, {"type": "null"}]},
                ),
            ),
        ],
    }


def _sim_refs(node: Any, name: str | None = None) -> Any:
    """Point a Simulation schema's refs at components; a distribution's
    union (pydantic's internal form) becomes the document's form."""
    if isinstance(node, list):
        return [_sim_refs(n, name) for n in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list):
        kinds = {o.get("$ref", "").rsplit("/", 1)[-1] for o in options if "$ref" in o}
        if kinds == _DIST_KINDS:
            nullable = any(o.get("type") == "null" for o in options)
            return {"anyOf": [_DIST_REF, {"type": "null"}]} if nullable else dict(_DIST_REF)
    out: dict[str, Any] = {}
    for key, sub in node.items():
        if key == "$ref" and isinstance(sub, str):
            out[key] = "#/components/schemas/" + SIM_PREFIX + sub.rsplit("/", 1)[1]
        elif key == "properties":
            out[key] = {p: _sim_refs(v, p) for p, v in sub.items()}
        else:
            out[key] = _sim_refs(sub, name)
    return out


@cache
def simulation_components() -> dict[str, dict[str, Any]]:
    """components/schemas entries: a contact center's simulation settings."""
    schema = Simulation.model_json_schema(by_alias=True)
    defs = schema.pop("$defs")
    schema["properties"].pop("contacts")  # contacts belong to campaigns
    schema["properties"]["jurisdiction"] = {"anyOf": [{"type": "string", "enum": builtin_names()}, {"type": "null"}]}
    out = {SIM_PREFIX + k: _tighten(_sim_refs(v)) for k, v in defs.items() if k not in _DIST_KINDS}
    out[SIM_PREFIX + "Simulation"] = _tighten(_sim_refs(schema))
    out[SIM_PREFIX + "Distribution"] = _distribution()
    for short, text in _SIM_CROSS_FIELD.items():
        out[SIM_PREFIX + short]["description"] = text
    shift = out[SIM_PREFIX + "Shift"]["properties"]
    shift["start"]["pattern"] = shift["end"]["pattern"] = SHIFT_TIME
    breaks = out[SIM_PREFIX + "Breaks"]["properties"]
    breaks["every"]["pattern"] = breaks["length"]["pattern"] = ISO_DURATION
    hours = out[SIM_PREFIX + "Behaviour"]["properties"]["byLocalHour"]
    hours["propertyNames"] = {"pattern": "^(?:[0-9]|1[0-9]|2[0-3])$"}
    amd = out[SIM_PREFIX + "Amd"]
    amd["description"] = "Give at most one of sensitivity and the two rates."
    amd["allOf"] = [
        {
            "not": {
                "required": ["sensitivity", rate],
                "properties": {"sensitivity": {"type": "number"}, rate: {"type": "number"}},
            }
        }
        for rate in ("falsePositiveRate", "falseNegativeRate")
    ]
    for k in (SIM_PREFIX + "Simulation", SIM_PREFIX + "OutcomeShares"):
        out[k].setdefault("additionalProperties", False)
    assert set(out[SIM_PREFIX + "OutcomeShares"]["properties"]) == set(OUTCOMES)
    return out


def contact_center_body() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["simulation"],
        "properties": {
            "name": {"anyOf": [{"type": "string", "maxLength": 128, "pattern": ONE_LINE}, {"type": "null"}]},
            "simulation": {"$ref": f"#/components/schemas/{SIM_PREFIX}Simulation"},
        },
    }


# Native routes whose body FastAPI documents as a free object: (method, path) -> schema.
NATIVE_BODIES = {
    ("PUT", "/sim/campaigns/{campaign_id}/contacts"): campaign_contacts_body,
    ("PUT", "/sim/contact-centers/{instance_id}"): contact_center_body,
}


def is_campaign_component(name: str) -> bool:
    return name.startswith(COMPONENT_PREFIX)


_V1 = re.compile(r" \(v1\)$")


def operation_of(summary: str) -> str:
    return _V1.sub("", summary or "")
