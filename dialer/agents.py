"""The agent pool: logins and logouts by shift, staggered breaks, and the
idle queue (longest-idle agent first, as ACDs route).

An agent due for a break or the end of a shift finishes the contact in hand
(talk and wrap-up) first. The pacer may hold an idle agent back from a break
when that agent is promised to a call already dialled (progressive dialling's
guarantee of a live agent).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from campaigns.document import DAYS, parse_time_of_day

OFF, IDLE, BUSY, BREAK = range(4)

# talk_start of an agent not talking: far in the future, so the forecast's
# elapsed talk (now - start) is hugely negative.
NOT_TALKING = 1 << 60


def shift_intervals(agents, start: datetime, end: datetime, default_zone: str | None) -> list[tuple[float, float, list[int]]]:
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
    __slots__ = (
        "state", "idle", "pending_off", "break_due", "break_every", "break_length",
        "talk_start", "wrap_ends", "logged_in", "n", "shift_end", "busy_count", "on_break",
    )

    def __init__(self, count: int, breaks) -> None:
        self.n = count
        self.state = [OFF] * count
        self.idle: deque[int] = deque()
        self.pending_off = [False] * count
        self.break_due = [float("inf")] * count
        self.break_every = breaks.every_seconds if breaks else None
        self.break_length = breaks.length_seconds if breaks else None
        # What the predictive pacer reads every second. The second each
        # agent's talk began, rounded up (NOT_TALKING when not talking): with
        # decisions on whole seconds, elapsed talk in whole seconds is one
        # integer subtraction for the whole pool, no masking.
        self.talk_start = np.full(count, NOT_TALKING, dtype=np.int64)
        # When each agent in after-contact work finishes it, sorted (a few
        # agents at a time: a bisect counts those done by any instant).
        self.wrap_ends: list[float] = []
        self.shift_end = [float("inf")] * count
        self.logged_in = 0
        self.busy_count = 0
        self.on_break = 0

    def first_break(self, agent: int, login: float) -> float:
        # Staggered over the second half of the first period, so a team does
        # not leave the floor at once.
        every = self.break_every
        return login + every * (0.5 + 0.5 * (agent + 1) / self.n)
