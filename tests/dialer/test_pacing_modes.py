"""The classic pacers as simulator modes: documents, formulas, decisions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from campaigns.document import CampaignDocumentError, parse_document
from dialer import simulate
from dialer.agents import NOT_TALKING
from dialer.pacing import Adaptive, ErlangPoisson, FixedRatio, InFlightRatio
from dialer.pacing.erlang_poisson import live_rate_for, mmn_d_abandonment
from tests.dialer.conftest import make_doc

MODE = "campaign.channelSubtypeConfig.telephony.outboundMode"


def view(**kw) -> SimpleNamespace:
    """A dialer's view with the given counts (no agent talking)."""
    base = {
        "now": 0.0,
        "in_flight": 0,
        "waiting": 0,
        "lines_in_use": 0,
        "idle_agents": 0,
        "available_agents": 0,
        "agents": SimpleNamespace(talk_start=np.full(kw.get("available_agents", 0), NOT_TALKING, dtype=np.int64)),
    }
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(
    "mode, cls",
    [
        ({"fixedRatio": {"dialLevel": 1.8}}, FixedRatio),
        ({"inFlightRatio": {"ratio": 3.5}}, InFlightRatio),
        ({"adaptive": {"dialMethod": "ADAPT_TAPERED", "droppedPercentage": 2.5}}, Adaptive),
        ({"erlangRate": {"modelTargetRate": 0.02}}, ErlangPoisson),
    ],
)
def test_each_classic_pacer_runs_from_a_document(mode, cls):
    doc = make_doc(
        **{
            MODE: mode,
            "campaign.schedule": {"startTime": "2026-12-01T14:00:00Z", "endTime": "2026-12-01T14:30:00Z"},
            "simulation.agents": {"count": 4},
            "simulation.behaviour": {"outcomes": {"human": 0.3, "no_answer": 0.7}},
            "simulation.contacts": {"synthetic": {"count": 3000, "areaCodes": {"212": 1.0}}},
        }
    )
    r = simulate(doc, seed=3, keep_events=False)
    assert r.summary["mode"] == cls.name
    assert r.summary["live_connected_to_agent"] > 10
    assert simulate(doc, seed=3, keep_events=False).summary == r.summary  # deterministic


@pytest.mark.parametrize(
    "mode, field",
    [
        ({"fixedRatio": {"dialLevel": 0.5}}, "dialLevel"),
        ({"inFlightRatio": {"ratio": 0}}, "ratio"),
        ({"adaptive": {"dialMethod": "ADAPT_WILD"}}, "dialMethod"),
        ({"adaptive": {"intensity": 50}}, "intensity"),
        ({"erlangRate": {"modelTargetRate": 1.5}}, "modelTargetRate"),
    ],
)
def test_bad_settings_name_the_field_and_value(mode, field):
    with pytest.raises(CampaignDocumentError) as exc:
        parse_document(make_doc(**{MODE: mode}))
    assert field in str(exc.value)
    value = next(iter(next(iter(mode.values())).values()))
    assert repr(value) in str(exc.value)


def test_two_modes_at_once_are_refused():
    with pytest.raises(CampaignDocumentError, match="exactly one of .*inFlightRatio"):
        parse_document(make_doc(**{MODE: {"inFlightRatio": {"ratio": 2}, "fixedRatio": {"dialLevel": 2}}}))


def test_connect_names_are_unchanged():
    doc = parse_document(make_doc(**{MODE: {"progressive": {"bandwidthAllocation": 1.0}}}))
    dumped = doc.to_document()["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"]
    assert dumped == {"progressive": {"bandwidthAllocation": 1.0}}


def test_mmn_d_matches_the_reference_value():
    # REFERENCE.md section 6: lambda 1/2, 1/mu 60, n 32, tau 2 -> P(Ab) 0.08239
    # (checked there against an exact chain to 10 digits).
    assert mmn_d_abandonment(0.5, 1 / 60, 32, 2.0) == pytest.approx(0.08239, abs=1e-5)
    lam = live_rate_for(0.08239, 1 / 60, 32, 2.0)
    assert lam == pytest.approx(0.5, rel=1e-3)


def test_erlang_pacer_dials_at_the_model_rate_over_the_live_share():
    p = ErlangPoisson(0.03, 2.0, np.random.default_rng(1))
    p.on_dials_resolved(False, 100_000, 1.0)  # the live share falls to ~0
    for _ in range(3000):
        p.on_dial_resolved(True, 1.0)
    p.p_live = 0.1
    p.talk, p.wrap = 120.0, 0.0
    assert p.dials_wanted(view(now=0.0, available_agents=50, idle_agents=50)) == 1
    assert p.level() == pytest.approx(live_rate_for(0.03, 1 / 120, 50, 2.0) / 0.1)


def test_in_flight_rule():
    assert InFlightRatio(2.5).dials_wanted(view(idle_agents=3, in_flight=4)) == 3  # floor(7.5) - 4
    assert InFlightRatio(2.5).dials_wanted(view(idle_agents=0, in_flight=4)) == -4


def _adaptive(method: str, limit: float = 3.0) -> Adaptive:
    return Adaptive(
        method=method, dropped_percentage=limit, maximum_level=3.0, intensity=0.0, initial_level=1.0, day_end=8 * 3600.0
    )


def _run(p: Adaptive, seconds: int, idle: int, waiting: int, agents: int = 10, start: float = 0.0) -> None:
    for t in range(seconds):
        p.dials_wanted(view(now=start + t, idle_agents=idle, waiting=waiting, available_agents=agents))


def test_adaptive_level_follows_ready_agents_minus_waiting_calls():
    p = _adaptive("ADAPT_HARD_LIMIT")
    _run(p, 16, idle=2, waiting=0)  # one update: level *= 1 + 2/10
    assert p.level() == pytest.approx(1.2)
    _run(p, 15, idle=0, waiting=1, start=16)  # level *= 1 - 1/10
    assert p.level() == pytest.approx(1.08)
    _run(p, 15 * 40, idle=10, waiting=0, start=31)
    assert p.level() == 3.0  # adaptive_maximum_level
    # calls_to_place = round(level * agents) - calls in progress
    assert p.dials_wanted(view(now=700.0, idle_agents=10, available_agents=10, lines_in_use=12)) == 18


@pytest.mark.parametrize("method, expected", [("ADAPT_HARD_LIMIT", 1.0), ("ADAPT_AVERAGE", 1.5)])
def test_adaptive_over_the_days_drop_limit(method, expected):
    p = _adaptive(method)
    _run(p, 15 * 40, idle=10, waiting=0)
    assert p.level() == 3.0
    for i in range(60):  # 60 live calls today, 3 dropped: 5% > 3%
        p.on_live_resolved(i % 20 == 0, 100.0 + i)
    now = 15 * 41.0
    _run(p, 15, idle=0, waiting=0, start=now)  # differential 0: only the limit acts
    assert p.level() == pytest.approx(expected)


def test_adaptive_tapered_enforces_the_limit_more_as_the_day_ends():
    p = _adaptive("ADAPT_TAPERED")
    _run(p, 15 * 40, idle=10, waiting=0)
    for i in range(60):
        p.on_live_resolved(i % 20 == 0, 100.0 + i)
    start = 8 * 3600.0 - 5 * 3600.0  # five hours before the end: x 0.5
    _run(p, 1, idle=10, waiting=0, start=start)  # one update: up to the cap, then tapered
    assert p.level() == pytest.approx(1.5)


def test_adaptive_halves_when_most_of_the_last_minute_dropped():
    p = _adaptive("ADAPT_HARD_LIMIT", limit=100.0)
    _run(p, 15 * 40, idle=10, waiting=0)
    for i in range(30):
        p.on_live_resolved(i % 3 != 0, 15 * 40 + i)  # 20 of 30 dropped
    _run(p, 1, idle=10, waiting=0, start=15 * 40 + 30)  # one update: the cap, then halved
    assert p.level() == pytest.approx(1.5)
