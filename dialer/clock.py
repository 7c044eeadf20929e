"""The simulation clock: SimPy's ``Environment`` and the one place that
touches its internals.

Why internals at all: the engine schedules several callbacks per call, and
SimPy's public way (a ``Timeout`` plus a closure per callback) costs twice
as much as pushing a slotted event straight onto the environment's queue
(measured when the engine was made fast: issue 2). ``run`` is SimPy's
``Environment.run()`` with ``step`` inlined, and the time is kept in a plain
attribute (``Clock.t``) as well as in the environment (``env.now`` is a
property: a call per read). Should SimPy change its queue or its step, this
class is all that changes.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, cast

import simpy
from simpy.events import NORMAL


class _Later:
    """A scheduled callback: what ``Environment.step`` needs of an event
    (``callbacks``, ``_ok``) and nothing more."""

    __slots__ = ("args", "callbacks", "fn")
    _ok = True

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.callbacks = _FIRE


def _fire(event: _Later) -> None:
    event.fn(*event.args)


_FIRE = (_fire,)


class Clock:
    """Simulated seconds since the schedule start, and callbacks at them."""

    __slots__ = ("_eid", "_queue", "env", "t")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        # SimPy's heap of (time, priority, id, event). SimPy types the event as
        # its Event class; we also push objects that only look like one to
        # step() (_Later, a call), hence Any. Once per run, not per event.
        self._queue = cast(list[tuple[float, int, int, Any]], self.env._queue)
        self._eid = self.env._eid  # SimPy's event-id counter (ties keep insertion order)
        # The current time as a plain attribute (env.now is a property: a
        # call per read, and the engine reads the time at every step).
        self.t = self.env.now

    @property
    def now(self) -> float:
        return self.t

    def later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay`` simulated seconds (now if
        ``delay`` is not positive)."""
        heappush(self._queue, (self.t + (delay if delay > 0 else 0.0), NORMAL, next(self._eid), _Later(fn, args)))

    def after(self, delay: float, event: Any, step: tuple[Callable[[Any], None]]) -> None:
        """Schedule ``event`` itself (an object with ``_ok`` and a
        ``callbacks`` slot, such as a call) to fire ``step``: a call is the
        event of its own next step, so no event object, closure or argument
        tuple is made."""
        event.callbacks = step
        heappush(self._queue, (self.t + (delay if delay > 0 else 0.0), NORMAL, next(self._eid), event))

    def run(self) -> None:
        """Every event until the queue is empty: ``Environment.run()`` with
        ``Environment.step`` inlined (one method call less per event, a few
        percent of a run), the same steps in the same order."""
        env = self.env
        queue = self._queue
        pop = heappop
        while queue:
            t, _, _, event = pop(queue)
            env._now = self.t = t
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # A failed SimPy event nobody handled: raised as step() does.
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
