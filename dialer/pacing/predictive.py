"""Predictive pacing on an abandonment-rate target (Connect's
``abandonmentRate`` strategy): a forecast of the live calls already coming,
a gain learnt online, and a budget for drops within the evaluation window.

Each decision keeps the expected number of live calls on their way at most
``gain x (idle agents + ALPHA x busy agents about to free)``:

    dials = floor((gain x (idle + ALPHA x soon) - coming) / p_live)

and never fewer than progressive dialling at ratio 1 would place. Everything
comes from what a real dialer sees (docs/pacing.md has the derivation and
the measurements):

* **coming**: waiting callers, plus each ringing call's probability of
  turning live given its ring age. A call still ringing after 15 s is far
  less likely a person than a fresh one: the pacer measures the time from
  dial to verdict of live calls and of the others (censored at the ring
  timeout), ``forecast.DurationHistogram``, and conditions on the age;
* **p_live**: the share of dials that came back live, counted by dial
  second once the dials have settled, a slow average reset by a fast one on a
  detected change (``forecast.LiveShare``): a step of the answered share is
  followed within about a hundred dials, and the dial count per agent follows
  it at once because the rule is written in live calls, not dials;
* **soon**: each busy agent's probability of being ready by the time a call
  dialled now turns live (plus the time a live call has to find an agent),
  from its elapsed talk or wrap-up and the talk and wrap-up durations measured
  so far: Issabel's "agents about to free", the EIS patent's busy agents
  weighted by their probability of freeing (REFERENCE.md section 4);
* **gain**: live calls on their way per available agent. It is learnt
  online by a stochastic-approximation step on every resolved live call
  (up on a connect, down on an abandon) that settles where the share of
  live calls abandoned equals the aim, c x targetRate. The margin c < 1
  depends on how many drops D a window holds at the target: c x D is the
  largest Poisson mean of drops per window that leaves at most 3% of
  windows over floor(D) (0.25 for five agents, 0.60 for twenty, 0.80 for a
  hundred, at 3% over an hour), so that >= 95% of the windows stay at or
  under the target (the budget below lets a few more through). A call the
  agent dispositions as a machine (AMD false negative) is taken back out of
  the count and of the gain. On a detected change of the live share the gain
  goes back to its value of a few minutes before (the change's drops say
  nothing about it) and is held for two minutes;
* **the window budget**: in the current evaluation window (aligned to the
  clock, like an audit's windows), drops left = 0.97 x target x (live calls
  so far + on their way + expected in the rest of the window, the last two
  counted one SD low) - drops so far - drops expected among those on their
  way, spread over the live calls
  still to come. Below the aim the gain is scaled down (by at most 10%);
  with nothing left the pacer dials progressively at ratio 1, where no live
  call can be dropped (VICIdial's ADAPT_HARD_LIMIT fallback, REFERENCE.md section 4),
  until the next window. A small team's window holds two or three drops,
  and once they are spent no more are risked;
* **a rise of the answered share** is seen within a minute from the live
  verdicts as they arrive against their forecast (``change.LiveArrivalCusum``)
  and bridges the live share until ``LiveShare`` has seen it; **a spent
  budget** keeps a throttled pace when progressive dialling would leave too
  few live calls for the drops already made (``_rescue``); **a team too
  small to predict** (a window holding fewer than two drops at the target,
  ``too_small``) dials progressively;
* idle agents are held back from breaks while promised to live calls on
  their way; during the warm-up (the first settled dials and live calls)
  the pacer dials progressively.
"""

from __future__ import annotations

import contextlib
import math
from collections import deque

import numpy as np

from dialer.pacing.base import DialerView, Pacer
from dialer.pacing.change import LiveArrivalCusum
from dialer.pacing.forecast import DurationHistogram, LiveShare


def _poisson_sf(k: int, mu: float) -> float:
    """P(X > k) for X ~ Poisson(mu) (normal approximation for large k)."""
    if k > 400:
        return 0.5 * math.erfc((k + 0.5 - mu) / math.sqrt(2.0 * mu))
    term = total = math.exp(-mu)
    for i in range(1, k + 1):
        term *= mu / i
        total += term
    return max(1.0 - total, 0.0)


class Predictive(Pacer):
    name = "predictive"
    wake_on_agent_free = True

    WARMUP_LIVE = 10  # live calls resolved before the estimates are trusted
    WARMUP_DIALS = 100  # settled dials
    P_LIVE_PRIOR = 0.25
    FAST_HALF_LIFE = 150.0  # dials
    SLOW_HALF_LIFE = 4000.0  # dials
    ALPHA = 0.3  # weight of busy agents about to free, next to idle ones
    GAIN_START = 0.3  # live calls on their way per idle agent, at first (at most: see first_gain)
    # The gain the pacer settles at grows with the team like 0.06 n^0.6
    # (medians after the second hour, exponential and lognormal talk, 5-50
    # agents: 0.14, 0.22, 0.34, 0.62); the first gain is a bit under it.
    FIRST_GAIN_SCALE, FIRST_GAIN_POWER = 0.05, 0.6
    GAIN_BOUNDS = (0.02, 5.0)
    STEP_START, STEP_MIN, STEP_DECAY = 0.01, 0.0003, 200.0  # SA step per live call
    # After a change of the live share the step restarts as if only this
    # many live calls had been seen (0.005 instead of ~0.001 at midday): the
    # gain the old share settled at is wrong for the new one, and at the
    # day's small step it took the hour after a step down over the target
    # (docs/pacing.md, "Relearning after a change").
    STEP_REWARM = 200.0
    CHANGE_LOOKBACK = 180.0  # seconds: the gain restored after a change of the live share
    CHANGE_QUIET = 120.0  # seconds without gain steps after it
    RATE_HALF_LIFE = 600.0  # seconds, for the rate of live calls
    MARGIN_BOUNDS = (0.15, 0.9)  # above 0.9 the aim sits too close to the budget: cliffs
    HARD_SHARE = 0.97  # the window's budget: throttle before it exceeds this x target
    # The setpoint's margin: the Poisson mean of drops per window that leaves
    # at most this share of windows over the target (docs/pacing.md: 5%
    # left 8% of five-agent hours over 3%, the budget adding its own; 3%
    # left 1.9% of later hours over, 2% 1.4%, at 1.5 points of occupancy
    # at five agents and none at 20 and 100).
    OVER_RISK = 0.05
    # ... but where a window holds few drops at the target, a clump of two
    # (live calls answered together with one idle agent) is a large share
    # of the budget and the budget cannot stop it: 2% below four whole
    # drops, rising to OVER_RISK at six (``over_risk``).
    OVER_RISK_SMALL = 0.02
    RISK_RAMP = (3, 6)  # whole drops per window: OVER_RISK_SMALL up to the first, OVER_RISK from the second
    COUNT_Z = 1.0  # the window's live calls still to come, counted this many SDs low
    SMALL_OCCUPANCY = 0.65  # the predictive pace's occupancy at five agents (measured 0.62-0.66)
    SMALL_DROPS = 2.0  # a window that cannot hold two drops at the target: progressive
    PROGRESSIVE_SHARE = 0.6  # live calls per second progressive / predictive (measured ~0.55 at five agents)
    RESCUE_SHARE = 0.25  # of the aim, when going progressive would sink the window
    THROTTLE_POWER = 0.4  # drops grow like gain^2.5: gain scaled by share^0.4
    THROTTLE_FLOOR = 0.9  # ... but not below this share of the gain until the budget is spent
    BRIDGE = 180.0  # seconds the arrivals' estimate stands in for LiveShare's after a rise
    BRIDGE_MAX = 600.0  # ... or longer while LiveShare's fast average backs it (``live_share``), up to this
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
        self.room = threshold  # running mean of the time from live verdict to deadline
        # Seconds since the epoch at the run's time 0, modulo the window:
        # budget windows then fall on the clock's hours like an audit's.
        self.clock_offset = clock_offset % window_seconds
        self.max_age = int(ring_timeout) + 90
        self.settle_age = int(ring_timeout) + 10  # seconds after which a dial has resolved
        self.live = LiveShare(self.P_LIVE_PRIOR, self.FAST_HALF_LIFE, self.SLOW_HALF_LIFE)
        self.live_delay = DurationHistogram(self.max_age, prior_mean=10.0)
        self.other_delay = DurationHistogram(self.max_age, prior_mean=ring_timeout)
        self.talk = DurationHistogram(self.TALK_BINS, prior_mean=150.0)
        self.wrap = DurationHistogram(self.WRAP_BINS, prior_mean=10.0)
        self.outstanding: dict[int, int] = {}  # dial second -> dials not yet resolved
        self.by_second: dict[int, list[int]] = {}  # dial second -> [dials, live so far]
        self.wrap_starts: list[float] = []
        self.resolved_live = 0
        self._step_n = 0.0  # live calls behind the learning step's size
        self.gain = self.GAIN_START
        # The evaluation window being budgeted.
        self.win_index = -1
        self.win_live = self.win_drops = 0
        self.live_rate = 0.0  # live calls resolved per second
        self._live_since = 0
        self._last_rate_update = 0.0
        self._c = 0.8
        self._c_rate = -1.0  # the live rate self._c was computed for
        self._margins: dict[int, float] = {}  # drops a window holds (whole) -> Poisson mean allowed
        self._last_step = 0.0  # the gain's last step up on a connect
        self._soon_at, self._soon = -1, 0.0
        # expected_soon's talking part, reused while its inputs stay the same.
        self._talk_key: tuple[int, int | None] = (-1, None)
        self._talk_ft: np.ndarray | None = None
        self._talk_src: np.ndarray | None = None
        self._talk_part = 0.0
        self._cells = np.empty(0, dtype=np.int64)
        self._cell_values = np.empty(0)
        self._pi_p = -1.0
        self._pi: list[float] = []
        self._gain_history: deque[tuple[float, float]] = deque()  # (time, gain) every 30 s
        self._changes_seen = 0
        self._quiet_until = 0.0
        self._last_s = 0.0
        self._rescued = False  # the window's budget is spent but progressive dialling would sink it
        self._last_level = 1.0
        self._sized = False  # the first gain scaled to the team (first_gain)
        # Live verdicts as they arrive against their forecast, per second.
        self.arrivals = LiveArrivalCusum()
        self._arrived = 0  # live verdicts since the last tick
        self._tick = -1  # the second of the last tick
        self._due = 0.0  # live verdicts forecast per second at the last tick
        self._bridge, self._bridge_until = 0.0, -1.0  # the share seen by the arrivals' CUSUM, and until when
        self._bridge_end = -1.0  # ... and until when at most
        self._build_tables()

    # -- observations ---------------------------------------------------------

    def on_dials(self, count: int, now: float) -> None:
        key = int(now)  # the dial second: ring ages int(now) - key are never negative
        self.outstanding[key] = self.outstanding.get(key, 0) + count
        tally = self.by_second.get(key)
        if tally is None:
            self.by_second[key] = [count, 0]
        else:
            tally[0] += count

    def on_dial_resolved(self, live: bool, now: float, t_dial: float = float("nan")) -> None:
        self.on_dials_resolved(live, 1, now, t_dial)

    def on_dials_resolved(self, live: bool, count: int, now: float, t_dial: float = float("nan")) -> None:
        if t_dial != t_dial:
            return
        key = int(t_dial)
        left = self.outstanding.get(key, 0) - count
        if left > 0:
            self.outstanding[key] = left
        else:
            self.outstanding.pop(key, None)
        if live:
            self._arrived += count
            tally = self.by_second.get(key)
            if tally is not None:
                tally[1] += count
        hist = self.live_delay if live else self.other_delay
        hist.add(now - t_dial, count)
        if live:
            self._maybe_refresh(hist)

    def on_live_verdict(self, clock_start: float, now: float) -> None:
        # The time a queued live call has to find an agent: the threshold
        # from its clock start, which may lie before or after the verdict.
        if clock_start == clock_start:
            room = max(clock_start + self.threshold - now, 0.0)
            self.room += (room - self.room) * 0.01

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        self.resolved_live += 1
        self._step_n += 1
        self._live_since += 1
        self._roll_window(now)
        self.win_live += 1
        self.win_drops += abandoned
        # Stochastic approximation: E[step] = 0 where P(abandon) = aim. Not
        # while a change of the answered share is being absorbed: the drops
        # it causes say nothing about the gain.
        aim = self._c * self.target
        if aim > 0 and self.resolved_live > self.WARMUP_LIVE and now >= self._quiet_until:
            eta = max(self.STEP_MIN, self.STEP_START / (1.0 + self._step_n / self.STEP_DECAY))
            self._last_step = eta
            g = self.gain * math.exp(eta * (aim - abandoned) / aim)
            self.gain = min(max(g, self.GAIN_BOUNDS[0]), self.GAIN_BOUNDS[1])

    def on_talk_end(self, talk_seconds: float, now: float, machine: bool = False) -> None:
        if machine:
            # Put through as a person, but a machine by the agent's
            # disposition: not a live call in the abandonment rate (US
            # definition), so out of the window's count.
            self._roll_window(now)
            self.win_live = max(self.win_live - 1, 0)
            self.gain *= math.exp(-self._last_step)  # and not a connect for the gain either
        self.talk.add(talk_seconds)
        self.wrap_starts.append(now)
        self._maybe_refresh(self.talk)

    def on_wrap_end(self, wrap_start: float, now: float) -> None:
        with contextlib.suppress(ValueError):  # not one this pacer counted
            self.wrap_starts.remove(wrap_start)
        self.wrap.add(now - wrap_start)
        self._soon_at = -1  # this agent is idle now, no longer "about to free"

    def _count_settled(self, now: float) -> None:
        """Dials old enough to have resolved feed the live share, by dial
        second (outcomes counted as they come would favour live calls, which
        resolve sooner than unanswered ones)."""
        settled = now - self.settle_age
        by_second = self.by_second
        while by_second:
            key = next(iter(by_second))
            if key > settled:
                break
            dials, live = by_second.pop(key)
            self.live.add(live, dials)

    # -- forecast tables --------------------------------------------------------

    def _maybe_refresh(self, hist: DurationHistogram) -> None:
        # Often at first (the first observations change the picture most),
        # then every REFRESH observations.
        if hist.new >= min(self.REFRESH, max(10, hist.n / 2)):
            self._build_tables()

    def _build_tables(self) -> None:
        """The tables a decision reads: P(ringing call of age a is live | not
        resolved yet) needs the survival of the verdict delay of live calls
        and of the others; P(busy agent free within the horizon | elapsed
        talk or wrap-up) for the horizon = median dial-to-live delay + the
        time a live call has to find an agent."""
        for hist in (self.live_delay, self.other_delay, self.talk, self.wrap):
            if hist.new:
                hist.forget()
        s_live = self.live_delay.survival()
        self._s_live_age = s_live.tolist()
        self._s_other_age = self.other_delay.survival().tolist()
        self._pi_p = -1.0  # the P(live | age) table is stale
        self.median_delay = float(np.searchsorted(1.0 - s_live, 0.5)) + 0.5
        h = self.median_delay + self.room
        # Talking agents: free by h if remaining talk + wrap-up <= h.
        s_talk = self.talk.survival()
        wrap_pmf = self.wrap.pmf()
        grid = np.arange(s_talk.size, dtype=float)
        acc = np.zeros(s_talk.size)
        for w in range(min(int(h) + 1, wrap_pmf.size)):
            if wrap_pmf[w] > 0:
                acc += wrap_pmf[w] * (1.0 - np.interp(grid + (h - w), grid, s_talk, right=0.0) / s_talk)
        self._ft = np.concatenate(([0.0], np.clip(acc, 0.0, 1.0)))  # cell 0: not talking
        s_wrap = self.wrap.survival()
        wgrid = np.arange(s_wrap.size, dtype=float)
        self._fw_list = (1.0 - np.interp(wgrid + h, wgrid, s_wrap, right=0.0) / s_wrap).tolist()

    # -- the budget ---------------------------------------------------------------

    def _roll_window(self, now: float) -> None:
        idx = int((now + self.clock_offset) // self.window)
        if idx != self.win_index:
            self.win_index, self.win_live, self.win_drops = idx, 0, 0

    def _update_rate(self, now: float) -> None:
        dt = now - self._last_rate_update
        if dt < 1.0:
            return
        # A plain average over the first RATE_HALF_LIFE seconds (the warm-up
        # burst would weigh too much in a running average), then running.
        keep = 0.5 ** (dt / self.RATE_HALF_LIFE) if now > self.RATE_HALF_LIFE else (now - dt) / now
        self.live_rate = self.live_rate * keep + (self._live_since / dt) * (1.0 - keep)
        self._live_since = 0
        self._last_rate_update = now

    def _margin(self, drops: float) -> float:
        """The setpoint's share c of the target for a window holding ``drops``
        drops at the target: the largest Poisson mean of drops per window
        that leaves at most ``OVER_RISK`` of windows over floor(drops), as a
        share of ``drops`` (the window budget catches most of the rest)."""
        k = int(drops + 1e-9)
        mu = self._margins.get(k)
        if mu is None:
            lo, hi = 0.0, float(k) + 1.0
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if _poisson_sf(k, mid) <= self.over_risk(k):
                    lo = mid
                else:
                    hi = mid
            self._margins[k] = mu = lo
        return min(max(mu / drops, self.MARGIN_BOUNDS[0]), self.MARGIN_BOUNDS[1])

    def over_risk(self, whole_drops: int) -> float:
        """The share of windows the setpoint may leave over the target, for
        a window holding ``whole_drops`` drops at the target. Measured on
        unseen days: at five agents (2 drops) 5% left 95-97% of hours at or
        under 3%, 2% left 98-99%; at 20 agents (10-13) even 5% left 98-100%
        (the window budget truncates the tail the Poisson count assumes),
        and 2% gave up half a point of occupancy for nothing."""
        low, high = self.RISK_RAMP
        share = min(max((whole_drops - low) / (high - low), 0.0), 1.0)
        return self.OVER_RISK_SMALL + (self.OVER_RISK - self.OVER_RISK_SMALL) * share

    def allowed_drop_probability(self, now: float, pipeline_live: float) -> float:
        """The share of the coming live calls the window's budget lets drop:
        the setpoint c x target, less when the window
        has spent too much already."""
        self._roll_window(now)
        target = self.target
        if self.live_rate != self._c_rate:  # the margin moves with the rate of live calls only
            per_window = max(self.live_rate * self.window, 1.0)
            self._c = self._margin(max(target * per_window, 1e-9))
            self._c_rate = self.live_rate
        aim = self._c * target
        end = (self.win_index + 1) * self.window - self.clock_offset
        # Live calls still to come in this window. (In its last seconds the
        # calls dialled now resolve in the next window, but an audit counts
        # them in this one, by dial time: they stay under this budget.)
        coming = self.live_rate * max(end - now - self.median_delay, 0.0)
        committed = self._last_s * pipeline_live  # drops expected among calls on their way
        # The window's live calls, counted low (fewer live calls, fewer drops
        # allowed): a small team's hour holds few, and one drop is a point.
        expected = self.win_live + pipeline_live + coming
        low = expected - self.COUNT_Z * math.sqrt(pipeline_live + coming)
        left = self.HARD_SHARE * target * low - self.win_drops - committed
        self._rescued = False
        if left <= 0:  # the window's budget is spent
            return self._rescue(aim, pipeline_live, coming)
        # (No quarter-hour guard: switching to progressive once a quarter hour
        # had spent twice the target's drops shrank its live calls, the
        # denominator, and left more quarters over 6%, not fewer: measured,
        # docs/pacing.md "The quarter-hour guard, removed".)
        return max(min(aim, left / max(coming, 1.0)), 0.0)

    def _rescue(self, aim: float, pipeline_live: float, coming: float) -> float:
        """With the window's budget spent, progressive dialling drops nobody
        but brings fewer live calls (about half as many, ``PROGRESSIVE_SHARE``),
        and the window's rate is drops over live calls: when the drops
        already made fit under the target only if the live calls keep coming
        at the predictive pace, going progressive makes the window fail for
        sure (measured: five-agent hours with two drops among 54-65 live
        calls). The pacer then keeps dialling at a small share of the aim
        (``RESCUE_SHARE``), which risks a drop but keeps the denominator."""
        live_so_far = self.win_live + pipeline_live
        fits_if_predictive = self.win_drops <= self.target * (live_so_far + coming)
        fits_if_progressive = self.win_drops <= self.target * (live_so_far + self.PROGRESSIVE_SHARE * coming)
        if fits_if_predictive and not fits_if_progressive:
            self._rescued = True  # the gain scaled by RESCUE_SHARE^0.4 (0.57), not floored at 0.9
            return self.RESCUE_SHARE * aim
        return 0.0

    # -- the decision ---------------------------------------------------------------

    def _watch_changes(self, now: float) -> None:
        """Keep the gain's recent values; when the live share is seen to have
        changed, go back to the gain of CHANGE_LOOKBACK seconds ago (before
        the change's drops pulled it down) and hold it for CHANGE_QUIET s."""
        history = self._gain_history
        if not history or now - history[-1][0] >= 30.0:
            history.append((now, self.gain))
            while len(history) > 2 and now - history[1][0] >= self.CHANGE_LOOKBACK:
                history.popleft()
        if self.live.changes != self._changes_seen:
            self._changes_seen = self.live.changes
            if history and now - history[0][0] >= self.CHANGE_LOOKBACK:
                self.gain = max(self.gain, history[0][1])
            self._quiet_until = now + self.CHANGE_QUIET
            self._step_n = min(self._step_n, self.STEP_REWARM)

    def coming_live(self, now: float, waiting: int, p: float) -> float:
        """Expected live calls on their way: waiting callers plus each ringing
        call's probability of being live given its ring age."""
        if p != self._pi_p:  # P(live | age), filled in per age as needed, per value of p
            self._pi = [-1.0] * (self.max_age + 1)
            self._pi_p = p
        pi, top, t = self._pi, self.max_age, int(now)
        sl, so, q = self._s_live_age, self._s_other_age, 1.0 - p
        total = float(waiting)
        for key, count in self.outstanding.items():
            age = t - key
            i = age if age < top else top
            v = pi[i]
            if v < 0.0:
                a = p * sl[i]
                d = a + q * so[i]
                pi[i] = v = a / (d if d > 1e-12 else 1e-12)
            total += count * v
        return total

    def live_hazard(self, now: float, p: float) -> float:
        """Live verdicts the ringing calls should bring in the next second:
        for a call unresolved at ring age a, P(live verdict in [a, a + 1) |
        unresolved at a) = p (S_live(a) - S_live(a + 1)) / (p S_live(a) +
        (1 - p) S_other(a)). The histograms' tables hold S at the middle of
        each 1-second bin (``DurationHistogram.survival``), so S at a whole
        second is the mean of its two neighbours."""
        top, t = self.max_age, int(now)
        sl, so, q = self._s_live_age, self._s_other_age, 1.0 - p
        total = 0.0
        for key, count in self.outstanding.items():
            a = t - key
            if 0 <= a < top:
                l0 = 0.5 * (sl[a - 1] + sl[a]) if a else 1.0
                o0 = 0.5 * (so[a - 1] + so[a]) if a else 1.0
                l1 = 0.5 * (sl[a] + sl[a + 1])
                total += count * p * (l0 - l1) / max(p * l0 + q * o0, 1e-12)
        return total

    def _watch_arrivals(self, now: float) -> None:
        """Once a second: this second's live verdicts against the forecast
        made a second ago. On an alarm (a rise of the answered share) the
        pacer bridges with the estimated new share until ``LiveShare``,
        which counts settled dials, has had time to see it or not."""
        t = int(now)
        if t == self._tick:
            return
        if self._tick >= 0 and self._due > 0.0:
            ratio = self.arrivals.update(float(self._arrived), self._due * (t - self._tick))
            if ratio is not None:
                # The forecast used the share in force (a bridge's, if one is
                # up): the ratio is relative to it, so a second rise lifts it.
                self._bridge = max(self._bridge if now < self._bridge_end else 0.0, self.live_share(now) * ratio)
                self._bridge_until = now + self.BRIDGE
                self._bridge_end = now + self.BRIDGE_MAX
        self._arrived = 0
        self._tick = t
        self._due = self.live_hazard(now, self.live_share(now))

    def live_share(self, now: float) -> float:
        """The share of dials expected live: ``LiveShare``'s, or the bridge's
        if higher while one is up. A bridge stays past ``BRIDGE`` seconds
        (up to ``BRIDGE_MAX``) while ``LiveShare``'s fast average is more
        than halfway from its slow one to the bridge: the rise is real and
        ``LiveShare`` has not reset yet. Lapsing then put a 20-agent team
        back on the old share for a minute after a step, and its drops
        took the quarter hour over 6%."""
        p = self.live.value
        bridge = self._bridge
        if bridge <= p or now >= self._bridge_end:
            return p
        if now < self._bridge_until or self.live.fast - p > 0.5 * (bridge - p):
            return bridge
        self._bridge_end = now  # lapsed: it does not come back on a later swing of the fast average
        return p

    def expected_soon(self, now: float, talk_start: np.ndarray, talk_version: int | None = None) -> float:
        """Busy agents' expected number ready within the horizon (kept for
        the rest of the second unless an agent frees).

        ``talk_version`` (the pool's count of talk starts and ends, if it
        keeps one): the talking agents' part is reused within the second
        while no talk started or ended and the tables stayed. The sums are
        the same numpy reduction and the same left-to-right float additions
        as computing afresh, so the value is the same to the bit."""
        second = int(now)
        if second == self._soon_at:
            return self._soon
        cell = math.floor(now) + 1
        ft = self._ft
        key = (cell, talk_version)
        if talk_version is not None and self._talk_key == key and self._talk_ft is ft and self._talk_src is talk_start:
            soon = self._talk_part
        else:
            cells = self._cells
            if cells.shape != talk_start.shape or cells.dtype != talk_start.dtype:
                self._cells = cells = np.empty_like(talk_start)
                self._cell_values = np.empty(talk_start.shape)
            np.subtract(cell, talk_start, out=cells)
            # ndarray.sum is np.add.reduce behind a Python wrapper: the same sum.
            soon = float(np.add.reduce(ft.take(cells, mode="clip", out=self._cell_values)))
            self._talk_key, self._talk_ft, self._talk_src, self._talk_part = key, ft, talk_start, soon
        fw, top = self._fw_list, len(self._fw_list) - 1
        for w in self.wrap_starts:
            c = int(now - w)
            soon += fw[c if c < top else top] if c > 0 else fw[0]
        self._soon_at, self._soon = second, soon
        return soon

    def dials_wanted(self, view: DialerView) -> int:
        if self.bandwidth <= 0:
            return 0
        now = view.now
        idle = view.idle_agents
        sure = math.floor(min(self.bandwidth, 1.0) * idle + 1e-9) - view.in_flight  # progressive, ratio 1
        # The per-second updates, called only when due (this runs several
        # times a second: every second and whenever an agent frees).
        if now - self._last_rate_update >= 1.0:
            self._update_rate(now)
        by_second = self.by_second
        if by_second and next(iter(by_second)) <= now - self.settle_age:
            self._count_settled(now)
        if self.resolved_live < self.WARMUP_LIVE or self.live.dials < self.WARMUP_DIALS:
            self._last_level = 1.0
            self._arrived = 0
            return sure
        self._watch_arrivals(now)
        if self.too_small(view.available_agents):
            self._last_level = 1.0
            return sure
        if not self._sized and view.available_agents > 0:
            self._sized = True
            self.gain *= self.first_gain(view.available_agents) / self.GAIN_START
        if self.live.changes != self._changes_seen or not self._gain_history or now - self._gain_history[-1][0] >= 30.0:
            self._watch_changes(now)
        p = self.live_share(now)
        coming = self.coming_live(now, view.waiting, p)
        s = self.allowed_drop_probability(now, coming)
        self._last_s = s
        if s <= 0:
            self._last_level = 1.0
            return sure
        throttle = (s / (self._c * self.target)) ** self.THROTTLE_POWER
        gain = self.gain * (throttle if self._rescued else max(throttle, self.THROTTLE_FLOOR))
        pool = view.agents
        talk_version = getattr(pool, "talk_version", None)
        agents = idle + (self.ALPHA * self.expected_soon(now, pool.talk_start, talk_version) if self.ALPHA else 0.0)
        n = math.floor((self.bandwidth * gain * agents - coming) / p)
        self._last_level = gain
        return int(max(n, sure))

    def first_gain(self, agents: int) -> float:
        """The gain to start predicting with, for a team of ``agents``. A
        first gain above the one the pacer settles at spends the first
        window's drops while the learning step is at its largest: at five
        agents a start at 0.3 (more than twice the settled 0.14) put 10% of
        first hours over the target, against 2.5% of later hours; scaled to
        the team, none of 128. Larger teams start at ``GAIN_START``, as before."""
        return min(self.GAIN_START, self.FIRST_GAIN_SCALE * math.pow(max(agents, 1), self.FIRST_GAIN_POWER))

    def too_small(self, agents: int) -> bool:
        """Below the size where prediction is unsafe: at the predictive pace
        (about ``SMALL_OCCUPANCY`` of the team busy) an evaluation window
        would hold fewer than ``SMALL_DROPS`` drops at the target, so a
        second drop takes the window over, and the aim that keeps two drops
        rare leaves little above progressive dialling. The size is read from
        the measured talk and wrap-up (not from the pace, which would feed
        back: a progressive pacer handles fewer calls)."""
        handle = self.talk.mean + self.wrap.mean
        live_per_window = self.SMALL_OCCUPANCY * agents * self.window / max(handle, 1.0)
        return self.target * live_per_window < self.SMALL_DROPS

    def may_release_idle_agent(self, view: DialerView) -> bool:
        """An idle agent may leave (break, end of shift) only if the idle
        agents left still cover the live calls expected on their way."""
        coming = self.coming_live(view.now, view.waiting, self.live_share(view.now))
        return view.idle_agents - 1 >= math.ceil(coming - 1e-9)

    def level(self) -> float:
        """The gain in use: live calls on their way per idle agent."""
        return self._last_level
