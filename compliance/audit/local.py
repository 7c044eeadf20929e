"""The layers of a rule set judged per call: which state (or province) each
call's callee is in, and the state calling hours (hours, Sunday and holiday
bans of the state layer, by the rule version in force on the call's date).

The events carry no ZIP code, so the state comes from the number's area code
(phonegeo.regions); a call whose callee's zone is unknown is not judged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compliance.audit.hours import ZoneGroups
from compliance.audit.offenders import Offenders
from compliance.audit.report import RuleResult
from compliance.rules import RuleSet
from compliance.windows import build_window
from phonegeo.regions import NANP_AREA_CODES


@dataclass(frozen=True)
class CallRegions:
    """The callee's state per call as a code into ``names`` (-1: none the rule
    set has a layer for)."""

    code: np.ndarray
    names: list[str]


def call_regions(numbers: np.ndarray, rules: RuleSet) -> CallRegions:
    names = sorted(rules.regions)
    index = {r: k for k, r in enumerate(names)}
    lut = np.full(1000, -1, dtype=np.int16)
    for npa, region in NANP_AREA_CODES.items():
        if region in index:
            lut[npa] = index[region]
    nanp = (numbers >= 10_000_000_000) & (numbers < 20_000_000_000)
    code = np.full(numbers.size, -1, dtype=np.int16)
    if names and nanp.any():
        code[nanp] = lut[(numbers[nanp] // 10_000_000) % 1000]
    return CallRegions(code, names)


def state_hours_rule(
    rules: RuleSet,
    t_init: np.ndarray,
    zg: ZoneGroups,
    regions: CallRegions,
    offenders: Offenders,
    recorded: tuple[np.ndarray, CallRegions] | None = None,
) -> RuleResult:
    """Calls the state layer forbids (outside its hours, on a Sunday or a
    state holiday it bans) that the national rules alone allow: the breaches
    the ``calling_hours`` rule does not already count. ``recorded``: the
    recorded-message calls (a mask) and their states under
    ``rules.for_recorded_message()``; those calls are judged by that view
    (the layers binding recorded-message devices too), the others by
    ``rules``."""
    n = t_init.size
    bad = np.zeros(n, dtype=bool)
    per_state: dict[str, int] = {}
    judged_total = 0
    passes: list[tuple[RuleSet, CallRegions, np.ndarray | None]] = []
    if recorded is None or not recorded[0].any():
        passes.append((rules, regions, None))
    else:
        mask, rec_regions = recorded
        passes.append((rules, regions, ~mask))
        passes.append((rules.for_recorded_message(), rec_regions, mask))
    sources: dict[str, str] = {}
    for rs, regs, only in passes:
        judged_total += _judge(rs, t_init, zg, regs, only, bad, per_state)
        sources |= {r.region: r.source for r in rs.local_rules if r.region in per_state and r.region not in sources}
    ids, count = offenders(bad)
    details: dict[str, object] = {"by_state": per_state, "calls_with_a_state_layer": judged_total, "sources": sources}
    if recorded is not None:
        details["recorded_message_calls"] = int(recorded[0].sum())
    return RuleResult.calls(
        rule="state_calling_hours",
        description="calls only within the callee's state calling hours, not on the Sundays or holidays it bans (state by area code)",
        ids=ids,
        count=count,
        severity="error",
        details=details,
    )


def _judge(
    rules: RuleSet,
    t_init: np.ndarray,
    zg: ZoneGroups,
    regions: CallRegions,
    only: np.ndarray | None,
    bad: np.ndarray,
    per_state: dict[str, int],
) -> int:
    """Mark in ``bad`` the calls (of ``only``, None: all) the state layer of
    ``rules`` forbids and the national rules allow; the count judged."""
    ok = (regions.code >= 0) & (zg.gid >= 0)
    if only is not None:
        ok &= only
    judged = np.flatnonzero(ok)
    if judged.size:
        t = t_init / 1000.0
        lo, hi = float(np.nanmin(t[judged])), float(np.nanmax(t[judged]))
        width = np.int64(len(regions.names))
        key = zg.gid[judged].astype(np.int64) * width + regions.code[judged]
        for k in np.unique(key).tolist():
            sel = judged[key == k]
            zones = zg.zones[k // int(width)]
            region = regions.names[k % int(width)]
            national = build_window(zones, rules, epoch=0.0, start=lo - 1, end=hi + 1)
            layered = build_window(zones, rules, epoch=0.0, start=lo - 1, end=hi + 1, regions=(region,))
            hit = (layered.codes_at(t[sel]) != 0) & (national.codes_at(t[sel]) == 0)
            if hit.any():
                bad[sel[hit]] = True
                per_state[region] = per_state.get(region, 0) + int(hit.sum())
    return int(judged.size)
