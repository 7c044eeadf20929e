"""The boto3 ``connectcampaignsv2`` client against a real server, on SQLite
and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from api_helpers import CAMPAIGN, SIMULATION, run_of, wait_for


def _create(c, **over):
    body = copy.deepcopy(CAMPAIGN)
    body.update(over)
    return c.create_campaign(**body)


def test_create_describe_list(server):
    c = server.boto()
    r = _create(c, name="describe-me", tags={"team": "blue"})
    assert r["arn"].endswith(f":campaign/{r['id']}") and r["tags"] == {"team": "blue"}
    d = c.describe_campaign(id=r["id"])["campaign"]
    assert d["name"] == "describe-me" and d["connectInstanceId"] == "cc-test"
    assert d["channelSubtypeConfig"]["telephony"]["defaultOutboundConfig"]["ringTimeout"] == 20
    assert d["schedule"]["startTime"] == dt.datetime(2026, 12, 1, 14, tzinfo=dt.UTC)
    assert d["tags"] == {"team": "blue"}
    assert isinstance(d["lastModifiedTime"], dt.datetime)
    ids = [x["id"] for x in c.list_campaigns(maxResults=50)["campaignSummaryList"]]
    assert r["id"] in ids
    summary = next(x for x in c.list_campaigns()["campaignSummaryList"] if x["id"] == r["id"])
    assert summary["channelSubtypes"] == ["TELEPHONY"]


def test_list_pagination_and_filter(server):
    c = server.boto()
    made = {_create(c, name=f"page-{i}", connectInstanceId="cc-page")["id"] for i in range(5)}
    seen, kwargs = [], {"maxResults": 2, "filters": {"instanceIdFilter": {"value": "cc-page", "operator": "Eq"}}}
    while True:
        page = c.list_campaigns(**kwargs)
        assert len(page["campaignSummaryList"]) <= 2
        seen += [x["id"] for x in page["campaignSummaryList"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert set(seen) == made and len(seen) == 5
    paginator = c.get_paginator("list_campaigns")
    pages = list(paginator.paginate(filters=kwargs["filters"], PaginationConfig={"PageSize": 3}))
    assert sum(len(p["campaignSummaryList"]) for p in pages) == 5


def test_lifecycle_and_outbound_requests(server):
    c = server.boto()
    cid = _create(c, name="lifecycle")["id"]
    assert c.get_campaign_state(id=cid)["state"] == "Initialized"
    with pytest.raises(c.exceptions.InvalidCampaignStateException) as e:
        c.pause_campaign(id=cid)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    c.start_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Running"
    with pytest.raises(c.exceptions.InvalidCampaignStateException):
        c.start_campaign(id=cid)
    exp = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    reqs = [
        {
            "clientToken": f"tok-{i}",
            "expirationTime": exp,
            "channelSubtypeParameters": {
                "telephony": {"destinationPhoneNumber": f"+1212555{i:04d}", "attributes": {"n": str(i)}}
            },
        }
        for i in range(3)
    ]
    reqs.append(
        {
            "clientToken": "bad",
            "expirationTime": exp,
            "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "123", "attributes": {}}},
        }
    )
    r = c.put_outbound_request_batch(id=cid, outboundRequests=reqs)
    assert [x["clientToken"] for x in r["successfulRequests"]] == ["tok-0", "tok-1", "tok-2"]
    assert r["failedRequests"] == [{"clientToken": "bad", "failureCode": "InvalidInput"}]
    again = c.put_outbound_request_batch(id=cid, outboundRequests=reqs[:1])
    assert again["successfulRequests"][0]["id"] == r["successfulRequests"][0]["id"]
    c.pause_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Paused"
    c.resume_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Running"
    c.stop_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Stopped"
    with pytest.raises(c.exceptions.InvalidCampaignStateException):
        c.put_outbound_request_batch(id=cid, outboundRequests=reqs[:1])
    batch = c.get_campaign_state_batch(campaignIds=[cid, "missing-id"])
    assert batch["successfulRequests"] == [{"campaignId": cid, "state": "Stopped"}]
    assert batch["failedRequests"] == [{"campaignId": "missing-id", "failureCode": "ResourceNotFound"}]


def test_updates_and_tags(server):
    c = server.boto()
    r = _create(c, name="updates")
    cid, arn = r["id"], r["arn"]
    c.update_campaign_name(id=cid, name="renamed")
    c.update_campaign_schedule(
        id=cid,
        schedule={
            "startTime": dt.datetime(2026, 12, 2, 14, tzinfo=dt.UTC),
            "endTime": dt.datetime(2026, 12, 2, 18, tzinfo=dt.UTC),
        },
    )
    c.update_campaign_entry_limits(id=cid, entryLimitsConfig={"maxEntryCount": 2, "minEntryInterval": "PT1H"})
    c.update_campaign_communication_limits(
        id=cid,
        communicationLimitsOverride={
            "allChannelSubtypes": {
                "communicationLimitsList": [{"maxCountPerRecipient": 3, "frequency": 7, "unit": "DAY"}]
            }
        },
    )
    tel = copy.deepcopy(CAMPAIGN["channelSubtypeConfig"])
    tel["telephony"]["defaultOutboundConfig"]["ringTimeout"] = 30
    c.update_campaign_channel_subtype_config(id=cid, channelSubtypeConfig=tel)
    d = c.describe_campaign(id=cid)["campaign"]
    assert d["name"] == "renamed" and d["schedule"]["startTime"].day == 2
    assert d["entryLimitsConfig"] == {"maxEntryCount": 2, "minEntryInterval": "PT1H"}
    assert d["channelSubtypeConfig"]["telephony"]["defaultOutboundConfig"]["ringTimeout"] == 30
    c.delete_campaign_entry_limits(id=cid)
    c.delete_campaign_communication_limits(id=cid, config="ALL_CHANNEL_SUBTYPES")
    d = c.describe_campaign(id=cid)["campaign"]
    assert "entryLimitsConfig" not in d
    with pytest.raises(c.exceptions.ValidationException):
        c.update_campaign_entry_limits(id=cid, entryLimitsConfig={"maxEntryCount": 2, "minEntryInterval": "often"})
    c.tag_resource(arn=arn, tags={"a": "1", "b": "2"})
    c.untag_resource(arn=arn, tagKeys=["a"])
    assert c.list_tags_for_resource(arn=arn)["tags"] == {"b": "2"}
    c.delete_campaign(id=cid)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.describe_campaign(id=cid)


def test_errors(server):
    c = server.boto()
    with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
        c.describe_campaign(id="does-not-exist")
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"
    bad = copy.deepcopy(CAMPAIGN)
    bad["entryLimitsConfig"] = {"maxEntryCount": 1, "minEntryInterval": "often"}
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.create_campaign(**bad)
    assert "minEntryInterval" in str(e.value)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(c.exceptions.AccessDeniedException):
        server.boto(secret="x" * 40).list_campaigns()
    analyst = server.boto("analyst")
    cid = _create(c, name="roles")["id"]
    assert analyst.describe_campaign(id=cid)["campaign"]["id"] == cid
    with pytest.raises(analyst.exceptions.AccessDeniedException):
        analyst.start_campaign(id=cid)
    other = server.boto("other")
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.describe_campaign(id=cid)
    assert cid not in [x["id"] for x in other.list_campaigns()["campaignSummaryList"]]


def test_raw_http_errors(server):
    with server.http(None) as h:
        r = h.get("/v2/campaigns/x")
        assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert "message" in r.json()
    with server.http() as h:
        cid = h.put("/v2/campaigns", json=CAMPAIGN).json()["id"]
        many = [
            {
                "clientToken": f"t{i}",
                "expirationTime": "2026-12-01T15:00:00Z",
                "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550100", "attributes": {}}},
            }
            for i in range(26)
        ]
        r = h.put(f"/v2/campaigns/{cid}/outbound-requests", json={"outboundRequests": many})
        assert r.status_code == 400 and r.headers["x-amzn-ErrorType"] == "ValidationException"
        r = h.put("/v2/campaigns", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.headers["x-amzn-ErrorType"] == "ValidationException"
        r = h.post(f"/v2/campaigns/{cid}/pause")
        assert r.status_code == 409 and r.json()["state"] == "Initialized"


def test_run_to_completion_with_expired_request(server):
    """A campaign fed by outbound requests: one expired before the schedule
    starts ends with disconnect reason EXPIRED; the run completes."""
    import io

    import pyarrow.parquet as pq

    c = server.boto()
    with server.http() as h:
        assert h.put("/sim/contact-centers/cc-complete", json={"simulation": SIMULATION}).status_code in (200, 201)
        cid = _create(c, name="complete", connectInstanceId="cc-complete")["id"]
        h.put(
            f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 200, "areaCodes": {"212": 1.0}}}
        ).raise_for_status()
        reqs = [
            {
                "clientToken": "late",
                "expirationTime": dt.datetime(2026, 12, 1, 13, tzinfo=dt.UTC),
                "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550123", "attributes": {}}},
            },
            {
                "clientToken": "fine",
                "expirationTime": dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC),
                "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550124", "attributes": {}}},
            },
        ]
        assert len(c.put_outbound_request_batch(id=cid, outboundRequests=reqs)["successfulRequests"]) == 2
        c.start_campaign(id=cid)
        wait_for(lambda: c.get_campaign_state(id=cid)["state"] == "Completed", timeout=90)
        run = run_of(h, cid)
        assert run["status"] == "completed" and run["progress"] == 1.0 and run["dials"] > 0
        assert run["summary"]["dial_attempts"] == run["dials"]
        raw = h.get(f"/sim/runs/{run['id']}/events", params={"format": "parquet"})
        assert raw.status_code == 200
        table = pq.read_table(io.BytesIO(raw.content))
        rows = table.to_pylist()
        late = [r for r in rows if r["sim_client_token"] == "late"]
        assert [r["disconnect_reason"] for r in late if r["event_type"] == "DISCONNECTED"] == ["EXPIRED"]
        fine = [r for r in rows if r["sim_client_token"] == "fine" and r["event_type"] == "DISCONNECTED"]
        assert fine and "EXPIRED" not in {r["disconnect_reason"] for r in fine}
        jl = h.get(f"/sim/runs/{run['id']}/events", params={"format": "jsonl"}).text.splitlines()
        assert len(jl) == table.num_rows
