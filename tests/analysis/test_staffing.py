"""The staffing optimiser (analysis/staffing.py), its Erlang-A formulas
(analysis/erlang_a.py) and the ``dialer staff`` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.erlang_a import erlang_a, staff_erlang_a
from analysis.executors import InlineExecutor
from analysis.staffing import (
    StaffingError,
    Targets,
    document_staffing,
    fewest_meeting,
    optimise_staffing,
    paired_difference,
    parse_service_level,
    shifts_for,
    staffed_document,
    verify_staffing,
    workload_staffing,
)
from analysis.sweep import apply_changes
from cli.main import app

SMALL = Path(__file__).parent / "data" / "staffing-small.yaml"


def test_erlang_a_matches_the_reference_case() -> None:
    # REFERENCE.md section 6, case "Erlang A" (exact birth-death chain values).
    q = erlang_a(1 / 6, 1 / 180, 28, 1 / 60, t=0.0)
    assert q.p_wait == pytest.approx(0.51080, abs=1e-5)
    assert q.p_abandon == pytest.approx(0.13036, abs=1e-5)
    assert q.p_abandon * 60 == pytest.approx(7.822, abs=1e-3)  # E[W] = P(Ab) / theta
    # Service level: at 0 s the callers who never wait; for a long wait,
    # everyone who is served at all.
    assert q.service_level == pytest.approx(1 - q.p_wait, abs=1e-9)
    long = erlang_a(1 / 6, 1 / 180, 28, 1 / 60, t=5000.0)
    assert long.service_level == pytest.approx(1 - q.p_abandon, abs=1e-6)
    mid = erlang_a(1 / 6, 1 / 180, 28, 1 / 60, t=20.0).service_level
    assert mid is not None and 1 - q.p_wait < mid < 1 - q.p_abandon


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    # Erlang C (REFERENCE.md section 6): P(W > t) = C e^{-(n mu - lam) t},
    # E[W | served] = E[W] = C / (n mu - lam). Patience 1e9 s: 1e-6 relative.
    lam, mu, n = 1 / 6, 1 / 180, 35
    a = lam / mu
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    c = n * b / (n - a * (1 - b))
    for t in (0.0, 5.0, 20.0, 60.0):
        q = erlang_a(lam, mu, n, 1e-9, t=t)
        assert q.service_level == pytest.approx(1 - c * math.exp(-(n * mu - lam) * t), rel=1e-6)
        assert q.mean_wait_served == pytest.approx(c / (n * mu - lam), rel=1e-5)


def test_fewest_meeting_brackets_then_bisects() -> None:
    for answer in (1, 7, 40, 300):
        for start in (1, 5, 50, 400):
            probes: list[int] = []

            def ok(n: int, answer: int = answer, probes: list[int] = probes) -> bool:
                probes.append(n)
                return n >= answer

            assert fewest_meeting(ok, start, floor=1, cap=500) == (answer, True)
            # doubling to the bracket, then bisection: logarithmic, not linear
            assert len(probes) <= 2 * math.ceil(math.log2(abs(answer - start) + 2)) + 2, (answer, start, probes)
    assert fewest_meeting(lambda n: False, 5, floor=1, cap=12) == (12, False)
    assert fewest_meeting(lambda n: True, 5, floor=2, cap=12) == (2, True)


def test_erlang_a_staffing_is_the_fewest_agents() -> None:
    n = staff_erlang_a(1 / 6, 1 / 180, 1 / 60, abandonment=0.03)
    assert erlang_a(1 / 6, 1 / 180, n, 1 / 60).p_abandon <= 0.03 < erlang_a(1 / 6, 1 / 180, n - 1, 1 / 60).p_abandon
    assert staff_erlang_a(0.0, 1 / 180, 1 / 60, abandonment=0.03) == 0


def test_shifts_layer_the_staffing_and_read_back() -> None:
    staffing = {9: 2, 10: 3, 11: 1, 12: 0, 13: 2}
    assert shifts_for(staffing) == [  # layer k: one agent over each run of hours with >= k agents
        {"start": "09:00", "end": "11:00", "agents": 1},
        {"start": "09:00", "end": "12:00", "agents": 1},
        {"start": "10:00", "end": "11:00", "agents": 1},
        {"start": "13:00", "end": "14:00", "agents": 2},
    ]
    doc = staffed_document(apply_changes(SMALL, {}), staffing)
    assert doc["simulation"]["agents"]["count"] == 5
    assert document_staffing(doc, list(staffing)) == staffing


def test_bad_targets_name_the_value() -> None:
    with pytest.raises(StaffingError, match="0.9x2"):
        parse_service_level("0.9x2")
    assert parse_service_level("0.9@2") == (0.9, 2.0)
    with pytest.raises(StaffingError, match="1.5"):
        Targets(abandonment_max=1.5)
    with pytest.raises(StaffingError, match="at least one target"):
        Targets()
    with pytest.raises(StaffingError, match="above the ceiling"):
        Targets(occupancy_min=0.9, occupancy_max=0.8)


def test_paired_difference_cancels_common_noise() -> None:
    a = [10.0, 20.0, 30.0, 40.0]
    b = [9.0, 19.2, 28.8, 39.0]
    d = paired_difference(a, b)
    assert d.mean == pytest.approx(1.0)
    assert d.low > 0  # the shared noise (10..40) cancels: the difference is clear
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--abandonment", "3"], "--abandonment"),
        (["--service-level", "90%"], "90%"),
        (["--abandonment", "0.03", "--replications", "1"], "--replications"),
        (["--abandonment", "0.03", "--confidence", "1.2"], "1.2"),
        ([], "at least one target"),
        (["--connects-per-hour", "-5"], "--connects-per-hour"),
        (["--handled-per-hour", "0"], "--handled-per-hour"),
    ],
)
def test_cli_refuses_bad_input_naming_it(args: list[str], named: str) -> None:
    res = CliRunner().invoke(app, ["staff", str(SMALL), *args])
    assert res.exit_code == 2, res.output
    assert named in res.output


def test_optimiser_answer_meets_and_one_fewer_fails() -> None:
    """The small Poisson-dialled campaign (about 3, 5 and 7 Erlangs in its
    three hours), abandonment <= 5% and 80% within 10 s, 95% confidence,
    6 replications, seed 0.

    Measured (36 fresh replications per staffing, docs/analysis.md,
    "Staffing"): abandonment at 7 / 9 / 13 agents is 2.4% / 5.1% / 1.4%, at
    6 / 8 / 12 it is 6.0% / 10.2% / 3.2%, at 10 agents 10:00 is 2.2%; per
    replication an hour's abandonment has a standard deviation of 1.4-3.5
    points (bursty). The search's 6 seeds were lucky at 10:00 (9 agents:
    2.8%, sd 1.2 points), so it answered 9 there, which fails on fresh seeds;
    the confirmation stage (fresh seeds) must step 10:00 up to 10.

    Tolerances, and why: the answer may carry an agent for the confidence
    (6 replications) and one for the confirmation (a burst on its seeds), so
    it lies between Erlang A (the queue's exact theory for each hour alone)
    and Erlang A + 2. Too low is caught by the verification on other fresh
    seeds: the answer's means must meet every target in every hour (at the
    answer the 6-replication mean sits 2.6 standard errors or more below the
    5% ceiling; at 9 agents 10:00 it would not). One fewer must fail the
    search's own test in at least two of the three hours: at 11:00 one fewer
    (12 agents, 3.2%) meets the ceiling on the mean, and 6 replications show
    its bound above 5% only in some seed sets. Seeds are fixed, so the
    outcome is reproducible (a change of the engine's random streams redraws
    it)."""
    targets = Targets(abandonment_max=0.05, service_level=(0.8, 10.0))
    res = optimise_staffing(SMALL, targets, replications=6, confidence=0.95, executor=InlineExecutor())
    assert res.hours == [9, 10, 11]
    assert all(res.feasible.values())
    assert res.staffing[9] < res.staffing[11]  # more people answer at 11: more agents
    for h in res.hours:
        assert res.erlang[h] <= res.staffing[h] <= res.erlang[h] + 2, (res.staffing, res.erlang)
    # The lucky search seeds at 10:00 answered 9 (5.1% on the mean): the confirmation stepped it up.
    assert res.confirmation_steps.get(10, 0) >= 1 and res.staffing[10] >= 10, res.confirmation_steps
    assert res.confirmation is not None and set(res.confirmation_seeds).isdisjoint(res.seeds)
    assert res.confirmation_simulations == 6 * (1 + max(res.confirmation_steps.values(), default=0))
    # Fewer simulations than trying every level from 1 to the answer in each hour.
    assert res.simulations < sum(res.staffing.values()) * res.replications
    assert res.simulations == res.evaluations * res.replications
    table = res.table()
    assert table["abandonment_max_met"].all() and table["service_level_min_met"].all()

    ver = verify_staffing(res, SMALL, replications=6, executor=InlineExecutor())
    assert ver.simulations == 6 * (1 + len(res.hours))
    assert all(r["answer_meets_mean"] for r in ver.rows), ver.table()
    assert sum(bool(r["fewer_fails"]) for r in ver.rows) >= 2, ver.table()
    d = res.to_dict()
    assert json.loads(json.dumps(d, default=str))["staffing"] == {str(h): n for h, n in res.staffing.items()}
    assert d["confirmation"]["simulations"] == res.confirmation_simulations
    assert not math.isnan(d["table"][0]["abandonment"])
    # Without the confirmation the search's answer is the one that fails on fresh seeds.
    bare = optimise_staffing(SMALL, targets, replications=6, confidence=0.95, executor=InlineExecutor(), confirm=False)
    assert bare.staffing[10] == res.staffing[10] - res.confirmation_steps[10]
    assert bare.confirmation_simulations == 0 and bare.confirmation is None


def test_cli_writes_table_json_csv_and_plot(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "staff",
            str(SMALL),
            "--service-level",
            "0.8@10",
            "--replications",
            "2",
            "--workers",
            "0",
            "--max-agents",
            "12",
            "--out",
            str(tmp_path),
            "--quiet",
            "--verify",
        ],
    )
    # --verify exits 1 when the check fails; with 2 replications either may happen.
    assert res.exit_code in (0, 1), res.output
    assert "Erlang A" in res.output and "simulations" in res.output
    assert "verification" in res.output
    data = json.loads((tmp_path / "staffing.json").read_text())
    assert set(data["staffing"]) == {"9", "10", "11"}
    assert (tmp_path / "staffing.csv").read_text().startswith("hour,")
    assert (tmp_path / "staffing.png").stat().st_size > 1000
    assert [r["hour"] for r in data["verification"]["rows"]] == [9, 10, 11]
    assert data["verification"]["simulations"] == 2 * 4  # the answer + one fewer in each of 3 hours
    assert data["simulations"] == data["evaluations"] * 2


def test_cli_no_confirm_skips_the_fresh_seed_check(tmp_path: Path) -> None:
    """``--no-confirm`` leaves the search's answer as it is: no confirmation runs."""
    args = ["staff", str(SMALL), "--service-level", "0.8@10", "--replications", "2", "--workers", "0"]
    res = CliRunner().invoke(app, [*args, "--max-agents", "12", "--out", str(tmp_path), "--quiet", "--no-confirm"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "staffing.json").read_text())
    assert data["confirmation"]["simulations"] == 0
    assert not data["confirmation"]["steps"]
    assert data["simulations"] == data["evaluations"] * 2


PREDICTIVE = Path(__file__).parent / "data" / "staffing-predictive.yaml"


def test_throughput_targets_validate_and_guess_the_workload() -> None:
    with pytest.raises(StaffingError, match="connects_per_hour_min.*-5"):
        Targets(connects_per_hour_min=-5)
    with pytest.raises(StaffingError, match="handled_per_hour_min.*inf"):
        Targets(handled_per_hour_min=math.inf)
    t = Targets(connects_per_hour_min=400, abandonment_max=0.03)
    assert [name for name, _, _ in t.throughput()] == ["connects_per_hour_min"]
    # 400 people an hour, 70 s of agent time each, 80% occupancy, 10% of the
    # logged-in time on break: 400 x 70 / (3600 x 0.8 x 0.9) = 10.8 -> 11.
    traffic = {"connects_per_hour": 300.0, "handled_per_hour": 300.0, "handle_s": 70.0}
    assert workload_staffing({**traffic, "occupancy": 0.8, "available": 0.9}, t) == 11
    # Machines the AMD passed on take agent time too: half the contacts
    # handled are people, so each person costs two handle times.
    half = {**traffic, "handled_per_hour": 600.0, "occupancy": 0.8, "available": 0.9}
    assert workload_staffing(half, t) == 22
    assert workload_staffing({**traffic, "connects_per_hour": 0.0, "occupancy": 0.8, "available": 0.9}, t) is None
    assert workload_staffing(traffic, Targets(abandonment_max=0.03)) is None


def test_predictive_throughput_answer_verifies_from_the_cli(tmp_path: Path) -> None:
    """The case where service targets cannot staff a campaign: predictive
    pacing holds abandonment and time to agent flat whatever the staffing,
    while people connected per hour grow with the agents (about 43 per agent
    per hour here). Floor: 405 people per hour, 95% confidence, 4
    replications, seed 0; ``--verify`` on fresh seeds must exit 0.

    Tolerances, and why: per run an hour's connects vary by 6-13 (sd,
    measured over 8 seeds), a tenth of what one agent adds, and 405 sits
    between 9 agents (about 383 and 393 in the two hours) and 10 (429, 434)
    with 2-3 standard errors either side; so the answer is 10 in both hours,
    and one fewer fails the search's own test (its one-sided bound below
    405). One fewer's mean may fall within a standard error of the floor
    (10:00), so that is not asserted; its paired difference must be clearly
    negative. The confirmation stage (fresh seeds, the same 95% test) may add
    an agent to an hour whose 4 fresh replications fall low: at 10 agents
    the one-sided bound sits about 1.4 standard errors above 405, so about
    one seed set in ten fails it (09:00 here); such an hour's one fewer is
    the search's answer, which meets the floor, so the verification's
    "one fewer fails" is asserted only in hours the confirmation left alone
    (and ``--verify`` exits 1 only for that). Seeds are fixed: the outcome is
    reproducible (a change of the engine's random streams redraws it)."""
    res = CliRunner().invoke(
        app,
        [
            "staff",
            str(PREDICTIVE),
            "--connects-per-hour",
            "405",
            "--replications",
            "4",
            "--workers",
            "0",
            "--verify",
            "--out",
            str(tmp_path),
            "--quiet",
        ],
    )
    data = json.loads((tmp_path / "staffing.json").read_text())
    steps = data["confirmation"]["steps"]
    assert res.exit_code == (1 if steps else 0), res.output
    assert "workload" in res.output and ("FAILED" if steps else "passed") in res.output
    assert data["mode"] == "predictive"
    # The search's answer is 10 in both hours; the confirmation adds at most one.
    assert {h: n - steps.get(h, 0) for h, n in data["staffing"].items()} == {"9": 10, "10": 10}
    assert all(n <= 1 for n in steps.values()), steps
    assert data["searched_targets"] == ["connects_per_hour_min"]
    assert data["warnings"] == [] and data["verification"]["warnings"] == []
    assert data["erlang_a"] == {}  # no service target: Erlang A has nothing to size
    assert all(abs(data["workload"][h] - data["staffing"][h]) <= 1 for h in ("9", "10"))
    assert data["simulations"] == data["evaluations"] * 4
    for row in data["table"]:
        assert row["connects_per_hour_min_met"] is True and row["connects_per_hour"] >= 405
    ver = data["verification"]
    assert ver["passed"] is (not steps)
    for row in ver["rows"]:
        assert row["answer_meets_mean"], row
        assert row["fewer_fails"] or str(row["hour"]) in steps, row
        assert row["connects_per_hour_answer"] >= 405
        assert row["connects_per_hour_diff_ci_high"] < -20, row  # one agent fewer: clearly fewer people


def test_list_running_out_is_a_warning_not_a_silent_miss() -> None:
    """300 contacts for 10 agents: the fresh contacts run out within the
    first hour (about 960 first dials an hour), the second hour reaches almost
    nobody, and the result says so instead of only marking it not met."""
    doc = apply_changes(PREDICTIVE, {"simulation.contacts.synthetic.count": 300})
    res = optimise_staffing(
        doc,
        Targets(connects_per_hour_min=405),
        replications=2,
        min_agents=10,
        max_agents=11,
        executor=InlineExecutor(),
    )
    # The pilot reached nobody at 10:00: nothing to staff, and the floor not met.
    assert res.staffing[10] == 0 and res.feasible[10] is False
    assert res.table().set_index("hour").loc[10, "connects_per_hour"] == 0
    assert len(res.warnings) == 2, res.warnings
    assert res.warnings[0].startswith("10:00: the pilot reached nobody")
    assert "300 contacts" in res.warnings[1] and "ran out of fresh contacts at 09:" in res.warnings[1]
    assert [u["exhausted_hour"] for u in res.answer.lists] == [9, 9]
