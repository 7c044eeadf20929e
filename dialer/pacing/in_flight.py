""" "Calls in flight <= r x idle agents": the simplest state-aware pacing rule.

Each decision dials ``floor(r * idle agents) - calls in flight`` (calls in
flight: dialled and not yet with an agent nor ended, waiting callers
included). It sees idle agents only, never busy ones about to free: the
threshold-on-idle-agents policy Bhulai & Koole (2003) show optimal for call
blending (REFERENCE.md section 4). Progressive dialling is this rule at
``r = bandwidthAllocation <= 2``; as a simulator mode ``r`` may go higher.

Not a Connect mode: the pacing benchmark tunes ``r`` in hindsight as one of
the baselines the predictive pacer must beat.
"""

from __future__ import annotations

import math

from dialer.pacing.base import DialerView, Pacer


class InFlightRatio(Pacer):
    name = "inFlightRatio"
    wake_on_agent_free = True

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio

    def dials_wanted(self, view: DialerView) -> int:
        return math.floor(self.ratio * view.idle_agents + 1e-9) - view.in_flight

    def level(self) -> float:
        return self.ratio
