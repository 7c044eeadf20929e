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
    """Agents per hour: the optimiser's staffing (bars) and the Erlang-A
    staffing for the same targets (steps); an hour whose targets cannot all
    be met is hatched. The y axis starts at 0 and counts whole agents."""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(result.hours))
    agents = [result.staffing[h] for h in result.hours]
    erlang = [result.erlang.get(h, 0) for h in result.hours]
    bars = ax.bar(x, agents, width=0.7, color="#4C72B0", label="optimiser")
    for bar, h in zip(bars, result.hours, strict=True):
        if not result.feasible.get(h, True):
            bar.set_hatch("//")
            bar.set_edgecolor("#C44E52")
    ax.step(
        np.append(x - 0.5, x[-1] + 0.5) if len(x) else x,
        [*erlang, erlang[-1]] if erlang else erlang,
        where="post",
        color="#DD8452",
        linewidth=2,
        label="Erlang A",
    )
    ax.set_xticks(x, [f"{h:02d}:00" for h in result.hours], rotation=45 if len(x) > 12 else 0)
    ax.set_ylim(0, max([*agents, *erlang, 1]) * 1.3)  # headroom for the legend
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
