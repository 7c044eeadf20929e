"""The arrivals' CUSUM: sees a rise of the answered share within a minute or
two, rarely raises a false alarm, and the pacer uses it only as a bridge."""

from __future__ import annotations

import numpy as np
import pytest

from dialer.pacing.change import LiveArrivalCusum
from tests.dialer.test_pacing_predictive import _settle, pacer, view


def test_few_false_alarms_on_a_poisson_stream():
    # 100,000 s at 0.8 live verdicts a second (about 28 hundred-agent days
    # of arrivals). In theory (Siegmund's approximation) one alarm per
    # ~69,000 expected verdicts; bound at 5 (a Poisson(1.2) count is over 5
    # with probability 0.002).
    rng = np.random.default_rng(11)
    cusum = LiveArrivalCusum()
    alarms = sum(cusum.update(float(k), 0.8) is not None for k in rng.poisson(0.8, 100_000))
    assert alarms <= 5


@pytest.mark.parametrize("rate", [0.15, 0.8])  # twenty and a hundred agents' live verdicts a second
def test_a_step_up_is_seen_soon_and_estimated(rate):
    rng = np.random.default_rng(5)
    delays, ratios = [], []
    for _ in range(200):
        cusum = LiveArrivalCusum()
        for k in rng.poisson(rate, 600):  # ten quiet minutes
            cusum.update(float(k), rate)
        cusum.stat = 0.0  # the step's start, whatever the noise left
        for second, k in enumerate(rng.poisson(2.5 * rate, 1200)):
            r = cusum.update(float(k), rate)
            if r is not None:
                delays.append(second)
                ratios.append(r)
                break
    assert len(delays) == 200  # every step seen within 20 minutes
    # Expected delay ~ threshold / drift: 8 / (rate (2.5 ln 2 - 1)) = 73 s at
    # 0.15/s, 14 s at 0.8/s; the median of 200 runs within 2x of it.
    assert np.median(delays) <= 2 * 8.0 / (rate * (2.5 * np.log(2) - 1))
    # The estimate, shrunk towards 1, sits between no change and the truth.
    assert 1.5 <= np.median(ratios) <= 2.6


class _Day:
    """A scripted stream of dials in time order: each second ``dials`` dials,
    ``live`` of them answered by a person 9 s later, the rest unanswered at
    20 s; the pacer decides once a second."""

    def __init__(self, p, t: float) -> None:
        self.p, self.t, self.pending = p, t, []

    def second(self, dials: int, live: int) -> None:
        p, t = self.p, self.t
        due = [x for x in self.pending if x[0] <= t]
        self.pending = [x for x in self.pending if x[0] > t]
        for when, is_live, count, t_dial in sorted(due):
            p.on_dials_resolved(is_live, count, when, t_dial)
        p.dials_wanted(view(t, idle=5))
        p.on_dials(dials, t)
        self.pending += [(t + 9.0, True, live, t), (t + 20.0, False, dials - live, t)]
        self.t += 1.0


def test_a_rise_bridges_the_live_share_until_live_share_catches_up():
    p = pacer()
    day = _Day(p, _settle(p, 600, 10))
    for _ in range(1200):  # 10 dials a second, one live
        day.second(10, 1)
    assert p.live_share(day.t) == p.live.value  # no bridge on a steady stream
    step, seen = day.t, None
    for _ in range(120):  # now 3 of 10 are live
        day.second(10, 3)
        if seen is None and p.live_share(day.t) > p.live.value:
            seen = day.t - step
    # The arrivals see it within a minute (the first live verdicts of the
    # new share come 9 s after the step); LiveShare needs the dials settled.
    assert seen is not None and seen <= 60
    assert p.live_share(day.t) > 0.2
