"""The Connect operations on campaigns, shared by the v2 and v1 routes.

Each function takes a session, the caller's principal and plain values, and
raises ``ConnectError`` for what the caller did wrong. The campaign's
``definition`` is the Connect v2 CreateCampaign body (tags apart) as
validated by ``campaigns.document.ConnectCampaign``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.arns import campaign_arn
from api.auth import Principal
from api.errors import invalid_state, not_found, validation
from api.state import ServiceState
from campaigns import lifecycle
from campaigns import repository as repo
from campaigns.document import ConnectCampaign
from campaigns.models import Campaign
from campaigns.tenants import account_for
from eventlog.timestamps import parse_iso_utc

_TAG_KEY = re.compile(r"^(?!aws:)[a-zA-Z+\-=._:/]+$")
_CLIENT_TOKEN = re.compile(r"^[a-zA-Z0-9_\-.]*$")
_CAMPAIGN_ID = re.compile(r"^[-:/a-zA-Z0-9]+$")


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_errors(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors(include_url=False)[:5]:
        loc = ".".join(
            str(p) for p in e["loc"] if not (isinstance(p, str) and (p[:1].isupper() or p.startswith("function-")))
        )
        parts.append(f"{loc or 'body'}: {e['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def integral_as_int(value: Any) -> Any:
    """16554.0 as 16554: JSON has one number type, and strict validation
    would refuse a float with no fraction where an integer is expected."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral_as_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_as_int(v) for v in value]
    return value


def validate_definition(body: dict[str, Any]) -> dict[str, Any]:
    """The normalised Connect definition (camelCase JSON) or ValidationException."""
    if not isinstance(body, dict):
        raise validation("request body must be a JSON object")
    try:
        # Strict, as JSON: no number read as a date, no "1" as a number or
        # "true" as a boolean (the OpenAPI document gives the types).
        model = ConnectCampaign.model_validate_json(json.dumps(integral_as_int(body)), strict=True)
    except ValidationError as exc:
        raise validation(format_errors(exc)) from None
    out = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    out.pop("tags", None)
    return out


def validate_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise validation("tags must be a map of string keys to string values")
    if len(tags) > 50:
        raise validation("at most 50 tags")
    for k, v in tags.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 128 or not _TAG_KEY.match(k):
            raise validation(
                f"tag key {str(k)[:130]!r} must be 1..128 characters of [a-zA-Z+-=._:/] and not start with aws:"
            )
        if not isinstance(v, str) or len(v) > 256:
            raise validation(f"tag {k!r}: value must be a string of at most 256 characters")
    return dict(tags)


def check_id(campaign_id: str) -> str:
    if not 1 <= len(campaign_id) <= 256 or not _CAMPAIGN_ID.match(campaign_id):
        raise validation(f"id must match [-:/a-zA-Z0-9]+ (1..256 characters), got {campaign_id[:260]!r}")
    return campaign_id


def load(
    session: Session, principal: Principal, campaign_id: str, *, for_update: bool = False, with_tags: bool = True
) -> Campaign:
    check_id(campaign_id)
    try:
        return repo.get_campaign(
            session, tenant=principal.tenant, campaign_id=campaign_id, for_update=for_update, with_tags=with_tags
        )
    except repo.NotFound:
        raise not_found(f"Campaign {campaign_id} not found") from None


def arn(state: ServiceState, campaign: Campaign) -> str:
    return campaign_arn(region=state.settings.region, tenant=campaign.tenant, campaign_id=campaign.id)


def describe(state: ServiceState, campaign: Campaign) -> dict[str, Any]:
    out = {"id": campaign.id, "arn": arn(state, campaign), **campaign.definition}
    out["lastModifiedTime"] = iso(campaign.last_modified)
    out["tags"] = repo.tags_of(campaign)
    return out


def summary(state: ServiceState, campaign: Campaign) -> dict[str, Any]:
    d = campaign.definition
    out: dict[str, Any] = {
        "id": campaign.id,
        "arn": arn(state, campaign),
        "name": campaign.name,
        "connectInstanceId": campaign.instance_id,
        "channelSubtypes": [
            k.upper() for k in (d.get("channelSubtypeConfig") or {}) if k in ("telephony", "sms", "email")
        ],
    }
    for key in ("type", "schedule", "entryLimitsConfig", "connectCampaignFlowArn"):
        if key in d:
            out[key] = d[key]
    out["lastModifiedTime"] = iso(campaign.last_modified)
    return out


def create(session: Session, state: ServiceState, principal: Principal, body: dict[str, Any]) -> Campaign:
    if not isinstance(body, dict):
        raise validation("request body must be a JSON object")
    tags = validate_tags(body.get("tags"))
    definition = validate_definition(body)
    return repo.create_campaign(session, tenant=principal.tenant, definition=definition, tags=tags)


def update(session: Session, principal: Principal, campaign_id: str, changes: dict[str, Any]) -> Campaign:
    campaign = load(session, principal, campaign_id, for_update=True)
    normalised = validate_definition(repo.merge_fields(campaign.definition, changes))
    # Validation may fill defaults; keep only the fields the campaign had or
    # the update named.
    keep = set(changes) | set(campaign.definition)
    definition = {k: v for k, v in normalised.items() if k in keep and v is not None}
    return repo.update_campaign(session, campaign=campaign, definition=definition)


def list_campaigns(
    session: Session,
    state: ServiceState,
    principal: Principal,
    *,
    max_results: Any = None,
    next_token: Any = None,
    instance_id: str | None = None,
) -> dict[str, Any]:
    max_results = integral_as_int(max_results)  # 12.0 is the integer 12 in JSON (and JSON Schema)
    if max_results is not None and (
        not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= 50
    ):
        raise validation("maxResults must be an integer from 1 to 50")
    if next_token is not None and (not isinstance(next_token, str) or len(next_token) > 1000):
        raise validation("nextToken must be a string of at most 1000 characters")
    try:
        page = repo.list_campaigns(
            session, tenant=principal.tenant, instance_id=instance_id, limit=max_results or 50, token=next_token
        )
    except repo.BadPageToken as exc:
        raise validation(str(exc)) from None
    out: dict[str, Any] = {"campaignSummaryList": [summary(state, c) for c in page.items]}
    if page.next_token:
        out["nextToken"] = page.next_token
    return out


def parse_filters(filters: Any) -> str | None:
    if filters is None:
        return None
    if not isinstance(filters, dict):
        raise validation("filters must be an object")
    unknown = set(filters) - {"instanceIdFilter"}
    if unknown:
        raise validation(f"filters: unknown member(s) {sorted(unknown)}")
    f = filters.get("instanceIdFilter")
    if f is None:
        return None
    value = f.get("value") if isinstance(f, dict) else None
    if not isinstance(f, dict) or not isinstance(value, str) or f.get("operator") != "Eq":
        raise validation("filters.instanceIdFilter needs value (string) and operator 'Eq'")
    if not re.fullmatch(r"[-_.a-zA-Z0-9]{0,256}", value):
        raise validation("filters.instanceIdFilter.value must be at most 256 characters of [-_.a-zA-Z0-9]")
    return value


def state_batch(session: Session, principal: Principal, ids: Any) -> dict[str, Any]:
    if not isinstance(ids, list) or not 1 <= len(ids) <= 25 or not all(isinstance(i, str) for i in ids):
        raise validation("campaignIds must be a list of 1 to 25 campaign ids")
    for i in ids:
        check_id(i)
    found = repo.campaigns_by_ids(session, tenant=principal.tenant, ids=ids)
    ok: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    for i in ids:
        if i in found:
            ok.append({"campaignId": i, "state": found[i].state})
        else:
            failed.append({"campaignId": i, "failureCode": "ResourceNotFound"})
    return {"successfulRequests": ok, "failedRequests": failed}


def campaign_from_arn(session: Session, state: ServiceState, principal: Principal, arn_value: str) -> Campaign:
    if not 20 <= len(arn_value) <= 500:
        raise validation("arn must be 20..500 characters")
    m = re.fullmatch(r"arn:aws:connect-campaigns:([a-z0-9-]+):(\d{12}):campaign/([-:/a-zA-Z0-9]+)", arn_value)
    if not m:
        raise validation(f"not a campaign ARN: {arn_value[:200]!r}")
    if m.group(2) != account_for(principal.tenant):
        raise not_found(f"resource {arn_value} not found")
    return load(session, principal, m.group(3))


def transition(session: Session, state: ServiceState, principal: Principal, campaign_id: str, action: str) -> Campaign:
    from api import runs

    campaign = load(session, principal, campaign_id, for_update=True)
    if not lifecycle.can(campaign.state, action):
        err = lifecycle.InvalidTransition(action, campaign.state)
        raise invalid_state(campaign.state, str(err))
    if action == "start":
        runs.start_run(session, state, campaign)
    else:
        runs.control_run(session, campaign, action)
    return campaign


# ---------------------------------------------------------------------------
# Outbound requests
# ---------------------------------------------------------------------------


def parse_timestamp(value: Any, where: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{where}: timestamp out of range") from None
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected an ISO 8601 timestamp")
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise ValueError(f"{where}: not an ISO 8601 timestamp") from None


def warm_up() -> None:
    """Load what the first PutOutboundRequestBatch would otherwise load while
    a client waits (the number parser and its metadata for the US)."""
    from phonegeo import normalise_number

    normalise_number("+12125550100", "US")
    normalise_number("2125550100", "US")


def put_requests(
    session: Session,
    state: ServiceState,
    principal: Principal,
    campaign_id: str,
    requests: Any,
    *,
    phone_of: Callable[[dict[str, Any]], tuple[Any, Any]],
    region: str = "US",
) -> dict[str, Any]:
    """Store 1..25 requests. ``phone_of(request)`` extracts the destination
    number (the v2 and v1 bodies differ). Bad entries fail alone with
    ``InvalidInput``; a repeated clientToken returns the first request's id."""
    from phonegeo import LocalTimeError, normalise_number

    if not isinstance(requests, list) or not 1 <= len(requests) <= 25:
        raise validation("between 1 and 25 requests must be given")
    check_id(campaign_id)
    results: list[tuple[str, Any]] = []  # ("ok", index into valid) or ("failed", entry)
    valid: list[dict[str, Any]] = []
    for req in requests:
        token = req.get("clientToken") if isinstance(req, dict) else None
        try:
            if not isinstance(req, dict):
                raise ValueError("request must be an object")
            if not isinstance(token, str) or len(token) > 200 or not _CLIENT_TOKEN.match(token):
                raise ValueError("clientToken must match [a-zA-Z0-9_\\-.]* (at most 200 characters)")
            if "expirationTime" not in req:
                raise ValueError("expirationTime is required")
            expires = parse_timestamp(req["expirationTime"], "expirationTime")
            raw, attributes = phone_of(req)
            if not isinstance(raw, str) or len(raw) > 20 or not re.fullmatch(r"[\d\-+]*", raw):
                raise ValueError("destination phone number must be at most 20 characters of digits, - and +")
            if attributes is None:
                attributes = {}
            if not isinstance(attributes, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
            ):
                raise ValueError("attributes must map strings to strings")
            try:
                e164 = normalise_number(raw, region)
            except LocalTimeError:
                raise ValueError("destination phone number is not a valid number") from None
            results.append(("ok", len(valid)))
            valid.append({"client_token": token, "phone": e164, "expiration_time": expires, "attributes": attributes})
        except ValueError:
            entry: dict[str, Any] = {"failureCode": "InvalidInput"}
            if isinstance(token, str):
                entry["clientToken"] = token[:200]
            results.append(("failed", entry))
    # The campaign row stays locked until the requests are committed: a run
    # deciding it is done takes the same lock (api/worker.py ``_final``), so
    # a request stored here is either seen by that run, or refused because
    # the run has ended the campaign (docs/service.md, "Request lifecycle").
    campaign = load(session, principal, campaign_id, for_update=True, with_tags=False)
    if campaign.state not in ("Initialized", "Running", "Paused"):
        raise invalid_state(
            campaign.state,
            f"campaign is {campaign.state}: outbound requests are accepted when Initialized, Running or Paused",
        )
    stored = repo.put_outbound_requests(session, campaign=campaign, items=valid) if valid else []
    created = sum(1 for r in stored if r.created)
    if created:
        state.metrics.outbound.inc(created)
    ok = [{"clientToken": stored[i].client_token, "id": stored[i].id} for kind, i in results if kind == "ok"]
    failed = [e for kind, e in results if kind == "failed"]
    if ok:
        from api import runs

        runs.notify_requests(state)
    return {"successfulRequests": ok, "failedRequests": failed}


# -- tags (the same operations in v1 and v2) ---------------------------------

MAX_TAGS = 50  # Connect's limit per resource


def list_tags(state: ServiceState, principal: Principal, arn_value: str) -> dict[str, Any]:
    with state.session() as s:
        return {"tags": repo.tags_of(campaign_from_arn(s, state, principal, arn_value))}


def tag_resource(state: ServiceState, principal: Principal, arn_value: str, body: dict[str, Any]) -> None:
    if "tags" not in body:
        raise validation("tags is required")
    tags = validate_tags(body["tags"])
    with state.session() as s:
        c = campaign_from_arn(s, state, principal, arn_value)
        if len(set(repo.tags_of(c)) | set(tags)) > MAX_TAGS:
            raise validation(f"a resource can have at most {MAX_TAGS} tags")
        repo.set_tags(s, campaign=c, tags=tags)


def untag_resource(state: ServiceState, principal: Principal, arn_value: str, keys: list[str]) -> None:
    if len(keys) > MAX_TAGS:
        raise validation(f"at most {MAX_TAGS} tagKeys")
    with state.session() as s:
        repo.remove_tags(s, campaign=campaign_from_arn(s, state, principal, arn_value), keys=keys)


def delete_campaign(state: ServiceState, principal: Principal, campaign_id: str) -> None:
    """DeleteCampaign (v1 and v2): a running or paused campaign's run is
    stopped first."""
    from api import runs

    with state.session() as s:
        c = load(s, principal, campaign_id, for_update=True)
        if c.state in ("Running", "Paused"):
            runs.control_run(s, c, "stop")
        repo.delete_campaign(s, campaign=c)
