"""boto3's ``connect`` client, ``get_metric_data_v2``, against a served
simulated run, compared with the metrics computed here with plain pandas
from the run's own events (not with analysis.connect_metrics)."""

from __future__ import annotations

import copy
import datetime as dt
import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from api_helpers import CAMPAIGN, SIMULATION, run_of, wait_for
from botocore.exceptions import ClientError

START = dt.datetime(2026, 12, 1, 13, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, 19, tzinfo=dt.UTC)
GT2 = [{"Comparison": "GT", "ThresholdValue": 2}]


@pytest.fixture(scope="module")
def served(server):
    """On each database: a finished run of a 2-hour campaign (200 contacts, 5 agents), its id,
    its events as pandas, and the instance ARN."""
    srv = server
    c = srv.boto()
    with srv.http() as h:
        h.put("/sim/contact-centers/cc-metrics", json={"simulation": SIMULATION}).raise_for_status()
        body = copy.deepcopy(CAMPAIGN)
        body.update(name="metrics", connectInstanceId="cc-metrics")
        cid = c.create_campaign(**body)["id"]
        h.put(
            f"/sim/campaigns/{cid}/contacts", json={"synthetic": {"count": 200, "areaCodes": {"212": 1.0}}}
        ).raise_for_status()
        c.start_campaign(id=cid)
        wait_for(lambda: c.get_campaign_state(id=cid)["state"] == "Completed", timeout=90)
        run = run_of(h, cid)
        raw = h.get(f"/sim/runs/{run['id']}/events", params={"format": "parquet"})
        raw.raise_for_status()
    events = pq.read_table(io.BytesIO(raw.content)).to_pandas()
    arn = "arn:aws:connect:us-east-1:111122223333:instance/cc-metrics"
    return srv, cid, run, events, arn


def _connect(srv, who="manager"):
    return srv.boto(who, service="connect")


def _expected_hourly(events: pd.DataFrame) -> pd.DataFrame:
    """Connect's definitions, by hand: one row per contact (its DISCONNECTED
    event), binned by the hour of its initiation (UTC)."""
    d = events[events["event_type"] == "DISCONNECTED"].copy()
    d["t"] = d["initiation_ts"].fillna(d["time"])
    d = d[(d["t"] >= START) & (d["t"] < END)]
    d["hour"] = d["t"].dt.floor("h")
    dialled = d["initiation_ts"].notna() & (d["disconnect_reason"] != "EXPIRED")
    connected = d["connected_to_system_ts"].notna()
    live = connected & ((d["amd_status"] == "HUMAN_ANSWERED") | d["amd_status"].isna())
    clock = d["greeting_end_ts"].fillna(d["greeting_start_ts"]).fillna(d["connected_to_system_ts"])
    reached = d["connected_to_agent_ts"].fillna(d["disconnect_ts"])
    late = (reached - clock) > pd.Timedelta(seconds=2)
    routed = d["enqueue_ts"].notna() | d["connected_to_agent_ts"].notna()
    wait = (reached - d["connected_to_system_ts"]).dt.total_seconds().where(connected & routed)
    g = d.assign(
        dialled=dialled,
        human=d["amd_status"] == "HUMAN_ANSWERED",
        live=live,
        abandoned=live & late,
        beep=d["amd_status"] == "VOICEMAIL_BEEP",
        wait=wait,
        recipient=d["sim_recipient"].where(dialled),
    ).groupby("hour")
    out = pd.DataFrame(
        {
            "DELIVERY_ATTEMPTS": g.size(),
            "AVG_DIALS_PER_MINUTE": g["dialled"].sum() / 60.0,
            "HUMAN_ANSWERED_CALLS": g["human"].sum(),
            "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X_FROM_GREETING_END": g["abandoned"].sum(),
            "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X_FROM_GREETING_END_RATE": g["abandoned"].sum() / g["live"].sum() * 100,
            "DELIVERY_ATTEMPT_DISPOSITION_RATE": g["beep"].sum() / g.size() * 100,
            "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION": g["wait"].mean(),
            "RECIPIENTS_ATTEMPTED": g["recipient"].nunique(),
        }
    )
    return out.astype(float)


def _table(results: list[dict]) -> pd.DataFrame:
    rows = {}
    for r in results:
        start = pd.Timestamp(r["MetricInterval"]["StartTime"]).tz_convert("UTC")
        rows[start] = {c["Metric"]["Name"]: c.get("Value", np.nan) for c in r["Collections"]}
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def test_hourly_metrics_match_the_events(served):
    srv, cid, _run, events, arn = served
    client = _connect(srv)
    metrics = [
        {"Name": "DELIVERY_ATTEMPTS"},
        {"Name": "AVG_DIALS_PER_MINUTE"},
        {"Name": "HUMAN_ANSWERED_CALLS"},
        {"Name": "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X_FROM_GREETING_END", "Threshold": GT2},
        {"Name": "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X_FROM_GREETING_END_RATE", "Threshold": GT2},
        {
            "Name": "DELIVERY_ATTEMPT_DISPOSITION_RATE",
            "MetricFilters": [
                {"MetricFilterKey": "ANSWERING_MACHINE_DETECTION_STATUS", "MetricFilterValues": ["VOICEMAIL_BEEP"]}
            ],
        },
        {"Name": "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION"},
        {"Name": "RECIPIENTS_ATTEMPTED"},
    ]
    got = client.get_metric_data_v2(
        ResourceArn=arn,
        StartTime=START,
        EndTime=END,
        Filters=[{"FilterKey": "CAMPAIGN", "FilterValues": [cid]}],
        Metrics=metrics,
        Interval={"IntervalPeriod": "HOUR", "TimeZone": "UTC"},
    )
    results = got["MetricResults"]
    assert "NextToken" not in got
    assert {r["MetricInterval"]["Interval"] for r in results} == {"HOUR"}
    for r in results:  # every result carries every metric asked for, in order
        assert [c["Metric"]["Name"] for c in r["Collections"]] == [m["Name"] for m in metrics]
        assert r["MetricInterval"]["EndTime"] - r["MetricInterval"]["StartTime"] == dt.timedelta(hours=1)
    table = _table(results)
    expected = _expected_hourly(events)
    assert expected["DELIVERY_ATTEMPTS"].sum() > 100 and expected["HUMAN_ANSWERED_CALLS"].sum() > 10
    # Hours with contacts must match exactly (float rounding only); the
    # served table may add hours that only the agents' timeline reaches.
    pd.testing.assert_frame_equal(
        table.loc[expected.index, expected.columns],
        expected,
        check_names=False,
        check_freq=False,
        check_index_type=False,
        rtol=1e-9,
    )


def test_total_with_campaign_arn_pagination_and_groupings(served):
    srv, cid, run, events, arn = served
    client = _connect(srv, "analyst")
    campaign_arn = f"arn:aws:connect-campaigns:us-east-1:111122223333:campaign/{cid}"
    kwargs = {
        "ResourceArn": arn,
        "StartTime": START,
        "EndTime": END,
        "Filters": [{"FilterKey": "CAMPAIGN", "FilterValues": [campaign_arn]}],
        "Metrics": [{"Name": "DELIVERY_ATTEMPTS"}, {"Name": "DELIVERY_ATTEMPT_DISPOSITION_RATE"}],
        "Groupings": ["ANSWERING_MACHINE_DETECTION_STATUS"],
        "MaxResults": 2,
    }
    pages, token = [], None
    while True:
        page = client.get_metric_data_v2(**kwargs, **({"NextToken": token} if token else {}))
        assert len(page["MetricResults"]) <= 2
        pages += page["MetricResults"]
        token = page.get("NextToken")
        if not token:
            break
    d = events[events["event_type"] == "DISCONNECTED"]
    counts = d["amd_status"].value_counts()
    by_status = {r["Dimensions"]["ANSWERING_MACHINE_DETECTION_STATUS"]: r["Collections"] for r in pages}
    assert set(by_status) == set(counts.index)
    for status, cols in by_status.items():
        assert cols[0]["Value"] == counts[status]
        assert cols[1]["Value"] == pytest.approx(counts[status] / len(d) * 100, rel=1e-12)
    assert all(r["MetricInterval"]["Interval"] == "TOTAL" for r in pages)

    total = client.get_metric_data_v2(
        ResourceArn=arn,
        StartTime=START,
        EndTime=END,
        Filters=[{"FilterKey": "CAMPAIGN", "FilterValues": [cid]}],
        Metrics=[
            {"Name": "AGENT_OCCUPANCY"},
            {"Name": "RECIPIENTS_TARGETED"},
            {"Name": "CAMPAIGN_PROGRESS_RATE"},
        ],
    )["MetricResults"]
    assert len(total) == 1
    occ, targeted, progress = (c.get("Value") for c in total[0]["Collections"])
    # The engine's own occupancy (busy / staffed) is the same quantity.
    assert occ == pytest.approx(run["summary"]["agent_occupancy"] * 100, rel=1e-6)
    assert targeted == 200
    attempted = d.loc[d["initiation_ts"].notna(), "sim_recipient"].nunique()
    assert progress == pytest.approx(attempted / 200 * 100)


def test_bad_requests_are_named_400s(served):
    srv, cid, _run, _events, arn = served
    client = _connect(srv)
    base = {
        "ResourceArn": arn,
        "StartTime": START,
        "EndTime": END,
        "Filters": [{"FilterKey": "CAMPAIGN", "FilterValues": [cid]}],
    }
    cases = [
        ({"Metrics": [{"Name": "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X"}]}, "needs a threshold"),
        (
            {
                "Metrics": [
                    {
                        "Name": "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X",
                        "Threshold": [{"Comparison": "LT", "ThresholdValue": 2}],
                    }
                ]
            },
            "'LT'",
        ),
        (
            {
                "Metrics": [
                    {
                        "Name": "CAMPAIGN_CONTACTS_ABANDONED_AFTER_X",
                        "Threshold": [{"Comparison": "GT", "ThresholdValue": 0}],
                    }
                ]
            },
            "ThresholdValue",
        ),
        ({"Metrics": [{"Name": "NO_SUCH_METRIC"}]}, "NO_SUCH_METRIC"),
        ({"Metrics": [{"Name": "HUMAN_ANSWERED_CALLS"}], "Groupings": ["ROUTING_PROFILE"]}, "ROUTING_PROFILE"),
        ({"Metrics": [{"Name": "AGENT_OCCUPANCY"}], "Groupings": ["AGENT"]}, "AGENT_OCCUPANCY"),
        (
            {
                "Metrics": [{"Name": "HUMAN_ANSWERED_CALLS"}],
                "Interval": {"IntervalPeriod": "HOUR", "TimeZone": "Mars/Base"},
            },
            "Mars/Base",
        ),
        ({"Metrics": [{"Name": "CAMPAIGN_INTERACTIONS"}]}, "voice"),
        ({"Metrics": [{"Name": "HUMAN_ANSWERED_CALLS"}], "NextToken": "bm90LWEtdG9rZW4"}, "NextToken"),
    ]
    for extra, needle in cases:
        with pytest.raises(ClientError) as e:
            client.get_metric_data_v2(**{**base, **extra})
        err = e.value.response
        assert err["Error"]["Code"] == "InvalidParameterException", extra
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert needle in err["Error"]["Message"], (needle, err["Error"]["Message"])
    with pytest.raises(ClientError) as e:  # no resource filter at all
        client.get_metric_data_v2(
            ResourceArn=arn,
            StartTime=START,
            EndTime=END,
            Filters=[{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}],
            Metrics=[{"Name": "DELIVERY_ATTEMPTS"}],
        )
    assert "resource is required" in e.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_metric_data_v2(
            **{**base, "ResourceArn": arn.replace("111122223333", "999999999999")},
            Metrics=[{"Name": "DELIVERY_ATTEMPTS"}],
        )


def test_signed_for_connect_only(served):
    """The campaigns client's signature (service connect-campaigns) is
    refused on Connect's path, and Connect's elsewhere."""
    srv, cid, _run, _events, arn = served
    http = srv.http(None)
    r = http.post("/metrics/data", json={})
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    other = srv.boto("other", service="connect")  # another tenant: another account in its ARNs
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.get_metric_data_v2(
            ResourceArn=arn,
            StartTime=START,
            EndTime=END,
            Filters=[{"FilterKey": "CAMPAIGN", "FilterValues": [cid]}],
            Metrics=[{"Name": "DELIVERY_ATTEMPTS"}],
        )
