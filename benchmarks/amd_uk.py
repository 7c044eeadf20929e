"""The AMD figures of docs/engine.md, section AMD: a UK campaign with agents
always idle at the default and the UK AMD setting, the UK example against
AMD off, and sweeps over the AMD sensitivity (UK cap, and a 5 s cap).

    .venv/bin/python benchmarks/amd_uk.py [--quick]

Each line is one run as JSON: the share of people connected more than 2 s
after their greeting started, the UK audit's rate (true false positives)
and the operator's estimate, AMD's errors, agents' time.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.document import parse_document  # noqa: E402
from compliance import audit  # noqa: E402
from dialer import simulate  # noqa: E402

EXAMPLE = ROOT / "examples" / "uk-predictive-amd.yaml"


def late_share(events: pa.Table) -> float | None:
    """People connected to an agent more than 2 s after their greeting started."""
    t = events.filter(
        pc.and_(pc.equal(events["event_type"], "CONNECTED_TO_AGENT"), pc.equal(events["sim_party"], "HUMAN"))
    )
    if t.num_rows == 0:
        return None
    waits = pc.subtract(t["connected_to_agent_ts"], t["greeting_start_ts"]).cast(pa.int64())
    return pc.mean(pc.greater(waits, 2000).cast(pa.int8())).as_py()


def run(doc: dict[str, Any], label: str) -> dict[str, Any]:
    result = simulate(parse_document(doc))
    s = result.summary
    report = audit(result.events, "UK")
    confusion = s["amd_confusion"] or {}
    row = {
        "label": label,
        "late_share_gt_2s": late_share(result.events),
        "uk_rate": report.rule("abandonment_rate").measured,
        "uk_rate_operator_estimate": report.rule("abandonment_rate_operator_estimate").measured,
        "uk_passed": report.rule("abandonment_rate").passed,
        "amd_false_positives": s["amd_false_positives"],
        "amd_false_negatives": s["amd_false_negatives"],
        "machines_to_agents": sum(
            v.get("HUMAN_ANSWERED", 0) + v.get("AMD_UNRESOLVED", 0)
            for k, v in confusion.items()
            if k.startswith("MACHINE")
        ),
        "agent_occupancy": round(float(s["agent_occupancy"]), 4),
        "people_per_agent_hour": round(float(s["contacts_per_agent_hour"]), 2),
        "operating_point": s["amd_operating_point"],
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the idle-agent runs only")
    args = ap.parse_args()
    base = yaml.safe_load(EXAMPLE.read_text())
    uk_amd = base["simulation"]["amd"]

    idle = copy.deepcopy(base)
    idle["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"] = {"fixedRate": {"dialsPerSecond": 0.5}}
    idle["simulation"]["agents"]["count"] = 200
    idle["simulation"]["contacts"]["synthetic"]["count"] = 12000
    for name, amd in (("default", {}), ("uk", uk_amd)):
        doc = copy.deepcopy(idle)
        doc["simulation"]["amd"] = amd
        run(doc, f"idle agents, AMD {name}")
    if args.quick:
        return

    run(base, "example")
    off = copy.deepcopy(base)
    off["campaign"]["channelSubtypeConfig"]["telephony"]["defaultOutboundConfig"]["answerMachineDetectionConfig"][
        "enableAnswerMachineDetection"
    ] = False
    run(off, "example, AMD off")
    for cap in (1.9, 5.0):
        for s in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            doc = copy.deepcopy(base)
            doc["simulation"]["amd"]["sensitivity"] = s
            if cap == 5.0:
                doc["simulation"]["amd"].update({"maxAnalysisSeconds": 5.0, "analysisMeasuredFrom": "ANSWER"})
            run(doc, f"sweep cap {cap} s, sensitivity {s}")


if __name__ == "__main__":
    main()
