"""Sweep tables carry the regulators' abandonment rates (compliance.audit's
own figures) and the disposition breakdown."""

from __future__ import annotations

import pytest
from analysis_events import small_document

from analysis.regulatory import REGULATORY_KEYS, disposition_rates, regulatory_rates
from analysis.sweep import replicate, simulate_summary
from compliance import audit
from dialer import simulate


@pytest.fixture(scope="module")
def run():
    return simulate(small_document(agents=6, minutes=60, contacts=2500), seed=5)


def test_rates_are_the_audits(run):
    rates = regulatory_rates(run.events, seed=3)
    us, uk = audit(run.events, "US", seed=3), audit(run.events, "UK", seed=3)
    assert rates["abandonment_rate_us"] == us.rule("abandonment_rate").measured
    assert rates["abandonment_rate_uk"] == uk.rule("abandonment_rate").measured
    assert rates["abandonment_rate_uk_estimate"] == uk.rule("abandonment_rate_operator_estimate").measured
    # AMD false positives enter the UK figure only: it is the larger here.
    assert 0 <= rates["abandonment_rate_us"] < rates["abandonment_rate_uk"] <= 1


def test_dispositions_partition_the_attempts(run):
    shares = disposition_rates(run.summary)
    reasons = {k: v for k, v in shares.items() if k.startswith("disposition_rate_reason_")}
    amd = {k: v for k, v in shares.items() if k.startswith("disposition_rate_amd_")}
    assert sum(reasons.values()) == pytest.approx(1.0)  # every attempt has one disconnect reason
    assert sum(amd.values()) == pytest.approx(1.0)  # AMD on: every attempt has a status
    d = run.events.to_pandas()
    d = d[d["event_type"] == "DISCONNECTED"]
    assert shares["disposition_rate_amd_HUMAN_ANSWERED"] == pytest.approx((d["amd_status"] == "HUMAN_ANSWERED").mean())


def test_sweep_tables_carry_them():
    summary = simulate_summary({"document": small_document(agents=4, minutes=30, contacts=800), "seed": 2})
    for key in REGULATORY_KEYS:
        assert isinstance(summary[key], float)
    res = replicate(small_document(agents=4, minutes=30, contacts=800), 2, seed=1, workers=0)
    assert {*REGULATORY_KEYS, "disposition_rate_amd_HUMAN_ANSWERED"} <= set(res.metrics)
    row = res.metric("abandonment_rate_uk").iloc[0]
    assert row["n"] == 2 and 0 <= row["mean"] <= 1
