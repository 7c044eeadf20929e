"""Predictive pacing on an abandonment-rate target (Connect's
``abandonmentRate`` strategy): a forecast of agents and answers, and a
budget for drops within the evaluation window.

Each second, for a call dialled now that turns out live, the pacer
estimates the probability that it finds no agent within the abandonment
threshold, and dials the largest number of calls for which that
probability, for the last of them, stays within the drop probability the
window's budget allows. Everything comes from what a real dialer sees
(docs/pacing.md has the derivation and the measurements):

* **agents free by then**: idle agents, plus each busy agent's probability
  of being ready by the time the new call turns live plus the threshold,
  from its elapsed talk (or elapsed wrap-up) and the talk and wrap-up
  durations measured so far (``forecast.DurationHistogram``): Issabel's
  "agents about to free" and the EIS patent's busy agents weighted by their
  probability of freeing (REFERENCE.md section 4), exact per agent;
* **calls ahead of it**: waiting callers, plus each ringing call's
  probability of turning live before it, from its ring age (a call still
  ringing after 15 s is less likely a person than a fresh one: the measured
  time-to-verdict distributions of live and other calls, censored at the
  ring timeout), plus the earlier calls of the same batch;
* the time the new call takes to turn live is random: the probability is
  averaged over five quantiles of the measured dial-to-live-verdict delay;
* the count of free agents minus calls ahead is a sum of independent
  Bernoulli variables: its lower tail is taken from the normal
  approximation with a continuity correction;
* **the budget**: in the current evaluation window (aligned to the clock,
  like the windows an audit reads), drops allowed = c x targetRate x (live
  calls so far + expected in the rest of the window) - drops so far, spread
  over the live calls still to come. c < 1 is the margin that keeps >= 95%
  of windows at or under the target; it depends on how many drops a window
  holds (few at small teams: a wide margin; many: a narrow one).
  Overspending early lowers the allowed probability for the rest of the
  window, underspending raises it (up to 1.5 x target, so no quarter hour
  runs far over);
* with the budget spent the allowed probability is 0 and the rule reduces to
  progressive dialling at ratio 1: a call is placed only for an agent that is
  surely free (VICIdial's ADAPT_HARD_LIMIT fallback, REFERENCE.md section 4).
  The pacer never dials fewer calls than that; during the warm-up (first
  live calls) it dials exactly that;
* the live share of dials is a slow average reset by a fast one on a
  detected change (``forecast.LiveShare``), so a step of the answered share
  is followed within about a hundred dials.
"""

from __future__ import annotations

import math

import numpy as np

from dialer.pacing.base import Pacer
from dialer.pacing.forecast import DurationHistogram, LiveShare

_SQRT2 = math.sqrt(2.0)


def _drop_probability(mean: list[float], var: list[float], ahead: list[float], k: int) -> float:
    """Mean over the quadrature points of P(free agents - calls ahead <= 0)
    for the k-th call of a batch (the k - 1 others each ahead of it with
    probability ``ahead[j]``), normal approximation with continuity
    correction."""
    total = 0.0
    for mj, vj, aj in zip(mean, var, ahead):
        extra = (k - 1) * aj
        v = vj + extra * (1.0 - aj)
        sd = math.sqrt(v) if v > 1e-12 else 1e-6
        total += 0.5 * math.erfc((mj - extra - 0.5) / (sd * _SQRT2))
    return total / len(mean)


class Predictive(Pacer):
    name = "predictive"
    wake_on_agent_free = False

    QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)  # of the dial-to-live-verdict delay
    # Before the forecast is trusted: live calls resolved, dials settled, and
    # talks ended (at least twice the team: the first talks to end are the
    # short ones).
    WARMUP_LIVE = 30
    WARMUP_DIALS = 200
    WARMUP_TALKS = 30
    P_LIVE_PRIOR = 0.25
    FAST_HALF_LIFE = 150.0  # dials
    SLOW_HALF_LIFE = 1500.0  # dials
    RATE_HALF_LIFE = 600.0  # seconds, for the rate of live calls
    KAPPA = 0.8  # margin: c = 1 - KAPPA / sqrt(expected drops per window)
    MARGIN_BOUNDS = (0.3, 0.95)
    S_CAP = 1.5  # allowed drop probability at most S_CAP x target
    QUARTER = 900.0  # seconds: a sub-window guard against clumps of drops
    QUARTER_SHARE = 1.6  # drops in a quarter hour at most this x target
    BIAS_HALF_LIFE = 1800.0  # seconds, for the model's calibration
    BIAS_PRIOR = 3.0  # pseudo-drops behind the calibration
    BIAS_BOUNDS = (0.5, 4.0)
    REFRESH = 200  # observations between rebuilding the forecast tables
    TALK_BINS = 3600
    WRAP_BINS = 900

    def __init__(
        self,
        *,
        bandwidth: float,
        target_rate: float,
        window_seconds: float,
        threshold: float,
        ring_timeout: float,
        clock_offset: float = 0.0,
    ) -> None:
        self.bandwidth = bandwidth  # 0: the campaign gets no agent capacity
        self.target = target_rate
        self.window = window_seconds
        self.threshold = threshold
        # Seconds since the epoch at the run's time 0, modulo the window:
        # budget windows then fall on the clock's hours like an audit's.
        self.clock_offset = clock_offset % window_seconds
        self.max_age = int(ring_timeout) + 90
        self.live = LiveShare(self.P_LIVE_PRIOR, self.FAST_HALF_LIFE, self.SLOW_HALF_LIFE)
        self.live_delay = DurationHistogram(self.max_age, prior_mean=10.0)
        self.other_delay = DurationHistogram(self.max_age, prior_mean=ring_timeout)
        self.talk = DurationHistogram(self.TALK_BINS, prior_mean=150.0)
        self.wrap = DurationHistogram(self.WRAP_BINS, prior_mean=10.0)
        self.outstanding: dict[int, int] = {}  # dial second -> dials not yet resolved
        self.by_second: dict[int, list[int]] = {}  # dial second -> [dials, live so far]
        self.settle_age = int(ring_timeout) + 10  # seconds after which a dial has resolved
        self.wrap_starts: list[float] = []
        self.resolved_live = 0
        # The evaluation window being budgeted.
        self.win_index = -1
        self.win_live = 0
        self.win_drops = 0
        self.q_index = -1
        self.q_live = 0
        self.q_drops = 0
        # Calibration: drops seen against drops the model expected.
        self.seen_drops = 0.0
        self.expected_drops = 0.0
        self.bias = 1.0
        self.live_rate = 0.0  # live calls resolved per second
        self._live_since = 0
        self._last_rate_update = 0.0
        self._allowed = 0.0
        self._last_level = 1.0
        self._last_s = 0.0
        self._build_tables()

    # -- observations ---------------------------------------------------------

    def on_dials(self, count: int, now: float) -> None:
        key = int(round(now))
        self.outstanding[key] = self.outstanding.get(key, 0) + count
        tally = self.by_second.get(key)
        if tally is None:
            self.by_second[key] = [count, 0]
        else:
            tally[0] += count

    def _resolve(self, count: int, t_dial: float, live: bool) -> None:
        if t_dial != t_dial:
            return
        key = int(round(t_dial))
        left = self.outstanding.get(key, 0) - count
        if left > 0:
            self.outstanding[key] = left
        else:
            self.outstanding.pop(key, None)
        if live:
            tally = self.by_second.get(key)
            if tally is not None:
                tally[1] += count

    def _count_settled(self, now: float) -> None:
        """Dials old enough to have resolved feed the live share, by dial second."""
        settled = now - self.settle_age
        by_second = self.by_second
        while by_second:
            key = next(iter(by_second))
            if key > settled:
                break
            dials, live = by_second.pop(key)
            self.live.add(live, dials)

    def on_dial_resolved(self, live: bool, now: float, t_dial: float = float("nan")) -> None:
        self.on_dials_resolved(live, 1, now, t_dial)

    def on_dials_resolved(self, live: bool, count: int, now: float, t_dial: float = float("nan")) -> None:
        self._resolve(count, t_dial, live)
        if t_dial == t_dial:
            (self.live_delay if live else self.other_delay).add(now - t_dial, count)
        if live:
            self._maybe_refresh(self.live_delay)

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        self.resolved_live += 1
        self._live_since += 1
        self._roll_window(now)
        self.win_live += 1
        self.win_drops += abandoned
        self.q_live += 1
        self.q_drops += abandoned
        self.seen_drops += abandoned

    def on_talk_end(self, talk_seconds: float, now: float) -> None:
        self.talk.add(talk_seconds)
        self.wrap_starts.append(now)
        self._maybe_refresh(self.talk)

    def on_wrap_end(self, wrap_start: float, now: float) -> None:
        try:
            self.wrap_starts.remove(wrap_start)
        except ValueError:
            pass
        self.wrap.add(now - wrap_start)

    # -- forecast tables --------------------------------------------------------

    def _maybe_refresh(self, hist: DurationHistogram) -> None:
        # Often at first (the first observations change the picture most),
        # then every REFRESH observations.
        if hist.new >= min(self.REFRESH, max(10, hist.n / 2)):
            self._build_tables()

    def _build_tables(self) -> None:
        """Quadrature delays and, per delay d_j, the tables the decision reads:
        P(talking agent free by d_j + threshold | elapsed talk e), the same
        for an agent in wrap-up, and P(ringing call live before d_j | ring
        age a) (apart from the live share, applied per decision)."""
        for h in (self.live_delay, self.other_delay, self.talk, self.wrap):
            if h.new:
                h.forget()
        s_live = self.live_delay.survival()
        cdf_live = 1.0 - s_live
        ds = [int(np.searchsorted(cdf_live, q)) + 0.5 for q in self.QUANTILES]
        self.delays = np.asarray(ds)
        self.median_delay = float(ds[len(ds) // 2])
        # P(another live call's delay < d_j), and E[(d_j - D)+]: how long
        # before it calls dialled after the new one may turn live ahead of it.
        grid_d = np.arange(s_live.size, dtype=float)
        self._before = np.interp(self.delays, grid_d, cdf_live)
        pmf = self.live_delay.pmf()
        self._lead = np.asarray([float((pmf * np.maximum(d - (grid_d + 0.5), 0.0)).sum()) for d in self.delays])
        horizons = self.delays + self.threshold
        # Talking agents: free by h if remaining talk + wrap-up <= h.
        s_talk = self.talk.survival()
        wrap_pmf = self.wrap.pmf()
        grid = np.arange(s_talk.size, dtype=float)
        ft = np.zeros((len(horizons), s_talk.size + 1))
        for j, h in enumerate(horizons):
            acc = np.zeros(s_talk.size)
            for w in range(int(h) + 1):
                pw = wrap_pmf[w] if w < wrap_pmf.size else 0.0
                if pw <= 0:
                    continue
                later = np.interp(grid + (h - w), grid, s_talk, right=0.0)
                acc += pw * (1.0 - later / s_talk)
            ft[j, 1:] = np.clip(acc, 0.0, 1.0)
        self._ft = ft  # column 0: an agent not talking
        s_wrap = self.wrap.survival()
        wgrid = np.arange(s_wrap.size, dtype=float)
        self._fw = np.stack([1.0 - np.interp(wgrid + h, wgrid, s_wrap, right=0.0) / s_wrap for h in horizons])
        # Ringing calls: age a (whole seconds); live verdict before the new
        # call's (delay d_j): P(D <= a + d_j | D > a) among live calls.
        ages = np.arange(self.max_age + 1, dtype=float)
        self._g = np.stack([1.0 - np.interp(ages + d, ages, s_live, right=0.0) / s_live for d in self.delays])
        self._s_live_age = s_live
        self._s_other_age = self.other_delay.survival()

    # -- the budget ---------------------------------------------------------------

    def _roll_window(self, now: float) -> None:
        idx = int((now + self.clock_offset) // self.window)
        if idx != self.win_index:
            self.win_index, self.win_live, self.win_drops = idx, 0, 0
        q = int((now + self.clock_offset) // self.QUARTER)
        if q != self.q_index:
            self.q_index, self.q_live, self.q_drops = q, 0, 0

    def _update_rate(self, now: float) -> None:
        dt = now - self._last_rate_update
        if dt <= 0:
            return
        fade = 0.5 ** (dt / self.BIAS_HALF_LIFE)
        self.seen_drops *= fade
        self.expected_drops *= fade
        lo, hi = self.BIAS_BOUNDS
        self.bias = min(max((self.seen_drops + self.BIAS_PRIOR) / (self.expected_drops + self.BIAS_PRIOR), lo), hi)
        # A plain average over the first RATE_HALF_LIFE seconds (the warm-up
        # burst would weigh too much in a running average), then running.
        keep = 0.5 ** (dt / self.RATE_HALF_LIFE) if now > self.RATE_HALF_LIFE else (now - dt) / now
        observed = self._live_since / dt
        self.live_rate = self.live_rate * keep + observed * (1.0 - keep)
        self._live_since = 0
        self._last_rate_update = now

    def allowed_drop_probability(self, now: float, pipeline_live: float) -> float:
        """The drop probability a new live call may have: what is left of the
        window's budget, spread over the live calls still to come."""
        self._roll_window(now)
        target = self.target
        per_window = max(self.live_rate * self.window, 1.0)
        c = 1.0 - self.KAPPA / math.sqrt(max(target * per_window, 1e-9))
        c = min(max(c, self.MARGIN_BOUNDS[0]), self.MARGIN_BOUNDS[1])
        end = (self.win_index + 1) * self.window - self.clock_offset
        rest = end - now - self.median_delay
        if rest <= 0:  # calls dialled now turn live in the next window
            return c * target
        coming = self.live_rate * rest
        expected = self.win_live + pipeline_live + coming
        left = c * target * expected - self.win_drops - self._last_s * pipeline_live
        s = left / max(coming, 1.0)
        # The quarter-hour guard: no clump of drops within the window.
        q_end = (self.q_index + 1) * self.QUARTER - self.clock_offset
        q_rest = q_end - now - self.median_delay
        if q_rest > 0:
            q_coming = self.live_rate * q_rest
            q_left = self.QUARTER_SHARE * target * (self.q_live + pipeline_live + q_coming) - self.q_drops - self._last_s * pipeline_live
            s = min(s, q_left / max(q_coming, 1.0))
        return min(max(s, 0.0), self.S_CAP * target)

    # -- the decision ---------------------------------------------------------------

    def dials_wanted(self, view) -> int:
        if self.bandwidth <= 0:
            return 0
        now = view.now
        idle = view.idle_agents
        sure = math.floor(min(self.bandwidth, 1.0) * idle + 1e-9) - view.in_flight  # progressive, ratio 1
        self._update_rate(now)
        self._count_settled(now)
        if (self.resolved_live < self.WARMUP_LIVE or self.live.dials < self.WARMUP_DIALS
                or self.talk.n < max(self.WARMUP_TALKS, 2 * view.available_agents)):
            self._last_level = 1.0
            return sure
        p = self.live.value
        waiting = view.waiting
        # Calls ringing, by age: their chance of turning live before the new call.
        ages = np.fromiter((now - t for t in self.outstanding), dtype=np.int64, count=len(self.outstanding))
        counts = np.fromiter(self.outstanding.values(), dtype=float, count=len(self.outstanding))
        ages = np.clip(ages, 0, self.max_age)
        sl = self._s_live_age[ages]
        so = self._s_other_age[ages]
        pi = p * sl / np.maximum(p * sl + (1.0 - p) * so, 1e-12)
        q = pi * self._g[:, ages]  # (quadrature, ringing groups)
        ahead_mean = q @ counts + waiting
        ahead_var = (q * (1.0 - q)) @ counts
        # Agents: idle now, plus each busy agent's chance of being free in time.
        cells = (math.floor(now) + 1) - view.agents.talk_start
        f = self._ft.take(cells, axis=1, mode="clip")
        free_mean = f.sum(axis=1)
        free_var = (f * (1.0 - f)).sum(axis=1)
        if self.wrap_starts:
            wcells = np.minimum((now - np.asarray(self.wrap_starts)).astype(np.int64), self._fw.shape[1] - 1)
            fw = self._fw[:, np.maximum(wcells, 0)]
            free_mean = free_mean + fw.sum(axis=1)
            free_var = free_var + (fw * (1.0 - fw)).sum(axis=1)
        b = self.bandwidth
        # Live calls from dials still to come that overtake the new one
        # (a Poisson count at the current rate of live calls).
        later = self.live_rate * self._lead
        mean = b * (idle + free_mean) - ahead_mean - later
        var = b * b * free_var + ahead_var + later
        pipeline_live = waiting + float(pi @ counts)
        s = self.allowed_drop_probability(now, pipeline_live)
        self._last_s = s
        m, v, ahead = mean.tolist(), var.tolist(), (p * self._before).tolist()
        k = self._largest_batch(m, v, ahead, s / self.bias)
        if k > 0:
            # What the model expects these k calls to drop (trapezoid over
            # the batch), for its calibration against the drops seen.
            first = _drop_probability(m, v, ahead, 1)
            mid = _drop_probability(m, v, ahead, max(k // 2, 1))
            last = _drop_probability(m, v, ahead, k)
            self.expected_drops += p * k * (first + 2 * mid + last) / 4
        n = max(k, sure)
        avail = max(view.available_agents, 1)
        self._last_level = (view.lines_in_use + max(n, 0)) / avail
        return n

    @staticmethod
    def _largest_batch(mean: list[float], var: list[float], ahead: list[float], s: float) -> int:
        """The largest k whose k-th call's drop probability is <= s (0 if
        even the first call's is above)."""
        if s <= 0 or _drop_probability(mean, var, ahead, 1) > s:
            return 0
        lo, hi = 1, 2
        while _drop_probability(mean, var, ahead, hi) <= s:
            lo, hi = hi, hi * 2
            if hi > 100_000:
                return lo
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _drop_probability(mean, var, ahead, mid) <= s:
                lo = mid
            else:
                hi = mid
        return lo

    def level(self) -> float:
        return self._last_level
