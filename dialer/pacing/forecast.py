"""What the predictive pacer learns from what it observes: durations as
histograms with their survival functions, and the share of dials that come
back live with a change detector.

Nothing here is read from the campaign document: talk, wrap-up and
time-to-verdict distributions are measured from the calls the dialer has
seen, as a real dialer must (docs/pacing.md).
"""

from __future__ import annotations

import math

import numpy as np


class DurationHistogram:
    """Observed durations in 1-second bins with slow forgetting, and the
    survival function S(t) = P(duration > t) on the integer grid.

    Until there are enough observations the survival is blended with an
    exponential prior of the running mean; where fewer than ``TAIL_COUNT``
    observations lie beyond t, the tail is exponential with the measured
    mean residual life (so a conditional probability far in the tail rests
    on a few dozen calls, not on one or two)."""

    PRIOR_WEIGHT = 20.0  # pseudo-observations of the exponential prior
    TAIL_COUNT = 20.0
    FORGET = 0.97  # per refresh: about 30 refreshes of memory

    def __init__(self, bins: int, prior_mean: float) -> None:
        self._counts = np.zeros(bins + 1)
        self._top = bins
        # Observations not yet in ``_counts``: (bin, count), added in order
        # when the counts are read (one numpy call per refresh instead of a
        # numpy scalar update per observation; the same sums, bit for bit).
        self._bins: list[int] = []
        self._adds: list[int] = []
        self.sum = 0.0
        self.n = 0.0
        self.prior_mean = prior_mean
        self.new = 0  # observations since the last refresh

    def add(self, value: float, count: int = 1) -> None:
        b = int(value) if value > 0 else 0
        self._bins.append(b if b < self._top else self._top)
        self._adds.append(count)
        self.sum += value * count
        self.n += count
        self.new += count

    def _flush(self) -> None:
        if self._bins:
            np.add.at(self._counts, self._bins, np.asarray(self._adds, dtype=float))
            self._bins, self._adds = [], []

    @property
    def counts(self) -> np.ndarray:
        """Observations per 1-second bin (after forgetting)."""
        self._flush()
        return self._counts

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else self.prior_mean

    def survival(self) -> np.ndarray:
        """S(t) for t = 0, 1, ..., bins (P(duration > t); a duration in bin b
        lies in [b, b + 1), taken as b + 0.5)."""
        counts = self.counts
        n = counts.sum()
        beyond = n - np.cumsum(counts)  # observations in bins > t: duration > t + 1
        # duration > t: the bins above t, plus half of bin t.
        emp = beyond + 0.5 * counts
        grid = np.arange(counts.size, dtype=float)
        mean = self.mean
        prior = np.exp(-grid / max(mean, 1e-6))
        s = (emp + self.PRIOR_WEIGHT * prior) / (n + self.PRIOR_WEIGHT)
        thin = np.nonzero(emp < self.TAIL_COUNT)[0]
        if thin.size and n > self.TAIL_COUNT:
            t0 = int(thin[0])
            above = grid >= t0
            weights = counts[t0:]
            mrl = (
                float((weights * (grid[t0:] + 0.5 - t0)).sum() / max(weights.sum(), 1e-9))
                if weights.sum() > 0
                else mean
            )
            mrl = max(mrl, 1.0)
            s[above] = s[t0] * np.exp(-(grid[above] - t0) / mrl)
        floored: np.ndarray = np.maximum(s, 1e-12)
        return floored

    def pmf(self) -> np.ndarray:
        s = self.survival()
        pmf: np.ndarray = np.maximum(np.concatenate(([1.0], s[:-1])) - s, 0.0)
        return pmf

    def forget(self) -> None:
        self._flush()
        self._counts *= self.FORGET
        self.sum *= self.FORGET
        self.n *= self.FORGET
        self.new = 0


class LiveShare:
    """The share of dials that come back live, counted by dial time once every
    dial of that second has had time to resolve (counting outcomes as they
    come would favour live calls, which resolve sooner than unanswered
    ones). A slow running average for
    precision, a fast one to see a change, and a reset of the slow one to the
    fast one when they differ by more than ``Z`` standard errors (a step of
    the answered share is picked up after ~50-100 dials instead of ~1,000).

    Both start as the plain mean of the dials so far with the prior counted
    as ``prior_dials`` dials, and become running averages once their own
    weight exceeds the mean's: a running average started at the prior would
    hold it for a whole half-life (4,000 dials: the first 20 minutes of a
    five-agent day believed 25% live when 10% were) and then jump to the
    data when the reset fired, a burst of dials that dropped calls."""

    Z = 5.0

    def __init__(
        self,
        prior: float,
        fast_half_life: float,
        slow_half_life: float,
        prior_dials: float = 50.0,
        reset_dials: float = 100.0,
    ) -> None:
        self.fast = self.slow = prior
        self.prior_dials = prior_dials
        self.reset_dials = reset_dials
        self._slow_n = prior_dials  # dials behind the slow average's plain mean (since the start or a reset)
        self._keep_fast = 0.5 ** (1.0 / fast_half_life)
        self._keep_slow = 0.5 ** (1.0 / slow_half_life)
        self._n_eff_fast = (1 + self._keep_fast) / (1 - self._keep_fast)
        self.dials = 0
        self.changes = 0

    def add(self, live: int, dials: int) -> None:
        """The outcomes of ``dials`` dials placed together, ``live`` of them live."""
        if dials <= 0:
            return
        x = live / dials
        # The plain means' weights of these dials: since the start for the
        # fast average, since the start or the last reset for the slow one.
        wf = max(1.0 - self._keep_fast**dials, dials / (self.prior_dials + self.dials + dials))
        ws = max(1.0 - self._keep_slow**dials, dials / (self._slow_n + dials))
        self.fast += (x - self.fast) * wf
        self.slow += (x - self.slow) * ws
        self.dials += dials
        self._slow_n += dials
        p = min(max(self.slow, 0.005), 0.995)
        if abs(self.fast - self.slow) > self.Z * math.sqrt(p * (1 - p) / self._n_eff_fast):
            # The fast average crosses the test about halfway to the new
            # share: the slow one starts from it as a mean worth
            # ``reset_dials`` dials, and reaches the new share within a few
            # hundred dials instead of a half-life.
            self.slow = self.fast
            self._slow_n = self.reset_dials
            self.changes += 1

    def restart(self, share: float) -> None:
        """A change seen elsewhere (``change.LiveArrivalCusum``): both
        averages start again from ``share``."""
        self.fast = self.slow = min(max(share, 0.002), 0.995)
        self._slow_n = self.reset_dials
        self.changes += 1

    @property
    def value(self) -> float:
        return min(max(self.slow, 0.002), 1.0)
