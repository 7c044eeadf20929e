"""The staffing optimiser's picture: agents per hour, the optimiser's answer
against Erlang A's, with the hours where a target cannot be met marked.

Made without pyplot (``matplotlib.figure.Figure``, saved with Agg), like
``analysis.plots``: importing it leaves a notebook's backend alone."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.staffing import StaffingResult

__all__ = ["plot_staffing"]


def plot_staffing(result: StaffingResult, *, title: str | None = None) -> Figure:
    """Agents per hour: the optimiser's staffing (bars), the Erlang-A
    staffing for the same service targets and the workload staffing for a
    throughput floor (steps, where the targets give them); an hour whose targets cannot all
    be met is hatched. The y axis starts at 0 and counts whole agents."""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(result.hours))
    agents = [result.staffing[h] for h in result.hours]
    bars = ax.bar(x, agents, width=0.7, color="#4C72B0", label="optimiser")
    for bar, h in zip(bars, result.hours, strict=True):
        if not result.feasible.get(h, True):
            bar.set_hatch("//")
            bar.set_edgecolor("#C44E52")
    edges = np.append(x - 0.5, x[-1] + 0.5) if len(x) else x
    tops = [*agents, 1]
    # Erlang A (service targets) and the workload staffing (throughput floors),
    # where the targets give them: hours without a figure are left out.
    for figures, colour, style, label in (
        (result.erlang, "#DD8452", "-", "Erlang A"),
        (result.workload, "#55A868", "--", "workload (throughput)"),
    ):
        if not figures or not len(x):
            continue
        ys = np.array([figures.get(h, np.nan) for h in result.hours], dtype=float)
        ax.step(edges, [*ys, ys[-1]], where="post", color=colour, linewidth=2, linestyle=style, label=label)
        tops += [v for v in ys if np.isfinite(v)]
    ax.set_xticks(x, [f"{h:02d}:00" for h in result.hours], rotation=45 if len(x) > 12 else 0)
    ax.set_ylim(0, max(tops) * 1.3)  # headroom for the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hour of the day (agents' clock)")
    ax.set_ylabel("agents logged in")
    conf = f"{result.confidence:.0%}"
    ax.set_title(
        title
        or f"Staffing per hour ({result.mode}; targets met with {conf} confidence; {result.simulations} simulations)"
    )
    if any(not v for v in result.feasible.values()):
        ax.bar([], [], hatch="//", color="#4C72B0", edgecolor="#C44E52", label="a target not met")
    ax.legend(loc="upper center", ncols=3)
    ax.grid(axis="y", alpha=0.3)
    return fig
