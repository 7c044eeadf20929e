"""Hours and shifts for the staffing optimiser (analysis/staffing.py): which
hours of the day a schedule covers on the agents' clock, and a staffing per
hour as the campaign document's agent shifts (``dialer/agents.py`` gives
each shift its own agents)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from campaigns.document import parse_document

__all__ = ["agents_zone", "document_staffing", "schedule_hours", "shifts_for", "staffed_document"]


# ---------------------------------------------------------------------------


def agents_zone(doc: Mapping[str, Any]) -> str:
    """The zone of the agents' shifts, as dialer/engine.py reads it."""
    parsed = parse_document(copy.deepcopy(dict(doc)))
    ctc = parsed.campaign.communication_time_config
    default = ctc.local_time_zone_config.default_time_zone if ctc else None
    return parsed.simulation.agents.time_zone or default or "UTC"


def schedule_hours(doc: Mapping[str, Any]) -> tuple[list[int], dict[int, float]]:
    """The hours of the day the schedule covers, in time order from its start,
    and the seconds each hour of the day is covered (over every day)."""
    parsed = parse_document(copy.deepcopy(dict(doc)))
    sched = parsed.campaign.schedule
    assert sched is not None  # a campaign document has a schedule
    zone = ZoneInfo(agents_zone(doc))
    t, end = sched.start_time, sched.end_time
    order: list[int] = []
    seconds: dict[int, float] = {}
    while t < end:
        local = t.astimezone(zone)
        nxt = min(end, (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(t.tzinfo))
        if nxt <= t:  # a zone change inside the hour: step a second
            nxt = t + timedelta(seconds=1)
        h = local.hour
        if h not in seconds:
            order.append(h)
        seconds[h] = seconds.get(h, 0.0) + (nxt - t).total_seconds()
        t = nxt
    return order, seconds


def shifts_for(staffing: Mapping[int, int]) -> list[dict[str, Any]]:
    """Shifts (as document dicts) that log in ``staffing[h]`` agents in every
    hour ``h`` of the day: layer ``k`` is one agent over every run of
    consecutive hours with at least ``k`` agents (a run may wrap past
    midnight only as two shifts)."""
    counts: dict[tuple[int, int], int] = {}
    top = max(staffing.values(), default=0)
    for k in range(1, top + 1):
        h = 0
        while h < 24:
            if staffing.get(h, 0) >= k:
                start = h
                while h < 24 and staffing.get(h, 0) >= k:
                    h += 1
                counts[(start, h)] = counts.get((start, h), 0) + 1
            else:
                h += 1
    return [{"start": f"{a:02d}:00", "end": f"{b:02d}:00", "agents": n} for (a, b), n in sorted(counts.items())]


def staffed_document(doc: Mapping[str, Any], staffing: Mapping[int, int]) -> dict[str, Any]:
    """A copy of the document with ``simulation.agents`` staffed as given
    (count = the agents the shifts use, shifts replaced)."""
    out = copy.deepcopy(dict(doc))
    agents = out["simulation"]["agents"]
    shifts = shifts_for(staffing)
    total = sum(s["agents"] for s in shifts)
    if not shifts:  # an empty list would mean "every agent all day"
        h = min(staffing, default=0)
        shifts = [{"start": f"{h:02d}:00", "end": f"{h + 1:02d}:00", "agents": 0}]
    agents["shifts"] = shifts
    agents["count"] = max(1, total)
    return out


def document_staffing(doc: Mapping[str, Any], hours: Sequence[int]) -> dict[int, int]:
    """Agents logged in at the start of each hour under the document's own shifts."""
    parsed = parse_document(copy.deepcopy(dict(doc)))
    agents = parsed.simulation.agents
    if not agents.shifts:
        return dict.fromkeys(hours, agents.count)
    out = {}
    for h in hours:
        n = 0
        for s in agents.shifts:
            a = int(s.start.lstrip("T")[:2])
            b_text = s.end.lstrip("T")
            b = 24 if b_text == "24:00" else int(b_text[:2])
            if (a <= h < b) if a < b else (h >= a or h < b):
                n += s.agents
        out[h] = n
    return out
