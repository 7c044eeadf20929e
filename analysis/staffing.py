"""The staffing optimiser: the fewest agents in each hour of the day that meet
the targets a user gives, with a stated confidence (docs/analysis.md,
"Staffing").

Intervals are the hours of the day on the agents' clock (``agents.timeZone``,
else the campaign's default time zone, else UTC), pooled over the days of the
schedule. A staffing (agents per hour) becomes the document's agent shifts:
layer ``k`` of the staffing is one agent logged in over each run of hours
with at least ``k`` agents, so agents stay logged in across hours and take
their breaks as the campaign says (``dialer/agents.py`` gives each shift its
own agents).

Targets, each optional, per hour (calls are counted in the hour they were
dialled):

- ``abandonment_max``: the regulatory abandonment rate of the campaign's
  jurisdiction (``analysis.metrics.call_facts``: UK rules for ``UK``, US
  rules otherwise; the threshold of the campaign's pacing strategy);
- ``occupancy_min`` / ``occupancy_max``: busy / (busy + idle) agent time;
- ``time_to_agent_max``: mean seconds from a person's answer to an agent,
  people connected;
- ``service_level``: (share, T): of the people the AMD passed to the queue,
  the share connected to an agent within T seconds of joining it (Amazon
  Connect's service level: answered within T of being queued / queued);
- ``connects_per_hour_min``: people connected to an agent per hour (live
  answers, US or UK reading, connected), the throughput that decides a
  predictive campaign; ``handled_per_hour_min``: contacts connected to an
  agent per hour (machines the AMD passed on too). An hour's count is
  divided by the hours the schedule covers of it (pooled over days).

Confidence: a staffing is evaluated by ``replications`` runs on common
seeds; each run gives each hour's figure; a target is met "with confidence
c" when the one-sided Student-t bound (c) over the runs is on the right side
of it. Every staffing tried uses the same seeds, so comparisons between them
are paired.

Search: hours in time order (the backlog of an hour carries into the next,
an hour never affects an earlier one). Each hour starts from the larger of
the Erlang-A staffing (``analysis.erlang_a``) for the traffic a pilot run
offered in that hour (service targets) and the workload staffing for a
throughput floor N (``workload_staffing``: N x handle time / (3600 x
occupancy x available share), all three measured in the pilot); when the
dialer paces to its agents and a throughput floor is given, from the
workload staffing alone (Erlang A's fixed traffic is not what a paced
dialer offers a different staffing); then doubling steps down (or up) to bracket the fewest agents and a
bisection between the bracket, each probe one evaluation (``replications``
runs), earlier hours fixed at their answers. Evaluations are cached by
staffing, so a staffing is never simulated twice.

Confirmation (``confirm_staffing``, on by default): the search keeps the
fewest agents that pass on one seed set, so a lucky set answers too low
(the winner's curse: per-hour abandonment is bursty and 6 or so
replications can show it both low and tight). The answer is re-tested on
``replications`` fresh seeds (disjoint from the search's) with the same
test, and each hour failing there gets one more agent, until every hour
passes; the extra simulations are counted in ``simulations`` and reported
as ``confirmation_simulations`` / ``confirmation_steps``. It only steps up.

Which targets are searched: those more agents help. Service targets
(abandonment, time to agent, service level) and throughput floors always
(with Poisson dialling throughput stops growing once every person offered
is served: a floor above that is reported as not met, with a warning);
occupancy depends on who
sets the traffic: with Poisson dialling (``fixedRate``, traffic independent
of agents) occupancy falls as agents are added, so its ceiling is searched
and its floor only checked at the answer; when the dialer paces to its agents
(predictive, progressive, ratio pacers...) the traffic grows with the agents
and occupancy does not fall (economies of scale), so its floor is searched and
its ceiling checked. A checked target that fails at the fewest agents cannot
be met by any staffing the search would choose: it is reported as not met.

Warnings (``StaffingResult.warnings``): the contact list worked through
before the schedule ended (then the later hours are limited by the list,
not the agents: ``staffing_runs.list_use``), an hour the pilot reached
nobody in, a throughput floor above what Poisson dialling offers.

Beside this module: ``staffing_shifts`` (hours, shifts), ``staffing_runs``
(what a run measures, confidence bounds, evaluations), ``erlang_a`` (the
queueing formulas), ``staffing_plots`` (the picture).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.erlang_a import staff_erlang_a
from analysis.executors import Executor, make_executor
from analysis.staffing_runs import (
    METRICS,
    Estimate,
    Evaluation,
    Evaluator,
    hourly_metrics,
    one_sided_bound,
    paired_difference,
)
from analysis.staffing_shifts import agents_zone, document_staffing, schedule_hours, shifts_for, staffed_document
from analysis.sweep import apply_changes, replication_seeds
from campaigns.document import parse_document
from dialer.run import abandonment_setting

__all__ = [
    "METRICS",
    "THROUGHPUT",
    "Estimate",
    "StaffingError",
    "StaffingResult",
    "Targets",
    "Verification",
    "confirm_staffing",
    "document_staffing",
    "fewest_meeting",
    "hourly_metrics",
    "list_warnings",
    "one_sided_bound",
    "optimise_staffing",
    "paired_difference",
    "parse_service_level",
    "shifts_for",
    "staffed_document",
    "verify_staffing",
    "workload_staffing",
]


class StaffingError(ValueError):
    """A staffing request that cannot run; the message names the value."""


THROUGHPUT = ("connects_per_hour", "handled_per_hour")  # metrics counted per hour, floors

# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """What an hour must meet; None: no target."""

    abandonment_max: float | None = None
    occupancy_min: float | None = None
    occupancy_max: float | None = None
    time_to_agent_max: float | None = None
    service_level: tuple[float, float] | None = None  # (share floor, seconds)
    connects_per_hour_min: float | None = None  # people connected to an agent per hour
    handled_per_hour_min: float | None = None  # contacts connected to an agent per hour

    def __post_init__(self) -> None:
        for name in ("connects_per_hour_min", "handled_per_hour_min"):
            v = getattr(self, name)
            if v is not None and not (v > 0 and math.isfinite(v)):
                raise StaffingError(f"{name} must be a positive number of contacts per hour, got {v!r}")
        for name in ("abandonment_max", "occupancy_min", "occupancy_max"):
            v = getattr(self, name)
            if v is not None and not (0.0 <= v <= 1.0 and math.isfinite(v)):
                raise StaffingError(f"{name} must be a share between 0 and 1, got {v!r}")
        if self.time_to_agent_max is not None and not (
            self.time_to_agent_max > 0 and math.isfinite(self.time_to_agent_max)
        ):
            raise StaffingError(
                f"time_to_agent_max must be a positive number of seconds, got {self.time_to_agent_max!r}"
            )
        if self.service_level is not None:
            share, secs = self.service_level
            if not 0.0 < share <= 1.0:
                raise StaffingError(f"service level share must be in (0, 1], got {share!r}")
            if not (secs >= 0 and math.isfinite(secs)):
                raise StaffingError(f"service level seconds must be >= 0, got {secs!r}")
        if (
            self.occupancy_min is not None
            and self.occupancy_max is not None
            and self.occupancy_min > self.occupancy_max
        ):
            raise StaffingError(f"occupancy floor {self.occupancy_min!r} is above the ceiling {self.occupancy_max!r}")
        if not self.items():
            raise StaffingError(
                "give at least one target (abandonment, occupancy, time to agent, service level, "
                "connects or handled per hour)"
            )

    def items(self) -> list[tuple[str, str, float]]:
        """(target name, metric, bound); the name says the side: *_max a
        ceiling, *_min a floor."""
        out = []
        if self.abandonment_max is not None:
            out.append(("abandonment_max", "abandonment", self.abandonment_max))
        if self.occupancy_min is not None:
            out.append(("occupancy_min", "occupancy", self.occupancy_min))
        if self.occupancy_max is not None:
            out.append(("occupancy_max", "occupancy", self.occupancy_max))
        if self.time_to_agent_max is not None:
            out.append(("time_to_agent_max", "time_to_agent", self.time_to_agent_max))
        if self.service_level is not None:
            out.append(("service_level_min", "service_level", self.service_level[0]))
        if self.connects_per_hour_min is not None:
            out.append(("connects_per_hour_min", "connects_per_hour", self.connects_per_hour_min))
        if self.handled_per_hour_min is not None:
            out.append(("handled_per_hour_min", "handled_per_hour", self.handled_per_hour_min))
        return out

    def throughput(self) -> list[tuple[str, str, float]]:
        """The throughput floors (people or contacts connected per hour)."""
        return [t for t in self.items() if t[1] in THROUGHPUT]


def parse_service_level(text: str) -> tuple[float, float]:
    """``"0.9@2"`` -> (0.9, 2.0): share reaching an agent within seconds."""
    share, sep, secs = str(text).partition("@")
    try:
        if not sep:
            raise ValueError
        value = (float(share), float(secs))
    except ValueError:
        raise StaffingError(f"service level must look like SHARE@SECONDS, e.g. 0.9@2, got {text!r}") from None
    if not 0.0 < value[0] <= 1.0 or not (value[1] >= 0 and math.isfinite(value[1])):
        raise StaffingError(f"service level {text!r}: share must be in (0, 1] and seconds >= 0")
    return value


def _floor(name: str) -> bool:
    return name.endswith("_min")


def _meets(name: str, bound: float, est: Estimate) -> bool | None:
    """Met with the confidence (None: not measured in this hour)."""
    if est.n == 0:
        return None
    side = est.bound_low if _floor(name) else est.bound_high
    if math.isnan(side):  # one replication: the point estimate
        side = est.mean
    return side >= bound - 1e-12 if _floor(name) else side <= bound + 1e-12


def _agents_pace(mode: str) -> bool:
    """Whether the dialer sizes its traffic to its agents (all but Poisson dialling)."""
    return mode != "fixedRate"


def searched(name: str, mode: str) -> bool:
    """Whether more agents help this target (module docstring)."""
    if name == "occupancy_min":
        return _agents_pace(mode)
    if name == "occupancy_max":
        return not _agents_pace(mode)
    return True


# ---------------------------------------------------------------------------
# The optimiser
# ---------------------------------------------------------------------------


@dataclass
class StaffingResult:
    """The answer: ``staffing`` (agents per hour), the Erlang-A staffing for
    the same targets, the evaluation of the answer, and the cost."""

    hours: list[int]
    staffing: dict[int, int]
    erlang: dict[int, int]
    targets: Targets
    confidence: float
    replications: int
    seeds: list[int]
    mode: str
    simulations: int
    evaluations: int
    answer: Evaluation
    feasible: dict[int, bool]
    document: dict[str, Any]
    searched_targets: list[str] = field(default_factory=list)
    traffic: dict[int, dict[str, float]] = field(default_factory=dict)
    workload: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    verification: Verification | None = None
    confirmation: Evaluation | None = None  # the answer on the confirmation seeds
    confirmation_seeds: list[int] = field(default_factory=list)
    confirmation_simulations: int = 0  # included in ``simulations``
    confirmation_steps: dict[int, int] = field(default_factory=dict)  # agents added per hour

    def table(self) -> pd.DataFrame:
        """One row per hour: agents, Erlang-A agents, and per target its
        estimate, interval and whether it is met with the confidence."""
        rows = []
        for h in self.hours:
            row: dict[str, Any] = {
                "hour": h,
                "interval": f"{h:02d}:00-{(h + 1) % 24:02d}:00",
                "agents": self.staffing[h],
                "erlang_a_agents": self.erlang.get(h),
                "feasible": self.feasible.get(h, True),
            }
            if self.targets.throughput():
                row["workload_agents"] = self.workload.get(h)
            for name, metric, bound in self.targets.items():
                est = self.answer.estimate(h, metric, self.confidence)
                row[f"{metric}"] = est.mean
                row[f"{metric}_ci_low"] = est.low
                row[f"{metric}_ci_high"] = est.high
                row[f"{name}"] = bound
                row[f"{name}_met"] = _meets(name, bound, est)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hours": self.hours,
            "staffing": {str(h): n for h, n in self.staffing.items()},
            "erlang_a": {str(h): n for h, n in self.erlang.items()},
            "targets": {name: bound for name, _, bound in self.targets.items()}
            | ({"service_level_seconds": self.targets.service_level[1]} if self.targets.service_level else {}),
            "searched_targets": self.searched_targets,
            "confidence": self.confidence,
            "replications": self.replications,
            "seeds": self.seeds,
            "mode": self.mode,
            "simulations": self.simulations,
            "evaluations": self.evaluations,
            "feasible": {str(h): v for h, v in self.feasible.items()},
            "traffic": {str(h): v for h, v in self.traffic.items()},
            "workload": {str(h): n for h, n in self.workload.items()},
            "warnings": self.warnings,
            "confirmation": {
                "seeds": self.confirmation_seeds,
                "simulations": self.confirmation_simulations,
                "steps": {str(h): n for h, n in self.confirmation_steps.items()},
            },
            "shifts": shifts_for(self.staffing),
            "table": _records(self.table()),
            "verification": self.verification.to_dict() if self.verification else None,
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()})
    return out


def _hour_ok(ev: Evaluation, hour: int, names: list[tuple[str, str, float]], confidence: float) -> bool:
    return all(_meets(name, bound, ev.estimate(hour, metric, confidence)) is not False for name, metric, bound in names)


def _traffic(ev: Evaluation, hour: int, covered_s: float) -> dict[str, float]:
    """The offered traffic of one hour measured in a run: people passed to
    the queue per second, mean talk, mean seconds from answer to queue."""
    rows = ev.counts.get(hour, [])
    total = {
        k: sum(c.get(k, 0.0) for c in rows) for k in ("live", "connects", "handled", "busy_s", "idle_s", "break_s")
    }
    live = total["live"]
    talk_n = sum(c.get("talk_n", 0.0) for c in rows)
    pre_n = sum(c.get("prequeue_n", 0.0) for c in rows)
    run_hours = covered_s * max(len(rows), 1) / 3600.0
    worked = total["busy_s"] + total["idle_s"]
    nan = math.nan
    return {
        "live_per_s": live / (covered_s * max(len(rows), 1)) if covered_s > 0 else 0.0,
        "live_per_hour": live / run_hours if run_hours > 0 else 0.0,
        "connects_per_hour": total["connects"] / run_hours if run_hours > 0 else 0.0,
        "handled_per_hour": total["handled"] / run_hours if run_hours > 0 else 0.0,
        # Agent seconds per contact connected (talk, wrap-up, preview: busy time).
        "handle_s": total["busy_s"] / total["handled"] if total["handled"] else nan,
        "occupancy": total["busy_s"] / worked if worked > 0 else nan,
        "available": worked / (worked + total["break_s"]) if worked > 0 else nan,
        "mean_talk_s": sum(c.get("talk_sum", 0.0) for c in rows) / talk_n if talk_n else math.nan,
        "mean_prequeue_s": sum(c.get("prequeue_sum", 0.0) for c in rows) / pre_n if pre_n else 0.0,
        "mean_clock_to_queue_s": sum(c.get("clock_sum", 0.0) for c in rows) / pre_n if pre_n else 0.0,
    }


def workload_staffing(traffic: Mapping[str, float], targets: Targets) -> int | None:
    """The agents a throughput floor needs at the pilot's pace: for N people
    (or contacts) connected per hour, N x handle time / (3600 x occupancy x
    available share), with the handle time (busy seconds per contact
    connected, and per person connected for ``connects_per_hour``), the
    occupancy and the share of logged-in time not on break all measured in
    the pilot hour. None: no throughput target, or the pilot connected
    nobody in the hour."""
    need = 0.0
    for _name, metric, bound in targets.throughput():
        rate = traffic.get(metric, 0.0)
        occ, avail = traffic.get("occupancy", math.nan), traffic.get("available", math.nan)
        if not rate or not (occ > 0 and avail > 0):
            return None
        per_contact = traffic["handle_s"] * traffic["handled_per_hour"] / rate  # busy seconds per one of these
        need = max(need, bound * per_contact / (3600.0 * occ * avail))
    return max(1, math.ceil(need - 1e-9)) if need > 0 else None


def erlang_staffing(
    traffic: Mapping[str, float], targets: Targets, *, wrap_s: float, patience_s: float, threshold_s: float
) -> int | None:
    """Erlang-A agents for one hour's measured traffic (people reaching the
    queue per second, talk + wrap-up, exponential patience of the campaign's
    mean) and the targets it can express: abandonment as "not with an agent
    within the threshold" = 1 - P(wait <= threshold less the measured seconds
    from the abandonment clock's start to the queue) (the engine's own
    reading: it counts callees who hang up first too), time to agent less the
    measured seconds from answer to queue, the service level, the occupancy
    ceiling. None: no target Erlang A can express (throughput floors only)."""
    if not any(metric not in THROUGHPUT for _, metric, _ in targets.items()):
        return None
    lam = traffic["live_per_s"]
    talk = traffic["mean_talk_s"]
    if lam <= 0 or not math.isfinite(talk):
        return 0
    mu = 1.0 / max(talk + wrap_s, 1.0)
    theta = 1.0 / max(patience_s, 1e-3)
    wait = None
    if targets.time_to_agent_max is not None:
        wait = max(targets.time_to_agent_max - traffic["mean_prequeue_s"], 0.0)
    levels = [targets.service_level] if targets.service_level is not None else []
    if targets.abandonment_max is not None:
        levels.append((1.0 - targets.abandonment_max, max(threshold_s - traffic["mean_clock_to_queue_s"], 0.0)))
    if not levels and wait is None and targets.occupancy_max is None:
        # Only an occupancy floor: the agents that keep the traffic at it.
        return max(1, math.floor(lam / (mu * (targets.occupancy_min or 1.0))))
    return staff_erlang_a(lam, mu, theta, mean_wait=wait, service_levels=levels, occupancy_max=targets.occupancy_max)


def _campaign_facts(doc: Mapping[str, Any]) -> dict[str, Any]:
    parsed = parse_document(copy.deepcopy(dict(doc)))
    mode = parsed.campaign.telephony.outbound_mode.name
    setting = abandonment_setting(parsed, None)
    patience = parsed.simulation.behaviour.patience_in_silence
    sched = parsed.campaign.schedule
    assert sched is not None  # a campaign document has a schedule
    return {
        "horizon_s": (sched.end_time - sched.start_time).total_seconds(),
        "mode": mode,
        "threshold": setting[1] if setting else 2.0,
        "uk": (parsed.simulation.jurisdiction or "").upper() == "UK",
        "wrap_s": float(parsed.simulation.agents.wrap_up.mean),
        "patience_s": float(patience.mean) if patience is not None else 1e6,
    }


def _throughput_warnings(
    targets: Targets, traffic: Mapping[int, Mapping[str, float]], hours: list[int], mode: str
) -> list[str]:
    """Throughput floors no staffing can reach: an hour where the pilot
    reached nobody, and, with Poisson dialling (the traffic does not grow
    with the agents), a floor above the people the dialling rate offers."""
    out = []
    for name, metric, bound in targets.throughput():
        for h in hours:
            t = traffic[h]
            if t["live_per_s"] <= 0:
                out.append(
                    f"{h:02d}:00: the pilot reached nobody in this hour (nobody answered, the calling hours "
                    f"were closed or the list was worked through): no staffing meets {name} {bound:g}"
                )
            elif not _agents_pace(mode) and metric == "connects_per_hour":
                offered = t["live_per_hour"]
                if bound > offered:
                    out.append(
                        f"{h:02d}:00: the dialling rate offers about {offered:.0f} people per hour and {name} asks "
                        f"{bound:g}: with fixedRate dialling more agents cannot reach more people (raise dialsPerSecond)"
                    )
    return out


def _clock(ts_ms: int, zone: str) -> str:
    return f"{pd.Timestamp(ts_ms, unit='ms', tz='UTC').tz_convert(zone):%H:%M}"


def list_warnings(evaluations: Any, answer: Evaluation, *, zone: str, throughput: bool) -> list[str]:
    """Say when the contact list ran out of fresh contacts before the schedule
    ended: in the answer's runs (the hours from then on are limited by the
    list, not the agents), else in any staffing the search tried (a
    throughput floor there was measured against a list running dry)."""
    runs = answer.exhausted()
    fix = "give the campaign more contacts (simulation.contacts) or a shorter schedule"
    if runs:
        first = min(u["exhausted_ts"] for u in runs)
        contacts = runs[0].get("contacts")
        return [
            f"the contact list ({contacts} contacts) ran out of fresh contacts at {_clock(first, zone)} (agents' "
            f"clock) in {len(runs)} of {len(answer.lists)} runs of the answer: from then on the dialer had only "
            f"retries left, so that hour and later ones are limited by the list, not by the agents"
            + (" (a throughput floor there may be unreachable)" if throughput else "")
            + f"; {fix}"
        ]
    tried = [ev for ev in evaluations if ev.exhausted()]
    if not tried:
        return []
    ev = max(tried, key=lambda e: sum(e.staffing.values()))
    first = min(u["exhausted_ts"] for u in ev.exhausted())
    return [
        f"staffings tried in the search ran out of fresh contacts (e.g. {ev.staffing} agents per hour, at "
        f"{_clock(first, zone)}); the answer did not, but it was compared with staffings limited by the list; {fix}"
    ]


def fewest_meeting(ok: Callable[[int], bool], start: int, *, floor: int, cap: int) -> tuple[int, bool]:
    """The fewest n in [floor, cap] with ``ok(n)``, assuming ``ok`` is
    monotone (False then True): from ``start``, steps of 1, 2, 4... down
    (while it holds) or up (until it holds) bracket the answer, then
    bisection. (cap, False) when even ``cap`` fails."""
    lo: int
    hi: int
    if ok(start):
        hi, step = start, 1
        while True:
            trial = max(hi - step, floor)
            if trial == hi:
                lo = hi - 1  # the floor itself meets
                break
            if not ok(trial):
                lo = trial
                break
            hi, step = trial, step * 2
    else:
        lo, step = start, 1
        while True:
            trial = min(lo + step, cap)
            if trial == lo:
                return cap, False
            if ok(trial):
                hi = trial
                break
            lo, step = trial, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi, True


def optimise_staffing(
    campaign: Any,
    targets: Targets,
    *,
    replications: int = 10,
    confidence: float = 0.95,
    seed: int = 0,
    min_agents: int = 1,
    max_agents: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    executor: Executor | None = None,
    run_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] = hourly_metrics,
    progress: Callable[[str], None] | None = None,
    confirm: bool = True,
) -> StaffingResult:
    """The fewest agents per hour meeting ``targets`` with ``confidence``.

    ``campaign``: a path, mapping or document; its own staffing is the pilot
    whose traffic sizes the Erlang-A first guess. ``max_agents``: the most an
    hour may get (default: 4x the largest of the pilot and the Erlang-A
    staffing, at least 20). Executor as for ``analysis.sweep.run_sweep``.
    ``confirm``: after the search, re-test the answer on fresh seeds and step
    up each hour that fails there (``confirm_staffing``)."""
    if not isinstance(replications, int) or replications < 2:
        raise StaffingError(
            f"replications must be a whole number >= 2 (a confidence needs two runs), got {replications!r}"
        )
    if not 0.5 <= confidence < 1.0:
        raise StaffingError(f"confidence must be in [0.5, 1), got {confidence!r}")
    if min_agents < 0:
        raise StaffingError(f"min_agents must be >= 0, got {min_agents!r}")
    doc = apply_changes(campaign, {})  # a validated plain copy, contacts file made absolute
    facts = _campaign_facts(doc)
    if facts["mode"] == "agentless":
        raise StaffingError("the campaign is agentless: there is no staffing to optimise")
    hours, covered = schedule_hours(doc)
    zone = agents_zone(doc)
    # The first half the search's seeds, the second the confirmation's
    # (SeedSequence children: disjoint, and the search's are unchanged).
    both = replication_seeds(seed, 2 * replications)
    seeds, confirm_seeds = both[:replications], both[replications:]
    base_task = {
        "horizon_s": facts["horizon_s"],
        "threshold": facts["threshold"],
        "uk": facts["uk"],
        "sl_seconds": targets.service_level[1] if targets.service_level else None,
        "covered_s": {str(h): v for h, v in covered.items()},
    }
    own = executor is None
    ex = executor if executor is not None else make_executor(workers=workers, scheduler=scheduler, client=client)
    try:
        evaluate = Evaluator(
            doc, seeds=seeds, zone=zone, base_task=base_task, executor=ex, run_fn=run_fn, progress=progress
        )
        own_staffing = document_staffing(doc, hours)
        # An hour the document leaves unstaffed is piloted with its busiest
        # hour's agents: a paced dialer makes no calls without agents, and
        # the hour's traffic must be measured to be staffed.
        busiest = max(own_staffing.values(), default=0) or parse_document(copy.deepcopy(doc)).simulation.agents.count
        pilot_staffing = {h: n or busiest for h, n in own_staffing.items()}
        pilot = evaluate(pilot_staffing)
        traffic = {h: _traffic(pilot, h, covered[h]) for h in hours}
        erlang = {
            h: erlang_staffing(
                traffic[h],
                targets,
                wrap_s=facts["wrap_s"],
                patience_s=facts["patience_s"],
                threshold_s=facts["threshold"],
            )
            for h in hours
        }
        erlang_known = {h: n for h, n in erlang.items() if n is not None}
        workload = {h: workload_staffing(traffic[h], targets) for h in hours} if targets.throughput() else {}
        workload_known = {h: n for h, n in workload.items() if n is not None}
        # When the dialer paces to its agents, Erlang A's traffic is not the
        # traffic a staffing gets: a throughput floor's workload is the guess.
        paced_workload = _agents_pace(facts["mode"]) and bool(workload_known)
        guess = {
            h: max(
                workload_known.get(h, 0) if paced_workload else max(erlang_known.get(h, 0), workload_known.get(h, 0)),
                min_agents,
            )
            for h in hours
        }
        cap = max_agents or max(20, 4 * max([*guess.values(), *pilot_staffing.values()]))
        names = [t for t in targets.items() if searched(t[0], facts["mode"])]
        staffing = {h: min(guess[h], cap) if traffic[h]["live_per_s"] > 0 else 0 for h in hours}
        warnings = _throughput_warnings(targets, traffic, hours, facts["mode"])
        feasible: dict[int, bool] = {}
        for h in hours:
            if staffing[h] == 0:
                # Nobody to reach in this hour (the pilot's dialler reached no
                # one): a throughput floor cannot be met by any staffing.
                feasible[h] = not targets.throughput()
                continue

            def ok(n: int, h: int = h) -> bool:
                return _hour_ok(evaluate({**staffing, h: n}), h, names, confidence)

            staffing[h], feasible[h] = fewest_meeting(ok, staffing[h], floor=min_agents, cap=cap)
        confirmation: Evaluation | None = None
        steps: dict[int, int] = {}
        confirm_sims = 0
        if confirm:
            check = Evaluator(
                doc, seeds=confirm_seeds, zone=zone, base_task=base_task, executor=ex, run_fn=run_fn, progress=progress
            )
            confirmation, steps = confirm_staffing(check, staffing, feasible, names, confidence, cap=cap)
            confirm_sims = check.simulations
        answer = evaluate(staffing)
        for h in hours:  # the checked targets (more agents cannot help them)
            if staffing[h] and not _hour_ok(answer, h, targets.items(), confidence):
                feasible[h] = False
        warnings += list_warnings(evaluate.cache.values(), answer, zone=zone, throughput=bool(targets.throughput()))
        for w in warnings:
            if progress is not None:
                progress(f"warning: {w}")
        return StaffingResult(
            hours=hours,
            staffing=staffing,
            erlang=erlang_known,
            targets=targets,
            confidence=confidence,
            replications=replications,
            seeds=seeds,
            mode=facts["mode"],
            simulations=evaluate.simulations + confirm_sims,
            evaluations=len(evaluate.cache) + confirm_sims // replications,
            answer=answer,
            feasible=feasible,
            document=staffed_document(doc, staffing),
            searched_targets=[t[0] for t in names],
            traffic=traffic,
            workload=workload_known,
            warnings=warnings,
            confirmation=confirmation,
            confirmation_seeds=confirm_seeds if confirm else [],
            confirmation_simulations=confirm_sims,
            confirmation_steps=steps,
        )
    finally:
        if own:
            ex.close()


def confirm_staffing(
    check: Evaluator,
    staffing: dict[int, int],
    feasible: dict[int, bool],
    names: list[tuple[str, str, float]],
    confidence: float,
    *,
    cap: int,
) -> tuple[Evaluation, dict[int, int]]:
    """Re-test the search's answer on fresh seeds (``check``) and add an
    agent to each hour whose searched targets fail there with the
    confidence, until every hour passes or reaches ``cap`` (then it is not
    feasible). Why: the search takes the fewest agents that pass on one set
    of seeds, so a lucky set (per-hour abandonment is bursty: its spread is
    underestimated by few replications) answers too low; a second, independent
    set catches that (docs/analysis.md, "Staffing"). Only steps up: the
    answer is never made cheaper on the confirmation seeds' word. Updates
    ``staffing`` and ``feasible`` in place; returns the answer's evaluation
    on the confirmation seeds and the agents added per hour."""
    steps: dict[int, int] = {}
    while True:
        ev = check(staffing)
        failing = [
            h for h, n in staffing.items() if n and feasible.get(h, True) and not _hour_ok(ev, h, names, confidence)
        ]
        if not failing:
            return ev, steps
        for h in failing:  # backlog only flows forward: a step never hurts a later hour
            if staffing[h] >= cap:
                feasible[h] = False
            else:
                staffing[h] += 1
                steps[h] = steps.get(h, 0) + 1


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


@dataclass
class Verification:
    """The answer and one agent fewer in each hour, simulated on fresh seeds.

    ``rows``: per hour, whether the answer meets every target with the
    confidence (``answer_meets``) and on the means (``answer_meets_mean``);
    whether one fewer misses some target with the confidence
    (``fewer_fails``: its one-sided bound is on the wrong side, the search's
    own test) and on the means (``fewer_fails_mean``); per target the means
    and the paired difference (fewer - answer) with its interval.
    ``passed``: in every staffed hour the answer's means meet every target
    and one fewer is not shown to meet them with the confidence."""

    seeds: list[int]
    simulations: int
    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r["answer_meets_mean"] and r["fewer_fails"] for r in self.rows if r["agents"] > 0)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seeds": self.seeds,
            "simulations": self.simulations,
            "passed": self.passed,
            "rows": _records(self.table()),
            "warnings": self.warnings,
        }


def verify_staffing(
    result: StaffingResult,
    campaign: Any,
    *,
    replications: int | None = None,
    seed: int = 1_000_003,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    executor: Executor | None = None,
    run_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] = hourly_metrics,
) -> Verification:
    """Simulate the answer and, for each hour, the answer with one agent
    fewer in that hour, on seeds the search never saw; record the outcome
    in ``result.verification`` too (``Verification`` says what passing
    means: the search needed the last agent for the confidence, not always
    for the mean; docs/analysis.md, "Staffing")."""
    doc = apply_changes(campaign, {})  # a validated plain copy, contacts file made absolute
    facts = _campaign_facts(doc)
    reps = replications or result.replications
    seeds = replication_seeds(seed, reps)
    base_task = {
        "horizon_s": facts["horizon_s"],
        "threshold": facts["threshold"],
        "uk": facts["uk"],
        "sl_seconds": result.targets.service_level[1] if result.targets.service_level else None,
        "covered_s": {str(h): v for h, v in schedule_hours(doc)[1].items()},
    }
    own = executor is None
    ex = executor if executor is not None else make_executor(workers=workers, scheduler=scheduler, client=client)
    try:
        evaluate = Evaluator(
            doc, seeds=seeds, zone=agents_zone(doc), base_task=base_task, executor=ex, run_fn=run_fn, progress=None
        )
        answer = evaluate(result.staffing)
        rows = []
        conf = result.confidence
        for h in result.hours:
            n = result.staffing[h]
            row: dict[str, Any] = {"hour": h, "agents": n}
            meets = _hour_ok(answer, h, result.targets.items(), conf)
            row["answer_meets"] = meets
            if n == 0:
                row["fewer_fails"] = None
                row["answer_meets_mean"] = meets
                rows.append(row)
                continue
            fewer = evaluate({**result.staffing, h: n - 1})
            row["answer_meets_mean"] = True
            row["fewer_fails"] = not _hour_ok(fewer, h, result.targets.items(), conf)
            row["fewer_fails_mean"] = False
            for name, metric, bound in result.targets.items():
                a = answer.values.get(h, {}).get(metric, np.array([]))
                f = fewer.values.get(h, {}).get(metric, np.array([]))
                est_a, est_f = one_sided_bound(a, conf), one_sided_bound(f, conf)
                diff = paired_difference(f, a, conf) if len(a) == len(f) and len(a) else None
                row[f"{metric}_answer"] = est_a.mean
                row[f"{metric}_fewer"] = est_f.mean
                row[f"{metric}_diff"] = diff.mean if diff else math.nan
                row[f"{metric}_diff_ci_low"] = diff.low if diff else math.nan
                row[f"{metric}_diff_ci_high"] = diff.high if diff else math.nan
                if est_a.n and (est_a.mean < bound if _floor(name) else est_a.mean > bound):
                    row["answer_meets_mean"] = False
                if est_f.n and (est_f.mean < bound if _floor(name) else est_f.mean > bound):
                    row["fewer_fails_mean"] = True
            rows.append(row)
        warnings = list_warnings(
            evaluate.cache.values(), answer, zone=agents_zone(doc), throughput=bool(result.targets.throughput())
        )
        ver = Verification(seeds=seeds, simulations=evaluate.simulations, rows=rows, warnings=warnings)
        result.verification = ver
        return ver
    finally:
        if own:
            ex.close()
