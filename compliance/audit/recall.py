"""Per-number history: re-call bans after an abandoned call or a machine
verdict, and opt-outs honoured."""

from __future__ import annotations

import numpy as np

from compliance.audit.facts import CallFacts
from compliance.audit.hours import ZoneGroups, local_days
from compliance.audit.load import Calls
from compliance.audit.offenders import Offenders
from compliance.audit.order import number_time_order
from compliance.audit.report import RuleResult
from compliance.rules import RuleSet


def recall_rules(
    calls: Calls, facts: CallFacts, rules: RuleSet, zones: ZoneGroups | None, offenders: Offenders
) -> list[RuleResult]:
    """Re-call bans (after an abandoned call; after a machine verdict the same
    local day) and opt-outs, judged on each number's calls in time order."""
    ab = rules.abandonment
    opt_out, opt_known = calls.opt_out
    if (
        not (rules.recall.after_abandoned_seconds or rules.recall.after_machine_same_day or opt_known.any())
        or not calls.n
    ):
        return []
    n = calls.n
    t_init = facts.t_init
    order = calls.by_number if calls.by_number is not None else number_time_order(calls.numbers, t_init)
    num_s = calls.numbers[order]
    t_s = t_init[order]
    m = num_s.size
    new = np.ones(m, dtype=bool)
    new[1:] = num_s[1:] != num_s[:-1]
    positions = np.arange(m, dtype=np.int64)
    gstart = np.where(new, positions, 0)
    np.maximum.accumulate(gstart, out=gstart)
    agent_guarantee = facts.in_time[order]  # an agent was there within the threshold

    def previous(flag_s: np.ndarray) -> np.ndarray:
        """Index of the latest earlier call of the same number with the flag, or -1."""
        if not m:
            return np.zeros(0, np.int64)
        last = np.where(flag_s, positions, -1)
        np.maximum.accumulate(last, out=last)
        prev = np.empty(m, dtype=np.int64)
        prev[0] = -1
        prev[1:] = last[:-1]
        del last
        np.copyto(prev, -1, where=prev < gstart)
        return prev

    def breaches(hit_s: np.ndarray) -> tuple[list[str], int]:
        mask = np.zeros(n, bool)
        mask[order[hit_s]] = True
        return offenders(mask)

    results: list[RuleResult] = []
    if rules.recall.after_abandoned_seconds:
        counted = (
            facts.abandoned | facts.fp_true if ab.include_amd_false_positives and facts.truth_known else facts.abandoned
        )
        p = previous(counted[order])
        hit_s = (
            (p >= 0)
            & ((t_s - t_s[np.maximum(p, 0)]) < rules.recall.after_abandoned_seconds * 1000.0)
            & ~agent_guarantee
        )
        ids, count = breaches(hit_s)
        hours = rules.recall.after_abandoned_seconds / 3600
        results.append(
            RuleResult.calls(
                rule="recall_after_abandoned",
                description=f"no call within {hours:g} h of an abandoned call to the same number unless a live agent is guaranteed",
                ids=ids,
                count=count,
                severity="error",
            )
        )
    if rules.recall.after_machine_same_day:
        day = local_days(t_init, zones, rules)[order]
        p = previous(facts.machine_verdict[order])
        hit_s = (p >= 0) & (day == day[np.maximum(p, 0)]) & ~agent_guarantee
        ids, count = breaches(hit_s)
        results.append(
            RuleResult.calls(
                rule="recall_after_machine",
                description="no further call the same day after an AMD machine verdict unless a live agent is guaranteed",
                ids=ids,
                count=count,
                severity="error",
            )
        )
    if opt_known.any():
        p = previous(opt_out[order])
        ids, count = breaches(p >= 0)
        results.append(
            RuleResult.calls(
                rule="opt_out_honoured",
                description="no call to a number after its owner opted out during the run (company do-not-call)",
                ids=ids,
                count=count,
                severity="warning",
                details={"opt_outs": int(opt_out.sum()), "legal_grace_days": rules.dnc.company_request_days},
            )
        )
    return results
