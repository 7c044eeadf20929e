"""The plots a contact manager wants to see, with matplotlib.

Figures are made without pyplot (``matplotlib.figure.Figure``) and saved
with the Agg renderer, so no GUI backend is touched and importing this module
leaves pyplot's backend alone (a notebook keeps showing figures inline).

Each ``plot_*`` function takes a metrics table (``analysis.metrics.
metrics_over_time``), per-call facts or a sweep result and returns a
``matplotlib.figure.Figure``; ``render_run_plots(run_dir)`` writes the PNGs of
a run (or of a sweep directory) into ``<dir>/plots/`` and returns their paths.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from analysis.metrics import call_facts, metrics_over_time
from analysis.sweep import SweepResult, load_result

__all__ = [
    "plot_abandonment",
    "plot_dial_ratio",
    "plot_frontier",
    "plot_occupancy",
    "plot_time_to_agent",
    "render_run_plots",
    "render_sweep_plots",
]

US_COLOR, UK_COLOR, LIMIT_COLOR, TARGET_COLOR = "#1f77b4", "#d62728", "black", "#2ca02c"
DEFAULT_LIMIT = 0.03


def _figure(width: float = 10, height: float = 4.8) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.add_subplot()


def _time_axis(ax: Axes, times: pd.Series) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
    span = (times.max() - times.min()) if len(times) else pd.Timedelta(0)
    if span > pd.Timedelta(days=2):
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz="UTC"))
    ax.set_xlabel("time (UTC)" + (f", {times.min():%Y-%m-%d}" if len(times) else ""))
    ax.grid(True, alpha=0.3)


def _centres(m: pd.DataFrame) -> pd.Series:
    return m["interval_start"] + pd.to_timedelta(m["interval_seconds"] / 2, unit="s")


def plot_abandonment(
    m: pd.DataFrame,
    *,
    limit: float | None = DEFAULT_LIMIT,
    target: float | None = None,
    title: str | None = None,
) -> Figure:
    """Abandonment rate over the day, one panel per definition (US above, UK
    below, each on its own scale): each interval (bars) and cumulative from
    the start of the run (line), against the limit and the pacing target."""
    fig = Figure(figsize=(10, 7), dpi=110, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    t = _centres(m)
    width = pd.Timedelta(seconds=float(m["interval_seconds"].iloc[0])) * 0.8 if len(m) else pd.Timedelta(minutes=12)
    panels = (
        ("us", US_COLOR, "US (TCPA/TSR): no agent within 2 s of the greeting's end, over live answers"),
        ("uk", UK_COLOR, "UK (Ofcom): no agent within 2 s of the greeting's start, AMD false positives included"),
    )
    for ax, (key, color, heading) in zip(axes, panels, strict=True):
        per, cum = m[f"abandonment_rate_{key}"], m[f"cum_abandonment_rate_{key}"]
        ax.bar(t, per.fillna(0), width=width, color=color, alpha=0.35, label="per interval")
        ax.plot(t, cum, color=color, lw=2.2, label="cumulative since the start")
        if limit is not None:
            ax.axhline(limit, color=LIMIT_COLOR, ls="--", lw=1.5, label=f"limit {limit:.0%}")
        if target is not None:
            ax.axhline(target, color=TARGET_COLOR, ls=":", lw=1.5, label=f"pacing target {target:.1%}")
        top = np.nanmax([per.max(), cum.max(), limit or 0, target or 0, 0.01])
        ax.set_ylim(0, min(1.0, top * 1.2))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        ax.set_ylabel("abandonment rate")
        ax.set_title(heading, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right", fontsize=8, ncols=4, framealpha=0.9)
    _time_axis(axes[1], m["interval_start"])
    fig.suptitle(title or "Abandonment rate over the day")
    return fig


def plot_occupancy(m: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Agent occupancy (busy / (busy + idle)) per interval, with the agents
    busy, idle and on break stacked beneath on a second axis."""
    fig, ax = _figure()
    t = _centres(m)
    if m["agents_busy"].notna().any():
        ax2 = ax.twinx()
        ax2.stackplot(
            t,
            m["agents_busy"].fillna(0),
            m["agents_idle"].fillna(0),
            m["agents_on_break"].fillna(0),
            colors=["#9ecae1", "#fdd0a2", "#d9d9d9"],
            alpha=0.7,
            labels=["agents busy (talk + wrap-up)", "agents idle", "agents on break"],
        )
        ax2.set_ylabel("agents (time average)")
        ax2.set_ylim(0, max(1.0, float(np.nanmax(m["agents_logged_in"])) * 1.25))
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        h2, l2 = ax2.get_legend_handles_labels()
    else:
        h2, l2 = [], []
    ax.plot(t, m["agent_occupancy"], color="#08519c", lw=2.2, marker="o", ms=3, label="agent occupancy")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("occupancy")
    _time_axis(ax, m["interval_start"])
    h1, l1 = ax.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncols=4, frameon=False)
    ax.set_title(title or "Agent occupancy over the day")
    return fig


def plot_dial_ratio(m: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Top: dial ratio (dials per staffed agent in each interval) with dials
    per minute on a second axis. Bottom: dial level (lines in use per staffed
    agent) and the pacer's own dial level."""
    fig = Figure(figsize=(10, 6.4), dpi=110, layout="constrained")
    ax, ax_b = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    t = _centres(m)
    iv_min = float(m["interval_seconds"].iloc[0]) / 60 if len(m) else 15
    ax.plot(
        t,
        m["dial_ratio"],
        color="#6a3d9a",
        lw=2.2,
        marker="o",
        ms=3,
        label=f"dial ratio: dials per staffed agent per {iv_min:g} min",
    )
    ax.set_ylabel(f"dials per agent per {iv_min:g} min")
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.plot(t, m["dials_per_minute"], color="grey", lw=1.2, ls="--", label="dials per minute (AVG_DIALS_PER_MINUTE)")
    ax2.set_ylabel("dials per minute")
    ax2.set_ylim(bottom=0)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="lower left", fontsize=8, ncols=2, framealpha=0.9)
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "Dial ratio over the day")
    ax_b.plot(t, m["dial_level"], color="#ff7f00", lw=2.0, label="lines in use per staffed agent")
    if "pacing_level" in m and m["pacing_level"].notna().any():
        ax_b.plot(t, m["pacing_level"], color="#33a02c", lw=1.4, ls=":", label="pacer's dial level")
    ax_b.set_ylabel("dial level")
    ax_b.set_ylim(bottom=0)
    ax_b.legend(loc="lower left", fontsize=8, ncols=2, framealpha=0.9)
    _time_axis(ax_b, m["interval_start"])
    return fig


def plot_time_to_agent(
    times_s: Sequence[float] | pd.Series | np.ndarray,
    *,
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """Distribution of time to agent (answer to agent, seconds) of connected
    calls: histogram with mean, median and 95th percentile marked."""
    x = np.asarray(pd.Series(times_s).dropna(), dtype=float)
    fig, ax = _figure(9, 4.8)
    if len(x) == 0:
        ax.text(0.5, 0.5, "no call reached an agent", ha="center", va="center", transform=ax.transAxes)
    else:
        hi = max(float(np.quantile(x, 0.995)), 1.0)
        bins = np.linspace(0, hi, 60)
        ax.hist(x, bins=bins, color="#6baed6", edgecolor="white")
        ax.set_xlim(0, hi)
        for q, style, name in (
            (np.mean(x), "-", "mean"),
            (np.median(x), "--", "median"),
            (np.quantile(x, 0.95), ":", "95th percentile"),
        ):
            ax.axvline(q, color="#08306b", ls=style, lw=1.6, label=f"{name} {q:.1f} s")
        if threshold is not None:
            ax.axvline(threshold, color="#d62728", lw=1.2, label=f"{threshold:g} s")
        ax.legend(fontsize=9)
    ax.set_xlabel("time to agent, from answer to agent (s); axis cut at the 99.5th percentile")
    ax.set_ylabel("calls")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or f"Time to agent ({len(x):,} connected calls)")
    return fig


def plot_frontier(
    result: Any,
    *,
    x: str = "agent_occupancy",
    y: str = "abandonment_rate",
    label_by: str | None = None,
    series_by: str | None = None,
    limit: float | None = DEFAULT_LIMIT,
    title: str | None = None,
) -> Figure:
    """A sweep's abandonment vs occupancy frontier: one marker per point with
    its 95% confidence intervals on both axes; points sharing ``series_by``
    (default: the sweep's second parameter) are joined, and each is labelled
    with ``label_by`` (default: the first parameter)."""

    if isinstance(result, SweepResult):
        summary, params = result.summary, list(result.parameters)
    else:
        summary = result
        params = [
            c
            for c in summary.columns
            if c not in ("point", "metric", "n", "mean", "sd", "sem", "ci_low", "ci_high", "half_width")
        ]
    for need in (x, y):
        if need not in set(summary["metric"]):
            raise ValueError(f"the sweep has no metric {need!r}; it has {sorted(set(summary['metric']))}")
    keys = ["point", *params]
    cols = [*keys, "mean", "ci_low", "ci_high"]
    df = summary.loc[summary["metric"] == x, cols].merge(
        summary.loc[summary["metric"] == y, cols], on=keys, suffixes=("_x", "_y")
    )
    label_by = label_by or (params[0] if params else None)
    if series_by is None:
        series_by = next((p for p in params if p != label_by), None)
    fig, ax = _figure(9, 6)
    groups = df.groupby(series_by, sort=True) if series_by else [(None, df)]
    for i, (name, g) in enumerate(groups):
        g = g.sort_values("mean_x")
        color = matplotlib.colormaps["tab10"](i % 10)
        xerr = _bounded_errors(g["mean_x"], g["ci_low_x"], g["ci_high_x"], x)
        yerr = _bounded_errors(g["mean_y"], g["ci_low_y"], g["ci_high_y"], y)
        lab = f"{_short(series_by)} = {name!s}" if series_by else "sweep points"
        ax.errorbar(
            g["mean_x"],
            g["mean_y"],
            xerr=xerr,
            yerr=yerr,
            fmt="-o",
            color=color,
            capsize=3,
            lw=1.5,
            ms=5,
            label=lab,
        )
        if label_by:
            for xv, yv, lv in zip(g["mean_x"], g["mean_y"], g[label_by], strict=True):
                ax.annotate(
                    f"{_short(label_by)}={lv}",
                    (xv, yv),
                    textcoords="offset points",
                    xytext=(5, 5),
                    fontsize=7,
                    color=color,
                )
    if limit is not None and "abandon" in y:
        ax.axhline(limit, color=LIMIT_COLOR, ls="--", lw=1.5, label=f"limit {limit:.0%}")
    for axis, metric in ((ax.xaxis, x), (ax.yaxis, y)):
        if _is_share(metric):
            axis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    # Axes never show impossible values: nothing below 0, no share above 100%.
    for get, put, metric in ((ax.get_xlim, ax.set_xlim, x), (ax.get_ylim, ax.set_ylim, y)):
        lo, hi = get()
        put(max(lo, 0.0), min(hi, 1.0) if _is_share(metric) else hi)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.grid(True, alpha=0.3)
    n = int(summary["n"].max()) if len(summary) else 0
    ax.set_title(title or f"Abandonment vs occupancy frontier (mean and 95% CI over {n} replications)")
    ax.legend(fontsize=8)
    return fig


def _is_share(metric: str) -> bool:
    """A metric bounded by 0 and 1 (rates, occupancy, shares)."""
    return "rate" in metric or "occupancy" in metric or "share" in metric


def _bounded_errors(mean: pd.Series, low: pd.Series, high: pd.Series, metric: str) -> np.ndarray:
    """Error-bar lengths (below, above) of a confidence interval cut to the
    values the metric can take: every sweep metric is a count, a time or a
    rate, never below 0, and a rate never above 1. (The Student t interval
    of a rate near 0 over few replications reaches below 0; the summary
    keeps it as computed, the figure does not draw it.)"""
    lo = low.clip(lower=0.0)
    hi = high.clip(upper=1.0) if _is_share(metric) else high
    below = (mean - lo).clip(lower=0.0)
    above = (hi - mean).clip(lower=0.0)
    errors: np.ndarray = np.nan_to_num(np.vstack([below.to_numpy(dtype=float), above.to_numpy(dtype=float)]))
    return errors


def _short(path: str | None) -> str:
    """The last two segments of a parameter path: ``agents.count``."""
    return ".".join((path or "").replace("[0]", "").split(".")[-2:])


_LABELS = {
    "agent_occupancy": "agent occupancy (busy / (busy + idle))",
    "abandonment_rate": "abandonment rate (engine, campaign's definition)",
    "abandonment_rate_us": "abandonment rate, US definition",
    "abandonment_rate_uk": "abandonment rate, UK definition",
    "contacts_per_agent_hour": "contacts per agent hour",
    "mean_time_to_agent_s": "mean time to agent (s)",
}


def _label(metric: str) -> str:
    return _LABELS.get(metric, metric.replace("_", " "))


# ---------------------------------------------------------------------------
# Rendering a run or a sweep directory
# ---------------------------------------------------------------------------


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path)
    return path


def _run_limits(run_dir: Path) -> tuple[float, float | None]:
    """The abandonment limit and pacing target of a run, when its directory
    says (a saved campaign document or summary); else 3% and none."""
    limit, target = DEFAULT_LIMIT, None
    for name in ("campaign.json", "document.json"):
        p = run_dir / name
        if p.exists():
            try:
                d = json.loads(p.read_text())
                mode = d["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]
                target = mode["predictive"]["pacingStrategies"][0]["abandonmentRate"]["targetRate"]
            except (KeyError, TypeError, IndexError, json.JSONDecodeError):
                pass
    p = run_dir / "summary.json"
    if p.exists():
        try:
            s = json.loads(p.read_text())
            target = s.get("target_rate", target)
            limit = s.get("abandonment_limit", limit) or limit
        except json.JSONDecodeError:
            pass
    return float(limit), (float(target) if target is not None else None)


def render_run_plots(
    run_dir: str | os.PathLike[str],
    *,
    interval: str | int | float = "15min",
    limit: float | None = None,
    target: float | None = None,
) -> list[Path]:
    """Write the PNGs of a run directory (``events.parquet`` + optional
    ``timeline.parquet``) into ``<run_dir>/plots/``: abandonment.png,
    occupancy.png, dial_ratio.png, time_to_agent.png. A sweep directory
    (``summary.parquet``) gets frontier.png. ``limit`` and ``target`` (the
    abandonment limit and pacing target lines) default to what the directory
    records, else 3% and none. Returns the paths written."""

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"no such run directory: {run_dir}")
    if (run_dir / "summary.parquet").exists() and not (run_dir / "events.parquet").exists():
        return render_sweep_plots(run_dir)
    if not (run_dir / "events.parquet").exists():
        raise FileNotFoundError(f"{run_dir}: no events.parquet (run `dialer simulate ... --out {run_dir}` first)")
    out = run_dir / "plots"
    out.mkdir(exist_ok=True)
    m = metrics_over_time(run_dir, interval=interval)
    found_limit, found_target = _run_limits(run_dir)
    limit = found_limit if limit is None else limit
    target = found_target if target is None else target
    paths = [_save(plot_abandonment(m, limit=limit, target=target), out / "abandonment.png")]
    if m["agent_occupancy"].notna().any():
        paths.append(_save(plot_occupancy(m), out / "occupancy.png"))
        paths.append(_save(plot_dial_ratio(m), out / "dial_ratio.png"))
    calls = call_facts(run_dir / "events.parquet")
    paths.append(_save(plot_time_to_agent(calls["tta"]), out / "time_to_agent.png"))
    return paths


def render_sweep_plots(sweep_dir: str | os.PathLike[str]) -> list[Path]:
    """frontier.png of a sweep directory (abandonment vs occupancy)."""

    sweep_dir = Path(sweep_dir)
    res = load_result(sweep_dir)
    out = sweep_dir / "plots"
    out.mkdir(exist_ok=True)
    y = next((c for c in ("abandonment_rate", "abandonment_rate_us") if c in res.metrics), None)
    if y is None or "agent_occupancy" not in res.metrics:
        raise ValueError(
            f"{sweep_dir}: a frontier needs the metrics abandonment_rate and agent_occupancy; the sweep has {res.metrics}"
        )
    return [_save(plot_frontier(res, y=y), out / "frontier.png")]


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)
