"""The pacing interface: one decision method, one module per dial mode.

The engine calls ``dials_wanted(view)`` at each decision instant (every
``next_delay()`` seconds, and when an agent frees up if ``wake_on_agent_free``)
and dials that many contacts, within the free lines. It reports what a real
dialer observes through the ``on_*`` hooks: dials placed, each dial's outcome
as the dialer classified it (live or not) with the time it was placed, live
calls connected in time or abandoned, talk and wrap-up durations. A pacer
never sees the simulator's ground truth (the true party behind an answer,
the future end of a talk or wrap-up).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class AgentStates(Protocol):
    """What a pacer may read of the agent pool."""

    # The whole second each agent's talk began (agents.NOT_TALKING when not
    # talking): with ``view.now`` it gives every agent's elapsed talk.
    @property
    def talk_start(self) -> np.ndarray: ...

    # Optional (read with getattr): a count that changes whenever
    # ``talk_start`` does, so a pacer may reuse what it computed from it.
    # talk_version: int


class DialerView(Protocol):
    """What a pacer may read of the engine at a decision instant."""

    now: float
    in_flight: int  # dialled, not yet connected to an agent nor ended
    waiting: int  # live calls waiting for an agent
    lines_in_use: int

    @property
    def agents(self) -> AgentStates: ...

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
    # Preview only: the longest an agent reads a contact before its dial.
    timeout = float("inf")

    def next_delay(self) -> float:
        return 1.0

    def dials_wanted(self, view: DialerView) -> int:
        raise NotImplementedError

    def on_dials(self, count: int, now: float) -> None:
        """``count`` dials were placed at ``now``."""

    def on_dial_resolved(self, live: bool, now: float, t_dial: float = float("nan")) -> None:
        """A dial placed at ``t_dial`` has its AMD/answer outcome: live (sent
        to an agent) or not (no answer, busy, machine, ...)."""

    def on_dials_resolved(self, live: bool, count: int, now: float, t_dial: float = float("nan")) -> None:
        """``count`` dials placed together at ``t_dial`` resolved alike at once
        (the unanswered calls of one dialling instant)."""
        for _ in range(count):
            self.on_dial_resolved(live, now, t_dial)

    def on_live_verdict(self, clock_start: float, now: float) -> None:
        """A call was classified live and queued for an agent; its abandonment
        clock started (or starts) at ``clock_start`` (the greeting's start or
        end, as the dialer heard it; NaN when there is no threshold)."""

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        """A live call reached an agent in time (False) or was abandoned (True)."""

    def on_undecided_hang_up(self, now: float) -> None:
        """The dialer hung up on an answer its AMD left undecided
        (``onUnresolved: HANG_UP``). It cannot know who was there, and
        Ofcom's policy treats an undecided call as live (REFERENCE.md, "Ofcom
        and AMD in practice"), so by default it counts as a live call
        abandoned."""
        self.on_live_resolved(True, now)

    def on_talk_end(self, talk_seconds: float, now: float, machine: bool = False) -> None:
        """An agent's talk ended after ``talk_seconds``; wrap-up starts.
        ``machine``: the agent's disposition says an answering machine was
        put through (an AMD false negative), not a person."""

    def on_wrap_end(self, wrap_start: float, now: float) -> None:
        """An agent's wrap-up (begun at ``wrap_start``) ended: the agent is ready."""

    def may_release_idle_agent(self, view: DialerView) -> bool:
        """May an idle agent leave for a break or the end of a shift now?"""
        return True

    def level(self) -> float:
        """The figure the timeline records as ``pacing_level``."""
        return float("nan")
