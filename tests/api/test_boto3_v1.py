"""The v1 ``connectcampaigns`` client on the same campaigns."""

from __future__ import annotations

import datetime as dt

import pytest


def test_v1_and_v2_share_campaigns(sqlite_server):
    v1 = sqlite_server.boto(service="connectcampaigns")
    v2 = sqlite_server.boto()
    r = v1.create_campaign(
        name="v1-campaign",
        connectInstanceId="cc-v1",
        dialerConfig={"predictiveDialerConfig": {"bandwidthAllocation": 0.8, "dialingCapacity": 0.5}},
        outboundCallConfig={
            "connectContactFlowId": "flow",
            "connectQueueId": "q1",
            "answerMachineDetectionConfig": {"enableAnswerMachineDetection": True},
        },
        tags={"k": "v"},
    )
    cid = r["id"]
    d1 = v1.describe_campaign(id=cid)["campaign"]
    assert d1["dialerConfig"] == {"predictiveDialerConfig": {"bandwidthAllocation": 0.8, "dialingCapacity": 0.5}}
    assert d1["outboundCallConfig"]["connectQueueId"] == "q1" and d1["tags"] == {"k": "v"}
    tel = v2.describe_campaign(id=cid)["campaign"]["channelSubtypeConfig"]["telephony"]
    assert tel["outboundMode"] == {"predictive": {"bandwidthAllocation": 0.8}} and tel["capacity"] == 0.5
    v1.update_campaign_dialer_config(id=cid, dialerConfig={"progressiveDialerConfig": {"bandwidthAllocation": 1.0}})
    v1.update_campaign_outbound_call_config(id=cid, connectContactFlowId="flow-2")
    v1.update_campaign_name(id=cid, name="v1-renamed")
    d1 = v1.describe_campaign(id=cid)["campaign"]
    assert d1["name"] == "v1-renamed" and "progressiveDialerConfig" in d1["dialerConfig"]
    assert d1["outboundCallConfig"]["connectContactFlowId"] == "flow-2"
    assert cid in [c["id"] for c in v1.list_campaigns()["campaignSummaryList"]]
    v1.start_campaign(id=cid)
    assert v1.get_campaign_state(id=cid)["state"] == "Running"
    out = v1.put_dial_request_batch(
        id=cid,
        dialRequests=[
            {
                "clientToken": "d1",
                "phoneNumber": "+12125550100",
                "expirationTime": dt.datetime(2030, 1, 1),
                "attributes": {},
            }
        ],
    )
    assert out["successfulRequests"][0]["clientToken"] == "d1"
    v1.stop_campaign(id=cid)
    assert v1.get_campaign_state_batch(campaignIds=[cid])["successfulRequests"][0]["state"] == "Stopped"
    with pytest.raises(v1.exceptions.ResourceNotFoundException):
        v1.describe_campaign(id="nope")
    v1.delete_campaign(id=cid)
    with pytest.raises(v2.exceptions.ResourceNotFoundException):
        v2.describe_campaign(id=cid)
