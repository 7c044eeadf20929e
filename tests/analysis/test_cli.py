"""The `dialer sweep` and `dialer plot` commands."""

from __future__ import annotations

import json

import yaml
from analysis_events import small_document
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def _sweep_file(tmp_path, **extra):
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(yaml.safe_dump(small_document(agents=4, minutes=20, contacts=500)))
    spec = {
        "campaign": "campaign.yaml",
        "parameters": {"agents.count": [3, 5]},
        "replications": 2,
        "seed": 4,
        "metrics": ["abandonment_rate", "agent_occupancy", "dial_attempts"],
        **extra,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_sweep_command_runs_then_resumes(tmp_path):
    path = _sweep_file(tmp_path)
    out = tmp_path / "out"
    first = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert first.exit_code == 0, first.output
    assert "4 runs made, 0 resumed" in first.output
    assert (out / "summary.parquet").exists() and (out / "runs.parquet").exists()
    assert len(list((out / "runs").glob("*.json"))) == 4
    again = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert again.exit_code == 0, again.output
    assert "0 runs made, 4 resumed" in again.output
    # more replications: only the new ones run
    more = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0", "--replications", "3"])
    assert "2 runs made, 4 resumed" in more.output


def test_sweep_command_reports_a_bad_path(tmp_path):
    path = _sweep_file(tmp_path, parameters={"simulation.agnets.count": [3]})
    res = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "simulation.agnets.count" in res.output and "no field 'agnets'" in res.output


def test_plot_command_writes_pngs_of_a_run(tmp_path):
    from dialer import simulate

    run = tmp_path / "run"
    simulate(small_document(agents=6, minutes=45, contacts=1000), seed=2, out_dir=run, keep_events=False)
    res = runner.invoke(app, ["plot", str(run)])
    assert res.exit_code == 0, res.output
    printed = res.output.split()
    assert {p.rsplit("/", 1)[-1] for p in printed} == {
        "abandonment.png",
        "occupancy.png",
        "dial_ratio.png",
        "time_to_agent.png",
    }
    for p in printed:
        with open(p, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_command_draws_a_sweep_frontier(tmp_path):
    path = _sweep_file(tmp_path)
    out = tmp_path / "out"
    assert runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "0", "--quiet"]).exit_code == 0
    res = runner.invoke(app, ["plot", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.strip().endswith("frontier.png")
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["parameters"] == {"agents.count": [3, 5]}


def test_plot_command_on_a_missing_directory(tmp_path):
    res = runner.invoke(app, ["plot", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "no such run directory" in res.output
