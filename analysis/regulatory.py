"""The regulators' abandonment rates of one run and its disposition
breakdown, the columns sweep tables carry beside the engine's summary.

The rates are ``compliance.audit``'s own (``compliance/audit/facts.py``
decides which call is live and which abandoned, ``compliance/audit/
abandonment.py`` counts them per window), so a sweep and an audit of the
same run agree by construction:

* ``abandonment_rate_us``: FTC/TCPA, abandoned over live answers (no agent
  within 2 s of the greeting's end), per 30-day period per campaign; the
  worst window (a run shorter than 30 days is one window per campaign).
* ``abandonment_rate_uk``: Ofcom, abandoned + AMD false positives over
  abandoned + live (2 s from the greeting's start), per calendar day; the
  worst day, with the true false positives (the simulation knows them).
* ``abandonment_rate_uk_estimate``: the same with the operator's estimate
  of the false positives (a sample of 400 machine verdicts judged against
  the ground truth, as ``compliance.audit`` does by default): the figure an
  operator can report.

The disposition breakdown is Connect's ``DELIVERY_ATTEMPT_DISPOSITION_RATE``
as fractions: ``disposition_rate_amd_<AMD status>`` and
``disposition_rate_reason_<disconnect reason>``, each over every delivery
attempt (dials and expired requests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from compliance.audit.abandonment import FpSample, abandonment_rules
from compliance.audit.facts import derive_facts
from compliance.audit.load import AuditInputError, load_calls
from compliance.audit.offenders import Offenders
from compliance.rules import get_rules

__all__ = ["disposition_rates", "regulatory_rates"]

REGULATORY_KEYS = ("abandonment_rate_us", "abandonment_rate_uk", "abandonment_rate_uk_estimate")


def regulatory_rates(events: Any, *, fp_sample: FpSample = None, seed: int = 0) -> dict[str, float | None]:
    """The US and UK abandonment rates of a run's events (a pyarrow Table
    or a Parquet path); None where there is nothing to measure."""
    if isinstance(events, pa.Table) and "event_type" in events.column_names:
        # Each call's DISCONNECTED event carries all its facts: the audit of
        # those alone gives the same figures in half the time (measured).
        events = events.filter(pc.equal(events["event_type"], "DISCONNECTED"))
    try:
        calls, _, findings = load_calls(events)
    except AuditInputError:
        return dict.fromkeys(REGULATORY_KEYS)
    out: dict[str, float | None] = {}
    for key, jurisdiction in (("us", "US"), ("uk", "UK")):
        rules = get_rules(jurisdiction)
        assert rules is not None  # built-in rule sets
        facts = derive_facts(calls, rules)
        results, _ = abandonment_rules(
            calls, facts, rules, Offenders(facts.t_init, 0), findings, fp_sample=fp_sample, seed=seed
        )
        by_name = {r.rule: r for r in results}
        for rule, name in (
            ("abandonment_rate", f"abandonment_rate_{key}"),
            ("abandonment_rate_operator_estimate", f"abandonment_rate_{key}_estimate"),
        ):
            result = by_name.get(rule)
            if result is None:
                continue
            measured = result.details.get("denominator") if result.details else None
            out[name] = float(result.measured or 0.0) if measured else None
    return {k: out.get(k) for k in REGULATORY_KEYS}


def disposition_rates(summary: Mapping[str, Any]) -> dict[str, float]:
    """Each AMD status's and disconnect reason's share of the delivery
    attempts, from a run summary's ``amd_statuses`` and
    ``disconnect_reasons`` counts."""
    attempts = int(summary.get("dial_attempts") or 0) + int(summary.get("expired_requests") or 0)
    if attempts <= 0:
        return {}
    out: dict[str, float] = {}
    for prefix, counts in (("amd", summary.get("amd_statuses")), ("reason", summary.get("disconnect_reasons"))):
        for name, n in sorted((counts or {}).items()):
            out[f"disposition_rate_{prefix}_{name}"] = int(n) / attempts
    return out
