"""Small campaign documents for the engine tests."""

from __future__ import annotations

import copy

import pytest

BASE = {
    "campaign": {
        "name": "test-campaign",
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
        "schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T16:00:00Z"},
        "communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": "America/New_York"}},
    },
    "simulation": {
        "seed": 1,
        "jurisdiction": "US",
        "contacts": {"synthetic": {"count": 200, "areaCodes": {"212": 1.0}}},
        "agents": {"count": 3},
        "behaviour": {"outcomes": {"human": 1.0}},
    },
}


def make_doc(**overrides):
    """BASE with dotted-path overrides, e.g. ``make_doc(**{"simulation.seed": 3})``."""
    doc = copy.deepcopy(BASE)
    for path, value in overrides.items():
        node = doc
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return doc


def queue_doc(*, rate: float, talk_mean: float, agents: int, patience, hours: float, seed: int) -> dict:
    """A fixedRate campaign that is an M/M/n+G queue: every answer a person,
    no ring, greeting or AMD time, exponential talk, no calling-hour rules."""
    end_h = int(hours)
    minutes = round((hours - end_h) * 60)
    return make_doc(
        **{
            "campaign.channelSubtypeConfig.telephony.outboundMode": {"fixedRate": {"dialsPerSecond": rate}},
            "campaign.schedule": {
                "startTime": "2026-01-05T00:00:00Z",
                "endTime": f"2026-01-{5 + end_h // 24:02d}T{end_h % 24:02d}:{minutes:02d}:00Z",
            },
            "simulation.seed": seed,
            "simulation.jurisdiction": None,
            "simulation.contacts": {"synthetic": {"count": int(rate * hours * 3600 * 1.2) + 100}},
            "simulation.agents": {"count": agents},
            "simulation.behaviour": {
                "outcomes": {"human": 1.0},
                "timeToAnswer": {"fixed": 0},
                "greeting": {"fixed": 0},
                "patienceInSilence": patience,
                "talk": {"exponential": {"mean": talk_mean}},
            },
            "simulation.safeHarbor": {"enabled": False},
        }
    )


@pytest.fixture
def doc_factory():
    return make_doc


def one_contact_doc(**extra):
    """One contact, one agent, fixed times: answer at 5 s, greeting 1 s, talk
    60 s, wrap-up 10 s (scenarios whose every event can be asserted)."""
    overrides = {
        "simulation.contacts": {"synthetic": {"count": 1, "areaCodes": {"212": 1.0}}},
        "simulation.agents": {"count": 1, "wrapUp": {"fixed": 10}},
        "simulation.behaviour": {
            "outcomes": {"human": 1.0},
            "timeToAnswer": {"fixed": 5},
            "greeting": {"fixed": 1},
            "talk": {"fixed": 60},
        },
    }
    overrides.update(extra)
    return make_doc(**overrides)
