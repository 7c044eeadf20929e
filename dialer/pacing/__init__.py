"""Pacing strategies, one module per dial mode; ``make_pacer`` picks one."""

from __future__ import annotations

from campaigns.distributions import Exponential
from dialer.pacing.agentless import Agentless
from dialer.pacing.base import Pacer
from dialer.pacing.fixed_rate import FixedRate
from dialer.pacing.predictive import Predictive
from dialer.pacing.preview import Preview
from dialer.pacing.progressive import Progressive
from dialer.pacing.ratio import FixedRatio
from dialer.streams import Draws

__all__ = ["Pacer", "make_pacer", "Agentless", "FixedRate", "Predictive", "Preview", "Progressive", "FixedRatio"]


def make_pacer(doc, engine, *, ratio_override: float | None = None) -> Pacer:
    """The pacer the document's outbound mode asks for. ``ratio_override``
    replaces it with a fixed dial level (the pacing benchmark's baseline)."""

    if ratio_override is not None:
        return FixedRatio(ratio_override)
    mode = doc.campaign.telephony.outbound_mode
    sim = doc.simulation
    if mode.fixed_rate is not None:
        rate = mode.fixed_rate.dials_per_second
        return FixedRate(rate, Draws(Exponential(mean=1.0 / rate), engine.interarrival_stream))
    if mode.progressive is not None:
        return Progressive(mode.progressive.bandwidth_allocation)
    if mode.preview is not None:
        return Preview(mode.preview.bandwidth_allocation, mode.preview.timeout_config.duration_in_seconds)
    if mode.agentless is not None:
        return Agentless(engine.lines)
    p = mode.predictive
    strategy = p.abandonment
    return Predictive(
        bandwidth=p.bandwidth_allocation,
        target_rate=strategy.target_rate if strategy else 0.03,
        window_seconds=strategy.window_seconds if strategy else 3600.0,
        talk=sim.behaviour.talk,
        wrap_mean=sim.agents.wrap_up.mean,
        agents=engine.agents,
    )
