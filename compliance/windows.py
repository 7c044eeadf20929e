"""Calling windows as piecewise-constant functions of time.

A window is a sorted array of breakpoints (seconds since an epoch) and, for
each segment ``[bp[k], bp[k+1])``, a code: 0 (calls allowed) or the
``Verdict`` that forbids calls then. Built once per zone (day by day in the
zone's local time, so daylight-saving days have 23 or 25 hours) and intersected
over the zones of a group: a call is allowed only when every zone allows it,
and the reason shown is the strongest among the zones that forbid it.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from campaigns.document import DAYS, ConnectCampaign
from compliance.rules import RuleSet, RuleTimeline
from compliance.verdicts import Verdict

DAY = 86400
FULL_DAY = ((0, DAY),)
ALWAYS = tuple([FULL_DAY] * 7)

WeekHours = tuple[tuple[tuple[int, int], ...], ...]
"""Monday..Sunday, each day's open intervals in seconds of the day."""

# Which reason wins when several forbid the same instant.
_PRIORITY = np.zeros(16, dtype=np.int8)
for _rank, _v in enumerate(
    (Verdict.OUTSIDE_SCHEDULE, Verdict.OUTSIDE_HOURS, Verdict.RESTRICTED_PERIOD, Verdict.HOLIDAY), start=1
):
    _PRIORITY[int(_v)] = _rank
_BY_RANK = np.array(
    [0, Verdict.OUTSIDE_SCHEDULE, Verdict.OUTSIDE_HOURS, Verdict.RESTRICTED_PERIOD, Verdict.HOLIDAY], dtype=np.int8
)


@dataclass(frozen=True)
class Window:
    """``bp[0]`` is -inf; the last segment runs to +inf. ``nxt[k]``: the earliest
    allowed instant at or after the start of segment k (inf: none)."""

    bp: list[float]
    code: list[int]
    nxt: list[float]

    def at(self, t: float) -> tuple[int, float]:
        """(code at t, earliest allowed instant >= t)."""

        k = bisect_right(self.bp, t) - 1
        c = self.code[k]
        return c, (t if c == 0 else self.nxt[k])

    def codes_at(self, t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(np.asarray(self.bp), t, side="right") - 1
        return np.asarray(self.code, dtype=np.int8)[k]


@lru_cache(maxsize=256)
def holiday_dates(country: str, subdivision: str | None, years: tuple[int, ...]) -> frozenset[date]:
    """Public holidays of a country (and subdivision) from the ``holidays`` library."""

    try:
        cal = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        raise ValueError(f"holidays: no calendar for country {country!r}") from None
    except Exception as exc:  # the library raises NotImplementedError or ValueError for a bad subdivision
        raise ValueError(f"holidays: {country!r}/{subdivision!r}: {exc}") from None
    return frozenset(cal.keys())


def open_hours_from_campaign(campaign: ConnectCampaign | None) -> WeekHours | None:
    """The campaign's ``communicationTimeConfig.telephony.openHours.dailyHours``
    as seconds of the day per weekday; None when absent (always open). A weekday
    missing from ``dailyHours`` is closed."""
    ctc = getattr(campaign, "communication_time_config", None)
    tel = ctc.telephony if ctc else None
    if tel is None or tel.open_hours is None:
        return None

    def secs(t: time) -> int:
        return DAY if t == time.max else t.hour * 3600 + t.minute * 60 + t.second

    out = []
    for d in DAYS:
        ranges = tel.open_hours.daily_hours.get(d) or []
        out.append(tuple(sorted((secs(r.start), secs(r.end)) for r in ranges)))
    return tuple(out)


def restricted_from_campaign(campaign: ConnectCampaign | None) -> tuple[tuple[date, date], ...]:
    ctc = getattr(campaign, "communication_time_config", None)
    tel = ctc.telephony if ctc else None
    if tel is None or tel.restricted_periods is None:
        return ()
    return tuple((p.start_date, p.end_date) for p in tel.restricted_periods.restricted_period_list)


def _inside(intervals: Sequence[tuple[int, int]], x: float) -> bool:
    return any(a <= x < b for a, b in intervals)


@lru_cache(maxsize=1024)
def offset_pieces(zone: str, u_lo: int, u_hi: int) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The UTC offsets of ``zone`` over epoch seconds [u_lo, u_hi]: (start of
    each piece, offset in seconds), found by sampling every 6 hours and
    bisecting each change to the second."""
    tz = ZoneInfo(zone)

    def off(x: float) -> int:
        delta = datetime.fromtimestamp(x, UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    starts: list[float] = [-math.inf]
    offsets: list[int] = [off(u_lo)]
    prev_x, prev = float(u_lo), offsets[0]
    x = float(u_lo)
    while x < u_hi:
        x = min(x + 6 * 3600.0, float(u_hi))
        cur = off(x)
        if cur != prev:
            a, b = prev_x, x
            while b - a > 1:
                m = math.floor((a + b) / 2)
                if off(m) == prev:
                    a = m
                else:
                    b = m
            starts.append(b)
            offsets.append(cur)
        prev_x, prev = x, cur
    return tuple(starts), tuple(offsets)


def _holidays_of(rs: RuleSet, years: tuple[int, ...]) -> frozenset[date]:
    """The dates on which ``rs`` forbids calls (its own calendar and the
    layers' bans)."""
    out: set[date] = set()
    for cal in (rs.holidays, *rs.extra_holidays):
        if cal is not None and cal.forbid_calls:
            out |= holiday_dates(cal.country, cal.subdivision, years)
    return frozenset(out)


def zone_function(
    zone: str,
    rules: RuleSet | None,
    open_hours: WeekHours | None,
    restricted: tuple[tuple[date, date], ...],
    epoch: float,
    t_lo: float,
    t_hi: float,
    regions: tuple[str, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints (seconds since ``epoch``) and codes for one zone, covering
    the local days that contain [t_lo, t_hi].

    Decided by the zone's wall clock: the day's rules (by local date: a state
    layer in force that day) give a code for each wall-clock time, and an
    instant gets the code of its wall-clock reading. A window edge in a
    skipped hour (spring forward) takes effect at the jump; in a repeated hour
    (fall back) each pass is judged by its wall clock."""
    tz = ZoneInfo(zone)
    first = datetime.fromtimestamp(epoch + t_lo, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(epoch + t_hi, tz).date() + timedelta(days=1)
    timeline = RuleTimeline(rules, regions) if rules is not None else None
    opened = open_hours if open_hours is not None else ALWAYS
    years = tuple(range(first.year, last.year + 1))
    hol_cache: dict[int, frozenset[date]] = {}
    # The wall-clock function: naive local seconds since 1970-01-01 00:00.
    wall_bp: list[float] = []
    wall_code: list[int] = []
    d = first
    naive0 = date(1970, 1, 1)
    while d <= last:
        rs = timeline.at(d) if timeline is not None else None
        legal = rs.hours.days if (rs is not None and rs.hours is not None) else ALWAYS
        hol: frozenset[date] = frozenset()
        if rs is not None:
            key = id(rs)
            if key not in hol_cache:
                hol_cache[key] = _holidays_of(rs, years)
            hol = hol_cache[key]
        midnight = float((d - naive0).days * DAY)
        if d in hol:
            segs = [(0, int(Verdict.HOLIDAY))]
        elif any(a <= d <= b for a, b in restricted):
            segs = [(0, int(Verdict.RESTRICTED_PERIOD))]
        else:
            wd = d.weekday()
            lg, op = legal[wd], opened[wd]
            points = sorted({0, DAY, *(x for iv in lg for x in iv), *(x for iv in op for x in iv)})
            segs = []
            for a, b in itertools.pairwise(points):
                mid = (a + b) / 2
                if not _inside(lg, mid):
                    c = int(Verdict.OUTSIDE_HOURS)
                elif not _inside(op, mid):
                    c = int(Verdict.OUTSIDE_SCHEDULE)
                else:
                    c = 0
                segs.append((a, c))
        for offset, c in segs:
            if wall_code and wall_code[-1] == c:
                continue
            wall_bp.append(midnight + offset)
            wall_code.append(c)
        d += timedelta(days=1)
    # Map wall-clock breakpoints to instants, piece by piece of constant offset.
    u_lo = int((first - naive0).days * DAY - 2 * DAY)
    u_hi = int((last - naive0).days * DAY + 3 * DAY)
    starts, offsets = offset_pieces(zone, u_lo, u_hi)
    bps: list[float] = []
    codes: list[int] = []
    for j, (u0, o) in enumerate(zip(starts, offsets, strict=True)):
        u1 = starts[j + 1] if j + 1 < len(starts) else math.inf
        w0 = (u0 if math.isfinite(u0) else float(u_lo)) + o
        k = bisect_right(wall_bp, w0) - 1
        c0 = wall_code[k] if k >= 0 else wall_code[0]
        if not codes or codes[-1] != c0:
            bps.append((u0 if math.isfinite(u0) else wall_bp[0] - o) - epoch)
            codes.append(c0)
        w1 = u1 + o
        k += 1
        while k < len(wall_bp) and wall_bp[k] < w1:
            c = wall_code[k]
            if codes[-1] != c:
                bps.append(wall_bp[k] - o - epoch)
                codes.append(c)
            k += 1
    return np.asarray(bps, dtype=np.float64), np.asarray(codes, dtype=np.int8)


def combine(functions: Iterable[tuple[np.ndarray, np.ndarray]], start: float, end: float) -> Window:
    """Intersect zone functions; outside [start, end) is OUTSIDE_SCHEDULE."""
    functions = list(functions)
    bp = np.unique(np.concatenate([f[0] for f in functions] + [np.array([start, end])]))
    rank = np.zeros(bp.size, dtype=np.int8)
    for fbp, fcode in functions:
        k = np.searchsorted(fbp, bp, side="right") - 1
        c = np.where(k >= 0, fcode[np.maximum(k, 0)], int(Verdict.OUTSIDE_SCHEDULE))
        rank = np.maximum(rank, _PRIORITY[c])
    code = _BY_RANK[rank]
    code[(bp < start) | (bp >= end)] = int(Verdict.OUTSIDE_SCHEDULE)
    bp = np.concatenate([[-math.inf], bp])
    code = np.concatenate([[int(Verdict.OUTSIDE_SCHEDULE)], code])
    keep = np.ones(bp.size, dtype=bool)
    keep[1:] = code[1:] != code[:-1]
    bp, code = bp[keep], code[keep]
    nxt = np.full(bp.size, math.inf)
    allowed = code == 0
    # Earliest allowed segment start at or after each segment.
    idx = np.where(allowed, np.arange(bp.size), bp.size)
    idx = np.minimum.accumulate(idx[::-1])[::-1]
    has = idx < bp.size
    nxt[has] = bp[idx[has]]
    return Window(bp.tolist(), code.astype(int).tolist(), nxt.tolist())


def build_window(
    zones: Sequence[str],
    rules: RuleSet | None,
    *,
    epoch: float,
    start: float,
    end: float,
    open_hours: WeekHours | None = None,
    restricted: tuple[tuple[date, date], ...] = (),
    margin: float = DAY,
    regions: tuple[str, ...] = (),
) -> Window:
    """The allowed times for a callee who may be in any of ``zones`` (and
    whose state is in ``regions``, for a rule set's state layers), over
    [start - margin, end + margin] seconds since ``epoch``."""
    fns = [zone_function(z, rules, open_hours, restricted, epoch, start - margin, end + margin, regions) for z in zones]
    return combine(fns, start, end)


def next_midnights(zone: str, epoch: float, t_lo: float, t_hi: float) -> list[float]:
    """Local midnights of a zone (seconds since ``epoch``), sorted."""
    tz = ZoneInfo(zone)
    d = datetime.fromtimestamp(epoch + t_lo, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(epoch + t_hi, tz).date() + timedelta(days=2)
    out = []
    while d <= last:
        out.append(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp() - epoch)
        d += timedelta(days=1)
    return out


def utc_offsets(zone: str, t: np.ndarray) -> np.ndarray:
    """UTC offset in seconds of ``zone`` at each epoch second of ``t``
    (vectorised: the zone's transitions in the range are found once)."""
    tz = ZoneInfo(zone)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = float(np.min(t)) - DAY, float(np.max(t)) + DAY

    def off(x: float) -> int:
        offset = datetime.fromtimestamp(x, UTC).astimezone(tz).utcoffset()
        assert offset is not None  # an aware datetime always has one
        return int(offset.total_seconds())

    samples = np.arange(lo, hi + 6 * 3600, 6 * 3600)
    offs = [off(x) for x in samples]
    change_at = [lo]
    values = [offs[0]]
    for j in range(1, len(samples)):
        if offs[j] != offs[j - 1]:
            a, b = samples[j - 1], samples[j]
            while b - a > 1:  # binary search to the second
                m = math.floor((a + b) / 2)
                if off(m) == offs[j - 1]:
                    a = m
                else:
                    b = m
            change_at.append(b)
            values.append(offs[j])
    if len(values) == 1:  # no transition in the range: one offset
        return np.full(t.size, values[0], dtype=np.int64)
    k = np.searchsorted(np.asarray(change_at), t, side="right")
    k -= 1
    np.maximum(k, 0, out=k)
    return np.asarray(values, dtype=np.int64)[k]
