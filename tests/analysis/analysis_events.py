"""Helpers for the analysis tests: tiny hand-built event tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from eventlog import EVENT_SCHEMA

T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

_TS = {
    "init": "initiation_ts",
    "sys": "connected_to_system_ts",
    "gs": "greeting_start_ts",
    "ge": "greeting_end_ts",
    "q": "enqueue_ts",
    "agent": "connected_to_agent_ts",
    "disc": "disconnect_ts",
}


def call_events(calls: list[dict]) -> pa.Table:
    """Events for calls given as seconds since T0: ``init, sys, gs, ge, q,
    agent, disc`` plus ``amd``, ``party``. Each call gets an INITIATED event
    (with only its initiation time, like the engine's) and a DISCONNECTED one
    carrying every timestamp."""
    rows = []
    for i, c in enumerate(calls):
        ts = {col: (T0 + timedelta(seconds=c[k]) if c.get(k) is not None else None) for k, col in _TS.items()}
        base = dict.fromkeys(EVENT_SCHEMA.names)
        base.update(
            contact_id=f"c{i}",
            campaign_id="camp",
            channel="VOICE",
            initiation_method="OUTBOUND",
            sim_party=c.get("party", "HUMAN"),
            sim_recipient=i,
            sim_attempt=1,
        )
        rows.append(
            {
                **base,
                "event_id": f"e{i}a",
                "time": ts["initiation_ts"],
                "event_type": "INITIATED",
                "initiation_ts": ts["initiation_ts"],
            }
        )
        rows.append(
            {
                **base,
                **ts,
                "event_id": f"e{i}b",
                "time": ts["disconnect_ts"],
                "event_type": "DISCONNECTED",
                "amd_status": c.get("amd"),
                "disconnect_reason": c.get("reason", "CUSTOMER_DISCONNECT"),
            }
        )
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def toy_summary(task: dict) -> dict:
    """A stand-in run function for sweep mechanics tests: a deterministic
    function of the document and the seed, fast enough to run hundreds."""
    import numpy as np

    doc = task["document"]
    agents = doc["simulation"]["agents"]["count"]
    target = doc["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]["predictive"]["pacingStrategies"][0][
        "abandonmentRate"
    ]["targetRate"]
    rng = np.random.default_rng(task["seed"])
    return {
        "abandonment_rate": target * 0.8 + rng.normal(0, 0.001),
        "agent_occupancy": min(0.95, 60 / agents) + rng.normal(0, 0.01),
        "dial_attempts": int(100 * agents + rng.integers(0, 50)),
        "label": "not a number",
    }


def small_document(*, agents: int = 10, minutes: int = 60, contacts: int = 3000) -> dict:
    """The reference campaign cut down: fewer agents and contacts, a shorter day."""
    from datetime import datetime, timedelta
    from pathlib import Path

    from campaigns.document import load_document

    ref = Path(__file__).resolve().parents[2] / "examples" / "reference-predictive.yaml"
    d = load_document(ref).to_document()
    d["simulation"]["agents"]["count"] = agents
    d["simulation"]["contacts"]["synthetic"]["count"] = contacts
    d["simulation"]["lines"] = agents * 6
    start = datetime.fromisoformat(d["campaign"]["schedule"]["startTime"].replace("Z", "+00:00"))
    d["campaign"]["schedule"]["endTime"] = (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return d
