"""Calling hours (and public holidays) in the callee's local time, and the
local calendar day of each call (for same-day re-call bans)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compliance.audit.load import Strings
from compliance.audit.offenders import Offenders
from compliance.audit.report import RuleResult
from compliance.rules import RuleSet
from compliance.verdicts import Verdict
from compliance.windows import build_window, utc_offsets
from phonegeo import LocalTimeError, check_zone
from phonegeo.zones import zone_keys


@dataclass
class ZoneGroups:
    gid: np.ndarray  # group per call, -1 unknown
    zones: list[tuple[str, ...]]
    unknown: int
    _members: list[np.ndarray] | None = field(default=None, repr=False)

    def members(self, g: int) -> np.ndarray:
        """The calls of group ``g`` (-1: unknown zone), in order; one sort for all groups."""
        if self._members is None:
            groups = len(self.zones)
            key = self.gid + 1
            key = key.astype(np.int16) if groups < 32_000 else key  # radix sort
            order = np.argsort(key, kind="stable")
            ends = np.cumsum(np.bincount(key, minlength=groups + 1))
            self._members = [order[(ends[k - 1] if k else 0) : ends[k]] for k in range(groups + 1)]
        return self._members[g + 1]


def zone_groups(tz_col: Strings, numbers: np.ndarray, findings: list[str]) -> ZoneGroups:
    """The callee's zone(s) for each call: ``sim_time_zone`` when present
    (several zones separated by ',' '|' or ';'), else the number's zones."""
    n = numbers.size
    gid = np.full(n, -1, dtype=np.int64)
    groups: dict[tuple[str, ...], int] = {}

    def group_of(zones: tuple[str, ...]) -> int:
        return groups.setdefault(zones, len(groups))

    codes, names = tz_col.named()
    has_tz = np.zeros(n, bool)
    bad_zones = []
    for c, name in enumerate(names):
        if not name:
            continue
        parts = tuple(z.strip() for z in name.replace("|", ",").replace(";", ",").split(",") if z.strip())
        try:
            zones = tuple(check_zone(z) for z in parts)
        except LocalTimeError:
            bad_zones.append(name)
            continue
        sel = codes == c
        gid[sel] = group_of(zones)
        has_tz |= sel
    if bad_zones:
        findings.append(
            f"unknown time zone(s) in sim_time_zone: {bad_zones[:5]}; those calls' zones come from their numbers"
        )
    rest = ~has_tz & (numbers >= 0)
    if rest.any():
        # phonenumbers' longest-prefix answer, once per prefix key (never a truncated number).
        inverse, answers = zone_keys(numbers[rest])
        pg = np.full(len(answers), -1, dtype=np.int64)
        for k, (zones, _) in enumerate(answers):
            if zones:
                pg[k] = group_of(tuple(zones))
        gid[rest] = pg[inverse]
    unknown = int((gid < 0).sum())
    if unknown:
        findings.append(
            f"{unknown} call(s) have no known time zone (no sim_time_zone, number without zone data); calling hours not checked for them"
        )
    return ZoneGroups(gid, list(groups), unknown)


def hours_rule(rules: RuleSet, t_init: np.ndarray, zg: ZoneGroups | None, offenders: Offenders) -> RuleResult:
    n = t_init.size
    outside = np.zeros(n, bool)
    holiday = np.zeros(n, bool)
    if zg is not None and n:
        t = t_init / 1000.0
        lo, hi = float(np.nanmin(t)), float(np.nanmax(t))
        for g, zones in enumerate(zg.zones):
            sel = zg.members(g)
            if not sel.size:
                continue
            w = build_window(zones, rules, epoch=0.0, start=lo - 1, end=hi + 1)
            codes = w.codes_at(t[sel])
            outside[sel] = codes != 0
            holiday[sel] = codes == int(Verdict.HOLIDAY)
    ids, count = offenders(outside)
    hours = rules.hours.to_mapping() if rules.hours else None
    desc = "calls only within legal calling hours in the callee's local time"
    if rules.holidays is not None and rules.holidays.forbid_calls:
        desc += f", not on {rules.holidays.country} public holidays"
    return RuleResult(
        rule="calling_hours",
        description=desc,
        severity="error",
        measured=count,
        limit=0,
        passed=(count == 0) if (zg is None or zg.unknown < n) or n == 0 else None,
        unit="calls",
        offenders=ids,
        offender_count=count,
        details={"on_holidays": int(holiday.sum()), "calls_without_zone": zg.unknown if zg else 0, "hours": hours},
    )


def local_days(t_init: np.ndarray, zg: ZoneGroups | None, rules: RuleSet) -> np.ndarray:
    """Local calendar day of each call in the callee's (first) zone; the rule
    set's window zone (else UTC) when the callee's zone is unknown."""
    t = t_init / 1000.0
    off = np.zeros(t.size, dtype=np.int64)
    fallback = rules.abandonment.window_zone or "UTC"
    if zg is None:
        off = utc_offsets(fallback, t) if t.size else off
    else:
        for g, zones in enumerate(zg.zones):
            sel = zg.members(g)
            if sel.size:
                off[sel] = utc_offsets(zones[0], t[sel])
        unk = zg.members(-1)
        if unk.size:
            off[unk] = utc_offsets(fallback, t[unk])
    t += off  # in place: t is ours
    t /= 86400.0
    return np.floor(t, out=t).astype(np.int64)
