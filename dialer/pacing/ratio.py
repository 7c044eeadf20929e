"""A fixed dial level (VICIdial's RATIO mode): keep ``level`` lines in use per
available agent, talking calls included (VICIdial bin/AST_VDauto_dial.pl:
calls_to_place = round(dial_level * agents) - calls_in_progress).

Not a Connect mode: the pacing benchmark sweeps it in hindsight as the
baseline the predictive pacer must match."""

from __future__ import annotations

from dialer.pacing.base import DialerView, Pacer


class FixedRatio(Pacer):
    name = "fixedRatio"
    wake_on_agent_free = True
    wake_on_line_free = True

    def __init__(self, level: float) -> None:
        self._level = level

    def dials_wanted(self, view: DialerView) -> int:
        return round(self._level * view.available_agents) - view.lines_in_use

    def level(self) -> float:
        return self._level
