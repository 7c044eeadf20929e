"""Common random numbers: how much two scenarios on the same seeds share.

Runs pairs of scenarios of the reference campaign on the same replication
seeds (``analysis.compare``) and prints, per pair and metric, the
correlation across seeds (with a rough 95% interval, Fisher's z), the
paired and the unpaired 95% half-widths of B - A, and what pairing saves
(the unpaired half-width over the paired one).

Pairs: 40 vs 42 agents (issue 15's target: occupancy correlates at 0.8 or
more), and predictive vs progressive dialling at the reference's 100 agents.

    .venv/bin/python benchmarks/bench_crn.py [--seeds 24] [--workers 2] [--hours 8] [--only NAME] [--extra]

``--hours`` shortens the dialling day (the schedule's end), for a quick look;
``--extra`` adds 40 vs 42 agents with one setting changed in both (progressive,
AMD off, no breaks, no patience, no retries, one answer share all day).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.compare import compare  # noqa: E402
from analysis.sweep import apply_changes  # noqa: E402
from campaigns.document import load_document  # noqa: E402

REFERENCE = ROOT / "examples" / "reference-predictive.yaml"
METRICS = ["agent_occupancy", "abandonment_rate", "dial_attempts", "live_connected_to_agent", "mean_time_to_agent_s"]
MODE = "campaign.channelSubtypeConfig.telephony.outboundMode"


AMD = "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig"
# --extra: 40 vs 42 agents with one thing changed in both, to see what
# decorrelates the pair (docs/analysis.md, "Paired comparisons").
EXTRA = {
    "progressive": {MODE: {"progressive": {"bandwidthAllocation": 1.0}}},
    "AMD off": {f"{AMD}.enableAnswerMachineDetection": False},
    "no breaks": {"agents.breaks": None},
    "no patience": {"simulation.behaviour.patienceInSilence": None},
    "no retries": {"campaign.entryLimitsConfig.maxEntryCount": 1},
    "one answer share all day": {"simulation.behaviour.byLocalHour": {}},
}


def scenarios(hours: float, extra: bool = False) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    doc = load_document(REFERENCE)
    sched = doc.campaign.schedule
    assert sched is not None
    end = sched.start_time + timedelta(hours=hours)
    base = {"campaign.schedule.endTime": end.isoformat().replace("+00:00", "Z")}
    more = {
        f"40 vs 42 agents, {name}": (
            apply_changes(REFERENCE, {**base, **change, "agents.count": 40}),
            apply_changes(REFERENCE, {**base, **change, "agents.count": 42}),
        )
        for name, change in (EXTRA.items() if extra else ())
    }
    return {
        **more,
        "40 vs 42 agents": (
            apply_changes(REFERENCE, {**base, "agents.count": 40}),
            apply_changes(REFERENCE, {**base, "agents.count": 42}),
        ),
        "predictive vs progressive (100 agents)": (
            apply_changes(REFERENCE, base),
            apply_changes(REFERENCE, {**base, MODE: {"progressive": {"bandwidthAllocation": 1.0}}}),
        ),
    }


def r_interval(r: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Rough 95% interval of a correlation over n pairs (Fisher's z, SE 1/sqrt(n - 3))."""
    if n <= 3 or r != r:
        return float("nan"), float("nan")
    f = math.atanh(max(min(r, 0.9999), -0.9999))
    se = 1.0 / math.sqrt(n - 3)
    return math.tanh(f - z * se), math.tanh(f + z * se)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=24, help="replications (paired seeds)")
    ap.add_argument("--seed", type=int, default=0, help="base seed of the replications")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes (0: this process)")
    ap.add_argument("--hours", type=float, default=8.0, help="length of the dialling day")
    ap.add_argument("--only", default=None, help="run only the pairs whose name contains this")
    ap.add_argument("--extra", action="store_true", help="also 40 vs 42 agents with one setting changed in both")
    args = ap.parse_args()
    for name, (a, b) in scenarios(args.hours, args.extra).items():
        if args.only and args.only not in name:
            continue
        t0 = time.perf_counter()
        res = compare(a, b, replications=args.seeds, seed=args.seed, metrics=METRICS, workers=args.workers)
        print(
            f"\n{name}: {args.seeds} paired seeds (base {args.seed}), {args.hours:g} h, {time.perf_counter() - t0:.0f} s"
        )
        print(
            f"{'metric':<26}{'mean A':>12}{'mean B':>12}{'B - A':>12}{'paired ±':>11}{'unpaired ±':>12}{'r':>7}{'r 95%':>14}{'gain':>7}"
        )
        for m in res.metrics:
            p = m.paired
            gain = m.unpaired_half_width / p.half_width if p.half_width else float("nan")
            lo, hi = r_interval(p.correlation, args.seeds)
            print(
                f"{m.metric:<26}{m.mean_a:>12.4f}{m.mean_b:>12.4f}{p.mean:>12.4f}{p.half_width:>11.4f}"
                f"{m.unpaired_half_width:>12.4f}{p.correlation:>7.2f}{f'[{lo:.2f}, {hi:.2f}]':>14}{gain:>7.1f}"
            )


if __name__ == "__main__":
    main()
