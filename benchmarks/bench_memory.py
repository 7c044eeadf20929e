"""Memory: a 1,000,000-contact, 5-day predictive campaign with events
streamed to Parquet. Target (issue 2): peak RSS under 1 GiB (contacts held as
arrays, events flushed in batches, nothing kept in memory).

    .venv/bin/python benchmarks/bench_memory.py [--contacts 1000000] [--days 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from dialer import simulate  # noqa: E402


def document(contacts: int, days: int) -> dict:
    doc = yaml.safe_load((ROOT / "examples" / "reference-predictive.yaml").read_text())
    start = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # a Monday, 08:00 in New York
    doc["campaign"]["schedule"] = {
        "startTime": start.isoformat().replace("+00:00", "Z"),
        "endTime": (start + timedelta(days=days, hours=-1)).isoformat().replace("+00:00", "Z"),
    }
    doc["simulation"]["contacts"] = {"synthetic": {"count": contacts, "countries": {"US": 1.0}}}
    doc["simulation"]["agents"] = {
        "count": 200,
        "timeZone": "America/New_York",
        "shifts": [{"start": "08:00", "end": "16:30", "agents": 120}, {"start": "12:00", "end": "20:30", "agents": 80}],
        "breaks": {"every": "PT2H", "length": "PT10M"},
        "wrapUp": {"lognormal": {"mean": 20, "sd": 8}},
    }
    doc["simulation"]["lines"] = 1200
    return doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=5)
    args = ap.parse_args()
    doc = document(args.contacts, args.days)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.time(), time.process_time()
        r = simulate(doc, out_dir=tmp, keep_events=False)
        wall, cpu = time.time() - t0, time.process_time() - c0
        size = (Path(tmp) / "events.parquet").stat().st_size
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = r.summary
    print(
        f"{args.contacts:,} contacts, {args.days} days: {s['dial_attempts']:,} dials, "
        f"{s['contacts_attempted']:,} contacts attempted, events {size / 2**20:.0f} MiB Parquet"
    )
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s ({s['dial_attempts'] / cpu:,.0f} dials/CPU s)")
    print(f"peak RSS {peak_mib:.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()
