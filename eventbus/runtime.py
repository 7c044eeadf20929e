"""Buses built from the stored configuration, in the service and in run
workers.

``sync_bus`` makes a live ``Bus`` match what the database says (rules,
their state and targets, archives); the service calls it after every
change, a run's sink every ``refresh_s`` seconds, so a rule put during a
run applies to the rest of it. Deliveries to unchanged targets carry on.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Engine

from campaigns.models import Run
from campaigns.tenants import account_for
from eventbus.bus import Bus, Chaos, with_replay_name
from eventbus.delivery import Backoff
from eventbus.store import Store
from eventbus.targets import Environment

log = logging.getLogger("eventbus")


@dataclass(frozen=True)
class Config:
    """Server configuration of the event bus (environment variables)."""

    region: str = "us-east-1"
    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str = "redis://127.0.0.1:6379/0"
    file_dir: Path = Path("./data/eventbus")
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    drain_s: float = 300.0
    queue_capacity: int = 10_000

    @classmethod
    def from_env(cls, data_dir: Path, region: str = "us-east-1", environ: Mapping[str, str] | None = None) -> Config:
        e = os.environ if environ is None else environ
        return cls(
            region=region,
            nats_url=e.get("DIALER_NATS_URL", cls.nats_url),
            redis_url=e.get("DIALER_REDIS_URL", cls.redis_url),
            file_dir=Path(e.get("DIALER_EVENTBUS_FILE_DIR") or (Path(data_dir) / "eventbus")),
            backoff_base_s=float(e.get("DIALER_EVENTBUS_BACKOFF_BASE_S", cls.backoff_base_s)),
            backoff_cap_s=float(e.get("DIALER_EVENTBUS_BACKOFF_CAP_S", cls.backoff_cap_s)),
            drain_s=float(e.get("DIALER_EVENTBUS_DRAIN_S", cls.drain_s)),
            queue_capacity=int(e.get("DIALER_EVENTBUS_QUEUE_CAPACITY", cls.queue_capacity)),
        )


def account_of(tenant: str) -> str:
    return account_for(tenant)


def bus_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def open_bus(store: Store, tenant: str, name: str, config: Config, *, speed_override: float | None = None) -> Bus:
    account = account_of(tenant)
    settings = (store.get(tenant=tenant, kind="bus", name=name) or {}).get("Settings") or {}
    env = Environment(
        nats_url=config.nats_url,
        redis_url=config.redis_url,
        file_dir=config.file_dir,
        store=store,
        tenant=tenant,
        callables={},
        lookup_destination=lambda arn: destination_by_arn(store, tenant, arn),
    )
    bus = Bus(
        name,
        env=env,
        speed=speed_override if speed_override is not None else settings.get("speed"),
        chaos=Chaos.from_json(settings.get("chaos")),
        archive=lambda rows: store.archive(tenant=tenant, rows=rows),
        region=config.region,
        account=account,
        capacity=config.queue_capacity,
        backoff=Backoff(config.backoff_base_s, config.backoff_cap_s),
    )
    sync_bus(bus, store, tenant)
    return bus


def destination_by_arn(store: Store, tenant: str, arn: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    name = arn.split(":api-destination/", 1)[-1].split("/", 1)[0]
    dest = store.get(tenant=tenant, kind="api-destination", name=name)
    if dest is None or dest.get("ApiDestinationArn") != arn:
        return None
    conn_name = dest["ConnectionArn"].split(":connection/", 1)[-1].split("/", 1)[0]
    conn = store.get(tenant=tenant, kind="connection", name=conn_name)
    if conn is None:
        return None
    return dest, conn


def sync_bus(bus: Bus, store: Store, tenant: str) -> None:
    rules = store.list(tenant=tenant, kind="rule", parent=bus.name)
    names = set()
    for _, name, body in rules:
        names.add(name)
        if not body.get("EventPattern"):
            bus.delete_rule(name)
            continue
        bus.put_rule(name, body["EventPattern"], enabled=body.get("State", "ENABLED") == "ENABLED", arn=body.get("Arn"))
        wanted = store.list(tenant=tenant, kind="target", parent=f"{bus.name}/{name}")
        ids = set()
        for _, tid, target in wanted:
            ids.add(tid)
            try:
                bus.put_target(name, target)
            except Exception as exc:  # a target that can no longer be built (deleted destination)
                log.warning("target %s of rule %s is not usable: %s", tid, name, exc)
        for t in list(bus._targets.get(name, [])):
            if t.config.get("Id") not in ids:
                bus.remove_target(name, t.config.get("Id"))
    for name in list(bus._rule_arns):
        if name not in names:
            bus.delete_rule(name)
    source = bus_arn(bus.region, bus.account, bus.name)
    archives = {n: b for _, n, b in store.list(tenant=tenant, kind="archive") if b.get("EventSourceArn") == source}
    for name in list(bus._archives):
        if name not in archives:
            bus.delete_archive(name)
    for name, body in archives.items():
        bus.put_archive(name, body.get("EventPattern") or None)


class RunBusSink:
    """The sink a run worker hands the engine: the tenant's default bus,
    refreshed from the database at most every ``refresh_s`` seconds."""

    accepts_encoded = False

    def __init__(
        self,
        engine: Engine,
        tenant: str,
        config: Config,
        *,
        refresh_s: float = 2.0,
        speed: float | None = None,
        stats_path: Path | None = None,
    ):
        self.stats_path = stats_path
        self.store = Store(engine)
        self.tenant = tenant
        self.config = config
        self.refresh_s = refresh_s
        self.bus = open_bus(self.store, tenant, "default", config, speed_override=speed)
        self._synced = time.monotonic()

    def write(self, batch: pa.RecordBatch) -> None:
        if time.monotonic() - self._synced > self.refresh_s:
            sync_bus(self.bus, self.store, self.tenant)
            self._synced = time.monotonic()
        self.bus.write(batch)

    def close(self) -> None:
        self.bus.close()

    def shutdown(self) -> dict[str, Any]:
        """Wait for deliveries (at most the configured drain time); the
        counters go to ``eventbus.json`` in the run's directory."""
        stats = self.bus.shutdown(self.config.drain_s)
        if self.stats_path is not None:
            self.stats_path.write_text(json.dumps(stats, indent=2) + "\n")
        return stats


def run_sink_for(engine: Engine, run_id: str, data_dir: Path, region: str) -> RunBusSink | None:
    """The bus sink of a run, or None when its tenant has no rule or
    archive on the default bus (nothing to do, no cost)."""
    runs = Run.__table__
    with engine.connect() as c:
        row = c.execute(
            runs.select().with_only_columns(runs.c.tenant, runs.c.events_dir).where(runs.c.id == run_id)
        ).first()
    if row is None:
        return None
    tenant, events_dir = row
    store = Store(engine)
    if not store.list(tenant=tenant, kind="rule", parent="default") and not store.list(tenant=tenant, kind="archive"):
        return None
    stats = Path(events_dir) / "eventbus.json" if events_dir else None
    return RunBusSink(engine, tenant, Config.from_env(data_dir, region), stats_path=stats)


class ServerRuntime:
    """The service's live buses (for PutEvents and replays)."""

    def __init__(self, engine: Engine, config: Config):
        self.store = Store(engine)
        self.config = config
        self._buses: dict[tuple[str, str], Bus] = {}
        self._lock = threading.Lock()
        self._cancel: dict[tuple[str, str], threading.Event] = {}

    def bus(self, tenant: str, name: str) -> Bus:
        with self._lock:
            bus = self._buses.get((tenant, name))
            if bus is None:
                bus = self._buses[(tenant, name)] = open_bus(self.store, tenant, name, self.config)
                return bus
        sync_bus(bus, self.store, tenant)
        return bus

    def changed(self, tenant: str, name: str) -> None:
        with self._lock:
            bus = self._buses.get((tenant, name))
        if bus is not None:
            sync_bus(bus, self.store, tenant)

    def forget(self, tenant: str, name: str) -> None:
        with self._lock:
            bus = self._buses.pop((tenant, name), None)
        if bus is not None:
            threading.Thread(target=bus.shutdown, args=(self.config.drain_s,), daemon=True).start()

    def start_replay(self, tenant: str, name: str) -> None:
        stop = threading.Event()
        self._cancel[(tenant, name)] = stop
        threading.Thread(target=self._replay, args=(tenant, name, stop), daemon=True, name=f"replay-{name}").start()

    def cancel_replay(self, tenant: str, name: str) -> None:
        ev = self._cancel.get((tenant, name))
        if ev is not None:
            ev.set()

    def _set(self, tenant: str, name: str, **values: Any) -> dict[str, Any]:
        body = self.store.get(tenant=tenant, kind="replay", name=name) or {}
        body.update(values)
        self.store.put(tenant=tenant, kind="replay", name=name, body=body)
        return body

    def _replay(self, tenant: str, name: str, stop: threading.Event) -> None:
        """Re-deliver the archive's events of the time range, in batches,
        marked with ``replay-name``; progress in ``EventLastReplayedTime``."""
        body = self._set(tenant, name, State="RUNNING")
        try:
            archive = body["EventSourceArn"].rsplit("archive/", 1)[-1]
            bus_name = body["Destination"]["Arn"].rsplit("event-bus/", 1)[-1]
            rules = [a.rsplit("/", 1)[-1] for a in body["Destination"].get("FilterArns") or []] or None
            start = datetime.fromtimestamp(body["EventStartTime"], tz=_utc())
            end = datetime.fromtimestamp(body["EventEndTime"], tz=_utc())
            bus = self.bus(tenant, bus_name)
            after = 0
            while not stop.is_set():
                rows = self.store.archived(
                    tenant=tenant, archive=archive, start=start, end=end, after_id=after, limit=500
                )
                if not rows:
                    break
                for row_id, _t, event in rows:
                    event = with_replay_name(event, name)
                    bus.publish(event, only_rules=rules, archive=False)
                    after = row_id
                last = rows[-1][1]
                self._set(tenant, name, EventLastReplayedTime=_epoch(last))
            if stop.is_set():
                self._set(
                    tenant, name, State="CANCELLED", StateReason="Replay was cancelled", ReplayEndTime=time.time()
                )
            else:
                bus.drain(self.config.drain_s)
                self._set(tenant, name, State="COMPLETED", ReplayEndTime=time.time())
        except Exception as exc:
            log.exception("replay %s failed", name)
            self._set(
                tenant, name, State="FAILED", StateReason=f"{type(exc).__name__}: {exc}", ReplayEndTime=time.time()
            )


def _utc() -> timezone:
    return UTC


def _epoch(t: datetime) -> float:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()
