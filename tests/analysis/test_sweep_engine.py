"""Sweeps of the real engine: local processes and a Dask LocalCluster give
the same numbers for the same seeds; replications are reproducible."""

from __future__ import annotations

import pytest
from analysis_events import small_document

from analysis.sweep import SweepSpec, replicate, run_sweep

METRICS = ["dial_attempts", "live_answers", "abandoned", "abandonment_rate", "agent_occupancy", "mean_time_to_agent_s"]


@pytest.fixture(scope="module")
def spec():
    return SweepSpec(
        document=small_document(agents=5, minutes=30, contacts=800),
        parameters={"agents.count": [4, 6]},
        replications=2,
        seed=21,
        metrics=METRICS,
    )


@pytest.fixture(scope="module")
def local(spec):
    return run_sweep(spec, workers=2)


def test_sweep_on_dask_local_cluster_matches_local_processes(spec, local):
    from dask.distributed import Client, LocalCluster

    # Worker processes, as on a real cluster (threads would share one interpreter).
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dask = run_sweep(spec, client=client)
    cols = ["point", "agents.count", "replication", "seed", *METRICS]
    assert dask.runs[cols].equals(local.runs[cols])
    assert dask.summary.equals(local.summary)


def test_more_agents_dial_more(local):
    dials = local.metric("dial_attempts")
    assert dials["mean"].iloc[1] > dials["mean"].iloc[0]
    assert set(local.summary["n"]) == {2}


def test_replications_reproducible_and_independent():
    doc = small_document(agents=4, minutes=20, contacts=500)
    a = replicate(doc, 3, seed=5, workers=0, metrics=["dial_attempts", "live_answers"])
    b = replicate(doc, 3, seed=5, workers=0, metrics=["dial_attempts", "live_answers"])
    assert a.runs["dial_attempts"].tolist() == b.runs["dial_attempts"].tolist()
    assert a.runs["seed"].nunique() == 3
    assert a.runs["live_answers"].nunique() > 1  # different seeds, different days


def test_keep_events_writes_a_run_directory_per_run(tmp_path):
    doc = small_document(agents=4, minutes=15, contacts=300)
    spec = SweepSpec(document=doc, replications=1, seed=1, keep_events=True)
    res = run_sweep(spec, out_dir=tmp_path, workers=0)
    key = res.runs["key"].iloc[0]
    assert (tmp_path / "runs" / key / "events.parquet").exists()
    assert (tmp_path / "runs" / f"{key}.json").exists()
