"""Plots never show impossible values: no 100% occupancy or zero dial ratio
after the schedule ends (no value there), no confidence band below 0 or a
rate above 1 on the sweep frontier."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_events import T0, call_events

from analysis.metrics import metrics_over_time
from analysis.plots import plot_dial_ratio, plot_frontier, plot_occupancy


@pytest.fixture
def run_dir(tmp_path):
    """Dialling in the first 15 minutes; in the second the schedule has
    ended: one agent still logged in, busy finishing a call, nothing dialled,
    the pacer no longer running (its level NaN, as the engine writes it)."""
    calls = [{"init": 0, "sys": 10, "gs": 10, "ge": 11, "q": 11, "agent": 12, "disc": 1000, "amd": "HUMAN_ANSWERED"}]
    starts = pd.date_range(T0, periods=30, freq="60s", tz="UTC")
    tl = pd.DataFrame(
        {
            "interval_start": starts,
            "interval_seconds": 60.0,
            "agents_logged_in": [4.0] * 15 + [1.0] * 15,
            "agents_busy": [3.0] * 15 + [1.0] * 15,
            "agents_on_break": 0.0,
            "agents_idle": [1.0] * 15 + [0.0] * 15,
            "lines_in_use": [6.0] * 15 + [1.0] * 15,
            "dials": [1] + [0] * 29,
            "pacing_level": [1.5] * 15 + [math.nan] * 15,
        }
    )
    pq.write_table(call_events(calls), tmp_path / "events.parquet")
    pq.write_table(pa.Table.from_pandas(tl, preserve_index=False), tmp_path / "timeline.parquet")
    return tmp_path


def test_no_value_after_the_schedule(run_dir):
    m = metrics_over_time(run_dir, interval="15min")
    assert len(m) == 2
    assert m["agent_occupancy"].iloc[0] == pytest.approx(0.75)
    assert m["dial_ratio"].iloc[0] == pytest.approx(1 / 4)
    assert m["pacing_level"].iloc[0] == pytest.approx(1.5)
    # before the fix: occupancy 1.0 and dial ratio 0.0 in the second interval
    for col in ("agent_occupancy", "dial_ratio", "dial_level", "pacing_level"):
        assert math.isnan(m[col].iloc[1]), col


def test_the_plotted_lines_stop_with_the_schedule(run_dir):
    m = metrics_over_time(run_dir, interval="15min")
    occupancy = plot_occupancy(m).axes[0].get_lines()[0].get_ydata()
    assert occupancy[0] == pytest.approx(0.75) and np.isnan(occupancy[1])
    ratio = plot_dial_ratio(m).axes[0].get_lines()[0].get_ydata()
    assert ratio[0] == pytest.approx(0.25) and np.isnan(ratio[1])


def _sweep_summary() -> pd.DataFrame:
    """Two points whose Student t intervals reach below 0 (abandonment near
    0) and above 1 (occupancy near 1), as few replications give."""
    rows = []
    for point, agents, aband, occ in ((0, 10, 0.004, 0.97), (1, 12, 0.002, 0.93)):
        for metric, mean, half in (("abandonment_rate", aband, 0.01), ("agent_occupancy", occ, 0.08)):
            rows.append(
                {
                    "point": point,
                    "agents.count": agents,
                    "metric": metric,
                    "n": 3,
                    "mean": mean,
                    "sd": half,
                    "sem": half,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "half_width": half,
                }
            )
    return pd.DataFrame(rows)


def test_frontier_band_stays_within_what_a_rate_can_be():
    fig = plot_frontier(_sweep_summary())
    ax = fig.axes[0]
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert segments, "the error bars were drawn"
    points = np.concatenate(segments)
    assert points[:, 0].min() >= 0 and points[:, 0].max() <= 1  # occupancy
    assert points[:, 1].min() >= 0 and points[:, 1].max() <= 1  # abandonment
    assert points[:, 1].min() == 0  # the band was cut at 0, not dropped
    assert ax.get_ylim()[0] >= 0 and ax.get_xlim()[0] >= 0 and ax.get_xlim()[1] <= 1
