"""Metrics over time on hand-built event tables with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_events import T0, call_events

from analysis.metrics import metrics_over_time, parse_interval, run_totals

H = "HUMAN_ANSWERED"

# Six calls in the first 15 minutes, two in the second.
CALLS = [
    # 1. live, agent 1.0 s after greeting end: connected in time (both definitions)
    {"init": 0, "sys": 10, "gs": 10, "ge": 11, "q": 11, "agent": 12, "disc": 100, "amd": H},
    # 2. live, agent 2.5 s after greeting end, 3.5 s after greeting start:
    #    abandoned under both
    {"init": 5, "sys": 20, "gs": 20, "ge": 21, "q": 21, "agent": 23.5, "disc": 120, "amd": H},
    # 3. live, long greeting: agent 1.5 s after greeting end but 3.5 s after
    #    its start: US connected in time, UK abandoned
    {"init": 6, "sys": 30, "gs": 30, "ge": 32, "q": 32, "agent": 33.5, "disc": 90, "amd": H},
    # 4. live, never connected (hung up): abandoned under both
    {"init": 7, "sys": 40, "gs": 40, "ge": 41, "q": 41, "disc": 45, "amd": H},
    # 5. a person the AMD took for a machine: UK abandoned (false positive), not US
    {"init": 8, "sys": 50, "gs": 50, "ge": 51, "disc": 53, "amd": "VOICEMAIL_NO_BEEP"},
    # 6. a machine, correctly detected
    {"init": 9, "sys": 60, "gs": 60, "ge": 70, "disc": 72, "amd": "VOICEMAIL_BEEP", "party": "MACHINE_BEEP"},
    # 7. no answer, second interval
    {"init": 900, "disc": 920, "party": "NO_ANSWER", "reason": "TELECOM_UNANSWERED"},
    # 8. a machine the AMD passed as a person (false negative) in the second interval
    {
        "init": 901,
        "sys": 910,
        "gs": 910,
        "ge": 915,
        "q": 915,
        "agent": 916,
        "disc": 930,
        "amd": H,
        "party": "MACHINE_NO_BEEP",
    },
]


def test_both_abandonment_definitions_per_interval():
    m = metrics_over_time(call_events(CALLS), interval="15min")
    assert list(m["interval_start"]) == [pd.Timestamp(T0), pd.Timestamp(T0) + pd.Timedelta(minutes=15)]
    first, second = m.iloc[0], m.iloc[1]
    # five people answered (the false positive 5 included), one machine
    assert (first.dials, first.answered, first.live_answers, first.machine_answers) == (6, 6, 5, 1)
    assert (first.amd_false_positives, first.amd_false_negatives, first.connects) == (1, 0, 3)
    # US: calls 2 and 4 over the 4 live answers the AMD let through
    assert first.live_answers_us == 4
    assert first.abandoned_us == 2 and first.abandonment_rate_us == pytest.approx(2 / 4)
    # UK: calls 2, 3, 4 and the false positive 5, over abandoned + live connected (4 + 1)
    assert first.abandoned_uk == 4 and first.abandonment_rate_uk == pytest.approx(4 / 5)
    assert (second.dials, second.live_answers, second.machine_answers, second.amd_false_negatives) == (2, 0, 1, 1)
    assert math.isnan(second.abandonment_rate_us)
    # cumulative rates carry over the interval with no live answer
    assert second.cum_abandonment_rate_us == pytest.approx(0.5)
    assert second.cum_abandonment_rate_uk == pytest.approx(0.8)
    assert first.dials_per_minute == pytest.approx(6 / 15)


def test_time_to_agent_percentiles_and_durations():
    m = metrics_over_time(call_events(CALLS), interval=900)
    first = m.iloc[0]
    # time to agent from answer (connected to system): 2, 3.5, 3.5
    assert first.mean_time_to_agent_s == pytest.approx(3.0)
    assert first.p50_time_to_agent_s == pytest.approx(3.5)
    assert first.p95_time_to_agent_s == pytest.approx(3.5)
    # wait in queue: 1, 2.5, 1.5
    assert first.mean_queue_answer_time_s == pytest.approx(5 / 3)
    # contact duration from dial to disconnect of calls agents took: 100, 115, 84
    assert first.mean_contact_duration_s == pytest.approx((100 + 115 + 84) / 3)
    # the second interval's machine reached an agent: not a time to agent
    assert m.iloc[1].connects == 1 and math.isnan(m.iloc[1].mean_time_to_agent_s)
    assert first.mean_talk_s == pytest.approx((88 + 96.5 + 56.5) / 3)


def test_totals_match_the_sum_of_intervals():
    ev = call_events(CALLS)
    tot = run_totals(ev)
    m = metrics_over_time(ev, interval="5min")
    for k in ("dials", "live_answers", "connects", "abandoned_us", "abandoned_uk", "amd_false_positives"):
        assert tot[k] == m[k].sum()
    assert tot["abandonment_rate_us"] == pytest.approx(2 / 4)
    assert tot["abandonment_rate_uk"] == pytest.approx(4 / 5)


def test_a_callee_who_hangs_up_before_the_deadline_is_not_abandoned():
    calls = [
        # hangs up 1.5 s after the greeting's end, 2.5 s after its start
        {"init": 0, "sys": 10, "gs": 10, "ge": 11, "q": 11, "disc": 12.5, "amd": H},
        # the dialer dropped it (message) after the deadline
        {"init": 0, "sys": 20, "gs": 20, "ge": 21, "q": 21, "disc": 31, "amd": H, "reason": "CONTACT_FLOW_DISCONNECT"},
    ]
    tot = run_totals(call_events(calls))
    assert (tot["abandoned_us"], tot["abandoned_uk"]) == (1, 2)
    # exactly at the threshold counts as connected
    exact = [{"init": 0, "sys": 10, "gs": 10, "ge": 11, "q": 11, "agent": 13, "disc": 50, "amd": H}]
    assert run_totals(call_events(exact))["abandoned_us"] == 0


def test_threshold_is_a_parameter():
    ev = call_events(CALLS[:4])
    assert run_totals(ev, threshold_seconds=3.0)["abandoned_us"] == 1  # only the call never connected
    assert run_totals(ev, threshold_seconds=3.0)["abandoned_uk"] == 3  # calls 2, 3 at 3.5 s, and 4


def test_without_ground_truth_the_amd_status_decides():
    ev = call_events(CALLS).drop_columns(["sim_party"])
    ev = ev.append_column("sim_party", pa.nulls(ev.num_rows, pa.string()))
    tot = run_totals(ev)
    # the machine passed as a person now counts as a live answer, connected in
    # time; the person taken for a machine is invisible
    assert tot["live_answers"] == 5
    assert tot["amd_false_positives"] == 0
    assert tot["abandoned_uk"] == 4  # calls 2, 3, 4 and the machine (agent 6 s after its greeting began)
    assert tot["abandoned_us"] == 2


def test_timeline_occupancy_idle_lines_and_dial_ratio(tmp_path):
    ev = call_events(CALLS)
    # two 15-minute intervals in 60 s timeline steps: 10 agents, 1 on break;
    # first quarter 6 busy 3 idle, second 3 busy 6 idle
    starts = pd.date_range(T0, periods=30, freq="60s", tz="UTC")
    tl = pd.DataFrame(
        {
            "interval_start": starts,
            "interval_seconds": 60.0,
            "agents_logged_in": 10.0,
            "agents_busy": [6.0] * 15 + [3.0] * 15,
            "agents_on_break": 1.0,
            "agents_idle": [3.0] * 15 + [6.0] * 15,
            "lines_in_use": [18.0] * 15 + [9.0] * 15,
            "dials": 0,
            "pacing_level": 2.0,
        }
    )
    pq.write_table(ev, tmp_path / "events.parquet")
    pq.write_table(pa.Table.from_pandas(tl, preserve_index=False), tmp_path / "timeline.parquet")
    m = metrics_over_time(tmp_path)  # a run directory: timeline picked up
    assert list(m["agent_occupancy"]) == pytest.approx([6 / 9, 3 / 9])
    assert list(m["agents_idle"]) == pytest.approx([3, 6])
    assert list(m["lines_in_use"]) == pytest.approx([18, 9])
    assert list(m["dial_ratio"]) == pytest.approx([6 / 9, 2 / 9])
    assert list(m["dial_level"]) == pytest.approx([2, 1])
    tot = run_totals(tmp_path)
    assert tot["agent_occupancy"] == pytest.approx(0.5)


def test_interval_parsing():
    assert parse_interval("15min") == 900
    assert parse_interval("PT1H") == 3600
    assert parse_interval(60) == 60
    with pytest.raises(ValueError, match="interval"):
        parse_interval("soon")
    with pytest.raises(ValueError, match="positive"):
        parse_interval(0)
