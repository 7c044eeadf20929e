"""The dial order of outbound requests is the order they were accepted in
(batch after batch, and inside a batch the order of its entries), on SQLite
and PostgreSQL alike, whatever the random request ids: two services given
the same campaign, the same batches and the same seed write the same events.

Before the acceptance position, a segment dialled its requests ordered by
``(created_at, id)``: every entry of a batch shares one ``created_at`` and
the id is a random UUID, so the entries of a batch were dialled in an order
that differed from one database to the next."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from api_helpers import CAMPAIGN, Server, run_of, wait_for

from api.testing import ServerProcess, make_keys
from tests.databases import empty_database

SCHEDULE = {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T16:00:00Z"}  # 09:00-11:00 in New York
EXPIRES = "2026-12-01T23:00:00Z"
SIMULATION = {
    "seed": 11,
    "jurisdiction": "US",
    "agents": {"count": 2},
    "behaviour": {"outcomes": {"human": 0.5, "machine_beep": 0.2, "no_answer": 0.2, "busy": 0.1}},
    "lines": 3,
}
# Three batches of different sizes; the second repeats a token of the first
# (an idempotent re-put: it keeps its first position).
BATCHES = [
    [(f"a-{i}", f"+1212555{1000 + i:04d}") for i in range(7)],
    [("a-3", "+12125551003"), *[(f"b-{i}", f"+1212555{2000 + i:04d}") for i in range(5)]],
    [(f"c-{i}", f"+1212555{3000 + i:04d}") for i in range(8)],
]
REQUESTS = 20  # distinct tokens
# Ids that are random by design (per campaign or per database): compared by
# the order in which they first appear instead.
RANDOM_IDS = ("event_id", "contact_id", "campaign_id", "agent_id")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """``get(kind, name)``: a real ``dialer serve`` on its own database of
    ``kind``, started on first use and kept for the module."""
    started: dict[tuple[str, str], Server] = {}
    schemas = []

    def get(kind: str, name: str) -> Server:
        if (kind, name) not in started:
            data = tmp_path_factory.mktemp(f"order-{kind}-{name}")
            url, schema = empty_database(kind, data)
            if schema is not None:
                schemas.append(schema)
            (key,) = make_keys(url, ("manager", "default"))
            started[kind, name] = Server(ServerProcess(data_dir=data, database_url=url).start(), {"manager": key})
        return started[kind, name]

    yield get
    for srv in started.values():
        srv.proc.stop()
    for schema in schemas:
        schema.close()


@pytest.fixture(scope="module")
def events_on(servers):
    """``get(kind, name)``: the events of the campaign run on that server
    (``_events_of_run``), played once per module."""
    played: dict[tuple[str, str], list[dict]] = {}

    def get(kind: str, name: str) -> list[dict]:
        if (kind, name) not in played:
            played[kind, name] = _events_of_run(servers(kind, name))
        return played[kind, name]

    return get


def _events_of_run(srv: Server) -> list[dict]:
    """Put the batches to a new campaign on ``srv``, start it, let its first
    segment play, stop it: the run's events, random ids replaced by the rank
    of their first appearance."""
    with srv.http() as h:
        h.put("/sim/contact-centers/cc-order", json={"simulation": SIMULATION}).raise_for_status()
        body = {
            **CAMPAIGN,
            "name": "order",
            "connectInstanceId": "cc-order",
            "schedule": SCHEDULE,
            "channelSubtypeConfig": {
                "telephony": {
                    **CAMPAIGN["channelSubtypeConfig"]["telephony"],
                    "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
                }
            },
        }
        r = h.put("/v2/campaigns", json=body)
        r.raise_for_status()
        cid = r.json()["id"]
        for batch in BATCHES:
            entries = [
                {
                    "clientToken": tok,
                    "expirationTime": EXPIRES,
                    "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": phone, "attributes": {}}},
                }
                for tok, phone in batch
            ]
            r = h.put(f"/v2/campaigns/{cid}/outbound-requests", json={"outboundRequests": entries})
            r.raise_for_status()
            assert not r.json()["failedRequests"], r.json()
        h.post(f"/v2/campaigns/{cid}/start").raise_for_status()
        wait_for(lambda: (run_of(h, cid).get("summary") or {}).get("requests_accepted") == REQUESTS, 60)
        h.post(f"/v2/campaigns/{cid}/stop").raise_for_status()
        run = wait_for(lambda: (x := run_of(h, cid))["status"] in ("stopped", "completed", "failed") and x, 60)
        assert run["status"] == "stopped", run
        r = h.get(f"/sim/runs/{run['id']}/events", params={"format": "parquet"})
        r.raise_for_status()
    rows = pq.read_table(io.BytesIO(r.content)).to_pylist()
    ranks: dict[str, dict[str, int]] = {c: {} for c in RANDOM_IDS}
    for row in rows:
        for c in RANDOM_IDS:
            if row[c] is not None:
                row[c] = ranks[c].setdefault(row[c], len(ranks[c]))
    return rows


def _dial_order(events: list[dict]) -> list[str]:
    return [e["sim_client_token"] for e in events if e["event_type"] == "INITIATED" and e["sim_attempt"] == 1]


def _assert_same(first: list[dict], second: list[dict]) -> None:
    assert _dial_order(first) == _dial_order(second)
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a == b, f"event {i} differs"


def _expected_order() -> list[str]:
    return list(dict.fromkeys(tok for batch in BATCHES for tok, _ in batch))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_databases_given_the_same_batches_write_the_same_events(events_on, kind):
    first, second = events_on(kind, "a"), events_on(kind, "b")
    _assert_same(first, second)
    order = _dial_order(first)
    assert order == _expected_order()[: len(order)] and len(order) >= 10, order  # progressive: in accepted order
    assert {e["disconnect_reason"] for e in first} > {None}  # outcomes were played, not only dials


@pytest.mark.postgres
def test_sqlite_and_postgresql_given_the_same_batches_write_the_same_events(events_on):
    _assert_same(events_on("sqlite", "a"), events_on("postgres", "a"))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_re_put_keeps_its_position_in_the_listing(servers, kind):
    def put(h, cid: str, tokens: list[str]) -> list[str]:
        entries = [
            {
                "clientToken": tok,
                "expirationTime": EXPIRES,
                "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550142"}},
            }
            for tok in tokens
        ]
        r = h.put(f"/v2/campaigns/{cid}/outbound-requests", json={"outboundRequests": entries})
        r.raise_for_status()
        return [x["id"] for x in r.json()["successfulRequests"]]

    with servers(kind, "a").http() as h:
        r = h.put("/v2/campaigns", json={**CAMPAIGN, "name": "re-put", "schedule": SCHEDULE})
        r.raise_for_status()
        cid = r.json()["id"]
        first = put(h, cid, ["z", "y", "x"])
        again = put(h, cid, ["w", "y"])
        assert again[1] == first[1]
        items = h.get(f"/sim/campaigns/{cid}/outbound-requests", params={"limit": 2}).json()
        more = h.get(
            f"/sim/campaigns/{cid}/outbound-requests", params={"limit": 2, "nextToken": items["nextToken"]}
        ).json()
        listed = [(x["clientToken"], x["position"]) for x in items["items"] + more["items"]]
        assert listed == [("z", 1), ("y", 2), ("x", 3), ("w", 4)]
