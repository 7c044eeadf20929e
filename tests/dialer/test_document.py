"""The campaign document: Connect v2 names and bounds, our simulation part,
and errors that name the field and the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from campaigns.distributions import Exponential, Gamma, Lognormal, Uniform
from campaigns.document import CampaignDocumentError, load_document, parse_document, parse_iso_duration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_round_trip(path):
    doc = load_document(path)
    dumped = doc.to_document()
    assert parse_document(dumped).to_document() == dumped


def _reference():
    return yaml.safe_load((ROOT / "examples" / "reference-predictive.yaml").read_text())


@pytest.mark.parametrize(
    "path, value, field",
    [
        (("campaign", "channelSubtypeConfig", "telephony", "defaultOutboundConfig", "ringTimeout"), 14, "ringTimeout"),
        (("campaign", "channelSubtypeConfig", "telephony", "defaultOutboundConfig", "ringTimeout"), 61, "ringTimeout"),
        (
            ("campaign", "channelSubtypeConfig", "telephony", "outboundMode", "predictive", "bandwidthAllocation"),
            2.5,
            "bandwidthAllocation",
        ),
        (
            (
                "campaign",
                "channelSubtypeConfig",
                "telephony",
                "outboundMode",
                "predictive",
                "pacingStrategies",
                0,
                "abandonmentRate",
                "evaluationWindow",
            ),
            "PT25H",
            "evaluationWindow",
        ),
        (
            (
                "campaign",
                "channelSubtypeConfig",
                "telephony",
                "outboundMode",
                "predictive",
                "pacingStrategies",
                0,
                "abandonmentRate",
                "connectionStartPoint",
            ),
            "HELLO",
            "connectionStartPoint",
        ),
        (
            (
                "campaign",
                "channelSubtypeConfig",
                "telephony",
                "outboundMode",
                "predictive",
                "pacingStrategies",
                0,
                "abandonmentRate",
                "targetRate",
            ),
            1.5,
            "targetRate",
        ),
        (
            ("campaign", "communicationTimeConfig", "telephony", "openHours", "dailyHours", "MONDAY", 0, "startTime"),
            "9am",
            "startTime",
        ),
        (
            ("campaign", "communicationTimeConfig", "localTimeZoneConfig", "defaultTimeZone"),
            "Mars/Olympus",
            "defaultTimeZone",
        ),
        (("campaign", "entryLimitsConfig", "minEntryInterval"), "4 hours", "minEntryInterval"),
        (("simulation", "agents", "count"), 0, "simulation.agents.count"),
        (("simulation", "behaviour", "talk"), {"lognormal": {"mean": -3, "sd": 1}}, "simulation.behaviour.talk"),
        (("simulation", "behaviour", "talk"), {"weibull": {"k": 2}}, "simulation.behaviour.talk"),
        (("simulation", "behaviour", "outcomes", "human"), 0.5, "simulation.behaviour.outcomes"),
        (("simulation", "amd", "falsePositiveRate"), 1.2, "simulation.amd.falsePositiveRate"),
    ],
)
def test_bad_values_name_the_field_and_the_value(path, value, field):
    raw = _reference()
    node = raw
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    with pytest.raises(CampaignDocumentError) as info:
        parse_document(raw, source="bad.yaml")
    text = str(info.value)
    assert field in text and "bad.yaml" in text
    assert repr(value)[:20] in text or str(value) in text


def test_unknown_key_is_rejected_by_name():
    raw = _reference()
    raw["simulation"]["agnets"] = {"count": 3}
    with pytest.raises(CampaignDocumentError, match="simulation.agnets"):
        parse_document(raw)


def test_two_outbound_modes_are_rejected():
    raw = _reference()
    raw["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]["progressive"] = {"bandwidthAllocation": 1}
    with pytest.raises(CampaignDocumentError, match="exactly one of"):
        parse_document(raw)


def test_broken_yaml_reports_the_line(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("campaign:\n  name: [unclosed\n")
    with pytest.raises(CampaignDocumentError, match="line"):
        load_document(bad)


def test_answer_share_override_by_local_hour_rebalances_no_answer():
    doc = load_document(ROOT / "examples" / "reference-predictive.yaml")
    base = doc.simulation.behaviour.shares_for_hour(10)
    late = doc.simulation.behaviour.shares_for_hour(16)
    assert late[0] == 0.08 and base[0] == 0.10
    assert late[3] == pytest.approx(base[3] + 0.02)
    assert sum(late) == pytest.approx(1.0)


def test_iso_durations():
    assert parse_iso_duration("PT4H").total_seconds() == 14400
    assert parse_iso_duration("P1DT30M").total_seconds() == 88200
    with pytest.raises(ValueError):
        parse_iso_duration("4h")


@pytest.mark.parametrize(
    "dist",
    [Exponential(mean=4), Lognormal(mean=180, sd=120), Gamma(mean=9, sd=5), Uniform(low=2, high=6)],
    ids=lambda d: d.kind,
)
def test_distribution_sample_moments_match_their_analytic_mean(dist):
    # 200k draws: the sample mean's standard error is sd/447; 5 SE tolerance.
    x = dist.sample(np.random.default_rng(3), 200_000)
    assert abs(x.mean() - dist.mean) < 5 * np.sqrt(dist.variance) / np.sqrt(x.size)
    assert x.var() == pytest.approx(dist.variance, rel=0.05)
    # survival(median) is one half
    assert float(dist.survival(np.median(x))) == pytest.approx(0.5, abs=0.01)
