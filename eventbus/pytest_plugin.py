"""pytest fixture ``bus_events``: collect the events that match a pattern
while a campaign runs.

    def test_every_abandoned_call_is_disconnected(bus_events):
        hangups = bus_events({"detail": {"eventType": ["DISCONNECTED"]}})
        simulate("campaign.yaml", bus=hangups.bus)
        assert hangups.events and all(e["detail"]["eventType"] == "DISCONNECTED" for e in hangups.events)

Several collectors may share one bus: ``bus_events(pattern, bus=other.bus)``.
``events`` waits for the deliveries in flight before answering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eventbus.bus import Bus


class Collector:
    """The events one rule delivered, in delivery order."""

    def __init__(self, bus: Bus, rule: str):
        self.bus = bus
        self.rule = rule
        self._events: list[Any] = []
        self._lock = threading.Lock()

    def _add(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[Any]:
        self.bus.drain(60.0)
        with self._lock:
            return list(self._events)


@pytest.fixture
def bus_events() -> Iterator[Callable[..., Collector]]:
    buses: list[Bus] = []
    count = [0]

    def make(pattern: dict[str, Any] | str, *, bus: Bus | None = None, **target_options: Any) -> Collector:
        if bus is None:
            bus = Bus()
            buses.append(bus)
        count[0] += 1
        rule = f"collect-{count[0]}"
        bus.put_rule(rule, pattern)
        collector = Collector(bus, rule)
        bus.add_callable(rule, collector._add, **target_options)
        return collector

    yield make
    for b in buses:
        b.shutdown(5.0)
