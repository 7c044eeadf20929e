"""``audit(events, jurisdiction)``: load the calls, derive their facts once,
and hand them to one check per rule family; ``assert_compliant`` for test
suites. Columnar throughout: no per-row Python, ten million events from
Parquet in a few seconds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from compliance.audit.abandonment import FpSample, abandon_message_rule, abandonment_rules
from compliance.audit.dnc import dnc_rule
from compliance.audit.facts import derive_facts, recorded_message_calls
from compliance.audit.frequency import frequency_rules
from compliance.audit.hours import hours_rule, zone_groups
from compliance.audit.load import Calls, load_calls
from compliance.audit.local import CallRegions, call_regions, state_hours_rule
from compliance.audit.memory import audit_memory
from compliance.audit.offenders import Offenders
from compliance.audit.recall import recall_rules
from compliance.audit.report import AuditReport, RuleResult
from compliance.audit.ring import ring_time_rule
from compliance.dnc import DncSource
from compliance.rules import RuleSet, get_rules


def audit(
    events: Any,
    jurisdiction: str | RuleSet,
    *,
    fp_sample: FpSample = None,
    dnc: DncSource | None = None,
    max_offenders: int = 100,
    seed: int = 0,
    subjects: Mapping[str, str] | None = None,
) -> AuditReport:
    """Audit the contact events of a run against a jurisdiction's rules.

    ``events``: a pyarrow Table (``EVENT_SCHEMA``), a list of EventBridge
    envelopes, or the path of a JSON-lines or Parquet file. Unreadable lines
    are reported in ``findings`` and the rest is audited.

    ``fp_sample`` (UK-style rules): how the operator's AMD false-positive
    estimate is made: ``None`` (sample ``400`` machine verdicts and judge them
    with the ground truth), an ``int`` (that sample size), a ``float`` (a rate
    measured elsewhere) or ``(tested, humans_found)`` from a listening test.

    ``dnc``: a ``DncList``, several, or numbers; calls to them are breaches.

    ``subjects``: ``{campaign_id: subject}`` for the "same subject" frequency
    caps (default: each campaign is its own subject).
    """
    rules = get_rules(jurisdiction)
    if rules is None:
        raise ValueError("audit needs a jurisdiction (US, CA, FR, UK, AU, AU_RESEARCH, NZ or a RuleSet)")
    with audit_memory():
        calls, n_events, findings = load_calls(events)
        return _audit_calls(
            calls,
            n_events,
            findings,
            rules,
            fp_sample=fp_sample,
            dnc=dnc,
            cap=max_offenders,
            seed=seed,
            subjects=subjects,
        )


def _audit_calls(
    calls: Calls,
    n_events: int,
    findings: list[str],
    rules: RuleSet,
    *,
    fp_sample: FpSample,
    dnc: DncSource | None,
    cap: int,
    seed: int,
    subjects: Mapping[str, str] | None = None,
) -> AuditReport:
    facts = derive_facts(calls, rules)
    offenders = Offenders(facts.t_init, cap)
    summary: dict[str, Any] = {
        "live_answers": int(facts.live.sum()),
        "abandoned": int(facts.abandoned.sum()),
        "machine_verdicts": int(facts.machine_verdict.sum()),
        "amd_false_positives_true": int(facts.fp_true.sum()) if facts.truth_known else None,
        "ground_truth": facts.truth_known,
        "duplicates_dropped": calls.duplicates,
        "never_dialled_excluded": calls.never_dialled,
    }
    results: list[RuleResult]
    results, fp_estimate = abandonment_rules(calls, facts, rules, offenders, findings, fp_sample=fp_sample, seed=seed)
    if fp_estimate is not None:
        summary["amd_false_positive_estimate"] = fp_estimate

    forbids_holidays = rules.holidays is not None and rules.holidays.forbid_calls
    everyone = any(r.region == "*" and (r.hours is not None or r.holidays is not None) for r in rules.local_rules)
    regions = call_regions(calls.numbers, rules)
    has_states = bool((regions.code >= 0).any())
    # Calls delivering a recorded message (agentless campaigns) are judged
    # with the layers that bind such devices too (NV, ME, NE).
    recorded: tuple[np.ndarray, CallRegions] | None = None
    if rules.recorded_message_rules and not rules.recorded_message:
        mask = recorded_message_calls(calls)
        if mask.any():
            rec_regions = call_regions(calls.numbers, rules.for_recorded_message())
            recorded = (mask, rec_regions)
            has_states = has_states or bool(((rec_regions.code >= 0) & mask).any())
    need_zones = (
        rules.hours is not None or forbids_holidays or everyone or has_states or rules.recall.after_machine_same_day
    )
    zones = zone_groups(calls.time_zone, calls.numbers, findings) if need_zones and calls.n else None
    if rules.hours is not None or forbids_holidays or everyone:
        results.append(hours_rule(rules, facts.t_init, zones, offenders))
    if has_states and zones is not None:
        results.append(state_hours_rule(rules, facts.t_init, zones, regions, offenders, recorded))
    results.extend(frequency_rules(calls, facts, rules, regions, offenders, subjects))
    if rules.ring_minimum_seconds is not None:
        results.append(ring_time_rule(calls, facts, rules.ring_minimum_seconds, offenders))
    results.extend(recall_rules(calls, facts, rules, zones, offenders))
    if dnc is not None:
        results.append(dnc_rule(calls, dnc, offenders))
    if rules.abandonment.message_required:
        results.append(abandon_message_rule(calls, facts, offenders))

    offenders.resolve(calls.contact_ids)
    return AuditReport(rules.name, results, int(n_events), int(calls.n), findings, summary)


def assert_compliant(events: Any, jurisdiction: str | RuleSet, *, strict: bool = False, **kwargs: Any) -> AuditReport:
    """Audit and raise ``AssertionError`` listing each broken rule with its
    figure and limit (``strict``: warnings fail too). Returns the report."""
    __tracebackhide__ = True
    report = events if isinstance(events, AuditReport) else audit(events, jurisdiction, **kwargs)
    broken = report.failures + (report.warnings if strict else [])
    if broken:
        raise AssertionError(report.failure_message(include_warnings=strict))
    return report
