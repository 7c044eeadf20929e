"""An event bus: rules (patterns) with targets, archives, and the sink
interface the engine writes to.

``Bus`` is what both the service and Python code use. To the engine it is
just a sink (``write(batch)``, ``close()``): each batch of contact events
becomes EventBridge envelopes, published in simulated-time order as fast as
the simulation runs or, with ``speed``, in real time times that factor
(``speed=60`` plays an 8-hour day in 8 minutes; the simulation is then held
back when it runs more than ``pace_capacity`` events ahead of the clock).

Order: the engine writes a batch when enough calls have *finished*, so a
later batch can hold events (the start of a long call) earlier than the end
of the previous one. The bus therefore holds events back in a heap until
the simulated time written so far is ``order_horizon_s`` past them (default
one hour: no call lasts that long from dial to hang-up in any example) and
releases the rest when the engine closes its sinks. Order is exact unless a
call spans more than the horizon.

Chaos (``Chaos``) makes the bus behave as Connect documents its delivery:
unordered (events shuffled within a bounded window) and at least once
(some events delivered twice, with the same ``id``).
"""

from __future__ import annotations

import heapq
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from eventbus.delivery import Backoff, Delivery, RetryPolicy, TargetWorker, dead_letter_to
from eventbus.envelopes import envelopes_of
from eventbus.machine import RuleSet
from eventbus.pattern import Pattern, compile_pattern
from eventbus.targets import Environment, make_sender
from eventbus.transform import Transform, TransformError


@dataclass(frozen=True)
class Chaos:
    """``duplicates``: probability that an event is delivered twice;
    ``reorder_window``: events are shuffled within consecutive windows of
    this many events (1 = in order); ``seed`` makes it repeatable."""

    duplicates: float = 0.0
    reorder_window: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.duplicates <= 1.0:
            raise ValueError(f"chaos.duplicates must be within [0, 1], got {self.duplicates!r}")
        if not isinstance(self.reorder_window, int) or not 1 <= self.reorder_window <= 10_000:
            raise ValueError(f"chaos.reorderWindow must be an integer in 1..10000, got {self.reorder_window!r}")

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Chaos | None:
        if not data:
            return None
        return cls(float(data.get("duplicates", 0.0)), int(data.get("reorderWindow", 1)), int(data.get("seed", 0)))

    def apply(self, events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        w = self.reorder_window
        for i in range(0, len(events), w):
            chunk = events[i : i + w]
            if w > 1:
                rng.shuffle(chunk)
            for e in chunk:
                out.append(e)
                if self.duplicates and rng.random() < self.duplicates:
                    out.append(e)
        return out


@dataclass
class _Target:
    rule: str
    config: dict[str, Any]
    transform: Transform
    worker: TargetWorker
    key: str


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Bus:
    """Rules, targets and archives of one bus."""

    accepts_encoded = False

    def __init__(
        self,
        name: str = "default",
        *,
        env: Environment | None = None,
        speed: float | None = None,
        chaos: Chaos | None = None,
        archive: Callable[[list[tuple[str, datetime, dict[str, Any]]]], object] | None = None,
        region: str = "us-east-1",
        account: str = "111122223333",
        capacity: int = 10_000,
        backoff: Backoff = Backoff(),
        pace_capacity: int = 100_000,
        put_timeout_s: float = 1.0,
        order_horizon_s: float = 3600.0,
    ):
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self.name = name
        self.env = env or Environment(callables={})
        if self.env.callables is None:
            self.env.callables = {}
        self.speed = speed
        self.chaos = chaos
        self.region = region
        self.account = account
        self.capacity = capacity
        self.backoff = backoff
        self.put_timeout_s = put_timeout_s
        self._archive_sink = archive
        self._rules: RuleSet[str] = RuleSet()
        self._rule_arns: dict[str, str] = {}
        self._targets: dict[str, list[_Target]] = {}
        self._archives: dict[str, Pattern | None] = {}
        self._archive_rules: RuleSet[str] = RuleSet()
        self._memory_archive: list[tuple[str, datetime, dict[str, Any]]] = []
        self._rng = random.Random(chaos.seed if chaos else 0)
        self._lock = threading.RLock()
        self.published = 0
        self.matched = 0
        self._pace_q: queue.Queue[Any] | None = None
        self._pace_thread: threading.Thread | None = None
        self._pace_capacity = pace_capacity
        self._pace_origin: tuple[float, float] | None = None
        self.order_horizon_s = order_horizon_s
        self._held: list[tuple[str, int, dict[str, Any]]] = []
        self._held_seq = 0

    # -- configuration -----------------------------------------------------
    def rule_arn(self, rule: str) -> str:
        bus = "" if self.name == "default" else f"{self.name}/"
        return f"arn:aws:events:{self.region}:{self.account}:rule/{bus}{rule}"

    def put_rule(
        self, name: str, pattern: Pattern | str | dict[str, Any], *, enabled: bool = True, arn: str | None = None
    ) -> None:
        compiled = pattern if isinstance(pattern, Pattern) else compile_pattern(pattern)
        with self._lock:
            self._rule_arns[name] = arn or self.rule_arn(name)
            if enabled:
                self._rules.add(name, compiled)
            else:
                self._rules.remove(name)
            self._targets.setdefault(name, [])

    def delete_rule(self, name: str) -> None:
        with self._lock:
            self._rules.remove(name)
            self._rule_arns.pop(name, None)
            for t in self._targets.pop(name, []):
                t.worker.stop(0)

    def register_callable(self, name: str, fn: Callable[[Any], Any]) -> str:
        """Make ``fn`` reachable as target ``arn:dialer:callable:::<name>``."""
        if self.env.callables is None:  # None is Environment's default; __init__ set a dict, but env is public
            self.env.callables = {}
        self.env.callables[name] = fn
        return f"arn:dialer:callable:::{name}"

    def put_target(self, rule: str, target: dict[str, Any]) -> None:
        """Add or replace a target (an EventBridge ``Target`` mapping)."""
        transform = Transform.from_target(target)
        key = json.dumps(target, sort_keys=True, default=str)
        with self._lock:
            current = self._targets.setdefault(rule, [])
            for t in current:
                if t.config.get("Id") == target.get("Id"):
                    if t.key == key:
                        return
                    current.remove(t)
                    t.worker.stop(0)
                    break
            sender = make_sender(target["Arn"], target, self.env)
            dead = None
            dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dlq:
                dead = dead_letter_to(make_sender(dlq, {}, self.env))
            worker = TargetWorker(
                f"{rule}/{target.get('Id')}",
                sender,
                RetryPolicy.from_target(target),
                dead,
                capacity=self.capacity,
                backoff=self.backoff,
                seed=len(current),
                put_timeout_s=self.put_timeout_s,
            )
            current.append(_Target(rule, target, transform, worker, key))

    def add_callable(
        self, rule: str, fn: Callable[[Any], Any], *, target_id: str | None = None, **options: Any
    ) -> None:
        """Shortcut: a rule target calling ``fn`` (options: ``InputPath``,
        ``InputTransformer``, ``RetryPolicy``, ``DeadLetterConfig``...)."""
        target_id = target_id or f"callable-{len(self._targets.get(rule, [])) + 1}"
        arn = self.register_callable(f"{rule}.{target_id}", fn)
        self.put_target(rule, {"Id": target_id, "Arn": arn, **options})

    def remove_target(self, rule: str, target_id: str | None) -> bool:
        with self._lock:
            for t in list(self._targets.get(rule, [])):
                if t.config.get("Id") == target_id:
                    self._targets[rule].remove(t)
                    t.worker.stop(0)
                    return True
        return False

    def put_archive(self, name: str, pattern: Pattern | str | dict[str, Any] | None = None) -> None:
        compiled = pattern if pattern is None or isinstance(pattern, Pattern) else compile_pattern(pattern)
        with self._lock:
            self._archives[name] = compiled
            self._archive_rules.remove(name)
            if compiled is not None:
                self._archive_rules.add(name, compiled)

    def delete_archive(self, name: str) -> None:
        with self._lock:
            self._archives.pop(name, None)
            self._archive_rules.remove(name)

    # -- publishing ----------------------------------------------------------
    def publish(
        self, event: dict[str, Any], *, only_rules: Iterable[str] | None = None, archive: bool = True
    ) -> list[str]:
        """Route one envelope to the targets of the rules it matches; the
        names of those rules."""
        with self._lock:
            self.published += 1
            rules = self._rules.match(event)
            if only_rules is not None:
                allowed = set(only_rules)
                rules = [r for r in rules if r in allowed]
            if archive and self._archives:
                self._to_archives(event)
            ingestion = _iso_now()
            for rule in rules:
                arn = self._rule_arns.get(rule, "")
                for t in self._targets.get(rule, ()):
                    self.matched += 1
                    try:
                        body = t.transform.apply(event, arn, rule, ingestion)
                    except TransformError as exc:
                        t.worker.reject(
                            Delivery(event, "", arn, t.config["Arn"]), "InputTransformationFailed", str(exc)
                        )
                        continue
                    t.worker.submit(Delivery(event, body, arn, t.config["Arn"]))
            return rules

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        if self.chaos is not None:
            events = self.chaos.apply(events, self._rng)
        for e in events:
            self.publish(e)
        self.flush_archive()

    def _to_archives(self, event: dict[str, Any]) -> None:
        names = [n for n, p in self._archives.items() if p is None] + self._archive_rules.match(event)
        if names:
            t = _event_time(event)
            self._memory_archive.extend((name, t, event) for name in names)

    def flush_archive(self) -> None:
        with self._lock:
            rows, self._memory_archive = self._memory_archive, ([] if self._archive_sink else self._memory_archive)
        if self._archive_sink is not None and rows:
            self._archive_sink(rows)

    def archived(self, name: str) -> list[dict[str, Any]]:
        """In-process archives (no database): the events kept so far."""
        return [e for a, _, e in self._memory_archive if a == name]

    def replay(
        self, archive: str, start: datetime, end: datetime, *, replay_name: str, rules: Iterable[str] | None = None
    ) -> int:
        """Re-deliver an in-process archive's events of [start, end] to the
        rules (not to archives), marked with ``replay-name``."""
        events = [
            with_replay_name(e, replay_name)
            for a, t, e in list(self._memory_archive)
            if a == archive and start <= t <= end
        ]
        for e in events:
            self.publish(e, only_rules=rules, archive=False)
        return len(events)

    # -- the sink interface ----------------------------------------------------
    def write(self, batch: pa.RecordBatch) -> None:
        self._emit(self._in_order(envelopes_of(batch, region=self.region, account=self.account)))

    def _in_order(self, events: list[dict[str, Any]], *, everything: bool = False) -> list[dict[str, Any]]:
        """The held events that are now safe to publish, oldest first (ISO
        times of one format sort as instants)."""
        held = self._held
        for e in events:
            self._held_seq += 1
            heapq.heappush(held, (e["time"], self._held_seq, e))
        if not held:
            return []
        if everything:
            cut = None
        else:
            newest = max((e["time"] for e in events), default=None)
            if newest is None:
                return []
            cut = (_parse_time(newest) - timedelta(seconds=self.order_horizon_s)).strftime("%Y-%m-%dT%H:%M:%S.%f")[
                :-3
            ] + "Z"
        out = []
        while held and (cut is None or held[0][0] <= cut):
            out.append(heapq.heappop(held)[2])
        return out

    def _emit(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        if self.speed is None:
            self.publish_many(events)
            return
        pace_q = self._pace_q
        if self._pace_thread is None or pace_q is None:
            pace_q = self._pace_q = queue.Queue(maxsize=self._pace_capacity)
            self._pace_thread = threading.Thread(target=self._pace, daemon=True, name=f"eventbus-pace-{self.name}")
            self._pace_thread.start()
        if self.chaos is not None:
            events = self.chaos.apply(events, self._rng)
        for e in events:
            pace_q.put(e)  # blocks when the simulation runs too far ahead

    def _pace(self) -> None:
        assert self._pace_q is not None
        speed = self.speed  # fixed for the bus's life; the thread runs only when it is set
        assert speed is not None
        while True:
            e = self._pace_q.get()
            if e is None:
                self._pace_q.task_done()
                return
            t = _event_time(e).timestamp()
            if self._pace_origin is None:
                self._pace_origin = (time.monotonic(), t)
            wall0, sim0 = self._pace_origin
            wait = wall0 + (t - sim0) / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.publish(e)
            if self._pace_q.empty():
                self.flush_archive()
            self._pace_q.task_done()

    def close(self) -> None:
        """End of a simulation segment: publish what is held and paced, keep
        the targets running (a run may have several segments)."""
        self._emit(self._in_order([], everything=True))
        if self._pace_q is not None:
            self._pace_q.join()
        self.flush_archive()

    def drain(self, timeout: float = 30.0) -> bool:
        self.close()
        deadline = time.monotonic() + timeout
        ok = True
        for t in self._all_targets():
            ok = t.worker.drain(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def shutdown(self, timeout: float = 30.0) -> dict[str, Any]:
        """Drain for up to ``timeout`` seconds, stop the targets; counters."""
        self.drain(timeout)
        if self._pace_thread is not None and self._pace_q is not None:
            self._pace_q.put(None)
            self._pace_thread.join(2.0)
            self._pace_thread = None
        stats = self.stats()
        for t in self._all_targets():
            t.worker.stop(0)
        return stats

    def _all_targets(self) -> list[_Target]:
        with self._lock:
            return [t for ts in self._targets.values() for t in ts]

    def stats(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "matched": self.matched,
            "targets": {f"{t.rule}/{t.config.get('Id')}": t.worker.counters.as_dict() for t in self._all_targets()},
        }


def with_replay_name(event: dict[str, Any], name: str) -> dict[str, Any]:
    """A replayed event: ``replay-name`` after ``region``, where AWS puts it."""
    out: dict[str, Any] = {}
    for k, v in event.items():
        if k != "replay-name":
            out[k] = v
        if k == "region":
            out["replay-name"] = name
    out.setdefault("replay-name", name)
    return out


def _parse_time(raw: object) -> datetime:
    t = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _event_time(event: dict[str, Any]) -> datetime:
    try:
        return _parse_time(event.get("time"))
    except ValueError:
        return datetime.now(UTC)
