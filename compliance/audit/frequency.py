"""Per-number frequency rules of the layers: "at most N calls per period on
the same subject" (Florida, Oklahoma, Maryland: 3 per 24 h; France: 4 per 30
days) and France's 60 days without a call after a refusal.

The subject is the campaign, or a subject the caller names per campaign
(``audit(..., subjects={campaign_id: subject})``); the period
is rolling: a call breaks a cap of N when N earlier calls to the same number
(same subject) fall within the period before it. A cap applies to calls made
on dates its rule version is in force (the call's UTC date)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np

from compliance.audit.facts import CallFacts
from compliance.audit.load import Calls
from compliance.audit.local import CallRegions
from compliance.audit.offenders import Offenders
from compliance.audit.order import group_starts, number_time_order
from compliance.audit.report import RuleResult
from compliance.rules import FrequencyCap, LocalRule, RuleSet

_EPOCH = date(1970, 1, 1)


def _day_ms(d: date | None, default: float) -> float:
    return default if d is None else float((d - _EPOCH).days) * 86400_000.0


def _layer_calls(layer: LocalRule, regions: CallRegions, t_init: np.ndarray) -> np.ndarray:
    """The calls a layer applies to: its dates (the call's UTC date) and region."""
    when = (t_init >= _day_ms(layer.effective_from, -np.inf)) & (t_init < _day_ms(layer.effective_to, np.inf))
    if layer.region != "*":
        if layer.region not in regions.names:
            return np.zeros(t_init.size, dtype=bool)
        when &= regions.code == regions.names.index(layer.region)
    return np.asarray(when)


def _in_force(rules: RuleSet, regions: CallRegions, t_init: np.ndarray) -> dict[tuple[int, float], np.ndarray]:
    """For each cap (count, seconds): which calls it applies to."""
    out: dict[tuple[int, float], np.ndarray] = {}

    def add(cap: FrequencyCap, mask: np.ndarray) -> None:
        key = (cap.count, cap.seconds)
        out[key] = out[key] | mask if key in out else mask.copy()

    for cap in rules.frequency:
        add(cap, np.ones(t_init.size, dtype=bool))
    for layer in rules.local_rules:
        if layer.frequency:
            when = _layer_calls(layer, regions, t_init)
            for cap in layer.frequency:
                add(cap, when)
    return out


def _cap_result(count: int, seconds: float, subject: int, ids: list[str], n_bad: int) -> RuleResult:
    period = f"{seconds / 86400:g} days" if seconds >= 86400 * 2 else f"{seconds / 3600:g} h"
    return RuleResult(
        rule=f"frequency_cap_{count}_per_{period.replace(' ', '')}",
        description=f"at most {count} calls to a number per rolling {period} on the same subject (campaign)",
        severity="error",
        measured=n_bad,
        limit=0,
        passed=n_bad == 0,
        unit="calls",
        offenders=ids,
        offender_count=n_bad,
        details={"calls_subject": subject, "count": count, "period_seconds": seconds},
    )


def subject_codes(calls: Calls, subjects: Mapping[str, str] | None) -> np.ndarray:
    """The "same subject" of each call: its campaign, or the subject the
    caller gives for it (``{campaign_id: subject}``: campaigns on one subject
    share a cap)."""
    codes = calls.campaign.codes.astype(np.int64)
    if not subjects:
        return codes
    names = [*calls.campaign.values, None]
    index: dict[str, int] = {}
    lut = np.asarray([index.setdefault(str(subjects.get(str(v), v)), len(index)) for v in names], dtype=np.int64)
    return np.asarray(lut[codes])


def frequency_rules(
    calls: Calls,
    facts: CallFacts,
    rules: RuleSet,
    regions: CallRegions,
    offenders: Offenders,
    subjects: Mapping[str, str] | None = None,
) -> list[RuleResult]:
    """One result per cap, and the cool-off after a refusal when the rule set has one."""
    # Caps no call is subject to are reported (0 calls) without walking the log.
    caps = _in_force(rules, regions, facts.t_init)
    idle = {k: v for k, v in caps.items() if not v.any()}
    caps = {k: v for k, v in caps.items() if v.any()}
    refusal_s = max(
        [r.after_refusal_seconds or 0.0 for r in rules.local_rules] + [rules.recall.after_refusal_seconds or 0.0]
    )
    results: list[RuleResult] = [_cap_result(count, seconds, 0, [], 0) for count, seconds in sorted(idle)]
    if not caps and not refusal_s:
        return results
    t = facts.t_init
    order = calls.by_number if calls.by_number is not None else number_time_order(calls.numbers, t)
    if caps:
        camp = subject_codes(calls, subjects)
        num_o = calls.numbers[order]
        if camp.size and int(camp.max(initial=0)) > 0:
            order = order[np.lexsort((camp[order], num_o))]  # stable: time order kept within a (number, campaign)
            num_o = calls.numbers[order]
        width = np.int64(int(camp.max(initial=0)) + 1) if camp.size else np.int64(1)
        gkey = num_o.astype(np.int64) * width + camp[order].astype(np.int64)
        gstart = group_starts(gkey)
        t_o = t[order]
        pos = np.arange(order.size, dtype=np.int64)
        for (count, seconds), applies in sorted(caps.items()):
            prev = pos - count
            ok = prev >= gstart
            hit = np.zeros(order.size, dtype=bool)
            hit[ok] = (t_o[ok] - t_o[prev[ok]]) < seconds * 1000.0
            hit &= applies[order]
            mask = np.zeros(calls.n, dtype=bool)
            mask[order[hit]] = True
            ids, n_bad = offenders(mask)
            results.append(_cap_result(count, seconds, int(applies.sum()), ids, n_bad))
    if refusal_s:
        opt_out, _known = calls.opt_out
        order = calls.by_number if calls.by_number is not None else number_time_order(calls.numbers, t)
        num_o = calls.numbers[order]
        gstart = group_starts(num_o)
        m = order.size
        positions = np.arange(m, dtype=np.int64)
        last = np.where(opt_out[order], positions, -1)
        np.maximum.accumulate(last, out=last)
        prev = np.full(m, -1, dtype=np.int64)
        if m:
            prev[1:] = last[:-1]
        prev[prev < gstart] = -1
        t_o = t[order]
        has = prev >= 0
        hit = np.zeros(m, dtype=bool)
        hit[has] = (t_o[has] - t_o[prev[has]]) < refusal_s * 1000.0
        # Only where the cool-off is in force (its layers' dates and regions).
        in_force = np.zeros(calls.n, dtype=bool)
        for r in rules.local_rules:
            if r.after_refusal_seconds:
                in_force |= _layer_calls(r, regions, t)
        if rules.recall.after_refusal_seconds:
            in_force[:] = True
        hit &= in_force[order]
        mask = np.zeros(calls.n, dtype=bool)
        mask[order[hit]] = True
        ids, n_bad = offenders(mask)
        results.append(
            RuleResult(
                rule="cooloff_after_refusal",
                description=f"no call to a number within {refusal_s / 86400:g} days after its owner refused during a call",
                severity="error",
                measured=n_bad,
                limit=0,
                passed=n_bad == 0,
                unit="calls",
                offenders=ids,
                offender_count=n_bad,
                details={"refusals": int(opt_out.sum()), "days": refusal_s / 86400},
            )
        )
    return results
