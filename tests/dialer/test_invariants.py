"""Invariants on random campaigns (Hypothesis)."""

from __future__ import annotations

import itertools
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from dialer import simulate
from tests.dialer.conftest import make_doc

MODES = st.sampled_from(
    [
        {"progressive": {"bandwidthAllocation": 1.0}},
        {"progressive": {"bandwidthAllocation": 1.7}},
        {
            "predictive": {
                "bandwidthAllocation": 1.0,
                "pacingStrategies": [
                    {
                        "abandonmentRate": {
                            "targetRate": 0.03,
                            "connectionStartPoint": "GREETING_END",
                            "connectionThresholdSeconds": 2,
                            "evaluationWindow": "PT1H",
                        }
                    }
                ],
            }
        },
        {"preview": {"bandwidthAllocation": 1.0, "timeoutConfig": {"durationInSeconds": 30}}},
        {"agentless": {}},
        {"fixedRate": {"dialsPerSecond": 0.2}},
    ]
)


@st.composite
def campaigns(draw):
    shares = np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=7, max_size=7)))
    shares[0] += 0.05
    shares = shares / shares.sum()
    keys = ["human", "machine_beep", "machine_no_beep", "no_answer", "busy", "invalid", "fax"]
    start_hour = draw(st.integers(10, 23))
    doc = make_doc(
        **{
            "campaign.channelSubtypeConfig.telephony.outboundMode": draw(MODES),
            "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig": {
                "enableAnswerMachineDetection": draw(st.booleans()),
                "awaitAnswerMachinePrompt": draw(st.booleans()),
            },
            "campaign.schedule": {
                "startTime": f"2026-12-0{draw(st.integers(1, 6))}T{start_hour:02d}:00:00Z",
                "endTime": f"2026-12-07T{start_hour:02d}:00:00Z",
            },
            "campaign.entryLimitsConfig": {"maxEntryCount": draw(st.integers(1, 3)), "minEntryInterval": "PT30M"},
            "simulation.seed": draw(st.integers(0, 10_000)),
            "simulation.contacts": {
                "synthetic": {"count": draw(st.integers(1, 150)), "areaCodes": {"212": 0.5, "808": 0.25, "907": 0.25}}
            },
            "simulation.agents": {
                "count": draw(st.integers(1, 6)),
                "wrapUp": {"exponential": {"mean": 10}},
                "breaks": {"every": "PT1H", "length": "PT5M"} if draw(st.booleans()) else None,
            },
            "simulation.behaviour": {
                "outcomes": dict(zip(keys, shares.tolist(), strict=False)),
                "talk": {"exponential": {"mean": draw(st.sampled_from([30, 120]))}},
                "patienceInSilence": {"exponential": {"mean": 5}},
            },
            "simulation.lines": draw(st.integers(1, 20)),
        }
    )
    if doc["simulation"]["agents"]["breaks"] is None:
        del doc["simulation"]["agents"]["breaks"]
    doc["campaign"]["communicationTimeConfig"]["telephony"] = {
        "openHours": {
            "dailyHours": {
                d: [{"startTime": "T09:00", "endTime": "T20:00"}]
                for d in ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
            }
        }
    }
    return doc


def _check_invariants(doc, table):
    rows = table.to_pylist()
    by_contact: dict[str, list[dict]] = {}
    for r in rows:
        by_contact.setdefault(r["contact_id"], []).append(r)
    for cid, evs in by_contact.items():
        kinds = [e["event_type"] for e in evs]
        # Every dial ends exactly once.
        assert kinds.count("DISCONNECTED") == 1, (cid, kinds)
        # ... and is then COMPLETED, last: after the agent's after-contact
        # work, else at once with DISCONNECTED's data (Connect's contact events).
        assert kinds.count("COMPLETED") == 1 and kinds[-1] == "COMPLETED", (cid, kinds)
        final = next(e for e in evs if e["event_type"] == "DISCONNECTED")
        done = evs[-1]
        if done["connected_to_agent_ts"] is None:
            same = {k: v for k, v in final.items() if k not in ("event_id", "event_type")}
            assert {k: v for k, v in done.items() if k not in ("event_id", "event_type")} == same, cid
        else:
            assert done["after_contact_work_end_ts"] is not None, cid
        stamps = [
            final[k]
            for k in (
                "initiation_ts",
                "connected_to_system_ts",
                "enqueue_ts",
                "connected_to_agent_ts",
                "disconnect_ts",
                "after_contact_work_end_ts",
            )
        ]
        present = [s for s in stamps if s is not None]
        # No negative times: each step at or after the one before.
        assert present == sorted(present), (cid, stamps)
        for e in evs:
            assert e["time"] >= evs[0]["time"]
    # No agent on two calls at once.
    spans: dict[str, list] = {}
    for r in rows:
        if r["event_type"] == "DISCONNECTED" and r["connected_to_agent_ts"] is not None:
            end = r["after_contact_work_end_ts"] or r["disconnect_ts"]
            done = next((x for x in by_contact[r["contact_id"]] if x["event_type"] == "COMPLETED"), None)
            if done is not None:
                end = done["after_contact_work_end_ts"]
            spans.setdefault(r["agent_id"], []).append((r["connected_to_agent_ts"], end))
    for agent, s in spans.items():
        s.sort()
        for (a0, a1), (b0, b1) in itertools.pairwise(s):
            assert b0 >= a1, (agent, (a0, a1), (b0, b1))
    # No dial outside the calling window: 09:00-20:00 Mon-Sat (campaign),
    # inside 08:00-21:00 (US), in every zone of the callee.
    for r in rows:
        if r["event_type"] != "INITIATED":
            continue
        for zone in r["sim_time_zone"].split("|"):
            local = r["time"].astimezone(ZoneInfo(zone))
            assert local.weekday() != 6, (r["time"], zone)
            minutes = local.hour * 60 + local.minute + local.second / 60
            assert 9 * 60 <= minutes < 20 * 60, (r["time"], zone, local)


# Shrinking a whole campaign is slow; the failing document is printed instead.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@settings(max_examples=25, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_invariants_on_random_campaigns(doc):
    note(repr(doc))
    r = simulate(doc)
    _check_invariants(doc, r.events)
    mode = next(iter(doc["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]))
    live_rows = [x for x in r.events.to_pylist() if x["event_type"] == "CONNECTED_TO_AGENT"]
    if (
        mode == "progressive"
        and doc["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]["progressive"]["bandwidthAllocation"]
        <= 1
    ):
        # Progressive at ratio 1 never leaves a live answer waiting.
        assert r.summary["waited_share"] in (None, 0.0)
        assert all(x["connected_to_agent_ts"] == x["enqueue_ts"] for x in live_rows)
        assert r.summary["abandoned"] == 0
    if mode == "preview":
        assert r.summary["abandoned"] == 0
    if mode == "agentless":
        assert r.summary["connected_to_agent"] == 0


@settings(max_examples=8, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_same_seed_same_events_bit_for_bit(doc):
    a = simulate(doc).events
    b = simulate(doc).events
    assert a.equals(b)
