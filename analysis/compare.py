"""Paired comparisons of two campaigns: the same replication seeds for both,
and the difference B - A per replication.

With common random numbers (docs/engine.md, "Random numbers") replication
*r* of A and of B see the same contacts answering, the same talk times and
patience, so much of the seed-to-seed noise is shared and cancels in B - A.
The paired interval is then narrower than the unpaired one by the factor
sqrt(1 - rho) (equal variances, correlation rho): at rho = 0.8 a paired
comparison needs a fifth of the replications of an unpaired one for the
same precision. Both intervals are reported, with the correlation, so the
gain is visible rather than assumed.

``paired_difference`` is the reusable part (a staffing search compares
levels with it); ``compare`` runs two campaigns on the executors of
``analysis.executors`` and tabulates every metric.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.executors import Executor, make_executor
from analysis.sweep import _document_dict, numeric_fields, replication_seeds, simulate_summary, t_quantile

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "CompareError",
    "CompareResult",
    "MetricComparison",
    "PairedDifference",
    "compare",
    "paired_difference",
    "unpaired_difference",
]

# Summary keys a comparison can report (dialer/run.py ``summarize``, the
# numeric ones). Checked before anything runs, so a typo costs nothing.
METRICS = (
    "agent_occupancy",
    "abandonment_rate",
    "dial_attempts",
    "contacts_attempted",
    "live_answers",
    "machine_answers",
    "connected_to_agent",
    "live_connected_to_agent",
    "abandoned",
    "unserved_live",
    "dropped_with_message",
    "opt_outs",
    "amd_false_positives",
    "amd_false_negatives",
    "agent_logged_in_hours",
    "contacts_per_agent_hour",
    "mean_time_to_agent_s",
    "p95_time_to_agent_s",
    "mean_wait_s",
    "waited_share",
    "mean_contact_duration_s",
    "mean_talk_s",
    "mean_lines_in_use",
    "expired_requests",
    "blocked_dials",
    "simulated_seconds",
)
DEFAULT_METRICS = (
    "agent_occupancy",
    "abandonment_rate",
    "dial_attempts",
    "live_connected_to_agent",
    "contacts_per_agent_hour",
    "mean_time_to_agent_s",
    "waited_share",
)


class CompareError(ValueError):
    """A comparison a user asked for is invalid; the message names the value."""


@dataclass(frozen=True)
class PairedDifference:
    """B - A over paired replications: the mean difference, its Student-t
    confidence half-width (n - 1 degrees of freedom), the correlation of A
    and B across replications, and the pairs used (pairs with a missing
    value on either side are left out)."""

    mean: float
    half_width: float
    correlation: float
    n: int
    sd: float
    confidence: float = 0.95

    @property
    def ci_low(self) -> float:
        return self.mean - self.half_width

    @property
    def ci_high(self) -> float:
        return self.mean + self.half_width


def _clean_pairs(a_values: Sequence[float | None], b_values: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    if len(a_values) != len(b_values):
        raise ValueError(f"paired values need equal lengths, got {len(a_values)} and {len(b_values)}")
    a = np.array([math.nan if v is None else float(v) for v in a_values], dtype=float)
    b = np.array([math.nan if v is None else float(v) for v in b_values], dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r; NaN when either side does not vary (r is undefined)."""
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def paired_difference(
    a_values: Sequence[float | None], b_values: Sequence[float | None], confidence: float = 0.95
) -> PairedDifference:
    """The paired difference B - A: mean ± t(1 - alpha/2, n - 1) * sd / sqrt(n)
    of the per-replication differences (half-width NaN with fewer than two
    pairs), and Pearson's correlation of A and B."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    a, b = _clean_pairs(a_values, b_values)
    d = b - a
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return PairedDifference(mean, half, _correlation(a, b), n, sd, confidence)


def unpaired_difference(
    a_values: Sequence[float | None], b_values: Sequence[float | None], confidence: float = 0.95
) -> tuple[float, float]:
    """B - A as if the runs were independent (Welch): (mean difference,
    half-width). Degrees of freedom Welch-Satterthwaite, rounded down (a
    slightly wider, conservative interval). The contrast to the paired one."""
    a = np.array([v for v in a_values if v is not None and math.isfinite(v)], dtype=float)
    b = np.array([v for v in b_values if v is not None and math.isfinite(v)], dtype=float)
    if a.size == 0 or b.size == 0:
        return math.nan, math.nan
    mean = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return mean, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return mean, 0.0
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return mean, t_quantile(0.5 + confidence / 2, max(1, math.floor(df))) * math.sqrt(se2)


@dataclass(frozen=True)
class MetricComparison:
    """One metric of a comparison: the means of A and B, the paired
    difference B - A, and the unpaired interval for contrast."""

    metric: str
    mean_a: float
    mean_b: float
    paired: PairedDifference
    unpaired_half_width: float

    def as_dict(self) -> dict[str, Any]:
        p = self.paired
        return {
            "metric": self.metric,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "difference": p.mean,
            "ci_low": p.ci_low,
            "ci_high": p.ci_high,
            "half_width": p.half_width,
            "correlation": p.correlation,
            "n": p.n,
            "unpaired_half_width": self.unpaired_half_width,
        }


@dataclass
class CompareResult:
    """A paired comparison: per metric (``metrics``), and the runs
    (``runs``: one row per scenario and replication with every numeric
    summary value)."""

    a: str
    b: str
    seed: int
    seeds: list[int]
    confidence: float
    metrics: list[MetricComparison]
    runs: pd.DataFrame = field(repr=False)

    def metric(self, name: str) -> MetricComparison:
        for m in self.metrics:
            if m.metric == name:
                return m
        raise KeyError(f"no metric {name!r} in this comparison; it has {[m.metric for m in self.metrics]}")

    def table(self) -> pd.DataFrame:
        """One row per metric: mean_a, mean_b, difference (B - A), ci_low,
        ci_high, half_width, correlation, n, unpaired_half_width."""
        return pd.DataFrame([m.as_dict() for m in self.metrics])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (NaN as None)."""

        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "a": self.a,
            "b": self.b,
            "difference": "b - a",
            "replications": len(self.seeds),
            "seed": self.seed,
            "seeds": self.seeds,
            "confidence": self.confidence,
            "metrics": [{k: clean(v) for k, v in m.as_dict().items()} for m in self.metrics],
        }


def _label(campaign: Any, fallback: str) -> str:
    if isinstance(campaign, (str, os.PathLike)):
        return str(campaign)
    return fallback


def _check_metrics(metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(DEFAULT_METRICS)
    if isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics):
        raise CompareError(f"metrics must be a list of summary keys, got {metrics!r}")
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise CompareError(f"unknown metric {unknown[0]!r}; known metrics: {', '.join(METRICS)}")
    if not metrics:
        raise CompareError(f"metrics is empty; known metrics: {', '.join(METRICS)}")
    return list(dict.fromkeys(metrics))


def _campaign_dict(campaign: Any, which: str) -> dict[str, Any]:
    if isinstance(campaign, (str, os.PathLike)) and not Path(campaign).is_file():
        raise CompareError(f"campaign {which}: no such file {str(campaign)!r}")
    try:
        return _document_dict(campaign)
    except ValueError as exc:
        raise CompareError(f"campaign {which} ({_label(campaign, 'document')}): {exc}") from None


def compare(
    a: Any,
    b: Any,
    *,
    replications: int,
    seed: int = 0,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
    executor: Executor | None = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    run_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] = simulate_summary,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Run campaigns ``a`` and ``b`` (paths, mappings or documents) on the
    same ``replications`` seeds (``analysis.sweep.replication_seeds(seed,
    replications)``) and compare ``metrics`` (default ``DEFAULT_METRICS``)
    as B - A. Executor as in ``analysis.sweep.run_sweep``: ``executor``, or
    a Dask ``client`` / ``scheduler`` address, or ``workers`` local
    processes (0: in this process). ``progress(done, total)`` after each run."""
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise CompareError(
            f"replications must be a whole number >= 2 (a paired interval needs two), got {replications!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise CompareError(f"seed must be a whole number >= 0, got {seed!r}")
    if not 0 < confidence < 1:
        raise CompareError(f"confidence must be between 0 and 1, got {confidence!r}")
    wanted = _check_metrics(metrics)
    docs = {"a": _campaign_dict(a, "A"), "b": _campaign_dict(b, "B")}
    seeds = replication_seeds(seed, replications)
    tasks = [{"document": docs[s], "seed": sd, "events_dir": None} for s in ("a", "b") for sd in seeds]
    summaries: list[Mapping[str, Any] | None] = [None] * len(tasks)
    own = executor is None
    ex = executor if executor is not None else make_executor(workers=workers, scheduler=scheduler, client=client)
    try:
        for done, (i, summary) in enumerate(ex.map_unordered(run_fn, tasks), start=1):
            summaries[i] = summary
            if progress is not None:
                progress(done, len(tasks))
    finally:
        if own:
            ex.close()

    rows = []
    for i, summary in enumerate(summaries):
        assert summary is not None  # every task yields once
        row: dict[str, Any] = {"scenario": "a" if i < replications else "b", "replication": i % replications}
        row["seed"] = seeds[i % replications]
        row.update(numeric_fields(summary))
        rows.append(row)
    runs = pd.DataFrame(rows)
    out = []
    for m in wanted:
        col = runs[m] if m in runs else pd.Series([None] * len(runs), dtype=object)
        values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in col]
        va, vb = values[:replications], values[replications:]
        fa = [v for v in va if v is not None]
        fb = [v for v in vb if v is not None]
        out.append(
            MetricComparison(
                metric=m,
                mean_a=float(np.mean(fa)) if fa else math.nan,
                mean_b=float(np.mean(fb)) if fb else math.nan,
                paired=paired_difference(va, vb, confidence),
                unpaired_half_width=unpaired_difference(va, vb, confidence)[1],
            )
        )
    return CompareResult(
        a=_label(a, "A"), b=_label(b, "B"), seed=seed, seeds=seeds, confidence=confidence, metrics=out, runs=runs
    )
