"""Sweep mechanics: path resolution and its errors, seeds, confidence
intervals, resume, executors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from analysis_events import toy_summary

from analysis.sweep import (
    SweepError,
    SweepSpec,
    expand_points,
    load_sweep,
    replication_seeds,
    resolve_path,
    run_sweep,
    summarize,
    t_quantile,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "reference-predictive.yaml"
TARGET = (
    "campaign.channelSubtypeConfig.telephony.outboundMode.predictive.pacingStrategies[0].abandonmentRate.targetRate"
)


@pytest.fixture(scope="module")
def document():
    from analysis.sweep import _document_dict

    return _document_dict(REFERENCE)


def test_paths_resolve_full_short_and_snake(document):
    assert resolve_path(document, "simulation.agents.count") == "simulation.agents.count"
    assert resolve_path(document, "agents.count") == "simulation.agents.count"
    assert resolve_path(document, "amd.false_positive_rate") == "simulation.amd.falsePositiveRate"
    assert resolve_path(document, TARGET) == TARGET
    assert resolve_path(document, "schedule.endTime") == "campaign.schedule.endTime"
    # an optional field the document leaves out may be set
    assert resolve_path(document, "campaign.channelSubtypeConfig.telephony.capacity").endswith("telephony.capacity")


@pytest.mark.parametrize(
    "path, message",
    [
        ("agnets.count", "'agnets' is not a field of 'simulation' or 'campaign'"),
        ("simulation.agnets.count", "simulation has no field 'agnets'"),
        (TARGET.replace("[0]", "[1]"), "index [1] out of range"),
        ("simulation.agents.count.value", "is a value"),
        ("simulation..agents", "empty field name"),
        ("simulation.agents[0]", "is not a list"),
    ],
)
def test_bad_paths_name_the_path(document, path, message):
    with pytest.raises(SweepError, match="parameter path|unknown parameter path") as exc:
        resolve_path(document, path)
    assert message in str(exc.value)
    assert path in str(exc.value)


def test_bad_values_name_the_parameter_and_value(document):
    spec = SweepSpec(document=document, parameters={"agents.count": [10, 0]})
    with pytest.raises(SweepError, match=r"parameter agents.count = 0 .*simulation.agents.count"):
        expand_points(spec)
    spec = SweepSpec(document=document, parameters={TARGET: [0.02, 1.5]})
    with pytest.raises(SweepError, match=r"targetRate = 1.5"):
        expand_points(spec)
    with pytest.raises(SweepError, match="empty"):
        SweepSpec(document=document, parameters={"agents.count": []})
    with pytest.raises(SweepError, match="list of values"):
        SweepSpec(document=document, parameters={"agents.count": 5})


def test_grid_expands_every_combination(document):
    spec = SweepSpec(
        document=document,
        parameters={"agents.count": [80, 90, 100], TARGET: [0.02, 0.03]},
        set={"contacts.synthetic.count": 1000},
    )
    points = expand_points(spec)
    assert [tuple(p.params.values()) for p in points] == [
        (80, 0.02),
        (80, 0.03),
        (90, 0.02),
        (90, 0.03),
        (100, 0.02),
        (100, 0.03),
    ]
    assert points[3].document["simulation"]["agents"]["count"] == 90
    assert points[3].document["simulation"]["contacts"]["synthetic"]["count"] == 1000
    rate = points[3].document["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]["predictive"]
    assert rate["pacingStrategies"][0]["abandonmentRate"]["targetRate"] == 0.03
    assert document["simulation"]["agents"]["count"] == 100  # the base is untouched


def test_seeds_are_reproducible_and_distinct():
    a = replication_seeds(7, 5)
    assert a == replication_seeds(7, 5)
    assert len(set(a)) == 5 and all(0 <= s < 2**63 for s in a)
    assert replication_seeds(7, 3) == a[:3]  # adding replications keeps the first ones
    assert replication_seeds(8, 5) != a


def test_t_quantiles_and_confidence_interval():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 5, 10, 29, 30, 31, 100):
        assert t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-6)
    import pandas as pd

    runs = pd.DataFrame({"point": [0, 0, 0, 0, 1], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    s = summarize(runs, ["x"], ["point"])
    row = s.iloc[0]
    sd = np.std([1, 2, 3, 4], ddof=1)
    half = 3.1824463 * sd / 2
    assert (row.n, row["mean"]) == (4, 2.5)
    assert row.ci_low == pytest.approx(2.5 - half) and row.ci_high == pytest.approx(2.5 + half)
    assert s.iloc[1].n == 1 and math.isnan(s.iloc[1].ci_low)  # one run: no interval


def test_resume_skips_finished_runs(document, tmp_path):
    spec = SweepSpec(document=document, parameters={"agents.count": [80, 100]}, replications=3, seed=11)
    seen = []
    first = run_sweep(
        spec,
        out_dir=tmp_path,
        workers=0,
        run_fn=toy_summary,
        progress=lambda d, t, r: seen.append((d, t, r["skipped"])),
    )
    assert (first.ran, first.skipped) == (6, 0)
    assert seen[-1] == (6, 6, False)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 6
    # the second run finds all six
    again = run_sweep(spec, out_dir=tmp_path, workers=0, run_fn=toy_summary)
    assert (again.ran, again.skipped) == (0, 6)
    assert again.summary.equals(first.summary)
    # an interrupted sweep: one run lost, one torn file
    files = sorted((tmp_path / "runs").glob("*.json"))
    files[0].unlink()
    files[1].write_text('{"key": "tor')
    third = run_sweep(spec, out_dir=tmp_path, workers=0, run_fn=toy_summary)
    assert (third.ran, third.skipped) == (2, 4)
    assert third.summary.equals(first.summary)
    # extending the grid runs only the new point
    spec.parameters["agents.count"].append(120)
    fourth = run_sweep(spec, out_dir=tmp_path, workers=0, run_fn=toy_summary)
    assert (fourth.ran, fourth.skipped) == (3, 6)
    saved = json.loads(files[2].read_text())
    assert set(saved) >= {"key", "point", "params", "replication", "seed", "summary"}


def test_summary_is_tidy_with_cis(document):
    spec = SweepSpec(
        document=document,
        parameters={"agents.count": [60, 120]},
        replications=4,
        seed=3,
        metrics=["agent_occupancy", "dial_attempts"],
    )
    res = run_sweep(spec, workers=0, run_fn=toy_summary)
    assert list(res.summary.columns) == [
        "point",
        "agents.count",
        "metric",
        "n",
        "mean",
        "sd",
        "sem",
        "ci_low",
        "ci_high",
        "half_width",
    ]
    assert len(res.summary) == 4 and set(res.summary["n"]) == {4}
    occ = res.metric("agent_occupancy")
    assert occ["mean"].tolist() == pytest.approx([0.95, 0.5], abs=0.03)
    assert (occ["ci_low"] < occ["mean"]).all() and (occ["mean"] < occ["ci_high"]).all()
    wide = res.wide()
    assert list(wide["agents.count"]) == [60, 120] and "agent_occupancy_ci_high" in wide
    with pytest.raises(SweepError, match="not in the run summaries"):
        run_sweep(SweepSpec(document=document, metrics=["nope"]), workers=0, run_fn=toy_summary)


def test_local_processes_match_inline(document):
    spec = SweepSpec(document=document, parameters={"agents.count": [80, 100]}, replications=2, seed=5)
    inline = run_sweep(spec, workers=0, run_fn=toy_summary)
    procs = run_sweep(spec, workers=2, run_fn=toy_summary)
    cols = ["point", "replication", "seed", "abandonment_rate", "agent_occupancy", "dial_attempts"]
    assert procs.runs[cols].equals(inline.runs[cols])
    assert procs.runs["label"].isna().all() if "label" in procs.runs else True


def test_sweep_file_loads_relative_campaign(tmp_path):
    (tmp_path / "s.yaml").write_text(
        f"campaign: {REFERENCE}\nparameters:\n  agents.count: [10, 20]\nreplications: 2\nseed: 9\n"
        "set:\n  contacts.synthetic.count: 500\n"
    )
    spec = load_sweep(tmp_path / "s.yaml")
    assert spec.replications == 2 and spec.parameters == {"agents.count": [10, 20]}
    (tmp_path / "bad.yaml").write_text(f"campaign: {REFERENCE}\nparamters: {{}}\n")
    with pytest.raises(SweepError, match=r"unknown key\(s\) \['paramters'\]"):
        load_sweep(tmp_path / "bad.yaml")
    (tmp_path / "nocamp.yaml").write_text("campaign: nowhere.yaml\n")
    with pytest.raises(SweepError, match="nowhere.yaml"):
        load_sweep(tmp_path / "nocamp.yaml")
