"""Connect's GetMetricDataV2 metrics on a hand-built event log whose every
figure is known (analysis/connect_metrics.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from analysis_events import T0, call_events
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.connect_metrics import (
    CONTACT_DIMENSIONS,
    METRICS,
    Execution,
    InvalidParameter,
    get_metric_data_v2,
    results_frame,
)

H = "HUMAN_ANSWERED"
CALLS = [
    # A: a person; agent 3 s after the answer = 2 s after the greeting's end, 3 s after its start
    {"init": 0, "sys": 10, "gs": 10, "ge": 11, "q": 11, "agent": 13, "disc": 100, "amd": H},
    # B: a person who hung up waiting 1.5 s after the greeting's end (2.5 s after the answer)
    {"init": 1, "sys": 20, "gs": 20, "ge": 21, "q": 21, "disc": 22.5, "amd": H},
    # C: a person connected 1 s after the answer
    {"init": 2, "sys": 30, "gs": 30, "ge": 30.5, "q": 30.5, "agent": 31, "disc": 90, "amd": H},
    # D: a machine (not a live customer, never routed)
    {"init": 3, "sys": 40, "gs": 40, "ge": 45, "disc": 46, "amd": "VOICEMAIL_BEEP", "party": "MACHINE_BEEP"},
    # E: AMD off: connected, no AMD status, agent 5 s after the answer
    {"init": 4, "sys": 50, "q": 50, "agent": 55, "disc": 80},
    # F: nobody answered
    {"init": 5, "disc": 25, "amd": "AMD_UNANSWERED", "reason": "TELECOM_UNANSWERED", "party": "NO_ANSWER"},
    # G: a request that expired before it was dialled
    {"disc": 6, "reason": "EXPIRED", "party": "NO_ANSWER"},
]
WINDOW = {"StartTime": T0, "EndTime": T0 + timedelta(minutes=15)}
CAMP = [{"FilterKey": "CAMPAIGN", "FilterValues": ["camp"]}]
GT2 = [{"Comparison": "GT", "ThresholdValue": 2}]


def _values(metrics: list[dict], **kw) -> dict[str, float | None]:
    out = get_metric_data_v2(Execution("camp", call_events(CALLS)), **WINDOW, Filters=CAMP, Metrics=metrics, **kw)
    (result,) = out["MetricResults"]
    assert result["MetricInterval"]["Interval"] == "TOTAL"
    keys = [m["Name"] + str(i) for i, m in enumerate(metrics)]
    return {k: c.get("Value") for k, c in zip(keys, result["Collections"], strict=True)}


def test_contact_counts_and_rates():
    names = [
        "DELIVERY_ATTEMPTS",
        "CAMPAIGN_SEND_ATTEMPTS",
        "AVG_DIALS_PER_MINUTE",
        "HUMAN_ANSWERED_CALLS",
        "CAMPAIGN_CONTACTS_CONNECTED",
        "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION",
        "RECIPIENTS_ATTEMPTED",
        "RECIPIENTS_INTERACTED",
    ]
    v = list(_values([{"Name": n} for n in names]).values())
    assert v[:2] == [7, 6]  # the expired request is a delivery outcome, not a send
    assert v[2] == pytest.approx(6 / 15)  # six dials over the 15-minute window
    assert v[3:5] == [3, 4]  # the AMD-off answer is connected, not "human answered"
    assert v[5] == pytest.approx((3 + 2.5 + 1 + 5) / 4)  # answered and routed: A, B, C, E
    assert v[6:] == [6, 4]


@pytest.mark.parametrize(
    ("suffix", "abandoned"),
    [
        ("", 3),  # from the answer: A (3 s), B (left at 2.5 s), E (5 s)
        ("_FROM_SYSTEM_CONNECTION", 3),
        ("_FROM_GREETING_START", 3),  # A (3 s), B (2.5 s), E (no greeting: the answer)
        ("_FROM_GREETING_END", 1),  # A exactly 2 s is in time; B left within 2 s; E
    ],
)
def test_abandoned_after_x_by_clock(suffix, abandoned):
    name = f"CAMPAIGN_CONTACTS_ABANDONED_AFTER_X{suffix}"
    v = list(_values([{"Name": name, "Threshold": GT2}, {"Name": name + "_RATE", "Threshold": GT2}]).values())
    assert v == [abandoned, pytest.approx(abandoned / 4 * 100)]


def test_disposition_rate_filters_and_groupings():
    beep = {"MetricFilterKey": "ANSWERING_MACHINE_DETECTION_STATUS", "MetricFilterValues": ["VOICEMAIL_BEEP"]}
    v = list(
        _values(
            [
                {"Name": "DELIVERY_ATTEMPT_DISPOSITION_RATE", "MetricFilters": [beep]},
                {"Name": "DELIVERY_ATTEMPT_DISPOSITION_RATE", "MetricFilters": [{**beep, "Negate": True}]},
                {"Name": "DELIVERY_ATTEMPTS", "MetricFilters": [beep]},
            ]
        ).values()
    )
    assert v == [pytest.approx(100 / 7), pytest.approx(600 / 7), 1]
    out = get_metric_data_v2(
        Execution("camp", call_events(CALLS)),
        **WINDOW,
        Filters=CAMP,
        Metrics=[{"Name": "DELIVERY_ATTEMPT_DISPOSITION_RATE"}],
        Groupings=["DISCONNECT_REASON"],
    )
    rates = {r["Dimensions"]["DISCONNECT_REASON"]: r["Collections"][0]["Value"] for r in out["MetricResults"]}
    assert rates == {
        "CUSTOMER_DISCONNECT": pytest.approx(500 / 7),
        "TELECOM_UNANSWERED": pytest.approx(100 / 7),
        "EXPIRED": pytest.approx(100 / 7),
    }


def test_days_in_the_requested_time_zone():
    calls = [{"init": 0, "disc": 5}, {"init": 16 * 3600, "disc": 16 * 3600 + 5}]  # 14:00Z and 06:00Z next day
    start = datetime(2026, 12, 1, tzinfo=UTC)
    out = get_metric_data_v2(
        Execution("camp", call_events(calls)),
        StartTime=start,
        EndTime=start + timedelta(days=3),
        Filters=CAMP,
        Metrics=[{"Name": "DELIVERY_ATTEMPTS"}],
        Interval={"IntervalPeriod": "DAY", "TimeZone": "America/New_York"},
    )
    frame = results_frame(out)
    # New York's days start at 05:00 UTC in December: 09:00 and 01:00 local
    # fall on two days; the local day before StartTime's has no contact.
    day = [datetime(2026, 12, d, 5, tzinfo=UTC) for d in (1, 2, 3)]
    assert list(frame["start"]) == day[:2] and list(frame["end"]) == day[1:]
    assert list(frame["DELIVERY_ATTEMPTS"]) == [1.0, 1.0]


def test_execution_metrics():
    ex = Execution(
        "camp",
        call_events(CALLS),
        start_ms=round(T0.timestamp() * 1000),
        end_ms=round(T0.timestamp() * 1000) + 600_000,
        recipients_targeted=20,
        exclusions={"OUTSIDE_HOURS": 5, "DNC": 2},
    )
    out = get_metric_data_v2(
        ex,
        **WINDOW,
        Filters=CAMP,
        Metrics=[
            {"Name": "RECIPIENTS_TARGETED"},
            {"Name": "CAMPAIGN_PROGRESS_RATE"},
            {"Name": "CAMPAIGN_SEND_EXCLUSIONS"},
        ],
    )
    values = [c["Value"] for c in out["MetricResults"][0]["Collections"]]
    assert values == [20, pytest.approx(6 / 20 * 100), 7]
    out = get_metric_data_v2(
        ex,
        **WINDOW,
        Filters=CAMP,
        Metrics=[
            {
                "Name": "CAMPAIGN_SEND_EXCLUSIONS",
                "MetricFilters": [{"MetricFilterKey": "CAMPAIGN_EXCLUDED_EVENT_TYPE", "MetricFilterValues": ["DNC"]}],
            }
        ],
        Groupings=["CAMPAIGN_EXECUTION_TIMESTAMP"],
    )
    (r,) = out["MetricResults"]
    assert r["Dimensions"] == {"CAMPAIGN_EXECUTION_TIMESTAMP": "2026-12-01T14:00:00Z"}
    assert r["Collections"][0]["Value"] == 2


def test_pagination_and_refusals():
    ex = Execution("camp", call_events(CALLS))
    args = {**WINDOW, "Filters": CAMP, "Metrics": [{"Name": "DELIVERY_ATTEMPTS"}], "Groupings": ["DISCONNECT_REASON"]}
    first = get_metric_data_v2(ex, **args, MaxResults=2)
    second = get_metric_data_v2(ex, **args, MaxResults=2, NextToken=first["NextToken"])
    assert len(first["MetricResults"]) == 2 and len(second["MetricResults"]) == 1 and "NextToken" not in second
    with pytest.raises(InvalidParameter, match="NextToken"):  # a token of another request
        get_metric_data_v2(ex, **{**args, "Groupings": []}, NextToken=first["NextToken"])
    with pytest.raises(InvalidParameter, match="at most 3 days"):
        get_metric_data_v2(
            ex,
            StartTime=T0,
            EndTime=T0 + timedelta(days=4),
            Filters=CAMP,
            Metrics=[{"Name": "DELIVERY_ATTEMPTS"}],
            Interval={"IntervalPeriod": "FIFTEEN_MIN"},
        )
    with pytest.raises(InvalidParameter, match="RECIPIENTS_TARGETED"):  # events alone carry no list size
        get_metric_data_v2(ex, **WINDOW, Filters=CAMP, Metrics=[{"Name": "RECIPIENTS_TARGETED"}])
    with pytest.raises(InvalidParameter, match="'QUEUE' is not a valid filter or grouping for AVG_WAIT"):
        get_metric_data_v2(
            ex,
            **WINDOW,
            Filters=[*CAMP, {"FilterKey": "QUEUE", "FilterValues": ["q"]}],
            Metrics=[{"Name": "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION"}],
        )


def test_every_metric_has_a_definition_and_source():
    for spec in METRICS.values():
        assert spec.definition and spec.source.startswith("https://docs.aws.amazon.com/connect/")
        assert spec.unit in ("COUNT", "PERCENT", "SECONDS")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(sorted(METRICS)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_keys = ["StartTime", "EndTime", "Filters", "Metrics", "Interval", "Groupings", "NextToken", "MaxResults"]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(_keys), _json, max_size=8), st.booleans())
def test_any_request_is_answered_or_refused_by_name(body, valid_frame):
    """Whatever JSON a client sends, the answer is a result or an
    InvalidParameter (a 400), never another exception (a 500)."""
    if valid_frame:
        body = {**WINDOW, "Filters": CAMP, "Metrics": [{"Name": "DELIVERY_ATTEMPTS"}], **body}
    try:
        get_metric_data_v2(Execution("camp", call_events(CALLS[:2])), **body)
    except InvalidParameter as exc:
        assert str(exc)


_metric = st.fixed_dictionaries(
    {"Name": st.sampled_from(sorted(METRICS))},
    optional={
        "Threshold": st.lists(
            st.fixed_dictionaries({"Comparison": st.sampled_from(["GT", "LT"]), "ThresholdValue": st.integers(-1, 9)}),
            max_size=2,
        ),
        "MetricFilters": st.lists(
            st.fixed_dictionaries(
                {
                    "MetricFilterKey": st.sampled_from(
                        ["ANSWERING_MACHINE_DETECTION_STATUS", "DISCONNECT_REASON", "CAMPAIGN_EXCLUDED_EVENT_TYPE"]
                    ),
                    "MetricFilterValues": st.lists(st.sampled_from(["HUMAN_ANSWERED", "EXPIRED", "DNC"]), max_size=3),
                },
                optional={"Negate": st.booleans()},
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_metric, min_size=1, max_size=3),
    st.lists(
        st.sampled_from([*sorted(CONTACT_DIMENSIONS), "CAMPAIGN_EXCLUDED_EVENT_TYPE", "ROUTING_PROFILE"]), max_size=3
    ),
    st.sampled_from(["FIFTEEN_MIN", "HOUR", "DAY", "WEEK", "TOTAL"]),
)
def test_any_metric_combination_is_computed_or_refused_by_name(metrics, groupings, period):
    ex = Execution("camp", call_events(CALLS), start_ms=round(T0.timestamp() * 1000), recipients_targeted=9)
    try:
        out = get_metric_data_v2(
            ex, **WINDOW, Filters=CAMP, Metrics=metrics, Groupings=groupings, Interval={"IntervalPeriod": period}
        )
    except InvalidParameter as exc:
        assert str(exc)
        return
    for r in out["MetricResults"]:
        assert len(r["Collections"]) == len(metrics)
        for c in r["Collections"]:
            v = c.get("Value")
            assert v is None or (v == v and v >= 0)  # no NaN, nothing negative
