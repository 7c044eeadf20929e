"""Data access: keyword-only functions over a SQLAlchemy session.

Every function that reads tenant-owned rows takes ``tenant`` and filters on
it; a row of another tenant is reported exactly like a missing one.
Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlalchemy import Select, Table, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

    from campaigns.contacts import ContactList

from campaigns.models import (
    ACTIVE_RUN_STATUSES,
    Base,
    Campaign,
    CampaignTag,
    Contact,
    ContactCenter,
    ContactListRow,
    OutboundRequest,
    Run,
    RunAttempt,
    RunSegment,
    utcnow,
)


class NotFound(LookupError):
    """No such row for this tenant."""


class BadPageToken(ValueError):
    pass


# ---------------------------------------------------------------------------
# Pagination: an opaque token holding the offset of the next page
# ---------------------------------------------------------------------------


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["o"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadPageToken(f"invalid nextToken {token[:40]!r}") from None
    if not isinstance(offset, int) or offset < 0:
        raise BadPageToken(f"invalid nextToken {token[:40]!r}")
    return offset


_Row = TypeVar("_Row")
MAX_OFFSET = 2**62


@dataclass
class Page(Generic[_Row]):
    items: list[_Row]
    next_token: str | None
    total: int | None = None


def _page(session: Session, stmt: Select[_Row], *, limit: int, token: str | None, count: bool = False) -> Page[_Row]:
    offset = decode_token(token)
    # A token may name an offset past what SQL's 64-bit OFFSET holds (every
    # match of the documented pattern is a valid token): no rows are there.
    rows = list(session.scalars(stmt.offset(offset).limit(limit + 1))) if offset < MAX_OFFSET else []
    nxt = encode_token(offset + limit) if len(rows) > limit else None
    total = None
    if count:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return Page(rows[:limit], nxt, total)


# ---------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Contact centers
# ---------------------------------------------------------------------------


def put_contact_center(
    session: Session, *, tenant: str, instance_id: str, simulation: dict[str, Any], name: str | None = None
) -> tuple[ContactCenter, bool]:
    row = get_contact_center(session, tenant=tenant, instance_id=instance_id, missing_ok=True)
    created = row is None
    if row is None:
        row = ContactCenter(tenant=tenant, instance_id=instance_id, simulation=simulation, name=name)
        session.add(row)
    else:
        row.simulation = simulation
        row.name = name
        row.updated_at = utcnow()
    session.flush()
    return row, created


def get_contact_center(
    session: Session, *, tenant: str, instance_id: str, missing_ok: bool = False
) -> ContactCenter | None:
    row = session.scalar(
        select(ContactCenter).where(ContactCenter.tenant == tenant, ContactCenter.instance_id == instance_id)
    )
    if row is None and not missing_ok:
        raise NotFound(f"contact center {instance_id!r} not found")
    return row


def list_contact_centers(
    session: Session, *, tenant: str, limit: int = 50, token: str | None = None
) -> Page[ContactCenter]:
    stmt = select(ContactCenter).where(ContactCenter.tenant == tenant).order_by(ContactCenter.id)
    return _page(session, stmt, limit=limit, token=token, count=True)


def delete_contact_center(session: Session, *, tenant: str, instance_id: str) -> None:
    row = get_contact_center(session, tenant=tenant, instance_id=instance_id)
    session.delete(row)
    session.flush()


# ---------------------------------------------------------------------------
# Campaigns and tags
# ---------------------------------------------------------------------------


def create_campaign(
    session: Session, *, tenant: str, definition: dict[str, Any], tags: dict[str, str] | None = None
) -> Campaign:
    now = utcnow()
    row = Campaign(
        id=str(uuid.uuid4()),
        tenant=tenant,
        name=definition["name"],
        instance_id=definition["connectInstanceId"],
        state="Initialized",
        definition=definition,
        created_at=now,
        last_modified=now,
    )
    row.tags = [CampaignTag(key=k, value=v) for k, v in sorted((tags or {}).items())]
    session.add(row)
    session.flush()
    return row


def get_campaign(
    session: Session, *, tenant: str, campaign_id: str, for_update: bool = False, with_tags: bool = True
) -> Campaign:
    """The campaign, its tags loaded in the same query (a join) unless
    ``with_tags`` is false (then they load only if touched) or the row is
    locked (FOR UPDATE cannot take the outer join; a second query loads them).
    ``for_update``: locked until the transaction ends (``lock_campaign``)."""
    stmt = select(Campaign).where(Campaign.id == campaign_id, Campaign.tenant == tenant)
    if for_update and not _is_postgres(session):
        lock_campaign(session, campaign_id)
    locked = for_update and _is_postgres(session)
    if locked:
        stmt = stmt.with_for_update()
    if not with_tags:
        stmt = stmt.options(lazyload(Campaign.tags))
    elif not locked:
        stmt = stmt.options(joinedload(Campaign.tags))
    row = session.execute(stmt).unique().scalar_one_or_none()
    if row is None:
        raise NotFound(f"Campaign {campaign_id} not found")
    return row


def lock_campaign(session: Session, campaign_id: str) -> None:
    """Hold the campaign row until the transaction ends, so that what is
    read next (its state, its PENDING requests) stays true until commit.

    PostgreSQL: ``SELECT ... FOR UPDATE`` on the row. SQLite has no row
    locks, and pysqlite runs reads outside any transaction until the first
    write: so the first statement is a write (a no-op UPDATE of the row),
    which opens the transaction and takes the database's write lock (waiting
    for the busy timeout). The effect is ``BEGIN IMMEDIATE``: every read
    after it sees the last commit, and no other writer commits before this
    transaction ends."""
    if _is_postgres(session):
        session.execute(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update())
        return
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(id=Campaign.id)
        .execution_options(synchronize_session=False)
    )


def campaigns_by_ids(session: Session, *, tenant: str, ids: Sequence[str]) -> dict[str, Campaign]:
    rows = session.scalars(select(Campaign).where(Campaign.tenant == tenant, Campaign.id.in_(list(ids))))
    return {r.id: r for r in rows}


def list_campaigns(
    session: Session,
    *,
    tenant: str,
    instance_id: str | None = None,
    state: str | None = None,
    name_prefix: str | None = None,
    limit: int = 50,
    token: str | None = None,
) -> Page[Campaign]:
    stmt = select(Campaign).where(Campaign.tenant == tenant)
    if instance_id is not None:
        stmt = stmt.where(Campaign.instance_id == instance_id)
    if state is not None:
        stmt = stmt.where(Campaign.state == state)
    if name_prefix:
        stmt = stmt.where(Campaign.name.startswith(name_prefix, autoescape=True))
    stmt = stmt.order_by(Campaign.created_at, Campaign.id)
    return _page(session, stmt, limit=limit, token=token)


def merge_fields(definition: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``definition`` with top-level fields set (value) or removed (None)."""
    merged = dict(definition)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def update_campaign(session: Session, *, campaign: Campaign, definition: dict[str, Any]) -> Campaign:
    """Replace the campaign's (validated) definition."""
    campaign.definition = definition
    campaign.name = definition["name"]
    campaign.last_modified = utcnow()
    session.flush()
    return campaign


def delete_campaign(session: Session, *, campaign: Campaign) -> None:
    session.execute(delete(OutboundRequest).where(OutboundRequest.campaign_id == campaign.id))
    session.execute(delete(Run).where(Run.campaign_id == campaign.id))
    session.delete(campaign)
    session.flush()


def set_tags(session: Session, *, campaign: Campaign, tags: dict[str, str]) -> None:
    current = {t.key: t for t in campaign.tags}
    for k, v in tags.items():
        if k in current:
            current[k].value = v
        else:
            campaign.tags.append(CampaignTag(key=k, value=v))
    campaign.last_modified = utcnow()
    session.flush()


def remove_tags(session: Session, *, campaign: Campaign, keys: Iterable[str]) -> None:
    drop = set(keys)
    campaign.tags = [t for t in campaign.tags if t.key not in drop]
    campaign.last_modified = utcnow()
    session.flush()


def tags_of(campaign: Campaign) -> dict[str, str]:
    return {t.key: t.value for t in campaign.tags}


# ---------------------------------------------------------------------------
# Outbound requests
# ---------------------------------------------------------------------------


@dataclass
class PutResult:
    client_token: str
    id: str
    created: bool


def reserve_request_positions(session: Session, *, campaign: Campaign, count: int) -> int:
    """Reserve ``count`` consecutive acceptance positions for new requests of
    ``campaign``; the first of them.

    One ``UPDATE campaigns SET last_request_position = last_request_position
    + count ... RETURNING``: on PostgreSQL the UPDATE locks the row until the
    transaction ends and a concurrent one waits, then adds to the committed
    value, so two batches never share a position (and the unique
    ``(campaign_id, position)`` refuses a duplicate whatever the caller);
    SQLite has one writer at a time. The order of two concurrent batches is
    the order in which they got the row."""
    table = _table(Campaign)
    column = table.c.last_request_position
    stmt = table.update().where(table.c.id == campaign.id).values(last_request_position=column + count)
    if session.get_bind().dialect.update_returning:
        last = session.execute(stmt.returning(column)).scalar_one()
    else:  # pragma: no cover - PostgreSQL and SQLite both return
        session.execute(stmt)
        last = session.execute(select(column).where(table.c.id == campaign.id)).scalar_one()
    set_committed_value(campaign, "last_request_position", last)
    return int(last) - count + 1


def put_outbound_request(
    session: Session,
    *,
    campaign: Campaign,
    client_token: str,
    phone: str,
    expiration_time: datetime,
    attributes: dict[str, Any] | None,
) -> PutResult:
    """Store one request; the same clientToken again returns the stored id."""
    existing = session.scalar(
        select(OutboundRequest).where(
            OutboundRequest.campaign_id == campaign.id, OutboundRequest.client_token == client_token
        )
    )
    if existing is not None:
        return PutResult(client_token, existing.id, False)
    row = OutboundRequest(
        id=str(uuid.uuid4()),
        campaign_id=campaign.id,
        client_token=client_token,
        position=reserve_request_positions(session, campaign=campaign, count=1),
        phone=phone,
        expiration_time=expiration_time,
        attributes=attributes or None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent put of the same token won
        stored = session.execute(
            select(OutboundRequest).where(
                OutboundRequest.campaign_id == campaign.id, OutboundRequest.client_token == client_token
            )
        ).scalar_one()
        return PutResult(client_token, stored.id, False)
    return PutResult(client_token, row.id, True)


def _table(model: type[Base]) -> Table:
    """The Core table of a mapped class (declarative types ``__table__`` as
    any FromClause; ours are all plain tables)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def _insert_ignoring_duplicates(session: Session) -> ReturningInsert[Any] | None:
    """INSERT ... ON CONFLICT (campaign_id, client_token) DO NOTHING, for
    PostgreSQL and SQLite (None for other databases)."""
    table = _table(OutboundRequest)
    keys = [table.c.campaign_id, table.c.client_token]
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing(index_elements=keys).returning(table.c.client_token)
    if name == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys).returning(table.c.client_token)
    return None


def put_outbound_requests(session: Session, *, campaign: Campaign, items: Sequence[dict[str, Any]]) -> list[PutResult]:
    """Store many requests in one round trip; ``items`` have client_token,
    phone, expiration_time, attributes. Tokens already stored (or repeated
    in the batch) return the first request's id, and keep their position.

    New requests take the next acceptance positions in the order of
    ``items`` (``reserve_request_positions``: one UPDATE of the campaign
    row). On PostgreSQL and SQLite the requests are then one ``INSERT ... ON
    CONFLICT DO NOTHING RETURNING`` (the unique (campaign_id, client_token)
    decides, so a concurrent batch with the same token cannot double-store
    it), then one SELECT only for tokens that were already there; the
    positions reserved for those stay unused."""
    stmt = _insert_ignoring_duplicates(session)
    if stmt is None:
        return _put_outbound_requests_portable(session, campaign=campaign, items=items)
    now = utcnow()
    tokens = list(dict.fromkeys(item["client_token"] for item in items))
    first = reserve_request_positions(session, campaign=campaign, count=len(tokens))
    position = dict(zip(tokens, range(first, first + len(tokens)), strict=True))
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        tok = item["client_token"]
        if tok not in rows:
            rows[tok] = {
                "id": str(uuid.uuid4()),
                "campaign_id": campaign.id,
                "client_token": tok,
                "position": position[tok],
                "phone": item["phone"],
                "expiration_time": item["expiration_time"],
                "attributes": item.get("attributes") or None,
                "status": "PENDING",
                "created_at": now,
            }
    inserted = set(session.execute(stmt, list(rows.values())).scalars().all())
    assigned = {tok: row["id"] for tok, row in rows.items() if tok in inserted}
    missing = [tok for tok in rows if tok not in inserted]
    if missing:
        assigned.update(
            session.execute(
                select(OutboundRequest.client_token, OutboundRequest.id).where(
                    OutboundRequest.campaign_id == campaign.id, OutboundRequest.client_token.in_(missing)
                )
            ).all()
        )
    out, seen = [], set()
    for item in items:
        tok = item["client_token"]
        out.append(PutResult(tok, assigned[tok], tok in inserted and tok not in seen))
        seen.add(tok)
    return out


def _put_outbound_requests_portable(
    session: Session, *, campaign: Campaign, items: Sequence[dict[str, Any]]
) -> list[PutResult]:
    tokens = list(dict.fromkeys(i["client_token"] for i in items))
    existing = dict(
        session.execute(
            select(OutboundRequest.client_token, OutboundRequest.id).where(
                OutboundRequest.campaign_id == campaign.id, OutboundRequest.client_token.in_(tokens)
            )
        ).all()
    )
    fresh = [tok for tok in tokens if tok not in existing]
    first = reserve_request_positions(session, campaign=campaign, count=len(fresh)) if fresh else 0
    position = dict(zip(fresh, range(first, first + len(fresh)), strict=True))
    new_rows, out, assigned = [], [], dict(existing)
    for item in items:
        tok = item["client_token"]
        if tok in assigned:
            out.append(PutResult(tok, assigned[tok], False))
            continue
        rid = str(uuid.uuid4())
        assigned[tok] = rid
        new_rows.append(
            {
                "id": rid,
                "campaign_id": campaign.id,
                "client_token": tok,
                "position": position[tok],
                "phone": item["phone"],
                "expiration_time": item["expiration_time"],
                "attributes": item.get("attributes") or None,
                "status": "PENDING",
                "created_at": utcnow(),
            }
        )
        out.append(PutResult(tok, rid, True))
    if new_rows:
        try:
            with session.begin_nested():
                session.execute(_table(OutboundRequest).insert(), new_rows)
        except IntegrityError:  # a concurrent batch stored some token first: one by one
            return [
                put_outbound_request(
                    session,
                    campaign=campaign,
                    client_token=i["client_token"],
                    phone=i["phone"],
                    expiration_time=i["expiration_time"],
                    attributes=i.get("attributes"),
                )
                for i in items
            ]
    return out


def pending_requests(session: Session, *, campaign_id: str, limit: int | None = None) -> list[OutboundRequest]:
    stmt = (
        select(OutboundRequest)
        .where(OutboundRequest.campaign_id == campaign_id, OutboundRequest.status == "PENDING")
        .order_by(OutboundRequest.position)
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def mark_dispatched(session: Session, *, request_ids: Sequence[str], run_id: str) -> None:
    """Mark requests DISPATCHED without a segment (runs claim theirs with
    ``claim_segment``, which also records the segment)."""
    if request_ids:
        session.execute(
            update(OutboundRequest)
            .where(OutboundRequest.id.in_(list(request_ids)))
            .values(status="DISPATCHED", run_id=run_id)
        )


def pending_request_count(session: Session, *, campaign_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboundRequest)
            .where(OutboundRequest.campaign_id == campaign_id, OutboundRequest.status == "PENDING")
        )
        or 0
    )


def list_outbound_requests(
    session: Session, *, campaign_id: str, status: str | None = None, limit: int = 50, token: str | None = None
) -> Page[OutboundRequest]:
    stmt = select(OutboundRequest).where(OutboundRequest.campaign_id == campaign_id)
    if status:
        stmt = stmt.where(OutboundRequest.status == status)
    stmt = stmt.order_by(OutboundRequest.position)
    return _page(session, stmt, limit=limit, token=token, count=True)


# ---------------------------------------------------------------------------
# Contact lists
# ---------------------------------------------------------------------------


def create_contact_list(
    session: Session,
    *,
    tenant: str,
    name: str,
    default_region: str,
    contacts: ContactList,
    explicit_zones: Sequence[str | None] | None = None,
) -> ContactListRow:
    """Store a ``campaigns.contacts.ContactList`` (normalised numbers, the
    zone each resolved to, postcode, attributes) and its rejected rows."""
    list_id = str(uuid.uuid4())
    rejected = [
        {"row": r.row, "column": r.column, "value": r.value, "reason": r.reason} for r in contacts.rejected[:1000]
    ]
    row = ContactListRow(
        id=list_id,
        tenant=tenant,
        name=name,
        default_region=default_region,
        contact_count=len(contacts),
        rejected_count=len(contacts.rejected),
        rejected={"rows": rejected},
    )
    session.add(row)
    session.flush()
    values = []
    for i in range(len(contacts)):
        group = contacts.groups[int(contacts.group[i])]
        values.append(
            {
                "list_id": list_id,
                "position": i,
                "phone": contacts.e164(i),
                "time_zone": group.zones[0] if group.zones else None,
                "explicit_zone": explicit_zones[i] if explicit_zones else None,
                "region": group.region,
                "postcode": None if contacts.postcode is None else contacts.postcode[i],
                "attributes": None if contacts.attributes is None else (contacts.attributes[i] or None),
            }
        )
    for start in range(0, len(values), 5000):
        session.execute(_table(Contact).insert(), values[start : start + 5000])
    session.flush()
    return row


_Owned = TypeVar("_Owned", ContactListRow, Run)


def _owned(session: Session, model: type[_Owned], *, tenant: str, row_id: str, what: str) -> _Owned:
    """The tenant's row of ``model`` with this id, or NotFound."""
    row = session.scalar(select(model).where(model.id == row_id, model.tenant == tenant))
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row


def get_contact_list(session: Session, *, tenant: str, list_id: str) -> ContactListRow:
    return _owned(session, ContactListRow, tenant=tenant, row_id=list_id, what="contact list")


def list_contact_lists(
    session: Session, *, tenant: str, limit: int = 50, token: str | None = None
) -> Page[ContactListRow]:
    stmt = (
        select(ContactListRow)
        .where(ContactListRow.tenant == tenant)
        .order_by(ContactListRow.created_at, ContactListRow.id)
    )
    return _page(session, stmt, limit=limit, token=token, count=True)


def list_contacts(
    session: Session, *, list_id: str, time_zone: str | None = None, limit: int = 100, token: str | None = None
) -> Page[Contact]:
    stmt = select(Contact).where(Contact.list_id == list_id)
    if time_zone:
        stmt = stmt.where(Contact.time_zone == time_zone)
    stmt = stmt.order_by(Contact.position)
    return _page(session, stmt, limit=limit, token=token, count=True)


def all_contacts(session: Session, *, list_id: str) -> list[Contact]:
    return list(session.scalars(select(Contact).where(Contact.list_id == list_id).order_by(Contact.position)))


def delete_contact_list(session: Session, *, tenant: str, list_id: str) -> None:
    row = get_contact_list(session, tenant=tenant, list_id=list_id)
    session.execute(update(Campaign).where(Campaign.contact_list_id == list_id).values(contact_list_id=None))
    session.execute(delete(Contact).where(Contact.list_id == list_id))
    session.delete(row)
    session.flush()


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


def create_run(session: Session, *, campaign: Campaign, document: dict[str, Any], seed: int, contact_count: int) -> Run:
    row = Run(
        id=str(uuid.uuid4()),
        tenant=campaign.tenant,
        campaign_id=campaign.id,
        status="queued",
        control="run",
        seed=seed,
        document=document,
        contact_count=contact_count,
    )
    session.add(row)
    session.flush()
    return row


def get_run(session: Session, *, tenant: str, run_id: str) -> Run:
    return _owned(session, Run, tenant=tenant, row_id=run_id, what="run")


def active_run(session: Session, *, campaign_id: str) -> Run | None:
    return session.scalar(
        select(Run)
        .where(Run.campaign_id == campaign_id, Run.status.in_((*ACTIVE_RUN_STATUSES, "interrupted")))
        .order_by(Run.created_at.desc())
        .limit(1)
    )


def runs_before(session: Session, *, tenant: str, run: Run) -> list[Run]:
    """The runs created before ``run`` (oldest first) that left events
    (``events_dir`` set): those of its campaign, and those of the tenant's
    other campaigns on the same Connect instance, whose calls may share the
    frequency-cap subject (the caller decides by their documents). Ties on
    ``created_at`` are broken by id, so the answer is the same on every
    call."""
    instance = select(Campaign.instance_id).where(Campaign.id == run.campaign_id).scalar_subquery()
    same_instance = select(Campaign.id).where(Campaign.tenant == tenant, Campaign.instance_id == instance)
    earlier = or_(Run.created_at < run.created_at, (Run.created_at == run.created_at) & (Run.id < run.id))
    stmt = (
        select(Run)
        .where(
            Run.tenant == tenant,
            Run.id != run.id,
            Run.events_dir.is_not(None),
            or_(Run.campaign_id == run.campaign_id, Run.campaign_id.in_(same_instance)),
            earlier,
        )
        .order_by(Run.created_at, Run.id)
    )
    return list(session.scalars(stmt))


def latest_run(session: Session, *, campaign_id: str) -> Run | None:
    return session.scalar(
        select(Run).where(Run.campaign_id == campaign_id).order_by(Run.created_at.desc(), Run.id).limit(1)
    )


def list_runs(
    session: Session,
    *,
    tenant: str,
    campaign_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    token: str | None = None,
) -> Page[Run]:
    stmt = select(Run).where(Run.tenant == tenant)
    if campaign_id:
        stmt = stmt.where(Run.campaign_id == campaign_id)
    if status:
        stmt = stmt.where(Run.status == status)
    stmt = stmt.order_by(Run.created_at.desc(), Run.id)
    return _page(session, stmt, limit=limit, token=token, count=True)


def runs_in_status(session: Session, *, statuses: Sequence[str]) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.status.in_(list(statuses))).order_by(Run.created_at)))


# ---------------------------------------------------------------------------
# Run leases: which server executes a run, and since when
# ---------------------------------------------------------------------------

RUN_HOLDING_STATUSES = ("running", "paused")  # a worker holds the lease


class LeaseLost(RuntimeError):
    """The run's lease now belongs to another attempt (or the run ended):
    this attempt must write nothing more."""


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _changed(session: Session, stmt: Any) -> int:
    """Rows an UPDATE changed (or matched: SQLite and PostgreSQL count the
    rows the WHERE selected)."""
    return int(cast("CursorResult[Any]", session.execute(stmt)).rowcount)


def db_time(session: Session) -> datetime:
    """Now, by the database's clock on PostgreSQL (servers on several hosts
    compare lease expiries against one clock), else by this host's."""
    if _is_postgres(session):
        return cast(datetime, session.scalar(select(func.now())))
    return utcnow()


WORKER_APPLICATION_PREFIX = "dialer-worker:"


def worker_application_name(run_id: str) -> str:
    """The ``application_name`` of a run worker's PostgreSQL sessions."""
    return f"{WORKER_APPLICATION_PREFIX}{run_id}"


def end_frozen_workers(session: Session) -> list[str]:
    """End the sessions that a run's worker left idle inside a transaction,
    for the runs whose lease has expired; the ids of those runs.

    A worker frozen (SIGSTOP, a suspended VM) between an UPDATE of its run
    row and the COMMIT keeps that row locked, and ``runs_to_take_over``
    reads ``SKIP LOCKED``: the expired run would stay hidden for as long as
    the worker stays frozen. Once the lease has expired its attempt is over
    anyway (its writes are fenced), so its open transaction is rolled back
    by ending the session (``pg_terminate_backend``: the same database role,
    or ``pg_signal_backend``). A live worker's sessions are never touched:
    its lease is renewed. PostgreSQL only (SQLite has one server)."""
    if not _is_postgres(session):
        return []
    now = db_time(session)
    expired = session.scalars(
        select(Run.id).where(Run.status.in_(RUN_HOLDING_STATUSES), Run.lease_expires_at < now)
    ).all()
    if not expired:
        return []
    ended = session.scalars(
        # Materialized first: the terminating call must only ever see the
        # rows the filter kept (the planner may order a flat WHERE's terms).
        text(
            "WITH frozen AS MATERIALIZED (SELECT pid, application_name FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state IN ('idle in transaction', 'idle in transaction (aborted)') "
            "AND application_name = ANY(:names)) "
            "SELECT application_name FROM frozen WHERE pg_terminate_backend(pid)"
        ),
        {"names": [worker_application_name(run_id) for run_id in expired]},
    ).all()
    return [str(name).removeprefix(WORKER_APPLICATION_PREFIX) for name in ended]


def claim_queued_runs(
    session: Session, *, owner: str, executor: str, limit: int, lease_seconds: float
) -> list[tuple[str, int]]:
    """Claim up to ``limit`` queued runs, oldest first: (run id, lease epoch).

    On PostgreSQL the rows are read ``FOR UPDATE SKIP LOCKED``, so servers
    claiming at the same moment take different runs; everywhere the UPDATE
    re-checks status and epoch, so a run is claimed once."""
    stmt = select(Run).where(Run.status == "queued").order_by(Run.created_at, Run.id).limit(limit)
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    now = db_time(session)
    claimed = []
    for run in list(session.scalars(stmt)):
        epoch = run.lease_epoch + 1
        changed = _changed(
            session,
            update(Run)
            .where(Run.id == run.id, Run.status == "queued", Run.lease_epoch == run.lease_epoch)
            .values(
                status="paused" if run.control == "pause" else "running",
                worker_pid=0,
                worker_host=None,
                attempts=Run.attempts + 1,
                lease_epoch=epoch,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                heartbeat_at=now,
            )
            .execution_options(synchronize_session=False),
        )
        if changed == 1:
            session.add(RunAttempt(run_id=run.id, epoch=epoch, owner=owner, executor=executor, claimed_at=now))
            claimed.append((run.id, epoch))
    session.flush()
    return claimed


def renew_lease(session: Session, *, run_id: str, epoch: int, lease_seconds: float, **values: Any) -> bool:
    """Extend the lease of attempt ``epoch`` (and set ``values``); False
    when the lease is no longer this attempt's."""
    now = db_time(session)
    changed = _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.lease_epoch == epoch, Run.status.in_(RUN_HOLDING_STATUSES))
        .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds), **values)
        .execution_options(synchronize_session=False),
    )
    return changed == 1


def held_run(session: Session, *, run_id: str, epoch: int) -> Run:
    """The run, locked for this transaction, if attempt ``epoch`` still holds
    it; else LeaseLost. The first statement is a (no-op) write, so the row is
    locked on PostgreSQL and, on SQLite, the transaction holds the write lock
    and reads a fresh snapshot from here on."""
    changed = _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.lease_epoch == epoch, Run.status.in_(RUN_HOLDING_STATUSES))
        .values(lease_epoch=Run.lease_epoch)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise LeaseLost(f"run {run_id}: attempt {epoch} no longer holds the lease")
    return session.scalars(select(Run).where(Run.id == run_id).execution_options(populate_existing=True)).one()


def runs_to_take_over(
    session: Session, *, host: str | None = None, is_dead: Callable[[Run], bool] | None = None
) -> list[Run]:
    """Runs no live attempt holds: ``interrupted`` ones, and running/paused
    ones whose lease expired or whose worker ran on ``host`` and
    ``is_dead(run)`` says is gone (which spares waiting for the expiry).
    Locked ``SKIP LOCKED`` on PostgreSQL so two servers do not handle the
    same run; runs with a live lease elsewhere are not even locked."""
    now = db_time(session)
    candidates = or_(
        Run.status == "interrupted",
        Run.lease_expires_at.is_(None),
        Run.lease_expires_at < now,
    )
    if host is not None and is_dead is not None:
        candidates = or_(candidates, Run.worker_host == host)
    stmt = (
        select(Run)
        .where(Run.status.in_((*RUN_HOLDING_STATUSES, "interrupted")), candidates)
        .order_by(Run.created_at, Run.id)
    )
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    out = []
    for run in session.scalars(stmt):
        expired = run.lease_expires_at is None or run.lease_expires_at < now
        if run.status == "interrupted" or expired or (is_dead is not None and is_dead(run)):
            out.append(run)
    return out


def record_attempt_start(session: Session, *, run_id: str, epoch: int, host: str, pid: int) -> bool:
    """Mark attempt ``epoch`` started by this process; False if it already
    started once (e.g. Dask re-ran the task of a worker it lost contact
    with): an epoch executes at most once, a new attempt needs a new claim."""
    changed = _changed(
        session,
        update(RunAttempt)
        .where(RunAttempt.run_id == run_id, RunAttempt.epoch == epoch, RunAttempt.worker_host.is_(None))
        .values(worker_host=host, worker_pid=pid),
    )
    return changed == 1


def renew_unstarted(session: Session, *, run_id: str, epoch: int, lease_seconds: float) -> bool:
    """Extend the lease of a claimed attempt whose worker has not started
    yet (a task waiting in the Dask queue, a process still importing): the
    server that claimed it vouches for it until the worker takes over."""
    started = select(RunAttempt.run_id).where(
        RunAttempt.run_id == run_id, RunAttempt.epoch == epoch, RunAttempt.worker_host.is_not(None)
    )
    now = db_time(session)
    changed = _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.lease_epoch == epoch, Run.status.in_(RUN_HOLDING_STATUSES), ~started.exists())
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False),
    )
    return changed == 1


def end_attempt(session: Session, *, run_id: str, epoch: int, outcome: str) -> None:
    """Close attempt ``epoch`` (once: a later verdict does not overwrite)."""
    session.execute(
        update(RunAttempt)
        .where(RunAttempt.run_id == run_id, RunAttempt.epoch == epoch, RunAttempt.ended_at.is_(None))
        .values(ended_at=db_time(session), outcome=outcome)
    )


def run_attempts(session: Session, *, run_id: str) -> list[RunAttempt]:
    return list(session.scalars(select(RunAttempt).where(RunAttempt.run_id == run_id).order_by(RunAttempt.epoch)))


# ---------------------------------------------------------------------------
# Run segments: the durable claim of a run's contacts
# ---------------------------------------------------------------------------

CLAIM_CHUNK = 5000  # ids per UPDATE ... IN (...), under SQLite's variable limit


def claim_segment(
    session: Session,
    *,
    run_id: str,
    campaign_id: str,
    epoch: int,
    segment: int,
    seed: int,
    contact_list_id: str | None,
    document_contacts: bool,
    limit: int,
) -> RunSegment | None:
    """Record segment ``segment`` of the run and claim for it the first
    ``limit`` PENDING outbound requests in acceptance order (they become
    DISPATCHED with this run id and segment), in the caller's transaction,
    fenced by the lease: if attempt ``epoch`` lost the run, LeaseLost and
    nothing is claimed. None when the segment would hold nothing (no list,
    no document contacts, no request)."""
    held_run(session, run_id=run_id, epoch=epoch)
    stmt = (
        select(OutboundRequest.id)
        .where(OutboundRequest.campaign_id == campaign_id, OutboundRequest.status == "PENDING")
        .order_by(OutboundRequest.position)
        .limit(limit)
    )
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    for start in range(0, len(ids), CLAIM_CHUNK):
        session.execute(
            update(OutboundRequest)
            .where(OutboundRequest.id.in_(ids[start : start + CLAIM_CHUNK]), OutboundRequest.status == "PENDING")
            .values(status="DISPATCHED", run_id=run_id, segment=segment)
            .execution_options(synchronize_session=False)
        )
    claimed = int(
        session.scalar(
            select(func.count())
            .select_from(OutboundRequest)
            .where(OutboundRequest.run_id == run_id, OutboundRequest.segment == segment)
        )
        or 0
    )
    if not claimed and not contact_list_id and not document_contacts:
        return None
    row = RunSegment(
        run_id=run_id,
        segment=segment,
        seed=seed,
        contact_list_id=contact_list_id,
        document_contacts=document_contacts,
        request_count=claimed,
        claimed_epoch=epoch,
    )
    session.add(row)
    session.flush()
    return row


def run_segments(session: Session, *, run_id: str) -> list[RunSegment]:
    return list(session.scalars(select(RunSegment).where(RunSegment.run_id == run_id).order_by(RunSegment.segment)))


def segment_requests(session: Session, *, run_id: str, segment: int) -> list[OutboundRequest]:
    """The requests a segment claimed, in the order it dials them: the order
    they were accepted in (one campaign's positions are unique)."""
    return list(
        session.scalars(
            select(OutboundRequest)
            .where(OutboundRequest.run_id == run_id, OutboundRequest.segment == segment)
            .order_by(OutboundRequest.position)
        )
    )


def release_requests(session: Session, *, run_id: str) -> int:
    """Give a failed run's requests back (PENDING): the campaign's next run
    dials them."""
    return _changed(
        session,
        update(OutboundRequest)
        .where(OutboundRequest.run_id == run_id)
        .values(status="PENDING", run_id=None, segment=None)
        .execution_options(synchronize_session=False),
    )
