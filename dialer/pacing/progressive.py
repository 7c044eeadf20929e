"""Progressive dialling: ``bandwidthAllocation`` calls per idle agent.

At ratio 1 (or less) every dial has an idle agent promised to it, so a live
answer never waits: idle agents are held back from breaks while promised.
"""

from __future__ import annotations

import math

from dialer.pacing.base import DialerView, Pacer


class Progressive(Pacer):
    name = "progressive"

    def __init__(self, bandwidth: float) -> None:
        self.bandwidth = bandwidth
        self.guarantees_agent = bandwidth <= 1.0

    def dials_wanted(self, view: DialerView) -> int:
        return math.floor(self.bandwidth * view.idle_agents + 1e-9) - view.in_flight

    def may_release_idle_agent(self, view: DialerView) -> bool:
        if self.bandwidth <= 0:
            return True
        promised = math.ceil(view.in_flight / self.bandwidth - 1e-9)
        return view.idle_agents - 1 >= promised

    def level(self) -> float:
        return self.bandwidth
