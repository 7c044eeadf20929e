"""Calibration from a Connect-shaped log (analysis.calibration): the round
trip (a log the engine made with known parameters, ground truth dropped,
gives the parameters back), validation by simulation, the estimators on
their own, and bad input.

Tolerances are about four standard errors of each estimate at this log's
size (the fit reports them; spreads in the comments were measured over
seeds 1..7 while writing this), so a correct fitter fails by chance well under once in
a thousand runs, whatever the engine's random streams draw; a fitter that
ignored AMD errors, the ring timeout or censoring is off by far more (each
test says by how much)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from typer.testing import CliRunner

from analysis.calibration import (
    GROUND_TRUTH_COLUMNS,
    CalibrationError,
    calibrate,
    connect_shaped,
    labelled_sample,
    validate,
)
from analysis.calibration.answers import em_shares
from analysis.calibration.survival import best_fit, fit_duration, kaplan_meier
from analysis.sweep import apply_changes
from campaigns.document import parse_document
from cli.main import app
from dialer import simulate

REFERENCE = "examples/reference-predictive.yaml"

# The known parameters. Two hours of a 15-agent campaign (09:00-11:00 in
# New York, where every callee is), dialling 3 lines per agent so that people
# wait in the queue (patience needs people who wait), no information message
# (so waits are not all cut at 2 s), short talks (more of them).
TRUTH = {
    "human_9": 0.15,  # byLocalHour 9
    "human_10": 0.10,  # the overall share
    "time_to_answer": (9.0, 5.0),  # gamma, ring timeout 20 s
    "talk": (60.0, 40.0),  # lognormal
    "wrap_up": (20.0, 8.0),  # lognormal
    "patience": 8.0,  # exponential
    "detection_delay": (2.5, 0.8),  # lognormal
    "silence": (0.8, 0.2),  # lognormal
    "fp": 0.05,
    "fn": 0.10,
}


def _campaign() -> dict:
    return apply_changes(
        REFERENCE,
        {
            "agents.count": 15,
            "lines": 150,
            "contacts.synthetic.count": 40000,
            "campaign.schedule.endTime": "2026-12-01T16:00:00Z",
            "campaign.channelSubtypeConfig.telephony.outboundMode": {"fixedRatio": {"dialLevel": 3}},
            "behaviour.byLocalHour": {"9": {"human": 0.15}},
            "behaviour.talk": {"lognormal": {"mean": 60, "sd": 40}},
            "behaviour.patienceInSilence": {"exponential": {"mean": 8}},
            "safeHarbor.enabled": False,
        },
    )


@pytest.fixture(scope="module")
def world():
    doc = _campaign()
    run = simulate(doc, seed=1, keep_events=True)
    held_out = simulate(doc, seed=2, keep_events=True)
    labels = labelled_sample(run.events, 400, seed=3)
    log = connect_shaped(run.events)
    return {
        "doc": doc,
        "full": run.events,
        "log": log,
        "labels": labels,
        "held_out": held_out,
        "prior": calibrate(log, doc),
        "labelled": calibrate(log, doc, labels=labels),
    }


def _close(value: float, truth: float, rel: float) -> bool:
    return abs(value - truth) <= rel * truth


def test_connect_shaped_log_has_no_ground_truth(world):
    log = world["log"]
    assert not set(GROUND_TRUTH_COLUMNS) & set(log.column_names)
    assert {"amd_status", "disconnect_reason", "customer_address", "connected_to_system_ts"} <= set(log.column_names)
    assert log.num_rows == world["full"].num_rows


def test_the_fit_never_reads_ground_truth(world):
    # Ground truth, scrambled, changes nothing: the fit drops it unread.
    full = world["full"]
    scrambled = full.set_column(
        full.column_names.index("sim_party"), "sim_party", pa.array(["HUMAN"] * full.num_rows, pa.string())
    )
    with_truth = calibrate(scrambled, world["doc"])
    assert with_truth.blocks() == world["prior"].blocks()
    assert any("ignored" in n for n in with_truth.notes)


def _overall(fit, shares_by_hour: dict[int, float]) -> tuple[float, float]:
    """(fitted, true) human share over the whole log, hours weighted by dials."""
    dials = fit.shares.dials_by_hour
    total = sum(dials[h] for h in shares_by_hour)
    fitted = sum(fit.shares.by_hour[h]["human"] * dials[h] for h in shares_by_hour) / total
    true = sum(shares_by_hour[h] * dials[h] for h in shares_by_hour) / total
    return fitted, true


TRUE_HUMAN = {9: TRUTH["human_9"], 10: TRUTH["human_10"]}


def test_answer_shares_by_hour_corrected_for_amd_errors(world):
    fit = world["prior"]
    by_hour = fit.shares.by_hour
    assert set(by_hour) == {9, 10}
    # ~7,700 dials an hour; the corrected human share of an hour varied by
    # ~5% (SD) over seeds 1..7, the whole log's by ~3%: 20% and 10% are
    # about 4 and 3.5 SD, and hour 9's share is 50% above hour 10's.
    for hour, share in TRUE_HUMAN.items():
        assert _close(by_hour[hour]["human"], share, 0.20), by_hour[hour]
        assert _close(by_hour[hour]["machine_beep"], 0.18, 0.10)
        # the byLocalHour human share is taken from no_answer
        assert _close(by_hour[hour]["no_answer"], 0.52 - (share - 0.10), 0.05)
        assert abs(sum(by_hour[hour].values()) - 1) < 1e-9
    assert by_hour[9]["human"] > by_hour[10]["human"]
    fitted, true = _overall(fit, TRUE_HUMAN)
    assert _close(fitted, true, 0.10)
    # Without the correction (AMD's "human" verdicts per dial) the share is
    # ~20% too high: machines taken for people outnumber people taken for machines.
    calls = world["log"].to_pandas()
    final = calls[calls["event_type"] == "DISCONNECTED"]
    naive = (final["amd_status"] == "HUMAN_ANSWERED").mean()
    assert naive > 1.12 * true * fit.shares.answered_in_time
    doc = parse_document(fit.document())  # a valid campaign
    assert doc.simulation.behaviour.by_local_hour[9].human == pytest.approx(by_hour[9]["human"], abs=1e-6)


def test_labelled_sample_corrects_without_the_prior(world):
    fit = world["labelled"]
    # 400 labels, ~135 of them on "human" verdicts: the whole log's human
    # share varied by ~4% (SD) over label samples, an hour's by ~5%; the
    # operating point's rates by ~0.02 each.
    fitted, true = _overall(fit, TRUE_HUMAN)
    assert _close(fitted, true, 0.15)
    for hour, share in TRUE_HUMAN.items():
        assert _close(fit.shares.by_hour[hour]["human"], share, 0.20)
    assert abs(fit.amd["falsePositiveRate"] - TRUTH["fp"]) < 0.07
    assert abs(fit.amd["falseNegativeRate"] - TRUTH["fn"]) < 0.07
    assert "sensitivity" not in fit.document()["simulation"]["amd"]
    # The bootstrap standard error says as much: labels add their sampling
    # error to the log's (measured SDs: ~0.004 with labels, ~0.003 without).
    se_labels, se_prior = fit.shares.overall_se["human"], world["prior"].shares.overall_se["human"]
    assert se_prior < se_labels < 0.012 and se_prior > 0.0015
    assert abs(fit.shares.overall["human"] - true) < 4 * se_labels


def test_durations_recovered(world):
    fits = world["prior"].fits
    # timeToAnswer: ~5,500 answers, SE of the mean 0.085 s (1%): 4%.
    tta = fits["timeToAnswer"]
    assert _close(tta.mean, TRUTH["time_to_answer"][0], 0.04) and _close(tta.sd, TRUTH["time_to_answer"][1], 0.08)
    # talk: ~1,000 people among the agents' contacts, SE 1.3 s (2%): 8%;
    # the machines AMD passed on (6 s each) are the mixture's other part.
    talk = fits["talk"]
    assert _close(talk.mean, TRUTH["talk"][0], 0.08) and _close(talk.sd, TRUTH["talk"][1], 0.15)
    assert 0.05 < talk.extra["machine_share"] < 0.35
    naive_talk = (
        world["log"]
        .to_pandas()
        .pipe(
            lambda d: (
                (d["disconnect_ts"] - d["connected_to_agent_ts"])
                .dt.total_seconds()[d["event_type"] == "COMPLETED"]
                .mean()
            )
        )
    )
    assert naive_talk < 0.9 * TRUTH["talk"][0]  # the machines drag a plain mean down
    wrap = fits["wrapUp"]
    assert _close(wrap.mean, TRUTH["wrap_up"][0], 0.04) and _close(wrap.sd, TRUTH["wrap_up"][1], 0.10)
    # AMD: ~2,300 beep verdicts, SE 0.018 s; ~1,500 people passed on, SE 0.005 s.
    delay = fits["detectionDelay"]
    assert _close(delay.mean, TRUTH["detection_delay"][0], 0.04) and _close(delay.sd, TRUTH["detection_delay"][1], 0.10)
    silence = fits["silenceAfterGreeting"]
    assert _close(silence.mean, TRUTH["silence"][0], 0.04) and _close(silence.sd, TRUTH["silence"][1], 0.12)


def test_patience_is_a_censored_survival_estimate(world):
    fit = world["prior"]
    patience = fit.fits["patienceInSilence"]
    # ~850 people waited, ~460 of them served before they gave up (censored):
    # SE of the mean ~0.4 s (5%): 20%.
    assert patience.n_censored > 200
    assert _close(patience.mean, TRUTH["patience"], 0.20), patience
    # The mean wait of those who hung up is far below the patience: the
    # patient ones were served (which is why censoring must be modelled).
    d = fit.patience_data
    assert d.loc[d["event"], "exit"].mean() < 0.6 * TRUTH["patience"]
    km = fit.kaplan_meier
    assert km["survival"].is_monotonic_decreasing and 0 < km["survival"].iloc[-1] < 1
    # The product-limit curve (callers in the queue, delayed entry) agrees
    # with the exponential where it has data: S(6 s) / S(2 s) = exp(-4 / mean).
    s2 = km.loc[km["time"] <= 2.0, "survival"].iloc[-1]
    s6 = km.loc[km["time"] <= 6.0, "survival"].iloc[-1]
    assert abs(s6 / s2 - math.exp(-4.0 / patience.mean)) < 0.08


def test_validation_simulates_the_fit_and_holds_the_log_up_to_it(world):
    held_out = world["held_out"]
    table = validate(world["prior"], held_out.events, timeline=held_out.timeline, replications=3, seed=50)
    assert list(table["kpi"])[:3] == ["answer_rate", "human_verdict_share", "machine_verdict_share"]
    assert (table["pi_low"] <= table["simulated_mean"]).all() and (table["simulated_mean"] <= table["pi_high"]).all()
    core = table.set_index("kpi").loc[
        [
            "answer_rate",
            "human_verdict_share",
            "machine_verdict_share",
            "connect_rate",
            "mean_talk_s",
            "agent_occupancy",
        ]
    ]
    # A 95% prediction interval with t(2): a correct fit puts these six in it
    # except about one time in 20 each; allow one miss.
    assert core["within"].sum() >= 5, table
    assert (core["relative_error"].abs() < 0.08).all(), table


# -- the estimators on their own -------------------------------------------


def test_em_recovers_shares_through_a_confusion_matrix():
    confusion = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.0, 1.0]])
    truth = np.array([0.3, 0.6, 0.1])
    counts = truth @ confusion * 100_000
    assert np.allclose(em_shares(counts, confusion), truth, atol=1e-6)
    # Counts no share vector explains exactly stay on the simplex.
    pi = em_shares(np.array([0.0, 50.0, 0.0]), confusion)
    assert pi.min() >= 0 and abs(pi.sum() - 1) < 1e-12
    # A verdict no class gives is left out, not taken for a missing share.
    impossible = np.column_stack([confusion, np.zeros(3)])
    pi = em_shares(np.append(counts, 5_000.0), impossible)
    assert np.allclose(pi, truth, atol=1e-6)


def test_censored_fit_undoes_censoring_and_truncation():
    rng = np.random.default_rng(0)
    x = rng.exponential(10.0, 4000)
    censor = rng.uniform(0, 15, x.size)
    seen = x <= censor
    fit = fit_duration(x[seen], right=censor[~seen], family="exponential")
    assert abs(fit.mean - 10.0) < 4 * fit.mean_se and fit.mean_se < 0.5
    assert x[seen].mean() < 7  # what ignoring the censoring would say
    g = rng.gamma((9 / 5) ** 2, 25 / 9, 6000)
    kept = g[g < 20]
    fit = best_fit(kept, truncate_at=20.0)
    assert fit.family == "gamma" and abs(fit.mean - 9.0) < 4 * fit.mean_se
    assert kept.mean() < 8.8  # the truncated sample's plain mean


def test_kaplan_meier_by_hand():
    km = kaplan_meier(np.array([1.0, 2.0, 2.0, 3.0, 4.0]), np.array([True, True, False, True, False]))
    # at 1: 5 at risk, 1 event; at 2: 4, 1; at 3: 2, 1.
    assert km["survival"].round(6).tolist() == [0.8, 0.6, 0.3]
    assert km["at_risk"].tolist() == [5, 4, 2]


# -- bad input -------------------------------------------------------------


def test_bad_logs_are_refused_naming_the_field(world):
    doc, log = world["doc"], world["log"]
    with pytest.raises(CalibrationError, match="missing column 'amd_status'"):
        calibrate(log.drop_columns(["amd_status"]), doc)
    with pytest.raises(CalibrationError, match=r"events\.initiation_ts: expected timestamps"):
        bad = log.set_column(log.column_names.index("initiation_ts"), "initiation_ts", pa.array(["x"] * log.num_rows))
        calibrate(bad, doc)
    with pytest.raises(CalibrationError, match="the log is empty"):
        calibrate(log.slice(0, 0), doc)
    with pytest.raises(CalibrationError, match=r"events\.amd_status: unknown value 'MAYBE'"):
        statuses = log["amd_status"].to_pylist()
        statuses[0] = "MAYBE"
        calibrate(
            log.set_column(log.column_names.index("amd_status"), "amd_status", pa.array(statuses, pa.string())), doc
        )
    with pytest.raises(CalibrationError, match="no such file"):
        calibrate("/nonexistent/events.parquet", doc)
    # A Parquet file without a column reads as that column all null.
    empty = log.set_column(
        log.column_names.index("disconnect_reason"), "disconnect_reason", pa.nulls(log.num_rows, pa.string())
    )
    with pytest.raises(CalibrationError, match=r"events\.disconnect_reason: no value in any of the"):
        calibrate(empty, doc)
    no_amd = log.set_column(log.column_names.index("amd_status"), "amd_status", pa.nulls(log.num_rows, pa.string()))
    with pytest.raises(CalibrationError, match=r"events\.amd_status: \d+ answered calls have no amd_status"):
        calibrate(no_amd, doc)


def test_bad_labels_are_refused_naming_the_contact(world):
    doc, log, labels = world["doc"], world["log"], world["labels"]
    with pytest.raises(
        CalibrationError, match=r"labels\.contact_id: 1 labelled contact\(s\) not in the log, e\.g\. 'nope'"
    ):
        calibrate(log, doc, labels=pd.concat([labels, pd.DataFrame({"contact_id": ["nope"], "party": ["HUMAN"]})]))
    with pytest.raises(CalibrationError, match=r"labels\.party: unknown party 'ROBOT'"):
        calibrate(log, doc, labels=labels.assign(party=["ROBOT", *list(labels["party"][1:])]))
    with pytest.raises(CalibrationError, match="missing column 'party'"):
        calibrate(log, doc, labels=labels.rename(columns={"party": "truth"}))
    calls = log.to_pandas()
    unanswered = calls.loc[
        (calls["event_type"] == "DISCONNECTED") & calls["connected_to_system_ts"].isna(), "contact_id"
    ].iloc[0]
    with pytest.raises(CalibrationError, match=f"contact '{unanswered}' was not answered"):
        calibrate(log, doc, labels=pd.DataFrame({"contact_id": [unanswered], "party": ["HUMAN"]}))


def test_a_campaign_that_did_not_make_the_log_is_refused(world):
    doc = apply_changes(world["doc"], {"campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.ringTimeout": 30})
    with pytest.raises(CalibrationError, match=r"ringTimeout: 30 s, but the log's ring-outs .* last 20\.0 s"):
        calibrate(world["log"], doc)


def test_amd_off_needs_labels(world):
    doc = apply_changes(
        world["doc"],
        {
            "campaign.channelSubtypeConfig.telephony.defaultOutboundConfig.answerMachineDetectionConfig.enableAnswerMachineDetection": False
        },
    )
    with pytest.raises(CalibrationError, match="AMD is off"):
        calibrate(world["log"], doc)


# -- the command -------------------------------------------------------------


def test_calibrate_command(tmp_path, world):
    runner = CliRunner()
    campaign = tmp_path / "base.yaml"
    campaign.write_text(yaml.safe_dump(world["doc"]))
    events = tmp_path / "events.parquet"
    import pyarrow.parquet as pq

    pq.write_table(world["log"], events)
    labels = tmp_path / "labels.csv"
    world["labels"].to_csv(labels, index=False)
    out = tmp_path / "fitted.yaml"
    res = runner.invoke(
        app, ["calibrate", str(events), "--campaign", str(campaign), "--labels", str(labels), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "timeToAnswer.mean" in res.output and "400 labelled contacts" in res.output
    fitted = parse_document(yaml.safe_load(out.read_text()))
    assert _close(fitted.simulation.behaviour.talk.mean, TRUTH["talk"][0], 0.08)

    labels.write_text("contact_id,party\nnope,HUMAN\n")
    res = runner.invoke(
        app, ["calibrate", str(events), "--campaign", str(campaign), "--labels", str(labels), "--out", str(out)]
    )
    assert res.exit_code == 2 and "labels.contact_id" in res.output and "'nope'" in res.output
    res = runner.invoke(
        app, ["calibrate", str(tmp_path / "missing.parquet"), "--campaign", str(campaign), "--out", str(out)]
    )
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(
        app, ["calibrate", str(events), "--campaign", str(campaign), "--out", str(out), "--validate", "1"]
    )
    assert res.exit_code == 2 and "--validate" in res.output
