"""What the staffing optimiser measures (analysis/staffing.py): one run's
counts per hour of the day (the worker function), each hour's figures, their
confidence bounds over replications, and the evaluation of a staffing on
common seeds (cached, so a staffing is never simulated twice)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from analysis.executors import Executor
from analysis.metrics import call_facts
from analysis.staffing_shifts import staffed_document
from analysis.sweep import t_quantile
from dialer import simulate

__all__ = [
    "METRICS",
    "Estimate",
    "Evaluation",
    "Evaluator",
    "figures",
    "hourly_metrics",
    "list_use",
    "one_sided_bound",
    "paired_difference",
]

METRICS = ("abandonment", "occupancy", "time_to_agent", "service_level", "connects_per_hour", "handled_per_hour")


# ---------------------------------------------------------------------------


def hourly_metrics(task: Mapping[str, Any]) -> dict[str, Any]:
    """Simulate ``task['document']`` with ``task['seed']`` and return, per
    hour of the day on ``task['zone']``'s clock, the counts and sums the
    staffing figures derive from. Top level and picklable (local processes,
    Dask)."""
    result = simulate(task["document"], seed=int(task["seed"]), keep_events=True)
    assert result.events is not None
    zone = task["zone"]
    sl_t = task.get("sl_seconds")
    uk = bool(task.get("uk"))
    facts = call_facts(result.events, threshold_seconds=float(task.get("threshold", 2.0)))
    hours: dict[int, dict[str, float]] = {}

    def bucket(h: int) -> dict[str, float]:
        return hours.setdefault(
            h,
            {
                "live": 0.0,
                "abandoned": 0.0,
                "tta_sum": 0.0,
                "tta_n": 0.0,
                "within": 0.0,
                "busy_s": 0.0,
                "idle_s": 0.0,
                "talk_sum": 0.0,
                "talk_n": 0.0,
                "prequeue_sum": 0.0,
                "prequeue_n": 0.0,
                "clock_sum": 0.0,
                "connects": 0.0,
                "handled": 0.0,
                "break_s": 0.0,
                "covered_s": float(covered.get(str(h), 0.0)),
            },
        )

    # Every hour the schedule covers is measured, calls or not: an hour
    # where nobody was reached connected 0 people, it was not "not measured".
    covered = {str(k): float(v) for k, v in (task.get("covered_s") or {}).items()}
    for h_text in covered:
        bucket(int(h_text))

    if len(facts):
        local = pd.to_datetime(facts["t_init"], unit="ms", utc=True).dt.tz_convert(zone).dt.hour.to_numpy()
        live = facts["live"].to_numpy(bool) if uk else facts["live_us"].to_numpy(bool)
        aband = facts["aband_uk" if uk else "aband_us"].to_numpy(bool)
        tta = facts["tta"].to_numpy(float)
        wait = facts["wait"].to_numpy(float)
        connected = facts["live_connect"].to_numpy(bool) & np.isfinite(tta)
        handled = facts["connect"].to_numpy(bool)
        talk = facts["talk"].to_numpy(float)
        t_q, t_sys = facts["t_q"].to_numpy(float), facts["t_sys"].to_numpy(float)
        pre = (t_q - t_sys) / 1000.0
        # The abandonment clock starts at the greeting's end (US) or start (UK).
        clock = facts["t_gs" if uk else "t_ge"].to_numpy(float)
        clock = np.where(np.isfinite(clock), clock, t_sys)
        to_queue = (t_q - clock) / 1000.0
        for h in np.unique(local):
            m = local == h
            b = bucket(int(h))
            b["live"] += float(np.count_nonzero(live & m))
            b["abandoned"] += float(np.count_nonzero(aband & m))
            c = connected & m
            b["tta_sum"] += float(tta[c].sum())
            b["tta_n"] += float(np.count_nonzero(c))
            b["connects"] += float(np.count_nonzero(facts["live_connect"].to_numpy(bool) & m))
            b["handled"] += float(np.count_nonzero(handled & m))
            if sl_t is not None:
                b["within"] += float(np.count_nonzero(c & live & (wait <= float(sl_t) + 1e-9)))
            t_ok = m & np.isfinite(talk) & facts["live_connect"].to_numpy(bool)
            b["talk_sum"] += float(talk[t_ok].sum())
            b["talk_n"] += float(np.count_nonzero(t_ok))
            p_ok = m & live & np.isfinite(pre)
            b["prequeue_sum"] += float(pre[p_ok].sum())
            b["clock_sum"] += float(to_queue[p_ok].sum())
            b["prequeue_n"] += float(np.count_nonzero(p_ok))
    tl = result.timeline
    stamps = pd.to_datetime(tl.column("interval_start").to_pandas(), utc=True)
    # Occupancy counts the schedule only: after it, agents finishing their
    # last calls would show an hour of the day the campaign does not dial in.
    keep = ((stamps - stamps.iloc[0]).dt.total_seconds() < float(task.get("horizon_s", math.inf))).to_numpy()
    starts = stamps.dt.tz_convert(zone).dt.hour.to_numpy()[keep]
    secs = tl.column("interval_seconds").to_numpy()[keep]
    busy = tl.column("agents_busy").to_numpy()[keep] * secs
    idle = tl.column("agents_idle").to_numpy()[keep] * secs
    on_break = tl.column("agents_on_break").to_numpy()[keep] * secs
    for h in np.unique(starts):
        m = starts == h
        b = bucket(int(h))
        b["busy_s"] += float(busy[m].sum())
        b["idle_s"] += float(idle[m].sum())
        b["break_s"] += float(on_break[m].sum())
    return {"hours": {str(h): v for h, v in hours.items()}, "list": list_use(result, zone)}


def list_use(result: Any, zone: str) -> dict[str, Any]:
    """How far a run got through its contact list: contacts, contacts dialled
    at least once, and, when every fresh contact was taken before the run
    ended, when the last one was first dialled (``exhausted_ts``, ms since the
    epoch, and its hour on ``zone``'s clock). After that the dialer has only
    retries left, and the hours after it are limited by the list, not by the
    agents. The list counts as worked through when every contact was dialled
    or its last contact (the engine takes fresh contacts in list order) was."""
    contacts = int(result.summary.get("contacts", 0))
    attempted = int(result.summary.get("contacts_attempted", 0))
    out: dict[str, Any] = {"contacts": contacts, "attempted": attempted, "exhausted_ts": None, "exhausted_hour": None}
    ev = result.events
    if ev is None or contacts == 0 or not len(ev):
        return out
    calls = ev.filter(pc.and_(pc.equal(ev["event_type"], "DISCONNECTED"), pc.is_valid(ev["initiation_ts"])))
    if not len(calls):
        return out
    recipient = calls["sim_recipient"]
    if attempted < contacts and pc.max(recipient).as_py() != contacts - 1:
        return out
    first = (
        calls.select(["sim_recipient", "initiation_ts"]).group_by("sim_recipient").aggregate([("initiation_ts", "min")])
    )
    last = pc.max(first["initiation_ts_min"]).as_py()
    stamp = pd.Timestamp(last)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    out["exhausted_ts"] = int(stamp.value // 1_000_000)
    out["exhausted_hour"] = int(stamp.tz_convert(zone).hour)
    return out


def figures(counts: Mapping[str, float]) -> dict[str, float]:
    """One run's figures for one hour from its counts (NaN: nothing to measure)."""
    nan = math.nan
    live, worked = counts["live"], counts["busy_s"] + counts["idle_s"]
    per_hour = counts.get("covered_s", 0.0) / 3600.0
    return {
        "abandonment": counts["abandoned"] / live if live else nan,
        "occupancy": counts["busy_s"] / worked if worked > 0 else nan,
        "time_to_agent": counts["tta_sum"] / counts["tta_n"] if counts["tta_n"] else nan,
        "service_level": counts["within"] / live if live else nan,
        "connects_per_hour": counts.get("connects", 0.0) / per_hour if per_hour > 0 else nan,
        "handled_per_hour": counts.get("handled", 0.0) / per_hour if per_hour > 0 else nan,
    }


# ---------------------------------------------------------------------------
# Confidence
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """Mean over the replications and its two-sided interval at the stated
    confidence; ``low``/``high`` are also the one-sided bounds at
    (1 + confidence) / 2. ``n``: replications that measured it."""

    mean: float
    low: float
    high: float
    n: int
    bound_low: float  # one-sided lower bound at the confidence
    bound_high: float  # one-sided upper bound at the confidence


def one_sided_bound(values: Sequence[float] | np.ndarray, confidence: float) -> Estimate:
    """Student-t bounds over the finite ``values`` (replications)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1, math.nan, math.nan)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    one = t_quantile(confidence, n - 1) * sem
    two = t_quantile(0.5 + confidence / 2, n - 1) * sem
    return Estimate(mean, mean - two, mean + two, n, mean - one, mean + one)


def paired_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> Estimate:
    """Mean of ``a[r] - b[r]`` over replications measured in both (same
    seeds), with its interval: with common random numbers the runs'
    noise largely cancels, and the better it does the tighter the interval."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values need the same replications, got {x.shape} and {y.shape}")
    return one_sided_bound(x - y, confidence)


# ---------------------------------------------------------------------------
# Evaluations
# ---------------------------------------------------------------------------


@dataclass
class Evaluation:
    """One staffing's runs: ``values[hour][metric]`` one value per replication;
    ``lists``: per replication, how far it got through the contact list
    (``list_use``)."""

    staffing: dict[int, int]
    values: dict[int, dict[str, np.ndarray]]
    counts: dict[int, list[dict[str, float]]]
    lists: list[dict[str, Any]] = field(default_factory=list)

    def exhausted(self) -> list[dict[str, Any]]:
        """The runs that worked through every fresh contact."""
        return [u for u in self.lists if u.get("exhausted_ts") is not None]

    def estimate(self, hour: int, metric: str, confidence: float) -> Estimate:
        vals = self.values.get(hour, {}).get(metric)
        return one_sided_bound(vals if vals is not None else [], confidence)


class Evaluator:
    """Simulates staffings on common seeds, caching each staffing's runs."""

    def __init__(
        self,
        doc: dict[str, Any],
        *,
        seeds: list[int],
        zone: str,
        base_task: dict[str, Any],
        executor: Executor,
        run_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]],
        progress: Callable[[str], None] | None,
    ) -> None:
        self.doc, self.seeds, self.zone = doc, seeds, zone
        self.base_task, self.executor, self.run_fn = base_task, executor, run_fn
        self.cache: dict[tuple[tuple[int, int], ...], Evaluation] = {}
        self.simulations = 0
        self.progress = progress

    def __call__(self, staffing: Mapping[int, int]) -> Evaluation:
        key = tuple(sorted((int(h), int(n)) for h, n in staffing.items()))
        if key in self.cache:
            return self.cache[key]
        document = staffed_document(self.doc, dict(key))
        tasks = [{**self.base_task, "document": document, "seed": s, "zone": self.zone} for s in self.seeds]
        results: list[Any] = [None] * len(tasks)
        for i, res in self.executor.map_unordered(self.run_fn, tasks):
            results[i] = res
        self.simulations += len(tasks)
        hours = sorted({int(h) for r in results for h in r["hours"]})
        values: dict[int, dict[str, np.ndarray]] = {}
        counts: dict[int, list[dict[str, float]]] = {}
        for h in hours:
            per_run = [r["hours"].get(str(h)) for r in results]
            figs = [figures(c) if c is not None else dict.fromkeys(METRICS, math.nan) for c in per_run]
            values[h] = {m: np.array([f[m] for f in figs]) for m in METRICS}
            counts[h] = [c or {} for c in per_run]
        ev = Evaluation(dict(key), values, counts, [r.get("list") or {} for r in results])
        self.cache[key] = ev
        if self.progress is not None:
            self.progress(f"evaluated {dict(key)}: {self.simulations} simulations so far")
        return ev
