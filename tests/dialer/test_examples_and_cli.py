"""Every example runs; the command line writes what it promises and turns
bad input into a clear error with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dialer import simulate

ROOT = Path(__file__).resolve().parents[2]


def test_reference_predictive_example():
    s = simulate(ROOT / "examples" / "reference-predictive.yaml", keep_events=False).summary
    # About one dial in ten reaches a person (the seed's figure).
    assert 0.08 < s["live_answers"] / s["dial_attempts"] < 0.12
    assert s["abandonment_rate"] <= 0.03
    assert s["agent_occupancy"] > 0.8
    assert s["amd_false_positives"] > 0 and s["amd_false_negatives"] > 0


def test_progressive_example_never_makes_a_person_wait():
    s = simulate(ROOT / "examples" / "progressive.yaml", keep_events=False).summary
    assert s["mode"] == "progressive"
    assert s["waited_share"] == 0.0 and s["abandoned"] == 0


def test_agentless_example_uses_no_agent():
    r = simulate(ROOT / "examples" / "agentless.yaml")
    s = r.summary
    assert s["connected_to_agent"] == 0 and s["live_answers"] > 0
    final = [x for x in r.events.to_pylist() if x["event_type"] == "DISCONNECTED"]
    live = [x for x in final if x["amd_status"] == "HUMAN_ANSWERED"]
    assert live and all(x["sim_message_played"] for x in live)
    # The message is the call's purpose: no agent was meant, so nothing is
    # abandoned in the US; the UK still counts the people AMD hung up on.
    from compliance import audit

    us = audit(r.events, "US").rule("abandonment_rate")
    assert us.passed and us.measured == 0.0
    uk = audit(r.events, "UK").rule("abandonment_rate")
    assert uk.passed and uk.measured == pytest.approx(s["amd_false_positives"] / s["live_answers"])


def test_erlang_a_example_is_near_theory():
    # One 7-day run (about 100k callers): P(Ab) = 0.13036, P(W>0) = 0.51080
    # (REFERENCE.md 6); one replication's standard error is about 0.004 and
    # 0.008 here, so 0.02 is 5 SE or more. test_theory.py does the careful check.
    s = simulate(ROOT / "examples" / "erlang-a.yaml", keep_events=False).summary
    assert abs(s["abandonment_rate"] - 0.13036) < 0.02
    assert abs(s["waited_share"] - 0.51080) < 0.03


def _dialer(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_simulate_writes_events_summary_and_timeline(tmp_path):
    p = _dialer("simulate", str(ROOT / "examples" / "progressive.yaml"), "--seed", "3", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "dial attempts" in p.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    events = pq.read_table(tmp_path / "events.parquet")
    assert summary["seed"] == 3
    assert events.num_rows > summary["dial_attempts"]
    assert (events["event_type"].to_pylist().count("INITIATED")) == summary["dial_attempts"]
    assert pq.read_table(tmp_path / "timeline.parquet").num_rows > 0


@pytest.mark.parametrize(
    "content, needle",
    [
        ("campaign: [", "not valid YAML"),
        ("just a string", "must be a mapping"),
        ("campaign: {}\nsimulation: {}\n", "campaign.name"),
    ],
)
def test_cli_bad_campaign_files_exit_2_with_a_message(tmp_path, content, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(content)
    p = _dialer("simulate", str(f))
    assert p.returncode == 2
    assert needle in p.stderr and "Traceback" not in p.stderr


def test_cli_missing_file_exit_2():
    p = _dialer("simulate", "/nonexistent/campaign.yaml")
    assert p.returncode == 2 and "no such file" in p.stderr


def test_cli_missing_contacts_file_exit_2(tmp_path):
    import yaml

    raw = yaml.safe_load((ROOT / "examples" / "progressive.yaml").read_text())
    raw["simulation"]["contacts"] = {"file": "missing.csv"}
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(raw))
    p = _dialer("simulate", str(f))
    assert p.returncode == 2 and "missing.csv" in p.stderr


def test_engine_abandonment_rate_is_the_audits_us_figure():
    # The summary and the compliance audit read the same definition (2 s
    # from the end of the greeting, over live answers the AMD passed on).
    from compliance import audit

    r = simulate(ROOT / "examples" / "reference-predictive.yaml", seed=5)
    rule = audit(r.events, "US").rule("abandonment_rate")
    assert rule.details["numerator"] == r.summary["abandoned"]
    assert rule.measured == pytest.approx(r.summary["abandonment_rate"], abs=1e-12)


def test_run_directory_explains_itself(tmp_path):
    r = simulate(ROOT / "examples" / "reference-predictive.yaml", out_dir=tmp_path, keep_events=False)
    saved = json.loads((tmp_path / "campaign.json").read_text())
    assert saved["simulation"]["seed"] == 42
    assert json.loads((tmp_path / "summary.json").read_text())["target_rate"] == 0.03
    assert r.summary["target_rate"] == 0.03


def test_cli_negative_seed_and_out_that_is_a_file(tmp_path):
    campaign = str(ROOT / "examples" / "progressive.yaml")
    p = _dialer("simulate", campaign, "--seed", "-1")
    assert p.returncode == 2 and "--seed" in p.stderr and "Traceback" not in p.stderr
    f = tmp_path / "afile"
    f.write_text("")
    p = _dialer("simulate", campaign, "--out", str(f))
    assert p.returncode == 2 and "not a directory" in p.stderr and "Traceback" not in p.stderr


def test_cli_bad_contact_rows_are_reported_and_the_good_ones_dialled(tmp_path):
    import yaml

    (tmp_path / "c.csv").write_text(
        "phone,time_zone\n+12125550123,America/New_York\nnot-a-number,\n+13125550199,Mars/Base\n2125550188,\n"
    )
    raw = yaml.safe_load((ROOT / "examples" / "progressive.yaml").read_text())
    raw["simulation"]["contacts"] = {"file": "c.csv"}
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(raw))
    p = _dialer("simulate", str(f), "--json", "--out", str(tmp_path / "out"))
    assert p.returncode == 0, p.stderr
    assert "2 contact row(s) rejected" in p.stderr
    assert "row 2" in p.stderr and "not-a-number" in p.stderr and "Mars/Base" in p.stderr
    summary = json.loads(p.stdout)
    assert summary["contacts"] == 2 and summary["rejected_contacts"] == 2


def test_example_sweep_file_is_valid():
    from analysis.sweep import expand_points, load_sweep

    spec = load_sweep(ROOT / "examples" / "sweeps" / "staffing.yaml")
    points = expand_points(spec)
    assert len(points) == 6 and spec.replications == 3


def test_uk_example_with_amd_passes_the_uk_audit():
    # AMD on, capped at 1.9 s from the start of speech (issue 12): the UK rate
    # (true AMD false positives counted) stays under Ofcom's 3% per day.
    from compliance import audit

    r = simulate(ROOT / "examples" / "uk-predictive-amd.yaml")
    report = audit(r.events, "UK")
    assert report.passed, report.failure_message()
    assert report.rule("abandonment_rate").measured <= 0.03
    assert r.summary["amd_false_positives"] > 0  # AMD is on and makes mistakes
