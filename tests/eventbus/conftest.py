"""Shared data for the event-bus tests: the AWS-validated pattern corpus
and a small campaign."""

from __future__ import annotations

import copy
import json
from pathlib import Path

DATA = Path(__file__).parent / "data"

SMALL_CAMPAIGN = {
    "campaign": {
        "name": "bus-campaign",
        "connectInstanceId": "test-instance",
        "channelSubtypeConfig": {
            "telephony": {
                "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
                "defaultOutboundConfig": {
                    "connectContactFlowId": "flow",
                    "ringTimeout": 20,
                    "answerMachineDetectionConfig": {"enableAnswerMachineDetection": False},
                },
            }
        },
        "schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T15:00:00Z"},
        "communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": "America/New_York"}},
    },
    "simulation": {
        "seed": 1,
        "jurisdiction": "US",
        "contacts": {"synthetic": {"count": 60, "areaCodes": {"212": 1.0}}},
        "agents": {"count": 3},
        "behaviour": {"outcomes": {"human": 0.6, "no_answer": 0.4}},
    },
}


def small_campaign() -> dict:
    return copy.deepcopy(SMALL_CAMPAIGN)


def corpus() -> list[dict]:
    """Every case as {name, expected, event (text), pattern (text), error_message}."""
    data = json.loads((DATA / "localstack_event_patterns.json").read_text())
    out = [
        {
            "name": c["name"],
            "expected": c["expected"],
            "event": json.dumps(c["event"]),
            "pattern": json.dumps(c["pattern"]),
            "error_message": c.get("error_message"),
        }
        for c in data["cases"]
    ]
    out += [
        {
            "name": c["name"],
            "expected": c["expected"],
            "event": c["event_raw"],
            "pattern": c["pattern_raw"],
            "error_message": c.get("error_message"),
        }
        for c in data["raw_cases"]
    ]
    return out
