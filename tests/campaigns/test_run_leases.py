"""Run leases and durable segment claims at the repository level, on SQLite
and PostgreSQL: a run is claimed once (SKIP LOCKED on PostgreSQL), an
attempt that lost its lease can neither write nor claim, a segment's claim
is recorded with its requests, and a failed run gives them back."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from campaigns import repository as repo
from campaigns.db import make_engine, migrate, session_factory, session_scope
from campaigns.models import Run
from tests.campaigns.definitions import progressive_campaign
from tests.databases import empty_database, migrated_postgres

DEF = progressive_campaign("leases")
EXP = datetime(2030, 1, 1, tzinfo=UTC)


def _campaign_with_runs(s, runs: int = 1, requests: int = 0):
    c = repo.create_campaign(s, tenant="t", definition=dict(DEF))
    items = [{"client_token": f"tok-{i}", "phone": f"+1212555{i:04d}", "expiration_time": EXP} for i in range(requests)]
    if items:
        repo.put_outbound_requests(s, campaign=c, items=items)
    ids = [repo.create_run(s, campaign=c, document={}, seed=1, contact_count=0).id for _ in range(runs)]
    return c.id, ids


def _take_over(s, run_id: str) -> None:
    """What a server does when a lease expired: requeue the run."""
    s.execute(update(Run).where(Run.id == run_id).values(status="queued", lease_owner=None, lease_expires_at=None))


def test_a_queued_run_is_claimed_once_and_its_epoch_rises(db):
    with session_scope(db) as s:
        _cid, (run_id,) = _campaign_with_runs(s)
    with session_scope(db) as s:
        assert repo.claim_queued_runs(s, owner="a", executor="local", limit=5, lease_seconds=10) == [(run_id, 1)]
    with session_scope(db) as s:
        assert repo.claim_queued_runs(s, owner="b", executor="local", limit=5, lease_seconds=10) == []
        run = s.get(Run, run_id)
        assert (run.status, run.lease_owner, run.lease_epoch, run.attempts) == ("running", "a", 1, 1)
        assert run.lease_expires_at > repo.db_time(s)
        _take_over(s, run_id)
    with session_scope(db) as s:
        assert repo.claim_queued_runs(s, owner="b", executor="local", limit=5, lease_seconds=10) == [(run_id, 2)]
    with session_scope(db) as s:
        assert [(a.epoch, a.owner) for a in repo.run_attempts(s, run_id=run_id)] == [(1, "a"), (2, "b")]


@pytest.fixture
def pg_db(tmp_path):
    """PostgreSQL only: SKIP LOCKED is how replicas claim (SQLite serves one server)."""
    url, schema = empty_database("postgres", tmp_path)
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
    schema.close()


@pytest.mark.postgres
def test_two_servers_claiming_at_once_take_different_runs(pg_db):
    db = pg_db
    with session_scope(db) as s:
        _cid, ids = _campaign_with_runs(s, runs=3)
    first, second = db(), db()
    try:
        got_a = repo.claim_queued_runs(first, owner="a", executor="local", limit=2, lease_seconds=10)
        # ``first`` has not committed: its rows are locked, ``second`` skips them.
        got_b = repo.claim_queued_runs(second, owner="b", executor="local", limit=2, lease_seconds=10)
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    assert [r for r, _ in got_a] == ids[:2] and [r for r, _ in got_b] == ids[2:]


@pytest.fixture
def pg_url(tmp_path):
    with migrated_postgres(tmp_path) as url:
        yield url


def _frozen_renewal(engine, run_id: str) -> Session:
    """A worker's session stopped between the UPDATE of its run row and the
    COMMIT (what SIGSTOP does to a worker at the wrong moment)."""
    s = session_factory(engine)()
    assert repo.renew_lease(s, run_id=run_id, epoch=1, lease_seconds=0.5)
    return s


def _claimed_run(server, lease_seconds: float) -> str:
    with session_scope(server) as s:
        _cid, (run_id,) = _campaign_with_runs(s)
        assert repo.claim_queued_runs(s, owner="a", executor="local", limit=1, lease_seconds=lease_seconds) == [
            (run_id, 1)
        ]
    return run_id


def _taken_over_within(server, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        with session_scope(server) as s:
            taken = [r.id for r in repo.runs_to_take_over(s)]
        if taken or time.monotonic() > deadline:
            return taken
        time.sleep(0.1)


@pytest.mark.postgres
def test_a_frozen_workers_open_transaction_hides_its_run_until_a_server_ends_it(pg_url):
    """The row lock of a worker frozen inside a transaction hides its expired
    run from every server's takeover (SKIP LOCKED); ``end_frozen_workers``
    ends that session (the worker's engine names its sessions for the run),
    and the run is taken over. The worker, woken, cannot commit."""
    server_engine = make_engine(pg_url)
    server = session_factory(server_engine)
    run_id = _claimed_run(server, lease_seconds=0.5)
    worker_engine = make_engine(pg_url, application_name=repo.worker_application_name(run_id))
    frozen = _frozen_renewal(worker_engine, run_id)
    try:
        time.sleep(1.0)  # past the renewed lease (0.5 s)
        assert _taken_over_within(server, 0.0) == []  # locked: skipped, lease expired or not
        with session_scope(server) as s:
            assert repo.end_frozen_workers(s) == [run_id]
        assert _taken_over_within(server, 10.0) == [run_id]
        with pytest.raises(DBAPIError, match="terminating connection"):
            frozen.commit()
    finally:
        frozen.close()
        worker_engine.dispose()
        server_engine.dispose()


@pytest.mark.postgres
def test_a_live_workers_open_transaction_is_left_alone(pg_url):
    """A worker inside a long transaction whose lease is still valid (it
    renews it) is not a frozen one: its session is not ended."""
    server_engine = make_engine(pg_url)
    server = session_factory(server_engine)
    run_id = _claimed_run(server, lease_seconds=60)
    worker_engine = make_engine(pg_url, application_name=repo.worker_application_name(run_id))
    busy = session_factory(worker_engine)()
    try:
        assert repo.renew_lease(busy, run_id=run_id, epoch=1, lease_seconds=60)
        time.sleep(0.3)
        with session_scope(server) as s:
            assert repo.end_frozen_workers(s) == []
        busy.commit()  # still its own
    finally:
        busy.close()
        worker_engine.dispose()
        server_engine.dispose()


def test_an_attempt_that_lost_its_lease_can_neither_write_nor_claim(db):
    with session_scope(db) as s:
        cid, (run_id,) = _campaign_with_runs(s, requests=3)
    with session_scope(db) as s:
        repo.claim_queued_runs(s, owner="a", executor="local", limit=1, lease_seconds=10)
    with session_scope(db) as s:
        assert repo.renew_lease(s, run_id=run_id, epoch=1, lease_seconds=10, dials=5)
        _take_over(s, run_id)
        repo.claim_queued_runs(s, owner="b", executor="local", limit=1, lease_seconds=10)
    with session_scope(db) as s:
        assert not repo.renew_lease(s, run_id=run_id, epoch=1, lease_seconds=10, dials=99)
        with pytest.raises(repo.LeaseLost):
            repo.claim_segment(
                s,
                run_id=run_id,
                campaign_id=cid,
                epoch=1,
                segment=0,
                seed=1,
                contact_list_id=None,
                document_contacts=False,
                limit=10,
            )
    with session_scope(db) as s:
        assert s.get(Run, run_id).dials == 5
        assert repo.pending_request_count(s, campaign_id=cid) == 3  # nothing claimed by the stale attempt
        assert repo.run_segments(s, run_id=run_id) == []


def test_a_segment_records_its_claim_and_a_failed_run_gives_it_back(db):
    with session_scope(db) as s:
        cid, (run_id,) = _campaign_with_runs(s, requests=4)
    with session_scope(db) as s:
        arrival = [r.client_token for r in repo.pending_requests(s, campaign_id=cid)]
        assert arrival == [f"tok-{i}" for i in range(4)]  # the order they were accepted in
        repo.claim_queued_runs(s, owner="a", executor="local", limit=1, lease_seconds=10)
    with session_scope(db) as s:
        seg = repo.claim_segment(
            s,
            run_id=run_id,
            campaign_id=cid,
            epoch=1,
            segment=0,
            seed=7,
            contact_list_id=None,
            document_contacts=False,
            limit=3,
        )
        assert (seg.segment, seg.seed, seg.request_count, seg.claimed_epoch) == (0, 7, 3, 1)
    with session_scope(db) as s:
        # Nothing new and nothing of the document: segment 1 takes the last request.
        seg1 = repo.claim_segment(
            s,
            run_id=run_id,
            campaign_id=cid,
            epoch=1,
            segment=1,
            seed=8,
            contact_list_id=None,
            document_contacts=False,
            limit=3,
        )
        assert seg1.request_count == 1
        assert (
            repo.claim_segment(
                s,
                run_id=run_id,
                campaign_id=cid,
                epoch=1,
                segment=2,
                seed=9,
                contact_list_id=None,
                document_contacts=False,
                limit=3,
            )
            is None
        )
    with session_scope(db) as s:
        replay = [r.client_token for r in repo.segment_requests(s, run_id=run_id, segment=0)]
        assert replay == arrival[:3]  # the order they were claimed in, for an exact replay
        assert [r.client_token for r in repo.segment_requests(s, run_id=run_id, segment=1)] == arrival[3:]
        assert repo.pending_request_count(s, campaign_id=cid) == 0
        assert repo.release_requests(s, run_id=run_id) == 4
    with session_scope(db) as s:
        assert repo.pending_request_count(s, campaign_id=cid) == 4


def test_an_attempt_starts_at_most_once(db):
    with session_scope(db) as s:
        _cid, (run_id,) = _campaign_with_runs(s)
        repo.claim_queued_runs(s, owner="a", executor="tcp://x:8786", limit=1, lease_seconds=10)
    with session_scope(db) as s:
        assert repo.renew_unstarted(s, run_id=run_id, epoch=1, lease_seconds=10)
        assert repo.record_attempt_start(s, run_id=run_id, epoch=1, host="h", pid=1)
    with session_scope(db) as s:
        assert not repo.record_attempt_start(s, run_id=run_id, epoch=1, host="h2", pid=2)
        # Started: its server no longer vouches for it, the worker must.
        assert not repo.renew_unstarted(s, run_id=run_id, epoch=1, lease_seconds=10)


def test_expired_and_interrupted_runs_are_taken_over_and_live_ones_not(db):
    with session_scope(db) as s:
        _cid, ids = _campaign_with_runs(s, runs=3)
    with session_scope(db) as s:
        repo.claim_queued_runs(s, owner="a", executor="local", limit=3, lease_seconds=60)
    with session_scope(db) as s:
        now = repo.db_time(s)
        s.execute(update(Run).where(Run.id == ids[0]).values(lease_expires_at=now.replace(year=now.year - 1)))
        s.execute(update(Run).where(Run.id == ids[1]).values(status="interrupted"))
    with session_scope(db) as s:
        assert sorted(r.id for r in repo.runs_to_take_over(s)) == sorted(ids[:2])
        dead = repo.runs_to_take_over(s, host="h", is_dead=lambda run: run.id == ids[2])
        assert ids[2] not in [r.id for r in dead]  # its worker never ran on host h
