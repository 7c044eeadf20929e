"""State-blind Poisson dialling at the rate the M/M/n+D (Erlang) model says
keeps abandonment at a target.

Live calls arriving as a Poisson stream at rate lambda to n agents with
exponential handle times of mean 1/mu, each caller dropped after exactly tau
seconds of waiting, form an M/M/n+D queue (Zeltyn & Mandelbaum 2005;
REFERENCE.md section 6 gives the formulas). The pacer solves
P(Ab)(lambda) = modelTargetRate for lambda with n = the agents available now,
1/mu = the mean talk + wrap-up it has measured, tau = the abandonment
threshold, and dials at lambda / p_live (p_live: the share of dials that came
back live, measured), with exponential gaps between dials. It re-solves every
``RESOLVE_EVERY`` seconds; between, it is blind to the agents' state: the
classic "staffing formula" pacer, and the lower bound a state-aware pacer
must beat (REFERENCE.md section 4 lists its occupancy on the reference
scenario).
"""

from __future__ import annotations

import math

import numpy as np

from dialer.pacing.base import DialerView, Pacer


def erlang_b(n: int, a: float) -> float:
    """Erlang B by the recursion B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1})."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def mmn_d_abandonment(lam: float, mu: float, n: int, tau: float) -> float:
    """P(Ab) of the M/M/n+D(tau) queue (REFERENCE.md section 6)."""
    if n <= 0:
        return 1.0
    nmu = n * mu
    d = lam - nmu
    e = math.exp(min(d * tau, 700.0))
    j = (e - 1.0) / d + e / nmu if abs(d) > 1e-12 else tau + 1.0 / nmu
    b = erlang_b(n, lam / mu)
    wait = nmu * j * b / (1.0 + (nmu * j - 1.0) * b)
    return wait * e / (nmu * j)


def live_rate_for(target: float, mu: float, n: int, tau: float) -> float:
    """The arrival rate of live calls at which P(Ab) equals ``target``
    (P(Ab) grows with the rate: bisection)."""
    if n <= 0:
        return 0.0
    lo, hi = 0.0, n * mu
    while mmn_d_abandonment(hi, mu, n, tau) < target and hi < 1e3 * n * mu:
        lo, hi = hi, hi * 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mmn_d_abandonment(mid, mu, n, tau) < target:
            lo = mid
        else:
            hi = mid
    return lo


class ErlangPoisson(Pacer):
    name = "erlangRate"
    wake_on_agent_free = False

    RESOLVE_EVERY = 60.0  # seconds between re-solving the model
    P_LIVE_PRIOR = 0.25
    HANDLE_PRIOR = 150.0  # seconds of talk + wrap-up before any is measured
    HALF_LIFE = 1000.0  # observations, for both running averages

    def __init__(self, model_target: float, threshold: float, gaps: np.random.Generator) -> None:
        self.model_target = model_target
        self.tau = threshold
        self._gaps = gaps
        self._alpha = 1.0 - 0.5 ** (1.0 / self.HALF_LIFE)
        self.p_live = self.P_LIVE_PRIOR
        self.talk = self.HANDLE_PRIOR
        self.wrap = 0.0
        self._rate = 0.0  # dials per second
        self._agents = -1
        self._next_solve = 0.0

    def on_dial_resolved(self, live: bool, now: float, t_dial: float = float("nan")) -> None:
        self.p_live += self._alpha * ((1.0 if live else 0.0) - self.p_live)

    def on_dials_resolved(self, live: bool, count: int, now: float, t_dial: float = float("nan")) -> None:
        keep = (1.0 - self._alpha) ** count
        self.p_live = self.p_live * keep + (1.0 if live else 0.0) * (1.0 - keep)

    def on_talk_end(self, talk_seconds: float, now: float, machine: bool = False) -> None:
        self.talk += self._alpha * (talk_seconds - self.talk)

    def on_wrap_end(self, wrap_start: float, now: float) -> None:
        self.wrap += self._alpha * ((now - wrap_start) - self.wrap)

    def _solve(self, agents: int) -> None:
        mu = 1.0 / max(self.talk + self.wrap, 1.0)
        live = live_rate_for(self.model_target, mu, agents, self.tau)
        self._rate = live / max(self.p_live, 1e-3)
        self._agents = agents

    def next_delay(self) -> float:
        if self._rate <= 0:
            return 1.0
        return float(self._gaps.exponential(1.0 / self._rate))

    def dials_wanted(self, view: DialerView) -> int:
        agents = view.available_agents
        if view.now >= self._next_solve or agents != self._agents:
            self._next_solve = view.now + self.RESOLVE_EVERY
            self._solve(agents)
        return 1 if self._rate > 0 else 0

    def level(self) -> float:
        return self._rate
