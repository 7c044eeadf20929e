"""Validation: simulate the fitted campaign and hold the log up against it.

The fitted document is simulated on seeds the log was not made with; each
replication's KPIs are computed from its events exactly as the held-out
log's (Connect's columns only, ``kpis``), and each KPI of the log is
checked against the replications' 95% *prediction* interval for one run,
``mean ± t(n-1) · sd · sqrt(1 + 1/n + r)``: the log is itself one run with
its own noise, so the confidence interval of the replications' mean (also
given) would be too narrow a yardstick. ``r`` is the fit's own estimation
error, in runs' variances: a fit made from a log of ``D`` dials and held up
to another of ``d`` dials is off by about ``d / D`` of one run's variance
(``r = d / D``); held up to the log it was fitted on (``in_sample``) it
shares that log's noise, ``r = 0``. A per-dial rate's ``sd`` is at least
the binomial one, ``sqrt(p (1 - p) / dials)``: a few replications that
happen to agree must not make a needle-thin interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.calibration.log import _as_table, dials, seconds
from analysis.sweep import t_quantile
from dialer import simulate

KPI_NAMES = (
    "answer_rate",
    "human_verdict_share",
    "machine_verdict_share",
    "connect_rate",
    "unserved_rate",
    "abandonment_rate",
    "mean_time_to_answer_s",
    "mean_talk_s",
    "mean_wrap_up_s",
    "mean_wait_s",
    "agent_handle_hours",
    "agent_occupancy",
)

_RATES = {k for k in KPI_NAMES if k.endswith(("_rate", "_share", "occupancy"))}
_PER_DIAL = {"answer_rate", "human_verdict_share", "machine_verdict_share", "connect_rate"}


def kpis(events: Any, timeline: Any = None, *, threshold_seconds: float = 2.0) -> dict[str, float]:
    """A log's KPIs from Connect's columns only (per dial):

    answer rate (connected to system), AMD's human and machine verdicts,
    connect rate (to an agent), unserved rate (queued as a person, no agent),
    abandonment rate (queued as a person and no agent within
    ``threshold_seconds`` of the greeting's end, over those queued), mean time
    to answer, talk, wrap-up, wait in the queue, agents' handle hours, and
    occupancy (busy over busy + idle agent time) when the run's agent
    timeline is given."""
    calls = dials(events)
    n = len(calls)
    status = calls["amd_status"]
    agent = calls["connected_to_agent_ts"].notna()
    queued = calls["enqueue_ts"].notna() if "enqueue_ts" in calls else pd.Series(False, index=calls.index)
    start = calls["greeting_end_ts"].fillna(calls["connected_to_system_ts"])
    to_agent = (calls["connected_to_agent_ts"] - start).dt.total_seconds()
    late = queued & (~agent | (to_agent > threshold_seconds + 1e-3))
    acw = calls["after_contact_work_end_ts"] if "after_contact_work_end_ts" in calls else calls["disconnect_ts"]
    handle = (acw.fillna(calls["disconnect_ts"]) - calls["connected_to_agent_ts"]).dt.total_seconds()[agent]
    out = {
        "dials": float(n),
        "answer_rate": float(calls["connected_to_system_ts"].notna().mean()),
        "human_verdict_share": float((status == "HUMAN_ANSWERED").mean()),
        "machine_verdict_share": float(status.isin(["VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP"]).mean()),
        "connect_rate": float(agent.mean()),
        "unserved_rate": float((queued & ~agent).sum() / max(int(queued.sum()), 1)),
        "abandonment_rate": float(late.sum() / max(int(queued.sum()), 1)),
        "mean_time_to_answer_s": float(seconds(calls, "connected_to_system_ts", "initiation_ts").mean()),
        "mean_talk_s": float(seconds(calls, "disconnect_ts", "connected_to_agent_ts")[agent].mean()),
        "mean_wrap_up_s": float(seconds(calls, "after_contact_work_end_ts", "disconnect_ts")[agent].mean())
        if "after_contact_work_end_ts" in calls
        else math.nan,
        "mean_wait_s": float(seconds(calls, "connected_to_agent_ts", "enqueue_ts")[agent & queued].mean()),
        "agent_handle_hours": float(handle.sum() / 3600.0),
        "agent_occupancy": _occupancy(timeline),
    }
    return out


def _occupancy(timeline: Any) -> float:
    if timeline is None:
        return math.nan
    tl = timeline if isinstance(timeline, pd.DataFrame) else _as_frame(timeline)
    busy = float((tl["agents_busy"] * tl["interval_seconds"]).sum())
    idle = float((tl["agents_idle"] * tl["interval_seconds"]).sum())
    return busy / (busy + idle) if busy + idle > 0 else math.nan


def _as_frame(timeline: Any) -> pd.DataFrame:
    frame: pd.DataFrame = timeline.to_pandas() if isinstance(timeline, pa.Table) else pd.read_parquet(timeline)
    return frame


def validate(
    fitted: Any,
    held_out: Any,
    *,
    timeline: Any = None,
    replications: int = 5,
    seed: int = 1000,
    threshold_seconds: float = 2.0,
    in_sample: bool = False,
) -> pd.DataFrame:
    """Simulate ``fitted`` (a document or ``Calibration``) ``replications``
    times from ``seed`` on, and compare with the held-out log's KPIs: one
    row per KPI with the log's value, the replications' mean, its 95%
    confidence interval, the 95% prediction interval for one run, and
    ``within`` (the log's value inside the prediction interval).
    ``in_sample``: ``held_out`` is the log the fit was made from."""
    if replications < 2:
        raise ValueError(f"replications: at least 2 are needed for an interval, got {replications}")
    document = fitted.document() if hasattr(fitted, "document") else fitted
    observed = kpis(_as_table(held_out), timeline, threshold_seconds=threshold_seconds)
    runs = []
    for i in range(replications):
        result = simulate(document, seed=seed + i, keep_events=True)
        runs.append(kpis(result.events, result.timeline, threshold_seconds=threshold_seconds))
    sims = pd.DataFrame(runs)
    fit_dials = sum(fitted.shares.dials_by_hour.values()) if hasattr(fitted, "shares") else 0
    r = 0.0 if in_sample or not fit_dials else observed["dials"] / fit_dials
    t = t_quantile(0.975, replications - 1)
    rows = []
    for name in KPI_NAMES:
        values = sims[name].to_numpy(dtype=float)
        mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
        if name in _PER_DIAL:
            sd = max(sd, math.sqrt(max(mean * (1 - mean), 0.0) / max(float(sims["dials"].mean()), 1.0)))
        half_ci, half_pi = t * sd / math.sqrt(replications), t * sd * math.sqrt(1 + 1 / replications + r)
        obs = observed[name]
        rows.append(
            {
                "kpi": name,
                "held_out": obs,
                "simulated_mean": mean,
                # Every KPI is >= 0 and a rate <= 1: intervals stay there.
                "ci_low": max(mean - half_ci, 0.0),
                "ci_high": min(mean + half_ci, 1.0) if name in _RATES else mean + half_ci,
                "pi_low": max(mean - half_pi, 0.0),
                "pi_high": min(mean + half_pi, 1.0) if name in _RATES else mean + half_pi,
                "relative_error": (mean - obs) / obs if obs else math.nan,
                "within": bool(max(mean - half_pi, 0.0) <= obs <= mean + half_pi) if obs == obs else None,
            }
        )
    return pd.DataFrame(rows)
