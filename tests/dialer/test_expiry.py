"""expirationTime of outbound requests: an undialled request expires with one
EXPIRED disconnect (DISCONNECTED, then COMPLETED); a dialled one waiting for a retry is simply not dialled again."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from campaigns.contacts import load_contacts
from campaigns.document import parse_document
from dialer import simulate
from tests.dialer.conftest import make_doc


def test_expiry_ends_undialled_requests_and_stops_retries():
    doc = parse_document(
        make_doc(
            **{
                "simulation.contacts": {"synthetic": {"count": 400, "areaCodes": {"212": 1.0}}},
                "simulation.agents": {"count": 3},
                "simulation.behaviour": {"outcomes": {"human": 0.3, "no_answer": 0.7}},
                "campaign.entryLimitsConfig": {"maxEntryCount": 3, "minEntryInterval": "PT5M"},
            }
        )
    )
    contacts = load_contacts(doc)
    rng = np.random.default_rng(5)
    expires = np.where(rng.random(len(contacts)) < 0.7, rng.uniform(0, 5400, len(contacts)), np.inf)
    contacts.expires_at = expires
    r = simulate(doc, contacts=contacts)
    start = doc.campaign.schedule.start_time
    dials: dict[int, list] = {}
    expired: dict[int, list] = {}
    for e in r.events.to_pylist():
        if e["event_type"] == "INITIATED":
            dials.setdefault(e["sim_recipient"], []).append(e["time"])
        elif e["disconnect_reason"] == "EXPIRED" and e["event_type"] == "DISCONNECTED":
            expired.setdefault(e["sim_recipient"], []).append(e["time"])
    assert expired, "the scenario should expire some requests"
    for rec, times in expired.items():
        assert len(times) == 1
        assert rec not in dials, f"request {rec} was dialled, yet got an EXPIRED event"
        assert times[0] == start + timedelta(seconds=round(float(expires[rec]), 3))
    for rec, times in dials.items():
        deadline = start + timedelta(seconds=float(expires[rec])) if np.isfinite(expires[rec]) else None
        assert deadline is None or max(times) < deadline, f"request {rec} dialled after its expirationTime"
    assert sum(len(d) > 1 for d in dials.values()) > 10  # retries did happen
    assert r.summary["expired_requests"] == len(expired)
