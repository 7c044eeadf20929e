"""Erlang A (Palm's M/M/n+M queue): the classic staffing formula, for the
staffing optimiser's first guess and its comparison column.

Callers arrive as a Poisson stream at rate ``lam`` (per second) to ``n``
agents with exponential handle times of mean ``1/mu`` and exponential
patience of mean ``1/theta`` (Mandelbaum & Zeltyn, "Service Engineering in
Action: The Palm/Erlang-A Queue", 2007; REFERENCE.md section 6). The number
in the system is a birth-death chain (birth ``lam``, death
``min(k, n) mu + max(k - n, 0) theta``); its stationary law, truncated where
the tail is below 1e-13, gives every figure here with numpy alone (scipy is
an optional dependency). By PASTA an arrival sees the stationary law.

A caller who finds ``i`` people waiting ahead of them (all ``n`` agents busy)
moves up at rate ``n mu + j theta`` while ``j`` are ahead and leaves at rate
``theta``: they reach an agent with probability
``prod_j (n mu + j theta) / (n mu + (j + 1) theta)``, after a sum of
exponential stages; the distribution of that sum (for the service level) is
computed by uniformisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ErlangA", "erlang_a", "staff_erlang_a"]

_TAIL = 1e-13


@dataclass(frozen=True)
class ErlangA:
    """The figures of one M/M/n+M queue (times in seconds)."""

    n: int
    p_wait: float  # an arrival finds every agent busy
    p_abandon: float  # an arrival leaves before reaching an agent
    mean_wait_served: float  # mean wait of the callers who reach an agent
    occupancy: float  # busy agent time / agent time = lam (1 - P(Ab)) / (n mu)
    service_level: float | None  # P(reach an agent within t) over all arrivals; None without t


def _stationary(lam: float, mu: float, n: int, theta: float) -> np.ndarray:
    """The stationary law of the number in system, truncated at a negligible tail."""
    logs = [0.0]
    k = 0
    while True:
        k += 1
        death = min(k, n) * mu + max(k - n, 0) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        if k > n and logs[-1] - max(logs) < math.log(_TAIL):
            break
        if k > n + 100_000:  # theta tiny: practically Erlang C beyond stability
            break
    lp = np.array(logs)
    p: np.ndarray = np.exp(lp - lp.max())
    out: np.ndarray = p / p.sum()
    return out


def _served_within(t: float, n: int, mu: float, theta: float, ahead_max: int) -> np.ndarray:
    """P(reach an agent within ``t`` | ``i`` callers ahead), i = 0..ahead_max,
    by uniformisation of the chain 'callers ahead' killed at rate theta."""
    rates = n * mu + np.arange(ahead_max + 1) * theta  # move up from i ahead (0 ahead -> an agent)
    big = float(rates[-1] + theta)
    down = rates / big
    stay = 1.0 - down - theta / big
    x = big * t
    v = np.zeros(ahead_max + 1)  # P(reached an agent within m steps)
    total = np.zeros(ahead_max + 1)
    m_max = int(x + 10.0 * math.sqrt(x) + 20)
    log_pois = -x  # log P(Poisson(x) = 0)
    for m in range(m_max + 1):
        total += math.exp(log_pois) * v
        nxt = stay * v
        nxt[0] += down[0]
        nxt[1:] += down[1:] * v[:-1]
        v = nxt
        log_pois += math.log(x) - math.log(m + 1) if x > 0 else -math.inf
    if x == 0:
        return np.zeros(ahead_max + 1)
    return total


def erlang_a(lam: float, mu: float, n: int, theta: float, *, t: float | None = None) -> ErlangA:
    """The M/M/n+M figures; ``t``: the service level's threshold in seconds
    (waiting time, from joining the queue)."""
    if lam <= 0:
        return ErlangA(n, 0.0, 0.0, 0.0, 0.0, 1.0 if t is not None else None)
    if n <= 0:
        return ErlangA(n, 1.0, 1.0, 0.0, 0.0, 0.0 if t is not None else None)
    theta = max(theta, 1e-9)
    p = _stationary(lam, mu, n, theta)
    k = np.arange(len(p))
    waiting = np.maximum(k - n, 0)
    p_ab = float((p * waiting).sum() * theta / lam)
    p_wait = float(p[n:].sum())
    ahead = waiting[n:]  # an arrival finding k >= n has k - n ahead
    rates = n * mu + np.arange(int(ahead.max()) + 1) * theta
    step = rates / (rates + theta)
    reach = np.cumprod(step)  # P(reach an agent | i ahead)
    mean_time = reach * np.cumsum(1.0 / (rates + theta))  # E[wait; reached]
    served = 1.0 - p_ab
    wait_served = float((p[n:] * mean_time[ahead]).sum() / served) if served > 0 else math.inf
    occupancy = min(1.0, lam * served / (n * mu))
    sl = None
    if t is not None:
        if t <= 0:
            sl = float(p[:n].sum())
        else:
            within = _served_within(t, n, mu, theta, int(ahead.max()))
            sl = float(p[:n].sum() + (p[n:] * within[ahead]).sum())
    return ErlangA(n, p_wait, p_ab, wait_served, occupancy, sl)


def staff_erlang_a(
    lam: float,
    mu: float,
    theta: float,
    *,
    abandonment: float | None = None,
    mean_wait: float | None = None,
    service_levels: list[tuple[float, float]] | None = None,
    occupancy_max: float | None = None,
    n_max: int = 10_000,
) -> int:
    """The fewest agents whose M/M/n+M figures meet every target given:
    P(Ab) <= ``abandonment``, mean wait of served callers <= ``mean_wait``,
    P(served within t) >= share for each ``(share, t)`` of
    ``service_levels``, occupancy <= ``occupancy_max``. Each figure improves
    with n, so the answer is found by doubling then bisection. 0 when no
    calls come."""
    if lam <= 0:
        return 0

    def ok(n: int) -> bool:
        q = erlang_a(lam, mu, n, theta)
        if abandonment is not None and q.p_abandon > abandonment:
            return False
        if mean_wait is not None and q.mean_wait_served > mean_wait:
            return False
        for share, t in service_levels or []:
            if (erlang_a(lam, mu, n, theta, t=t).service_level or 0.0) < share:
                return False
        return not (occupancy_max is not None and q.occupancy > occupancy_max)

    hi = max(1, math.ceil(lam / mu))
    while not ok(hi):
        if hi >= n_max:
            return n_max
        hi = min(2 * hi, n_max)
    lo = 0  # ok(0) is False: no agent serves nobody
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
