"""The metrics module, reading a real run's files, agrees with the engine's
own summary (to the millisecond rounding of event timestamps)."""

from __future__ import annotations

import pytest
from analysis_events import small_document

from analysis.metrics import metrics_over_time, run_totals


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from dialer import simulate

    out = tmp_path_factory.mktemp("run")
    result = simulate(small_document(agents=8, minutes=60, contacts=2000), seed=3, out_dir=out, keep_events=False)
    return out, result.summary


def test_totals_agree_with_the_engine_summary(run_dir):
    out, s = run_dir
    t = run_totals(out)
    assert s["dial_attempts"] > 300 and s["live_answers"] > 20
    assert (t["dials"], t["live_answers"], t["machine_answers"]) == (
        s["dial_attempts"],
        s["live_answers"],
        s["machine_answers"],
    )
    assert (t["amd_false_positives"], t["amd_false_negatives"]) == (s["amd_false_positives"], s["amd_false_negatives"])
    assert t["connects"] == s["connected_to_agent"]
    # the engine also counts callees who hang up before the deadline
    assert t["abandoned_us"] <= s["abandoned"]
    assert t["abandoned_uk"] >= t["abandoned_us"] + t["amd_false_positives"]
    assert t["agent_occupancy"] == pytest.approx(s["agent_occupancy"], rel=1e-9)
    assert t["contacts_per_agent_hour"] == pytest.approx(s["contacts_per_agent_hour"], rel=1e-9)
    assert t["mean_time_to_agent_s"] == pytest.approx(s["mean_time_to_agent_s"], abs=1e-3)
    assert t["p95_time_to_agent_s"] == pytest.approx(s["p95_time_to_agent_s"], abs=1e-3)
    assert t["mean_contact_duration_s"] == pytest.approx(s["mean_contact_duration_s"], abs=1e-3)


def test_intervals_add_up(run_dir):
    out, s = run_dir
    m = metrics_over_time(out, interval="15min")
    # four quarters of dialling, and maybe a fifth where the last calls finish
    assert len(m) in (4, 5) and m["dials"].iloc[4:].sum() == 0
    assert m["dials"].sum() == s["dial_attempts"]
    assert m["abandoned_us"].sum() == run_totals(out)["abandoned_us"]
    assert m["agent_occupancy"].iloc[:4].between(0, 1).all()
    # after the schedule only agents finishing their last calls: no value
    # (it read 100% before, issue 15)
    assert m["agent_occupancy"].iloc[4:].isna().all() and m["dial_ratio"].iloc[4:].isna().all()
    assert (m["agents_logged_in"].iloc[:4] > 0).all() and m["dial_ratio"].iloc[:4].notna().all()


def test_both_definitions_agree_with_the_compliance_audit(run_dir):
    audit = pytest.importorskip("compliance.audit").audit
    out, _ = run_dir
    t = run_totals(out)
    us, uk = audit(out / "events.parquet", "US"), audit(out / "events.parquet", "UK")
    # one window each: the campaign (US) and one calendar day (UK)
    assert t["abandonment_rate_us"] == pytest.approx(us.rule("abandonment_rate").measured, abs=1e-12)
    assert t["abandonment_rate_uk"] == pytest.approx(uk.rule("abandonment_rate").measured, abs=1e-12)
    assert t["abandoned_uk"] == uk.rule("abandonment_rate").details["numerator"]
