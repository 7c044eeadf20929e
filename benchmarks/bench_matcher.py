"""Contact events per second through 100 typical rules, on one core.

The events are the envelopes of a real run (examples/reference-predictive.yaml,
seed 1, the first 50,000 events); the rules are what teams write on Connect
contact events: exact ``source`` / ``detail-type`` / ``eventType`` /
``campaign.campaignId``, plus some ``prefix`` and ``numeric`` conditions
(see ``typical_rules``). Only the matching is timed (the envelopes are
built before the clock starts); the time to build envelopes is printed
separately. The figure is events per CPU-second of this process
(``time.process_time``), so that other work on a shared machine does not
lower it; the wall-clock rate is printed beside it. Target: >= 100,000
events/s (issue 14).

    .venv/bin/python benchmarks/bench_matcher.py [--events N] [--rules N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dialer import simulate
from eventbus.machine import RuleSet
from eventlog.envelopes import iter_envelopes

EVENT_TYPES = ["INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED"]
REASONS = ["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "TELECOM_UNANSWERED", "TELECOM_BUSY", "EXPIRED"]


def typical_rules(n: int, campaign_id: str) -> list[dict]:
    """``n`` rules cycling through six shapes; campaign ids vary so that
    most rules are about other campaigns, as on a shared bus."""
    rules = []
    for i in range(n):
        camp = campaign_id if i % 10 == 0 else f"campaign-{i:03d}"
        base = {"source": ["aws.connect"], "detail-type": ["Amazon Connect Contact Event"]}
        shape = i % 6
        if shape == 0:
            rules.append({**base, "detail": {"eventType": [EVENT_TYPES[i % 6]], "campaign": {"campaignId": [camp]}}})
        elif shape == 1:
            rules.append(
                {
                    **base,
                    "detail": {
                        "eventType": ["DISCONNECTED"],
                        "disconnectReason": [REASONS[i % 5]],
                        "campaign": {"campaignId": [camp]},
                    },
                }
            )
        elif shape == 2:
            rules.append(
                {
                    **base,
                    "detail": {
                        "campaign": {"campaignId": [camp]},
                        "answeringMachineDetectionStatus": [{"prefix": "VOICEMAIL"}],
                    },
                }
            )
        elif shape == 3:
            rules.append(
                {
                    **base,
                    "detail": {
                        "campaign": {"campaignId": [camp]},
                        "simulation": {"attempt": [{"numeric": [">=", 1 + i % 3]}]},
                    },
                }
            )
        elif shape == 4:
            rules.append(
                {
                    "source": ["aws.connect"],
                    "detail": {"eventType": [EVENT_TYPES[i % 6], "QUEUED"], "campaign": {"campaignId": [camp]}},
                }
            )
        else:
            rules.append(
                {
                    **base,
                    "detail": {
                        "campaign": {"campaignId": [camp]},
                        "customerEndpoint": {"address": [{"prefix": f"+1{200 + i}"}]},
                    },
                }
            )
    return rules


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--rules", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    example = Path(__file__).resolve().parent.parent / "examples" / "reference-predictive.yaml"
    result = simulate(example, seed=1, campaign_id="bench-campaign")
    table = result.events.slice(0, args.events)
    t0 = time.perf_counter()
    envelopes = list(iter_envelopes(table))
    build = time.perf_counter() - t0
    rules = RuleSet()
    for i, r in enumerate(typical_rules(args.rules, "bench-campaign")):
        rules.add(f"rule-{i}", r)
    rules.match(envelopes[0])  # compile
    best_cpu = best_wall = 0.0
    matched = 0
    for _ in range(args.repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        matched = 0
        for env in envelopes:
            matched += len(rules.match(env))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        best_cpu = max(best_cpu, len(envelopes) / cpu)
        best_wall = max(best_wall, len(envelopes) / wall)
    checked = sum(rules.checked(env) for env in envelopes) / len(envelopes)
    print(
        f"events: {len(envelopes):,}  rules: {args.rules}  matches: {matched:,}  "
        f"rules checked per event: {checked:.1f} of {args.rules}"
    )
    print(f"matcher: {best_cpu:,.0f} events per CPU-second on one core (best of {args.repeat}; target >= 100,000)")
    print(f"matcher, wall clock: {best_wall:,.0f} events/s")
    print(f"envelope building (not part of the figure): {len(envelopes) / build:,.0f} events/s")


if __name__ == "__main__":
    main()
