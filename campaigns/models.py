"""SQLAlchemy 2 models of the campaign service.

Every tenant-owned row carries ``tenant``; the repository filters on it in
every query, so one tenant never sees another's data. JSON columns hold the
Connect campaign exactly as the API received it (camelCase) and the
simulated contact center's ``simulation`` settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class ApiKey(Base):
    """An API key: bearer token and SigV4 access key id share one row. Only
    a SHA-256 of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    access_key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ContactCenter(Base):
    """A simulated contact center (a Connect instance): the ``simulation``
    part of a campaign document minus the contacts."""

    __tablename__ = "contact_centers"
    __table_args__ = (UniqueConstraint("tenant", "instance_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    instance_id: Mapped[str] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    simulation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContactListRow(Base):
    __tablename__ = "contact_lists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(256))
    default_region: Mapped[str] = mapped_column(String(8), default="US")
    contact_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"rows": [...]} first 1000
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_list_pos", "list_id", "position"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(ForeignKey("contact_lists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as resolved at upload
    explicit_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as given in the file
    region: Mapped[str | None] = mapped_column(String(8), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Campaign(Base):
    """A Connect campaign. ``definition`` is the CreateCampaign body (without
    tags, which live in ``campaign_tags``)."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_tenant_created", "tenant", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(127))
    instance_id: Mapped[str] = mapped_column(String(256), index=True)
    state: Mapped[str] = mapped_column(String(16), default="Initialized")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_list_id: Mapped[str | None] = mapped_column(
        ForeignKey("contact_lists.id", ondelete="SET NULL"), nullable=True
    )
    synthetic: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(default=utcnow)
    # The position given to the campaign's last accepted outbound request
    # (0: none yet). Raised by one atomic UPDATE per batch, which also holds
    # the row until the batch commits: concurrent batches take disjoint runs
    # of positions (``repository.reserve_request_positions``).
    last_request_position: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    tags: Mapped[list[CampaignTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CampaignTag.key"
    )


class CampaignTag(Base):
    __tablename__ = "campaign_tags"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class OutboundRequest(Base):
    """One PutOutboundRequestBatch entry; ``(campaign_id, client_token)`` is
    unique, which makes the batch idempotent.

    ``position`` is the order of acceptance in the campaign (batch after
    batch, and inside a batch the order of its entries; increasing, with
    gaps where a batch repeated stored tokens). Requests are dialled and
    listed in this order: the random ``id`` and the clock's ``created_at``
    would make it differ from one database to another."""

    __tablename__ = "outbound_requests"
    __table_args__ = (
        UniqueConstraint("campaign_id", "client_token"),
        UniqueConstraint("campaign_id", "position", name="uq_outbound_campaign_position"),
        Index("ix_outbound_campaign_status_position", "campaign_id", "status", "position"),
        Index("ix_outbound_run_segment", "run_id", "segment"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    client_token: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(BigInteger)
    phone: Mapped[str] = mapped_column(String(20))
    expiration_time: Mapped[datetime] = mapped_column()
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")  # PENDING, DISPATCHED
    # The run and the segment of it that claimed the request (DISPATCHED):
    # a restarted run replays its segments from these, so a request given
    # to an attempt that died is dialled by the next one.
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    segment: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One simulation of a campaign, executed by a worker process.

    ``status``: queued, running, paused, completed, stopped, failed,
    interrupted. ``control`` is how the API talks to the worker: run, pause,
    stop (polled by the worker at each progress report).

    The lease (``lease_owner``, ``lease_epoch``, ``lease_expires_at``) says
    who executes the run: a replica claims a queued run by raising the epoch,
    the worker renews the expiry with its heartbeat, and every write of the
    worker carries ``lease_epoch`` in its WHERE, so an attempt whose lease
    was taken over can no longer change the run (fencing)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_tenant_created", "tenant", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    control: Mapped[str] = mapped_column(String(8), default="run")
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full campaign document run
    contact_count: Mapped[int] = mapped_column(Integer, default=0)
    sim_done_s: Mapped[float] = mapped_column(Float, default=0.0)
    sim_total_s: Mapped[float] = mapped_column(Float, default=0.0)
    dials: Mapped[int] = mapped_column(BigInteger, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    events_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    stopped_early: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_epoch: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    worker_host: Mapped[str | None] = mapped_column(String(255), nullable=True)

    @property
    def progress(self) -> float:
        return 0.0 if not self.sim_total_s else min(1.0, self.sim_done_s / self.sim_total_s)


class RunSegment(Base):
    """One segment of a run, recorded in the transaction that claimed its
    contacts: the seed, whether it holds the document's own contacts and the
    campaign's contact list (segment 0), and how many outbound requests it
    claimed (the requests point back with ``run_id``/``segment``). A restart
    replays the recorded segments exactly before claiming new requests."""

    __tablename__ = "run_segments"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    contact_list_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document_contacts: Mapped[bool] = mapped_column(Boolean, default=False)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    claimed_epoch: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunAttempt(Base):
    """One execution of a run under one lease epoch: who ran it, where, when
    it started and how it ended (completed, stopped, failed, worker died,
    lease expired, interrupted, lost the lease). The history shows that no
    two attempts of a run overlapped."""

    __tablename__ = "run_attempts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(255))
    executor: Mapped[str] = mapped_column(String(255))  # "local" or the Dask scheduler address
    worker_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)


ACTIVE_RUN_STATUSES = ("queued", "running", "paused")
