"""The agent pool: logins and logouts by shift, staggered breaks, and the
idle queue (longest-idle agent first, as ACDs route).

An agent due for a break or the end of a shift finishes the contact in hand
(talk and wrap-up) first. The pacer may hold an idle agent back from a break
when that agent is promised to a call already dialled (progressive dialling's
guarantee of a live agent).
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from campaigns.document import DAYS, Agents, Breaks, parse_time_of_day
from dialer.timeline import BUSY as T_BUSY
from dialer.timeline import LOGGED_IN as T_LOGGED
from dialer.timeline import ON_BREAK as T_BREAK
from dialer.timeline import Timeline

OFF, IDLE, BUSY, BREAK = range(4)

# talk_start of an agent not talking: far in the future, so the forecast's
# elapsed talk (now - start) is hugely negative.
NOT_TALKING = 1 << 60


def shift_intervals(
    agents: Agents, start: datetime, end: datetime, default_zone: str | None
) -> list[tuple[float, float, list[int]]]:
    """(login, logout, agent ids) in seconds since ``start`` for every shift
    on every day of the schedule, in the agents' own time zone."""
    horizon = (end - start).total_seconds()
    if not agents.shifts:
        return [(0.0, horizon, list(range(agents.count)))]
    zone = ZoneInfo(agents.time_zone or default_zone or "UTC")
    out = []
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    offset = 0
    for shift in agents.shifts:
        ids = list(range(offset, offset + shift.agents))
        offset += shift.agents
        s_t, e_t = parse_time_of_day(shift.start), parse_time_of_day(shift.end)
        day = first_day
        while day <= last_day:
            if shift.days is None or DAYS[day.weekday()] in shift.days:
                login = datetime.combine(day, s_t, zone)
                end_day = day if e_t > s_t else day + timedelta(days=1)
                logout = datetime.combine(end_day, e_t if e_t != time.max else time(23, 59, 59), zone)
                a = (login - start).total_seconds()
                b = (logout - start).total_seconds()
                a, b = max(a, 0.0), min(b, horizon)
                if b > a:
                    out.append((a, b, ids))
            day += timedelta(days=1)
    out.sort(key=lambda x: x[0])
    return out


class AgentPool:
    """Every agent's state (OFF, IDLE, BUSY, BREAK) and the counts the pacers
    and the timeline read. Each transition is a method here that keeps the
    state, the counts and the timeline's levels in step; the engine decides
    WHEN an agent moves, the pool HOW."""

    __slots__ = (
        "break_due",
        "break_every",
        "break_length",
        "busy_count",
        "idle",
        "logged_in",
        "n",
        "on_break",
        "pending_off",
        "shift_end",
        "state",
        "talk_start",
        "talk_version",
        "timeline",
    )

    def __init__(self, count: int, breaks: Breaks | None, timeline: Timeline) -> None:
        self.n = count
        self.timeline = timeline
        self.state = [OFF] * count
        self.idle: deque[int] = deque()
        self.pending_off = [False] * count
        self.break_due = [float("inf")] * count
        # 0.0: no breaks (a Breaks document has positive durations).
        self.break_every = breaks.every_seconds if breaks else 0.0
        self.break_length = breaks.length_seconds if breaks else 0.0
        # What the predictive pacer reads every second. The second each
        # agent's talk began, rounded up (NOT_TALKING when not talking): with
        # decisions on whole seconds, elapsed talk in whole seconds is one
        # integer subtraction for the whole pool, no masking.
        self.talk_start = np.full(count, NOT_TALKING, dtype=np.int64)
        # Counts the changes of talk_start, so that a reader can tell it is
        # unchanged without comparing the array.
        self.talk_version = 0
        self.shift_end = [float("inf")] * count
        self.logged_in = 0
        self.busy_count = 0
        self.on_break = 0

    def first_break(self, agent: int, login: float) -> float:
        # Staggered over the second half of the first period, so a team does
        # not leave the floor at once.
        every = self.break_every
        return login + every * (0.5 + 0.5 * (agent + 1) / self.n)

    # -- transitions ---------------------------------------------------------

    def log_in(self, a: int, now: float) -> bool:
        """An agent's shift starts: OFF -> IDLE (False if already on)."""
        if self.state[a] != OFF:
            return False
        self.state[a] = IDLE
        self.logged_in += 1
        self.timeline.change(now, T_LOGGED, +1)
        return True

    def leave(self, a: int, now: float, *, logout: bool) -> None:
        """An idle agent leaves the floor: IDLE -> OFF (logout) or BREAK."""
        try:  # noqa: SIM105 - cheaper than contextlib.suppress, and this runs once per agent leaving
            self.idle.remove(a)
        except ValueError:
            pass
        if logout:
            self.state[a] = OFF
            self.logged_in -= 1
            self.timeline.change(now, T_LOGGED, -1)
            self.break_due[a] = float("inf")
        else:
            self.state[a] = BREAK
            self.on_break += 1
            self.timeline.change(now, T_BREAK, +1)

    def end_break(self, a: int, now: float) -> None:
        """BREAK -> IDLE (not yet in the idle queue: see ``free``); the next
        break falls due one period later."""
        self.on_break -= 1
        self.timeline.change(now, T_BREAK, -1)
        self.state[a] = IDLE
        self.break_due[a] = now + self.break_every

    def free(self, a: int, now: float) -> None:
        """An agent is ready for a call: BUSY -> IDLE, at the back of the idle
        queue (provisionally: the engine may send them on a break, home, or
        straight to a waiting caller)."""
        if self.state[a] == BUSY:
            self.state[a] = IDLE
            self.busy_count -= 1
            self.timeline.change(now, T_BUSY, -1)
        self.idle.append(a)

    def take_idle(self, now: float) -> int:
        """The longest-idle agent: IDLE -> BUSY."""
        a = self.idle.popleft()
        self.state[a] = BUSY
        self.busy_count += 1
        self.timeline.change(now, T_BUSY, +1)
        return a

    def make_busy(self, a: int, now: float) -> None:
        """An agent out of the idle queue takes a call: -> BUSY."""
        if self.state[a] != BUSY:
            self.state[a] = BUSY
            self.busy_count += 1
            self.timeline.change(now, T_BUSY, +1)

    def start_talk(self, a: int, now: float) -> None:
        self.talk_start[a] = math.ceil(now)
        self.talk_version += 1

    def end_talk(self, a: int) -> None:
        self.talk_start[a] = NOT_TALKING
        self.talk_version += 1
