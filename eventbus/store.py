"""Durable EventBridge resources, in the service's database.

Buses, rules, targets, connections, API destinations, archives and replays
are rows of one table, each a JSON body under (tenant, kind, parent, name);
archived events and dead letters have tables of their own. The tables live
in eventbus's own SQLAlchemy ``MetaData`` and are created on first use
(``ensure_tables``), so this layer needs no migration of the campaign
schema. Every read and write names the tenant.
"""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

metadata = MetaData()

resources = Table(
    "eventbus_resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("parent", String(256), nullable=False, default=""),
    Column("name", String(256), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "kind", "parent", "name", name="uq_eventbus_resource"),
)

archive_events = Table(
    "eventbus_archive_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("archive", String(256), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_eventbus_archive_time", "tenant", "archive", "event_time"),
)

dead_letters = Table(
    "eventbus_dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("queue", String(256), nullable=False),
    Column("body", Text, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_eventbus_dead_letters_queue", "tenant", "queue", "id"),
)

_created: set[int] = set()
_lock = threading.Lock()


def ensure_tables(engine: Engine) -> None:
    key = id(engine)
    if key in _created:
        return
    with _lock:
        if key not in _created:
            try:
                metadata.create_all(engine, checkfirst=True)
            except (ProgrammingError, OperationalError, IntegrityError):
                # Another process (the server, a run worker) created them first.
                metadata.create_all(engine, checkfirst=True)
            _created.add(key)


def now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Keyword-only data access; one short transaction per call."""

    def __init__(self, engine: Engine):
        self.engine = engine
        ensure_tables(engine)

    # -- resources -----------------------------------------------------------
    def get(self, *, tenant: str, kind: str, name: str, parent: str = "") -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(
                select(resources.c.body).where(
                    resources.c.tenant == tenant,
                    resources.c.kind == kind,
                    resources.c.parent == parent,
                    resources.c.name == name,
                )
            ).first()
        return None if row is None else dict(row[0])

    def insert(self, *, tenant: str, kind: str, name: str, body: dict[str, Any], parent: str = "") -> bool:
        """False when it already exists."""
        try:
            with self.engine.begin() as c:
                c.execute(
                    insert(resources).values(
                        tenant=tenant, kind=kind, parent=parent, name=name, body=body, created_at=now()
                    )
                )
        except IntegrityError:
            return False
        return True

    def put(self, *, tenant: str, kind: str, name: str, body: dict[str, Any], parent: str = "") -> None:
        """Insert or replace."""
        with self.engine.begin() as c:
            done = c.execute(
                update(resources)
                .where(
                    resources.c.tenant == tenant,
                    resources.c.kind == kind,
                    resources.c.parent == parent,
                    resources.c.name == name,
                )
                .values(body=body)
            ).rowcount
            if not done:
                c.execute(
                    insert(resources).values(
                        tenant=tenant, kind=kind, parent=parent, name=name, body=body, created_at=now()
                    )
                )

    def delete(self, *, tenant: str, kind: str, name: str, parent: str = "") -> bool:
        with self.engine.begin() as c:
            return bool(
                c.execute(
                    delete(resources).where(
                        resources.c.tenant == tenant,
                        resources.c.kind == kind,
                        resources.c.parent == parent,
                        resources.c.name == name,
                    )
                ).rowcount
            )

    def delete_children(self, *, tenant: str, kind: str, parent: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                delete(resources).where(
                    resources.c.tenant == tenant, resources.c.kind == kind, resources.c.parent == parent
                )
            )

    def list(
        self, *, tenant: str, kind: str, parent: str | None = None, prefix: str | None = None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(parent, name, body) sorted by name."""
        q = select(resources.c.parent, resources.c.name, resources.c.body).where(
            resources.c.tenant == tenant, resources.c.kind == kind
        )
        if parent is not None:
            q = q.where(resources.c.parent == parent)
        if prefix:
            q = q.where(resources.c.name.startswith(prefix, autoescape=True))
        with self.engine.connect() as c:
            return [(p, n, dict(b)) for p, n, b in c.execute(q.order_by(resources.c.parent, resources.c.name))]

    def count(self, *, tenant: str, kind: str, parent: str) -> int:
        with self.engine.connect() as c:
            return int(
                c.execute(
                    select(func.count())
                    .select_from(resources)
                    .where(resources.c.tenant == tenant, resources.c.kind == kind, resources.c.parent == parent)
                ).scalar_one()
            )

    # -- archived events -----------------------------------------------------
    def archive(self, *, tenant: str, rows: Iterable[tuple[str, datetime, dict[str, Any]]]) -> int:
        """Store (archive name, event time, event) rows."""
        values = [
            {"tenant": tenant, "archive": a, "event_time": t, "body": json.dumps(e, separators=(",", ":"))}
            for a, t, e in rows
        ]
        if values:
            with self.engine.begin() as c:
                c.execute(insert(archive_events), values)
        return len(values)

    def archived(
        self, *, tenant: str, archive: str, start: datetime, end: datetime, after_id: int = 0, limit: int = 1000
    ) -> builtins.list[tuple[int, datetime, dict[str, Any]]]:
        q = (
            select(archive_events.c.id, archive_events.c.event_time, archive_events.c.body)
            .where(
                archive_events.c.tenant == tenant,
                archive_events.c.archive == archive,
                archive_events.c.event_time >= start,
                archive_events.c.event_time <= end,
                archive_events.c.id > after_id,
            )
            .order_by(archive_events.c.id)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return [(i, t, json.loads(b)) for i, t, b in c.execute(q)]

    def archive_stats(self, *, tenant: str, archive: str) -> tuple[int, int]:
        """(event count, size in bytes)."""
        with self.engine.connect() as c:
            n, size = c.execute(
                select(func.count(), func.coalesce(func.sum(func.length(archive_events.c.body)), 0)).where(
                    archive_events.c.tenant == tenant, archive_events.c.archive == archive
                )
            ).one()
        return int(n), int(size)

    def drop_archive(self, *, tenant: str, archive: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                delete(archive_events).where(archive_events.c.tenant == tenant, archive_events.c.archive == archive)
            )

    # -- dead letters ----------------------------------------------------------
    def dead_letter(self, *, tenant: str, queue: str, body: str, attributes: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(
                insert(dead_letters).values(
                    tenant=tenant, queue=queue, body=body, attributes=attributes, created_at=now()
                )
            )

    def dead_letters(
        self, *, tenant: str, queue: str, after_id: int = 0, limit: int = 1000
    ) -> builtins.list[dict[str, Any]]:
        q = (
            select(dead_letters.c.id, dead_letters.c.body, dead_letters.c.attributes, dead_letters.c.created_at)
            .where(dead_letters.c.tenant == tenant, dead_letters.c.queue == queue, dead_letters.c.id > after_id)
            .order_by(dead_letters.c.id)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return [
                {"id": i, "body": b, "attributes": dict(a), "createdAt": t.isoformat() if t else None}
                for i, b, a, t in c.execute(q)
            ]
