"""Simulation-only Poisson dialling at a constant rate, blind to the agents.

With every answer human and no ring or greeting time the engine is then an
M/M/n+G queue, which is how it is checked against Erlang A and C.
"""

from __future__ import annotations

from dialer.pacing.base import DialerView, Pacer
from dialer.streams import Draws


class FixedRate(Pacer):
    name = "fixedRate"
    wake_on_agent_free = False

    def __init__(self, dials_per_second: float, interarrival: Draws) -> None:
        self.rate = dials_per_second
        self._gap = interarrival

    def next_delay(self) -> float:
        return self._gap()

    def dials_wanted(self, view: DialerView) -> int:
        return 1

    def level(self) -> float:
        return self.rate
