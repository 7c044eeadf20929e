"""The end of the dialling day: calls still ringing or in AMD when dialling
stops keep an agent for themselves (docs/engine.md, "A call's life")."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc
import yaml

from campaigns.document import parse_document
from dialer import simulate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "uk-predictive-amd.yaml"


def test_a_person_answering_after_the_day_ends_finds_an_agent_kept_for_them() -> None:
    """Agents always idle (benchmarks/amd_uk.py's run: 200 agents, 0.5 dials
    a second, seed 7): nobody should wait, also not the person who answers
    a call dialled 2 s before the horizon. Before this was fixed every idle
    agent whose shift ended at the horizon logged out then, the agents kept
    for calls still ringing included, and that person waited 2.3 s for an
    agent to finish a call."""
    doc = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    doc["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"] = {"fixedRate": {"dialsPerSecond": 0.5}}
    doc["simulation"]["agents"]["count"] = 200
    doc["simulation"]["contacts"]["synthetic"]["count"] = 12000
    parsed = parse_document(doc)
    assert parsed.campaign.schedule is not None
    end = parsed.campaign.schedule.end_time
    ev = simulate(parsed, seed=7).events
    assert ev is not None
    people = ev.filter(pc.and_(pc.equal(ev["event_type"], "CONNECTED_TO_AGENT"), pc.equal(ev["sim_party"], "HUMAN")))
    after = [t for t in people["connected_to_system_ts"].to_pylist() if t > end]
    assert after, "no person answered after the horizon: the test would prove nothing"
    waits = pc.subtract(people["connected_to_agent_ts"], people["enqueue_ts"]).to_pylist()
    assert max(w.total_seconds() for w in waits) == 0
    assert end - timedelta(hours=6) == parsed.campaign.schedule.start_time  # the 6-hour day the docstring means
