"""Seeing a rise of the answered share within seconds, from the live
verdicts as they arrive.

``forecast.LiveShare`` counts a dial second only once all its dials have had
time to resolve (the ring timeout and then some) and averages over about a
hundred dials: after a step up of the answered share it knows two to three
minutes late, and the calls dialled meanwhile for the old share are what
drops people (docs/pacing.md, "A change of the answered share"). The
ringing calls say it sooner: given each one's ring age the pacer knows how
many live verdicts the next second should bring (``Predictive.live_hazard``);
when they keep coming faster than that, the share has risen.

This is Page's CUSUM on a Poisson count with a known in-control mean
(Page 1954, "Continuous inspection schemes", Biometrika 41; the Poisson form
as in Lucas 1985, "Counted data CUSUM's", Technometrics 27), tuned to a rise
by ``RATIO``. Only a rise: a pacer that expects too many live calls dials too
few, which costs occupancy but drops nobody, so a fall is left to
``LiveShare``'s slower and surer test. On an alarm the ratio observed /
expected over the run that raised it, shrunk towards 1 by a few
pseudo-counts (a run that crossed the threshold by luck overstates it),
estimates the new share as a multiple of the old; the pacer uses it as a
bridge for a few minutes, until ``LiveShare`` has seen the change or not
(live verdicts come in clumps more often than a Poisson count says: at a
hundred agents the statistic raises two or three alarms on a stationary
day, so an alarm is not allowed to stand for long).
"""

from __future__ import annotations

import math


class LiveArrivalCusum:
    """A one-sided CUSUM of live verdicts per second against their forecast."""

    RATIO = 2.0  # the rise it is tuned to see
    THRESHOLD = 8.0  # nats (log-likelihood ratio)
    MIN_EXPECTED = 4.0  # no alarm on a run that expected fewer live verdicts
    PSEUDO = 4.0  # pseudo-counts shrinking the estimate towards no change
    RATIO_BOUNDS = (1.0, 4.0)

    def __init__(self) -> None:
        self.stat = 0.0
        self._observed = self._expected = 0.0  # since the statistic left zero
        self._ln_ratio = math.log(self.RATIO)
        self.alarms = 0

    def update(self, observed: float, expected: float) -> float | None:
        """One second's live verdicts and their forecast. Returns the ratio
        new share / old share on an alarm, else None."""
        if expected <= 0.0:
            return None
        stat = self.stat + observed * self._ln_ratio - (self.RATIO - 1.0) * expected
        if stat <= 0.0:
            self.stat = 0.0
            return None
        if self.stat == 0.0:
            self._observed = self._expected = 0.0
        self.stat = stat
        self._observed += observed
        self._expected += expected
        if self.stat <= self.THRESHOLD or self._expected < self.MIN_EXPECTED:
            return None
        ratio = (self._observed + self.PSEUDO) / (self._expected + self.PSEUDO)
        self.alarms += 1
        self.stat = 0.0
        return min(max(ratio, self.RATIO_BOUNDS[0]), self.RATIO_BOUNDS[1])
