"""Helpers for the crash and replica tests: campaigns fed by a contact list
and outbound requests, the run's rows read straight from the database, and
the check that every accepted request was dialled or expired exactly once."""

from __future__ import annotations

import contextlib
import io
import os
import signal

import pyarrow.compute as pc
import pyarrow.parquet as pq
from api_helpers import CAMPAIGN, SIMULATION
from sqlalchemy import text

from campaigns.db import make_engine

# Eight hours from 9:00 in New York: every contact of these tests is dialled
# (or its request expires) well before the schedule ends.
LONG_SCHEDULE = {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T22:00:00Z"}
EXPIRES_SOON = "2026-12-01T14:01:00Z"  # a minute in: requests queued behind a list expire
EXPIRES_LATE = "2026-12-01T23:00:00Z"  # after the schedule: these are dialled


def list_csv(count: int) -> str:
    """``count`` distinct valid New York numbers."""
    return "phone\n" + "".join(f"212{555 - i // 10000}{i % 10000:04d}\n" for i in range(count))


def make_campaign(h, name: str, *, list_size: int = 0, agents: int = 60) -> str:
    """A campaign on a simulated contact center; fed by a contact list of
    ``list_size`` numbers, or by outbound requests only when 0."""
    h.put(
        f"/sim/contact-centers/cc-{name}",
        json={"simulation": {**SIMULATION, "agents": {"count": agents}, "lines": 200}},
    ).raise_for_status()
    body = {**CAMPAIGN, "name": name, "connectInstanceId": f"cc-{name}", "schedule": LONG_SCHEDULE}
    r = h.put("/v2/campaigns", json=body)
    r.raise_for_status()
    cid = r.json()["id"]
    if list_size:
        lid = h.post(
            "/sim/contact-lists", params={"name": name}, files={"file": ("l.csv", list_csv(list_size), "text/csv")}
        ).json()["id"]
        h.put(f"/sim/campaigns/{cid}/contacts", json={"contactListId": lid}).raise_for_status()
    return cid


def put_requests(
    h, cid: str, prefix: str, count: int, *, expires: str = EXPIRES_LATE, first_number: int = 0
) -> list[str]:
    """Put ``count`` requests in batches of 25; the client tokens accepted."""
    accepted = []
    for start in range(0, count, 25):
        batch = [
            {
                "clientToken": f"{prefix}-{i}",
                "expirationTime": expires,
                "channelSubtypeParameters": {
                    "telephony": {
                        "destinationPhoneNumber": f"+1305{555 - (first_number + i) // 10000}{(first_number + i) % 10000:04d}",
                        "attributes": {},
                    }
                },
            }
            for i in range(start, min(count, start + 25))
        ]
        r = h.put(f"/v2/campaigns/{cid}/outbound-requests", json={"outboundRequests": batch})
        r.raise_for_status()
        body = r.json()
        assert not body["failedRequests"], body["failedRequests"]
        accepted += [x["clientToken"] for x in body["successfulRequests"]]
    return accepted


def final_events(h, run_id: str):
    r = h.get(f"/sim/runs/{run_id}/events", params={"format": "parquet"})
    r.raise_for_status()
    return pq.read_table(io.BytesIO(r.content))


def assert_each_request_dialled_or_expired_once(events, tokens: list[str]) -> dict[str, set[str]]:
    """Every token has an INITIATED event or an EXPIRED disconnect, no dial
    attempt appears twice (a replayed segment is not appended to the dead
    attempt's events) and no event id repeats. Returns the tokens dialled
    and the tokens expired."""
    assert pc.count_distinct(events.column("event_id")).as_py() == events.num_rows, "an event id repeats"
    of_requests = events.filter(pc.is_valid(events.column("sim_client_token")))
    dials = of_requests.filter(pc.equal(of_requests.column("event_type"), "INITIATED"))
    per_attempt = dials.group_by(["sim_client_token", "sim_attempt"]).aggregate([("event_id", "count")])
    dup = per_attempt.filter(pc.greater(per_attempt.column("event_id_count"), 1))
    assert dup.num_rows == 0, f"dial attempts recorded twice: {dup.slice(0, 3).to_pylist()}"
    initiated = set(dials.column("sim_client_token").to_pylist())
    # One DISCONNECTED per expired request (its COMPLETED repeats it).
    ended = of_requests.filter(pc.equal(of_requests.column("event_type"), "DISCONNECTED"))
    expired_rows = ended.filter(pc.equal(ended.column("disconnect_reason"), "EXPIRED"))
    expired = set(expired_rows.column("sim_client_token").to_pylist())
    assert len(expired) == expired_rows.num_rows, "a request expired twice"
    missing = [t for t in tokens if t not in initiated and t not in expired]
    assert not missing, f"{len(missing)} accepted requests neither dialled nor expired, e.g. {missing[:5]}"
    assert not (initiated & expired), "a request both dialled and expired"
    unknown = (initiated | expired) - set(tokens)
    assert not unknown, f"events for requests never accepted: {sorted(unknown)[:5]}"
    return {"dialled": initiated, "expired": expired}


def list_numbers_dialled(events) -> int:
    """Distinct numbers dialled that came from the contact list (no token)."""
    dials = events.filter(
        pc.and_(pc.equal(events.column("event_type"), "INITIATED"), pc.is_null(events.column("sim_client_token")))
    )
    return pc.count_distinct(dials.column("customer_address")).as_py()


class Db:
    """Plain SQL on the test database (the run's lease and attempt rows)."""

    def __init__(self, url: str):
        self.engine = make_engine(url)

    def one(self, sql: str, **params):
        with self.engine.connect() as c:
            row = c.execute(text(sql), params).mappings().first()
            return dict(row) if row else None

    def all(self, sql: str, **params) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(text(sql), params).mappings()]

    def run(self, run_id: str) -> dict:
        return self.one("SELECT * FROM runs WHERE id = :i", i=run_id)

    def attempts(self, run_id: str) -> list[dict]:
        return self.all("SELECT * FROM run_attempts WHERE run_id = :i ORDER BY epoch", i=run_id)

    def close(self) -> None:
        self.engine.dispose()


def kill_pid(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
