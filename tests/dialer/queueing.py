"""Queueing-theory formulas the engine is checked against, written from
REFERENCE.md section 6 (Mandelbaum & Zeltyn 2007 for Erlang A; Zeltyn &
Mandelbaum, Queueing Systems 2005, for M/M/n+D)."""

from __future__ import annotations

import math

from scipy.special import gammainc, gammaln


def erlang_b(n: int, a: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(lam: float, mu: float, n: int) -> dict[str, float]:
    a = lam / mu
    b = erlang_b(n, a)
    p_wait = n * b / (n - a * (1 - b))
    return {"p_wait": p_wait, "p_abandon": 0.0, "mean_wait": p_wait / (n * mu - lam)}


def erlang_a(lam: float, mu: float, n: int, theta: float) -> dict[str, float]:
    a = lam / mu
    rho = a / n
    b = erlang_b(n, a)
    x, y = n * mu / theta, lam / theta
    # A = x e^y y^(-x) gamma(x, y), gamma the lower incomplete gamma function
    # = Gamma(x) * P(x, y) with P the regularised one; computed in logs.
    big_a = math.exp(math.log(x) + y - x * math.log(y) + gammaln(x) + math.log(gammainc(x, y)))
    p_wait = big_a * b / (1 + (big_a - 1) * b)
    p_ab_given_wait = 1 / (rho * big_a) + 1 - 1 / rho
    p_ab = p_ab_given_wait * p_wait
    return {"p_wait": p_wait, "p_abandon": p_ab, "mean_wait": p_ab / theta}


def erlang_d(lam: float, mu: float, n: int, tau: float) -> dict[str, float]:
    """M/M/n+D: every caller leaves after exactly tau seconds of waiting."""
    a = lam / mu
    b = erlang_b(n, a)
    d = lam - n * mu
    j = (math.exp(d * tau) - 1) / d + math.exp(d * tau) / (n * mu)
    p_wait = n * mu * j * b / (1 + (n * mu * j - 1) * b)
    p_ab = p_wait * math.exp(d * tau) / (n * mu * j)
    return {"p_wait": p_wait, "p_abandon": p_ab}
