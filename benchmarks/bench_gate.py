"""Gate speed: pre-dial decisions per second for a million-contact campaign.

Builds the gate for one million synthetic US contacts (every US zone) over a
week, then times ``check`` on random (contact, instant) pairs with a share of
recorded dials, as the engine would.

    python benchmarks/bench_gate.py [--contacts 1000000] [--checks 2000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from campaigns.contacts import from_numbers, zone_settings
    from campaigns.document import parse_document
    from campaigns.synthetic import synthetic_numbers
    from compliance import DialGate, Verdict

    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=2_000_000)
    ap.add_argument("--jurisdiction", default="US")
    a = ap.parse_args()
    doc = parse_document(
        {
            "campaign": {
                "name": "bench",
                "connectInstanceId": "inst",
                "channelSubtypeConfig": {
                    "telephony": {
                        "outboundMode": {"predictive": {"bandwidthAllocation": 1.0}},
                        "defaultOutboundConfig": {"connectContactFlowId": "f"},
                    }
                },
                "schedule": {"startTime": "2026-12-01T13:00:00Z", "endTime": "2026-12-08T05:00:00Z"},
                "communicationTimeConfig": {
                    "localTimeZoneConfig": {"defaultTimeZone": "America/New_York"},
                    "telephony": {
                        "openHours": {
                            "dailyHours": {
                                d: [{"startTime": "T09:00", "endTime": "T20:00"}]
                                for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
                            }
                        }
                    },
                },
                "entryLimitsConfig": {"maxEntryCount": 5, "minEntryInterval": "PT2H"},
                "communicationLimitsOverride": {
                    "allChannelSubtypes": {
                        "communicationLimitsList": [{"maxCountPerRecipient": 3, "frequency": 1, "unit": "DAY"}]
                    }
                },
            },
            "simulation": {"agents": {"count": 1}, "behaviour": {"outcomes": {"human": 1.0}}},
        }
    )
    rng = np.random.default_rng(1)
    contacts = from_numbers(synthetic_numbers(rng, a.contacts), zone_settings(doc))
    t0 = time.perf_counter()
    gate = DialGate(doc, a.jurisdiction, contacts)
    build = time.perf_counter() - t0
    span = (doc.campaign.schedule.end_time - doc.campaign.schedule.start_time).total_seconds()
    ii = rng.integers(0, a.contacts, size=a.checks).tolist()
    tt = np.sort(rng.uniform(0, span, size=a.checks)).tolist()  # time moves forward, as in a run
    check, record = gate.check, gate.record_dial
    allowed = 0
    t0 = time.perf_counter()
    for i, t in zip(ii, tt, strict=False):
        v, _when = check(i, t)
        if v == 0:
            allowed += 1
            record(i, t)
    dt = time.perf_counter() - t0
    print(f"gate: {a.contacts:,} contacts in {len(contacts.groups)} zone groups, built in {build:.2f} s")
    print(
        f"gate: {a.checks:,} checks (+{allowed:,} recorded dials) in {dt:.2f} s = {a.checks / dt:,.0f} decisions/s"
        f" (check+record loop, one core)"
    )
    # Pure check throughput, no state changes.
    t0 = time.perf_counter()
    for i, t in zip(ii, tt, strict=False):
        check(i, t)
    dt = time.perf_counter() - t0
    print(f"gate: check only: {a.checks / dt:,.0f} decisions/s; {Verdict(check(ii[0], tt[0])[0]).name} for the first")


if __name__ == "__main__":
    main()
