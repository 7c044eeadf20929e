"""A run worker's PostgreSQL sessions: named for its run, so that a server
can end those a frozen worker left inside a transaction
(``repository.end_frozen_workers``, tests/campaigns/test_run_leases.py); and
a worker whose session a server ended gives up its attempt instead of
failing the run."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.worker import Worker, _session_ended_by_a_server
from campaigns.db import make_engine, session_factory
from campaigns.settings import Settings
from tests.databases import migrated_postgres


@pytest.fixture
def pg_url(tmp_path):
    with migrated_postgres(tmp_path) as url:
        yield url


@pytest.mark.postgres
def test_a_workers_sessions_are_named_for_its_run(pg_url, tmp_path):
    worker = Worker("no-such-run", Settings(data_dir=tmp_path, database_url=pg_url, run_lease_seconds=12), epoch=1)
    try:
        with worker.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW application_name").scalar() == "dialer-worker:no-such-run"
    finally:
        worker.engine.dispose()


@pytest.mark.postgres
def test_a_session_ended_by_a_server_is_told_apart_from_other_errors(pg_url):
    """What the worker sees when a server ends its session mid-transaction
    (it gives the attempt up: api/worker.py), against an ordinary error
    (which fails the run as before)."""
    engine = make_engine(pg_url, application_name="dialer-worker:probe")
    other = make_engine(pg_url)
    try:
        s = session_factory(engine)()
        pid = s.scalar(text("SELECT pg_backend_pid()"))
        with other.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as ended:
            s.execute(text("SELECT 1"))
            s.commit()
        s.close()
        assert _session_ended_by_a_server(ended.value)
        s = session_factory(engine)()
        with pytest.raises(DBAPIError) as ordinary:
            s.execute(text("SELECT no_such_column FROM campaigns"))
        s.close()
        assert not _session_ended_by_a_server(ordinary.value)
    finally:
        engine.dispose()
        other.dispose()
