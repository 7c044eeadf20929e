"""Database engine, sessions and migrations.

SQLite file by default (WAL mode, a busy timeout so the API and the run
workers can share it); PostgreSQL when the URL says so. The schema only
changes through the Alembic revisions in ``campaigns/migrations``, applied by
``migrate()`` when the service starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from campaigns.files import create_private_file, private_dir

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            # The database holds phone numbers: owner-only (SQLite gives its
            # -wal and -shm files the database file's mode).
            private_dir(Path(path).parent)
            create_private_file(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    ping_idle = kwargs.pop("ping_idle_seconds", PING_IDLE_SECONDS)
    application_name = kwargs.pop("application_name", None)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_idle)
    if application_name is not None:
        _name_sessions(engine, str(application_name))
    return engine


def _name_sessions(engine: Engine, name: str) -> None:
    """Every PostgreSQL session of this engine carries ``name`` as its
    ``application_name`` (``pg_stat_activity``): a server can then find the
    sessions of a run's frozen worker (``repository.end_frozen_workers``)."""

    @event.listens_for(engine, "connect")
    def _name(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SELECT set_config('application_name', %s, false)", (name,))
        cur.close()
        dbapi_conn.commit()


# A pooled connection idle for longer than this is pinged before use (and
# replaced if the server dropped it). ``pool_pre_ping`` would ping at every
# checkout: one extra round trip per request under load, for connections
# that were fine a moment ago.
PING_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < idle_seconds:
            return  # new, or used a moment ago
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
            dbapi_conn.rollback()
        except Exception as exc:  # the pool discards it and connects again
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine_or_url: Engine | str) -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""

    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if isinstance(engine_or_url, str):
        cfg.attributes["url"] = engine_or_url
    else:
        cfg.attributes["engine"] = engine_or_url
    return cfg


# Key of the PostgreSQL advisory lock held while migrating: replicas starting
# together on one database upgrade it one at a time.
MIGRATION_LOCK_KEY = 0x6469616C6572  # "dialer"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent). On PostgreSQL an
    advisory lock serialises servers that start at the same time."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as lock:
        lock.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            lock.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            lock.commit()
