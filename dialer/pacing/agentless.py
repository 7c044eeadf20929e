"""Agentless dialling: fill the lines; live answers hear the message only."""

from __future__ import annotations

from dialer.pacing.base import DialerView, Pacer


class Agentless(Pacer):
    name = "agentless"
    uses_agents = False
    wake_on_agent_free = False
    wake_on_line_free = True
    guarantees_agent = False

    def __init__(self, lines: int) -> None:
        self.lines = lines

    def dials_wanted(self, view: DialerView) -> int:
        return self.lines - view.lines_in_use

    def level(self) -> float:
        return float(self.lines)
