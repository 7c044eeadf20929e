"""Acceptance positions of outbound requests, on SQLite and PostgreSQL: the
order in which a campaign's requests are claimed, dialled and listed is the
order they were accepted in, not that of their random ids; a re-put keeps
its position; concurrent batches never share one; migration 0003 numbers
the requests of a database made at revision 0002 in their former order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from campaigns import repository as repo
from campaigns.db import alembic_config, make_engine, migrate, session_factory, session_scope
from campaigns.models import Base, Campaign, OutboundRequest
from tests.campaigns.definitions import progressive_campaign

DEF = progressive_campaign("positions")
EXP = datetime(2030, 1, 1, tzinfo=UTC)


def _items(tokens):
    return [{"client_token": t, "phone": f"+1212555{i:04d}", "expiration_time": EXP} for i, t in enumerate(tokens)]


def _campaign(db) -> str:
    with session_scope(db) as s:
        return repo.create_campaign(s, tenant="t", definition=dict(DEF)).id


def _put(db, cid: str, tokens, put=repo.put_outbound_requests) -> list[repo.PutResult]:
    with session_scope(db) as s:
        return put(s, campaign=repo.get_campaign(s, tenant="t", campaign_id=cid), items=_items(tokens))


def _claimed_order(db, cid: str, limit: int) -> list[str]:
    """The client tokens of segment 0 of a new run, in the order it dials them."""
    with session_scope(db) as s:
        c = repo.get_campaign(s, tenant="t", campaign_id=cid)
        run_id = repo.create_run(s, campaign=c, document={}, seed=1, contact_count=0).id
    with session_scope(db) as s:
        ((_, epoch),) = repo.claim_queued_runs(s, owner="t", executor="local", limit=1, lease_seconds=10)
        repo.claim_segment(
            s,
            run_id=run_id,
            campaign_id=cid,
            epoch=epoch,
            segment=0,
            seed=1,
            contact_list_id=None,
            document_contacts=False,
            limit=limit,
        )
    with session_scope(db) as s:
        return [r.client_token for r in repo.segment_requests(s, run_id=run_id, segment=0)]


def test_a_segment_claims_and_dials_its_requests_in_the_order_they_were_accepted(db):
    """Before positions, the 30 entries of one batch shared one ``created_at``
    and were claimed and dialled in the order of their random ids."""
    cid = _campaign(db)
    first, second = [f"x-{i:02d}" for i in range(30)][::-1], [f"a-{i}" for i in range(5)]
    _put(db, cid, first)
    _put(db, cid, second)
    with session_scope(db) as s:
        assert [r.client_token for r in repo.pending_requests(s, campaign_id=cid)] == first + second
        listed = repo.list_outbound_requests(s, campaign_id=cid, limit=100).items
        assert [r.client_token for r in listed] == first + second
    assert _claimed_order(db, cid, limit=32) == first + second[:2]


@pytest.mark.parametrize("put", [repo.put_outbound_requests, repo._put_outbound_requests_portable])
def test_a_re_put_keeps_its_position(db, put):
    cid = _campaign(db)
    a = _put(db, cid, ["a", "b", "c"], put)
    b = _put(db, cid, ["d", "b", "e", "d"], put)  # b again, and d twice in one batch
    assert b[1].id == a[1].id and [r.created for r in b] == [True, False, True, False]
    with session_scope(db) as s:
        rows = repo.pending_requests(s, campaign_id=cid)
        assert [r.client_token for r in rows] == ["a", "b", "c", "d", "e"]
        positions = [r.position for r in rows]
        assert positions == sorted(positions) and positions[:3] == [1, 2, 3]
        last = s.get(Campaign, cid).last_request_position
        assert last == max(positions)
    _put(db, cid, ["f"], put)
    with session_scope(db) as s:
        assert [r.client_token for r in repo.pending_requests(s, campaign_id=cid)][-1] == "f"


def test_concurrent_batches_take_disjoint_positions(db):
    """Eight writers, each with its own connection and no lock taken before:
    the UPDATE of the campaign row serialises them (the row lock on
    PostgreSQL, the single writer on SQLite)."""
    cid = _campaign(db)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            barrier.wait(10)
            for b in range(3):
                _put(db, cid, [f"w{w}-b{b}-{i}" for i in range(6)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with session_scope(db) as s:
        rows = list(s.execute(select(OutboundRequest.client_token, OutboundRequest.position)))
    assert len(rows) == 8 * 3 * 6
    assert sorted(p for _, p in rows) == list(range(1, len(rows) + 1))  # no duplicate, no gap
    by_batch: dict[str, list[tuple[int, str]]] = {}
    for tok, pos in rows:
        by_batch.setdefault(tok.rsplit("-", 1)[0], []).append((pos, tok))
    for batch in by_batch.values():
        batch.sort()
        assert batch[-1][0] - batch[0][0] == len(batch) - 1  # one run of positions per batch
        assert [t for _, t in batch] == [f"{batch[0][1].rsplit('-', 1)[0]}-{i}" for i in range(6)]


# -- migration 0003 ----------------------------------------------------------

OLD_ROWS = [  # (campaign, id, token, created_at): the former order is (created_at, id)
    ("c1", "id-9", "late", "2026-11-29 10:00:01"),
    ("c1", "id-5", "tie-b", "2026-11-29 10:00:00"),
    ("c1", "id-2", "tie-a", "2026-11-29 10:00:00"),
    ("c2", "id-1", "other", "2026-11-29 09:00:00"),
]


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_migration_numbers_the_requests_of_a_database_at_0002(engine):
    migrate(engine, "0002")
    with engine.begin() as conn:
        for cid in ("c1", "c2", "c3"):
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, tenant, name, instance_id, state, definition, created_at, last_modified)"
                    " VALUES (:id, 't', :id, 'cc-1', 'Running', '{}', :now, :now)"
                ),
                {"id": cid, "now": "2026-11-29 08:00:00"},
            )
        for cid, rid, tok, created in OLD_ROWS:
            conn.execute(
                text(
                    "INSERT INTO outbound_requests (id, campaign_id, client_token, phone, expiration_time, status,"
                    " created_at) VALUES (:id, :c, :t, '+12125550100', '2030-01-01 00:00:00', 'PENDING', :at)"
                ),
                {"id": rid, "c": cid, "t": tok, "at": created},
            )
    migrate(engine)
    factory = session_factory(engine)
    with session_scope(factory) as s:
        got = {(r.campaign_id, r.client_token): r.position for r in s.scalars(select(OutboundRequest))}
        assert got == {("c1", "tie-a"): 1, ("c1", "tie-b"): 2, ("c1", "late"): 3, ("c2", "other"): 1}
        assert {c.id: c.last_request_position for c in s.scalars(select(Campaign))} == {"c1": 3, "c2": 1, "c3": 0}
    # New requests come after the old ones; the old tokens are still unique.
    with session_scope(factory) as s:
        c1 = repo.get_campaign(s, tenant="t", campaign_id="c1")
        out = repo.put_outbound_requests(s, campaign=c1, items=_items(["tie-b", "new"]))
        assert [(r.id, r.created) for r in out] == [("id-5", False), (out[1].id, True)]
    with session_scope(factory) as s:
        order = [(r.client_token, r.position) for r in repo.pending_requests(s, campaign_id="c1")]
        assert order == [("tie-a", 1), ("tie-b", 2), ("late", 3), ("new", 5)]
    indexes = {i["name"] for i in inspect(engine).get_indexes("outbound_requests")}
    assert "ix_outbound_campaign_status_position" in indexes and "ix_outbound_campaign_status" not in indexes


def test_migrated_schema_matches_the_models_and_downgrades(engine):
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    command.downgrade(alembic_config(engine), "0002")
    assert "position" not in {c["name"] for c in inspect(engine).get_columns("outbound_requests")}
    migrate(engine)
    assert "position" in {c["name"] for c in inspect(engine).get_columns("outbound_requests")}


def test_a_downgrade_keeps_the_campaigns_and_their_requests(engine):
    """Dropping a campaigns column rebuilds the table on SQLite; with foreign
    keys enforced the DROP cascaded to every request and run."""
    migrate(engine)
    db = session_factory(engine)
    cid = _campaign(db)
    _put(db, cid, ["keep-a", "keep-b"])
    command.downgrade(alembic_config(engine), "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM campaigns")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM outbound_requests")).scalar() == 2
    migrate(engine)
    with session_scope(db) as s:  # renumbered in the former (created_at, id) order: one batch, any order
        assert sorted(r.client_token for r in repo.pending_requests(s, campaign_id=cid)) == ["keep-a", "keep-b"]
