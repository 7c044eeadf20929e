"""Earlier runs count in a new run's frequency caps (issue 13), on a real
server with SQLite and PostgreSQL.

A Florida campaign (30 Miami numbers, up to 3 attempts each, 10 minutes
apart, 60% no answer) calls many of its contacts three times in a
three-hour run: Florida's cap, 3 calls per 24 h on the same subject. Run
again on the same schedule (the simulated clocks overlap), the earlier
run's calls are placed just before the new one, so the contacts already
called three times are refused (FREQUENCY_LIMIT), those called fewer
times are called again, and no number gets a fourth call. A campaign on another subject calls them as if nothing had
happened; a campaign tagged with the same subject is held like a re-run."""

from __future__ import annotations

import io
from collections import Counter

import pyarrow.parquet as pq
from api_helpers import CAMPAIGN, wait_for

SCHEDULE = {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T17:00:00Z"}  # 09:00-12:00 in Miami
NUMBERS = [f"+1305555{i:04d}" for i in range(100, 130)]
SIMULATION = {
    "seed": 3,
    "jurisdiction": "US",
    "agents": {"count": 3},
    "behaviour": {"outcomes": {"human": 0.4, "no_answer": 0.6}},
    "lines": 10,
}


def _campaign(h, name: str, list_id: str, subject: str | None) -> str:
    body = {
        **CAMPAIGN,
        "name": name,
        "connectInstanceId": "cc-history",
        "schedule": SCHEDULE,
        "channelSubtypeConfig": {
            "telephony": {
                **CAMPAIGN["channelSubtypeConfig"]["telephony"],
                "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
            }
        },
        "entryLimitsConfig": {"maxEntryCount": 3, "minEntryInterval": "PT10M"},
    }
    if subject is not None:
        body["tags"] = {"dialer:subject": subject}
    r = h.put("/v2/campaigns", json=body)
    r.raise_for_status()
    cid = r.json()["id"]
    h.put(f"/sim/campaigns/{cid}/contacts", json={"contactListId": list_id}).raise_for_status()
    return cid


def _run(h, cid: str) -> tuple[dict, Counter]:
    """Start the campaign, wait for its run to complete; the run and the
    dials per number."""
    r = h.post(f"/sim/campaigns/{cid}/runs", json={})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    run = wait_for(
        lambda: (x := h.get(f"/sim/runs/{run_id}").json())["status"] in ("completed", "failed", "stopped") and x, 120
    )
    assert run["status"] == "completed", run
    ev = pq.read_table(io.BytesIO(h.get(f"/sim/runs/{run_id}/events", params={"format": "parquet"}).content))
    dials = Counter(
        a
        for a, t in zip(ev.column("customer_address").to_pylist(), ev.column("event_type").to_pylist(), strict=True)
        if t == "INITIATED"
    )
    return run, dials


def test_earlier_runs_on_the_same_subject_hold_the_florida_cap(server):
    with server.http() as h:
        h.put("/sim/contact-centers/cc-history", json={"simulation": SIMULATION}).raise_for_status()
        csv = "phone\n" + "".join(n + "\n" for n in NUMBERS)
        r = h.post("/sim/contact-lists", params={"name": "miami"}, files={"file": ("m.csv", csv, "text/csv")})
        r.raise_for_status()
        list_id = r.json()["id"]
        first_cid = _campaign(h, "fl-mortgage", list_id, "mortgage")

        first, first_dials = _run(h, first_cid)
        capped = {n for n, k in first_dials.items() if k >= 3}
        assert 5 <= len(capped) < len(NUMBERS), first_dials  # the first run reached the cap for several numbers

        # The same campaign again, on the same schedule.
        again, again_dials = _run(h, first_cid)
        assert not capped & set(again_dials), f"called again: {sorted(capped & set(again_dials))}"
        assert set(again_dials) == set(NUMBERS) - capped  # a cap, not a blanket ban
        over = {n: first_dials[n] + again_dials[n] for n in NUMBERS if first_dials[n] + again_dials[n] > 3}
        assert not over, over  # never a fourth call within the 24 hours
        assert again["summary"]["exclusions"].get("FREQUENCY_LIMIT", 0) > 0, again["summary"]
        assert again["summary"]["contacts_not_attempted"] == len(capped)
        about = again["summary"]["history"]
        assert about["runs"] == [first["id"]] and about["calls"] == sum(first_dials.values()), about
        assert about["subject"] == "mortgage" and about["shiftSeconds"] > 0, about
        assert first["summary"]["history"]["runs"] == []

        # Another subject on the same instance: not affected.
        other, other_dials = _run(h, _campaign(h, "fl-insurance", list_id, "insurance"))
        assert other["summary"]["history"]["runs"] == [], other["summary"]["history"]
        assert "FREQUENCY_LIMIT" not in other["summary"]["exclusions"], other["summary"]["exclusions"]
        assert set(other_dials) == set(NUMBERS) and other_dials == first_dials  # the same seed, the same calls

        # Another campaign tagged with the same subject: both earlier runs count.
        same, same_dials = _run(h, _campaign(h, "fl-mortgage-2", list_id, "mortgage"))
        assert same["summary"]["history"]["runs"] == [first["id"], again["id"]], same["summary"]["history"]
        assert not capped & set(same_dials)
        assert same["summary"]["exclusions"].get("FREQUENCY_LIMIT", 0) > 0
