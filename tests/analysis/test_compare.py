"""Paired comparisons (analysis/compare.py) and ``dialer compare``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from analysis_events import small_document, toy_summary
from scipy import stats
from typer.testing import CliRunner

from analysis.compare import CompareError, compare, paired_difference, unpaired_difference
from cli.main import app

runner = CliRunner(env={"COLUMNS": "160"})  # the table's columns, unabridged


def test_paired_difference_is_the_t_interval_of_the_differences() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 5.0, 7.0]
    p = paired_difference(a, b)
    d = np.array(b) - np.array(a)
    assert p.n == 4 and p.mean == pytest.approx(2.0)
    assert p.half_width == pytest.approx(stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2)
    assert p.ci_low == pytest.approx(2.0 - p.half_width) and p.ci_high == pytest.approx(2.0 + p.half_width)
    assert p.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    # A pair with a missing value on either side is left out.
    q = paired_difference([*a, None], [*b, 3.0])
    assert q.n == 4 and q.mean == pytest.approx(p.mean)


def test_paired_difference_edge_cases() -> None:
    one = paired_difference([1.0], [2.0])
    assert one.mean == 1.0 and math.isnan(one.half_width) and math.isnan(one.correlation)
    flat = paired_difference([1.0, 1.0, 1.0], [2.0, 3.0, 4.0])
    assert math.isnan(flat.correlation)  # A does not vary: r is undefined, not 0
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0, 2.0], [1.0])


def test_unpaired_difference_is_welchs_interval_rounded_down() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 12), rng.normal(0.5, 2, 12)
    mean, half = unpaired_difference(a.tolist(), b.tolist())
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert mean == pytest.approx(b.mean() - a.mean())
    # Degrees of freedom rounded down: never narrower than Welch's, barely wider.
    assert (ci.high - ci.low) / 2 <= half <= 1.02 * (ci.high - ci.low) / 2


def _docs(agents_a: int, agents_b: int) -> tuple[dict, dict]:
    return small_document(agents=agents_a, minutes=20, contacts=600), small_document(
        agents=agents_b, minutes=20, contacts=600
    )


def test_compare_pairs_replications_on_the_same_seeds() -> None:
    # The toy run adds the same seeded noise to A and to B: perfectly
    # correlated, so the paired interval is zero wide, the unpaired one not.
    a, b = _docs(100, 120)
    res = compare(a, b, replications=5, seed=3, metrics=["agent_occupancy"], workers=0, run_fn=toy_summary)
    m = res.metric("agent_occupancy")
    assert m.paired.mean == pytest.approx(0.5 - 0.6)
    assert m.paired.correlation == pytest.approx(1.0)
    assert m.paired.half_width == pytest.approx(0.0, abs=1e-12)
    assert m.unpaired_half_width > 0.005
    assert list(res.runs["seed"][:5]) == list(res.runs["seed"][5:]) == res.seeds
    assert res.to_dict()["metrics"][0]["difference"] == pytest.approx(-0.1)


def test_compare_runs_the_engine() -> None:
    a, b = _docs(3, 5)
    res = compare(a, b, replications=2, seed=1, workers=0)
    table = res.table()
    assert list(table["metric"]) == [m.metric for m in res.metrics]
    occ = res.metric("agent_occupancy")
    assert 0 < occ.mean_a <= 1 and 0 < occ.mean_b <= 1 and occ.paired.n == 2
    dials = res.metric("dial_attempts")
    assert dials.mean_b > dials.mean_a  # more agents, more dials
    json.dumps(res.to_dict(), allow_nan=False)  # NaN become null


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"replications": 1}, "replications must be a whole number >= 2"),
        ({"replications": 3, "metrics": ["agent_occupancy", "occupancy"]}, "unknown metric 'occupancy'"),
        ({"replications": 3, "seed": -1}, "seed must be a whole number >= 0, got -1"),
    ],
)
def test_compare_refuses_bad_input_before_running(kwargs: dict, needle: str) -> None:
    a, b = _docs(3, 4)
    with pytest.raises(CompareError, match=needle):
        compare(a, b, workers=0, run_fn=toy_summary, **kwargs)
    with pytest.raises(CompareError, match="no such file '/nonexistent.yaml'"):
        compare("/nonexistent.yaml", b, replications=2, workers=0)


# -- the command ---------------------------------------------------------------


def _files(tmp_path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    a, b = _docs(3, 5)
    pa, pb = tmp_path / "a.yaml", tmp_path / "b.yaml"
    pa.write_text(yaml.safe_dump(a))
    pb.write_text(yaml.safe_dump(b))
    return str(pa), str(pb)


def test_compare_command_prints_a_table_and_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = _files(tmp_path)
    common = ["compare", a, b, "--replications", "2", "--workers", "0", "--quiet"]
    res = runner.invoke(app, [*common, "--metrics", "agent_occupancy,dial_attempts"])
    assert res.exit_code == 0, res.output
    assert "agent_occupancy" in res.output and "dial_attempts" in res.output and "paired 95% CI" in res.output
    res = runner.invoke(app, [*common, "--json", "--seed", "5"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["replications"] == 2 and data["seed"] == 5 and data["difference"] == "b - a"
    row = next(m for m in data["metrics"] if m["metric"] == "dial_attempts")
    assert row["mean_b"] > row["mean_a"] and row["ci_low"] <= row["difference"] <= row["ci_high"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--replications", "1"], "--replications must be at least 2"),
        (["--replications", "2", "--metrics", "agent_occupancy,occupncy"], "unknown metric 'occupncy'"),
        (["--replications", "2", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    ],
)
def test_compare_command_refuses_bad_input(tmp_path, args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    a, b = _files(tmp_path)
    res = runner.invoke(
        app, ["compare", a, b, "--workers", "0", *args] if "--scheduler" not in args else ["compare", a, b, *args]
    )
    assert res.exit_code == 2
    assert needle in res.output and "Traceback" not in res.output


def test_compare_command_names_a_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, _ = _files(tmp_path)
    res = runner.invoke(app, ["compare", a, str(tmp_path / "nope.yaml"), "--replications", "2"])
    assert res.exit_code == 2
    assert "campaign B: no such file" in res.output and "nope.yaml" in res.output
