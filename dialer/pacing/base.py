"""The pacing interface: one decision method, one module per dial mode.

The engine calls ``dials_wanted(view)`` at each decision instant (every
``next_delay()`` seconds, and when an agent frees up if ``wake_on_agent_free``)
and dials that many contacts, within the free lines. It reports what happened
to each classified-live call through ``on_live_resolved``, which is all a real
dialer can observe: it never sees the simulator's ground truth.
"""

from __future__ import annotations

from typing import Protocol


class DialerView(Protocol):
    """What a pacer may read of the engine at a decision instant."""

    now: float
    in_flight: int  # dialled, not yet connected to an agent nor ended
    waiting: int  # live calls waiting for an agent
    lines_in_use: int

    @property
    def idle_agents(self) -> int: ...

    @property
    def available_agents(self) -> int: ...  # logged in and not on break


class Pacer:
    """Base class with the defaults most modes share."""

    name = "base"
    wake_on_agent_free = True
    wake_on_line_free = False
    # Every live answer is sure to find an agent (the gate relaxes the UK
    # re-call bans for such calls).
    guarantees_agent = False
    uses_agents = True
    # The preview pacer assigns the agent before the dial.
    reserves_agent = False

    def next_delay(self) -> float:
        return 1.0

    def dials_wanted(self, view: DialerView) -> int:
        raise NotImplementedError

    def on_dial(self, now: float) -> None:
        """A dial was placed."""

    def on_dial_resolved(self, live: bool, now: float) -> None:
        """A dial's AMD/answer outcome is known: live (sent to an agent) or not."""

    def on_dials_resolved(self, live: bool, count: int, now: float) -> None:
        """``count`` dials resolved alike at once (the unanswered calls of one
        dialling instant)."""
        for _ in range(count):
            self.on_dial_resolved(live, now)

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        """A live call reached an agent in time (False) or was abandoned (True)."""

    def may_release_idle_agent(self, view: DialerView) -> bool:
        """May an idle agent leave for a break or the end of a shift now?"""
        return True

    def level(self) -> float:
        """The figure the timeline records as ``pacing_level``."""
        return float("nan")
