"""Predictive pacing on an abandonment-rate target (Connect's
``abandonmentRate`` strategy).

Each second the pacer forecasts how many agents will be free when the calls
it places now turn live, and dials enough to meet them:

    capacity  = bandwidth * gain * (idle + soon) - waiting
    dials     = (capacity - p_live * ringing) / p_live

* ``p_live`` is the share of dials that come back as live (classified human)
  calls, an exponentially weighted average over recent dials;
* ``soon`` is the expected number of busy agents that finish talk and wrap-up
  within the horizon H (the measured mean time from dial to a live verdict),
  from the talk-time distribution's survival function conditioned on each
  agent's elapsed talk (Issabel's "agents about to free", REFERENCE.md 4);
* ``gain = exp(theta)`` corrects the forecast's bias with the abandonment
  measured from ``connectionStartPoint`` + ``connectionThresholdSeconds``:
  a stochastic-approximation step on every resolved live call
  (theta += eta*s on a connect, theta -= eta*(1-s) on an abandon) settles where
  the abandonment probability equals the setpoint s. The setpoint sits below
  ``targetRate`` by a margin, and falls further while the rate measured over
  the sliding ``evaluationWindow`` runs above it;
* over the target in the window (with enough calls to tell) or during the
  warm-up the pacer falls back to progressive dialling at ratio 1, as real
  dialers do (VICIdial ADAPT_HARD_LIMIT; REFERENCE.md 4).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque

import numpy as np

from dialer.pacing.base import Pacer

# ndarray.sum() without its Python wrapper (this runs every second).
_add_up = np.add.reduce


class Predictive(Pacer):
    name = "predictive"
    wake_on_agent_free = False

    # Tuning (benchmarks/bench_pacing.py measures their effect).
    SETPOINT_SHARE = 0.60  # aim at 60% of the target rate (margin for window-to-window noise)
    ETA = 0.04  # step of the log-gain per resolved live call
    THETA_BOUNDS = (-2.5, 2.0)
    WARMUP_LIVE = 20  # resolved live calls before trusting the estimates
    MIN_WINDOW_LIVE = 40  # live calls in the window before the hard limit applies
    P_LIVE_PRIOR = 0.25
    P_LIVE_HALF_LIFE = 300.0  # dials

    def __init__(
        self,
        *,
        bandwidth: float,
        target_rate: float,
        window_seconds: float,
        talk,
        wrap_mean: float,
        agents,
    ) -> None:
        self.bandwidth = bandwidth  # 0: the campaign gets no agent capacity
        self.target = target_rate
        self.window = window_seconds
        self.agents = agents
        self.theta = -0.5
        self.p_live = self.P_LIVE_PRIOR
        self._alpha = 1 - 0.5 ** (1 / self.P_LIVE_HALF_LIFE)
        self.horizon = 12.0
        self.wrap_mean = wrap_mean
        self.resolved = 0
        self.window_events: deque[tuple[float, bool]] = deque()
        self.window_abandoned = 0
        # Survival of talk time on a 1-second grid up to a generous bound:
        # the per-tick forecast is then a table lookup.
        bound = max(600.0, talk.mean * 20)
        self._grid = np.arange(0.0, bound + 1.0)
        self._survival = np.clip(np.asarray(talk.survival(self._grid), dtype=float), 0.0, 1.0)
        self._last_level = 1.0
        self._tables: dict[int, np.ndarray] = {}

    # -- observations -------------------------------------------------------

    def on_dial_resolved(self, live: bool, now: float) -> None:
        self.on_dials_resolved(live, 1, now)

    def on_dials_resolved(self, live: bool, count: int, now: float) -> None:
        # One exponential-average step per dial, floored.
        p, alpha, x = self.p_live, self._alpha, 1.0 if live else 0.0
        for _ in range(count):
            p += alpha * (x - p)
            if p < 0.005:
                p = 0.005
        self.p_live = p

    def on_live_verdict_delay(self, delay: float) -> None:
        self.horizon += 0.02 * (delay - self.horizon)

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        self.resolved += 1
        ev = self.window_events
        ev.append((now, abandoned))
        if abandoned:
            self.window_abandoned += 1
        self._trim(now)
        n = len(ev)
        setpoint = self.target * self.SETPOINT_SHARE
        if n >= self.MIN_WINDOW_LIVE:
            running = self.window_abandoned / n
            if running > setpoint:
                setpoint = max(setpoint - (running - setpoint), 0.0)
        if abandoned:
            self.theta -= self.ETA * (1.0 - setpoint)
        else:
            self.theta += self.ETA * setpoint
        lo, hi = self.THETA_BOUNDS
        self.theta = min(max(self.theta, lo), hi)

    def _trim(self, now: float) -> None:
        ev = self.window_events
        cutoff = now - self.window
        while ev and ev[0][0] < cutoff:
            if ev.popleft()[1]:
                self.window_abandoned -= 1

    # -- the decision --------------------------------------------------------

    def _hard_limited(self, now: float) -> bool:
        self._trim(now)
        n = len(self.window_events)
        return n >= self.MIN_WINDOW_LIVE and self.window_abandoned / n > self.target

    def _free_table(self, horizon: float) -> np.ndarray:
        """P(a talking agent is free within ``horizon`` plus a mean wrap-up |
        talked e seconds so far) at cell 1 + e for e = 0, 1, 2, ... s,
        cached per horizon rounded to 0.25 s (it drifts slowly): the
        per-second forecast is then one lookup per agent. Cell 0 is 0, for
        agents not talking."""
        key = round(horizon * 4)
        table = self._tables.get(key)
        if table is None:
            s_now = self._survival
            s_then = np.interp(self._grid + key / 4 + self.wrap_mean, self._grid, self._survival, right=0.0)
            table = np.where(s_now > 1e-12, 1.0 - s_then / np.maximum(s_now, 1e-12), 1.0)
            table = np.concatenate(([0.0], table))
            self._tables[key] = table
        return table

    def expected_frees(self, now: float, horizon: float) -> float:
        pool = self.agents
        soon = bisect_right(pool.wrap_ends, now + horizon)
        table = self._free_table(horizon)
        # Cell 1 + elapsed talk in whole seconds (exact on the whole-second
        # ticks the pacer decides on); agents not talking get a hugely
        # negative cell that "clip" maps to cell 0, talk beyond the table
        # its last cell.
        cells = (math.floor(now) + 1) - pool.talk_start
        return soon + float(_add_up(table.take(cells, mode="clip")))

    def dials_wanted(self, view) -> int:
        if self.bandwidth <= 0:
            return 0
        now = view.now
        idle = view.idle_agents
        if self.resolved < self.WARMUP_LIVE or self._hard_limited(now):
            self._last_level = 1.0
            return idle - view.in_flight
        gain = math.exp(self.theta)
        soon = self.expected_frees(now, self.horizon)
        capacity = self.bandwidth * gain * (idle + soon) - view.waiting
        ringing = view.in_flight - view.waiting
        p = self.p_live
        need = (capacity - p * ringing) / p
        n = math.floor(need)
        avail = max(view.available_agents, 1)
        self._last_level = (view.lines_in_use + max(n, 0)) / avail
        return n

    def level(self) -> float:
        return self._last_level
