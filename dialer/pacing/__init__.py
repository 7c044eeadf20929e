"""Pacing strategies, one module per dial mode; ``make_pacer`` picks one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaigns.distributions import Exponential
from campaigns.document import CampaignDocument
from dialer.pacing.adaptive import Adaptive
from dialer.pacing.agentless import Agentless
from dialer.pacing.base import Pacer
from dialer.pacing.erlang_poisson import ErlangPoisson
from dialer.pacing.fixed_rate import FixedRate
from dialer.pacing.in_flight import InFlightRatio
from dialer.pacing.predictive import Predictive
from dialer.pacing.preview import Preview
from dialer.pacing.progressive import Progressive
from dialer.pacing.ratio import FixedRatio
from dialer.streams import Draws

if TYPE_CHECKING:  # the engine builds its pacer through this module: a runtime import would be a loop
    from dialer.engine import Engine

__all__ = [
    "Adaptive",
    "Agentless",
    "ErlangPoisson",
    "FixedRate",
    "FixedRatio",
    "InFlightRatio",
    "Pacer",
    "Predictive",
    "Preview",
    "Progressive",
    "make_pacer",
]


def make_pacer(doc: CampaignDocument, engine: Engine, *, ratio_override: float | None = None) -> Pacer:
    """The pacer the document's outbound mode asks for. ``ratio_override``
    replaces it with a fixed dial level (kept for older benchmarks; the
    ``fixedRatio`` mode is the same pacer from a document)."""
    if ratio_override is not None:
        return FixedRatio(ratio_override)
    mode = doc.campaign.telephony.outbound_mode
    if mode.fixed_rate is not None:
        rate = mode.fixed_rate.dials_per_second
        return FixedRate(rate, Draws(Exponential(mean_=1.0 / rate), engine.interarrival_stream))
    if mode.fixed_ratio is not None:
        return FixedRatio(mode.fixed_ratio.dial_level)
    if mode.in_flight_ratio is not None:
        return InFlightRatio(mode.in_flight_ratio.ratio)
    if mode.adaptive is not None:
        a = mode.adaptive
        return Adaptive(
            method=a.dial_method,
            dropped_percentage=a.dropped_percentage,
            maximum_level=a.maximum_level,
            intensity=a.intensity,
            initial_level=a.initial_level,
            day_end=engine.horizon,
        )
    if mode.erlang_rate is not None:
        threshold = engine.threshold if engine.threshold < float("inf") else 2.0
        return ErlangPoisson(mode.erlang_rate.model_target_rate, threshold, engine.interarrival_stream)
    if mode.progressive is not None:
        return Progressive(mode.progressive.bandwidth_allocation)
    if mode.preview is not None:
        return Preview(mode.preview.bandwidth_allocation, mode.preview.timeout_config.duration_in_seconds)
    if mode.agentless is not None:
        assert engine.lines is not None, "agentless campaigns dial to their lines (simulation.lines)"
        return Agentless(engine.lines)
    p = mode.predictive
    assert p is not None, "the document validates exactly one outbound mode"
    strategy = p.abandonment
    return Predictive(
        bandwidth=p.bandwidth_allocation,
        target_rate=strategy.target_rate if strategy else 0.03,
        window_seconds=strategy.window_seconds if strategy else 3600.0,
        threshold=engine.threshold if engine.threshold < float("inf") else 2.0,
        ring_timeout=engine.ring_timeout,
        clock_offset=engine.start_epoch,
    )
