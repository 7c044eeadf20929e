"""Delivery to one target: a bounded queue, a thread, retries with
exponential back-off and jitter, and the dead-letter target.

EventBridge's promise, kept here: at least once; a failed attempt is
retried until ``MaximumRetryAttempts`` (default 185) or
``MaximumEventAgeInSeconds`` (default 86,400) runs out, then the event goes
to the dead-letter target with the attributes AWS attaches (``RULE_ARN``,
``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``,
``EXHAUSTED_RETRY_CONDITION``, ``RETRY_ATTEMPTS``); an error a retry cannot
fix (an HTTP 400, say) goes there at once. Each target has its own thread
and queue, so a slow or failing target holds up neither the simulation nor
the other targets. Back-pressure: when a target's queue is full the
publisher waits for room up to ``put_timeout_s`` (counted in
``backpressure``); a target that stays full is *stalled*: until its queue is
half empty again, its new events go straight to the dead-letter target with
``ERROR_CODE`` ``TargetQueueFull`` (counted in ``overflow``), so the
simulation is held up by at most one wait per stall.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventbus.targets import DeliveryError, HttpSender, NatsSender, QueueSender, RedisSender, Sender

log = logging.getLogger("eventbus.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 185
    max_age_s: float = 86_400.0

    @classmethod
    def from_target(cls, target: dict[str, Any]) -> RetryPolicy:
        rp = target.get("RetryPolicy") or {}
        return cls(int(rp.get("MaximumRetryAttempts", 185)), float(rp.get("MaximumEventAgeInSeconds", 86_400)))


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (1-based): base * 2^(n-1), at most cap, times a
    jitter factor drawn from [0.5, 1)."""

    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return min(self.cap_s, self.base_s * (2.0 ** (attempt - 1))) * (0.5 + rng.random() / 2)


@dataclass
class Delivery:
    event: dict[str, Any]
    body: str
    rule_arn: str
    target_arn: str
    born: float = field(default_factory=time.monotonic)
    attempts: int = 0


@dataclass
class Counters:
    submitted: int = 0
    delivered: int = 0
    retries: int = 0
    dead_lettered: int = 0
    dropped: int = 0
    backpressure: int = 0
    overflow: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


DeadLetter = Callable[[Delivery, str, str, str | None], bool]


class TargetWorker:
    """Delivers to one target in its own thread."""

    def __init__(
        self,
        name: str,
        sender: Sender,
        policy: RetryPolicy,
        dead_letter: DeadLetter | None,
        *,
        capacity: int = 10_000,
        backoff: Backoff = Backoff(),
        seed: int = 0,
        put_timeout_s: float = 1.0,
    ):
        self.name = name
        self.sender = sender
        self.policy = policy
        self.dead_letter = dead_letter
        self.backoff = backoff
        self.counters = Counters()
        self._queue: queue.Queue[Delivery] = queue.Queue(maxsize=capacity)
        self.capacity = capacity
        self.put_timeout_s = put_timeout_s
        self._stalled = False
        self._retries: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._rng = random.Random(seed)
        self._busy = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"eventbus-target-{name}")
        self._thread.start()

    def submit(self, d: Delivery) -> bool:
        self.counters.submitted += 1
        try:
            self._queue.put_nowait(d)
            return True
        except queue.Full:
            pass
        if not self._stalled:
            self.counters.backpressure += 1
            try:
                self._queue.put(d, timeout=self.put_timeout_s)
                return True
            except queue.Full:
                self._stalled = True
        self.counters.overflow += 1
        self._dead(d, "TargetQueueFull", f"the delivery queue of target {self.name} is full", None)
        return False

    def reject(self, d: Delivery, code: str, message: str) -> None:
        """An event this target cannot take at all (its input cannot be
        built): straight to the dead-letter target, no retry."""
        self.counters.submitted += 1
        self._dead(d, code, message, None)

    def pending(self) -> int:
        with self._cond:
            return self._queue.qsize() + len(self._retries) + self._busy

    def _next(self) -> Delivery | None:
        with self._cond:
            if self._retries and self._retries[0][0] <= time.monotonic():
                self._busy += 1
                return heapq.heappop(self._retries)[2]
            wait = 0.2
            if self._retries:
                wait = max(0.0, min(wait, self._retries[0][0] - time.monotonic()))
        try:
            d = self._queue.get(timeout=wait)
        except queue.Empty:
            self._stalled = False
            return None
        if self._stalled and self._queue.qsize() < self.capacity // 2:
            self._stalled = False
        with self._cond:
            self._busy += 1
        return d

    def _run(self) -> None:
        while not self._stop.is_set():
            d = self._next()
            if d is None:
                continue
            try:
                self._attempt(d)
            except Exception:  # pragma: no cover - a sender bug must not kill the thread
                log.exception("delivery to %s failed unexpectedly", self.name)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, d: Delivery) -> None:
        d.attempts += 1
        try:
            self.sender.send(d.body, d.event)
        except DeliveryError as exc:
            retries_done = d.attempts - 1
            if not exc.retryable:
                self._dead(d, exc.code, exc.message, None)
                return
            if retries_done >= self.policy.max_attempts:
                self._dead(d, exc.code, exc.message, "MaximumRetryAttemptsExhausted")
                return
            delay = self.backoff.delay(d.attempts, self._rng)
            if time.monotonic() - d.born + delay > self.policy.max_age_s:
                self._dead(d, exc.code, exc.message, "MaximumEventAgeExceeded")
                return
            self.counters.retries += 1
            with self._cond:
                heapq.heappush(self._retries, (time.monotonic() + delay, next(self._seq), d))
            return
        self.counters.delivered += 1

    def _dead(self, d: Delivery, code: str, message: str, condition: str | None) -> None:
        if self.dead_letter is not None and self.dead_letter(d, code, message, condition):
            self.counters.dead_lettered += 1
        else:
            self.counters.dropped += 1
            log.warning(
                "event %s for %s dropped (%s: %s; no dead-letter target)", d.event.get("id"), self.name, code, message
            )

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued, waiting for a retry or in flight."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                return False
            with self._cond:
                self._cond.wait(0.05)
        return True

    def stop(self, timeout: float = 0.0) -> None:
        """Drain for up to ``timeout`` seconds, then dead-letter what is left
        (``ShutdownBeforeDelivery``) and stop the thread."""
        self.drain(timeout)
        self._stop.set()
        self._thread.join(2.0)
        left: list[Delivery] = [r[2] for r in self._retries]
        self._retries.clear()
        while True:
            try:
                left.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for d in left:
            self._dead(d, "ShutdownBeforeDelivery", "the service stopped before the event could be delivered", None)
        close = getattr(self.sender, "close", None)
        if close is not None:
            close()


def dead_letter_attributes(d: Delivery, code: str, message: str, condition: str | None) -> dict[str, str]:
    attrs = {
        "RULE_ARN": d.rule_arn,
        "TARGET_ARN": d.target_arn,
        "ERROR_CODE": code,
        "ERROR_MESSAGE": message[:1000],
        "RETRY_ATTEMPTS": str(max(0, d.attempts - 1)),
    }
    if condition:
        attrs["EXHAUSTED_RETRY_CONDITION"] = condition
    return attrs


def dead_letter_to(sender: Sender) -> DeadLetter:
    """A dead-letter function sending to ``sender``. Queues, HTTP, NATS and
    Redis get the original event as the body and the attributes beside it
    (queue attributes, ``X-Dead-Letter-*`` headers, NATS headers, stream
    fields); a file or a callable gets ``{"event": ..., "attributes": ...}``."""
    beside = sender if isinstance(sender, (QueueSender, HttpSender, NatsSender, RedisSender)) else None

    def send(d: Delivery, code: str, message: str, condition: str | None) -> bool:
        attrs = dead_letter_attributes(d, code, message, condition)
        try:
            if beside is not None:
                beside.send(json.dumps(d.event), d.event, attrs)
            else:
                sender.send(json.dumps({"event": d.event, "attributes": attrs}), d.event)
            return True
        except Exception as exc:
            log.warning("dead-letter delivery failed: %s", exc)
            return False

    return send
