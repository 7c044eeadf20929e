"""Benchmark: a 40-run sweep on 1 local worker process vs 2 (target >= 1.7x).

The reference campaign cut to a few seconds a run (fewer agents, a shorter
day): 4 points (agents.count) x 10 replications. Each timing includes starting
the worker processes. Prints both wall times and the speed-up.

    python benchmarks/bench_sweep.py [--agents 70 --minutes 480] [--scheduler tcp://...]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from analysis.sweep import SweepSpec, run_sweep
from campaigns.document import load_document

ROOT = Path(__file__).resolve().parents[1]


def bench_spec(agents: int, minutes: int) -> SweepSpec:
    d = load_document(ROOT / "examples" / "reference-predictive.yaml").to_document()
    d["simulation"]["contacts"]["synthetic"]["count"] = agents * 400
    d["simulation"]["lines"] = agents * 6
    start = datetime.fromisoformat(d["campaign"]["schedule"]["startTime"].replace("Z", "+00:00"))
    d["campaign"]["schedule"]["endTime"] = (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = [agents - 10, agents - 5, agents, agents + 5]
    return SweepSpec(
        document=d,
        parameters={"agents.count": counts},
        replications=10,
        seed=2026,
        metrics=["dial_attempts", "abandonment_rate", "agent_occupancy"],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=70)
    ap.add_argument("--minutes", type=int, default=480)
    ap.add_argument("--scheduler", default=None, help="also time a Dask scheduler at this address")
    args = ap.parse_args()
    spec = bench_spec(args.agents, args.minutes)
    print(
        f"40 runs: agents {spec.parameters['agents.count']} x 10 replications, {args.minutes} simulated minutes each; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (other processes on the machine share its cores)")
    times = {}
    results = {}
    for workers in (1, 2):
        t = time.perf_counter()
        results[workers] = run_sweep(spec, workers=workers)
        times[workers] = time.perf_counter() - t
        runs = results[workers].runs
        print(
            f"{workers} worker(s): {times[workers]:.1f} s wall; per run {runs['elapsed_s'].mean():.2f} s wall, "
            f"{runs['cpu_s'].mean():.2f} s CPU (wall > CPU: the workers waited for a core)"
        )
    same = results[1].summary.equals(results[2].summary)
    speedup = times[1] / times[2]
    print(f"speed-up 2 vs 1 workers: {speedup:.2f}x (target >= 1.7); identical results: {same}")
    if args.scheduler:
        t = time.perf_counter()
        res = run_sweep(spec, scheduler=args.scheduler)
        print(
            f"dask {args.scheduler}: {time.perf_counter() - t:.1f} s wall; identical: {res.summary.equals(results[1].summary)}"
        )
    print(
        f"RESULT bench_sweep runs=40 t1={times[1]:.1f} t2={times[2]:.1f} speedup={speedup:.2f} target=1.7 ok={speedup >= 1.7}"
    )


if __name__ == "__main__":
    main()
