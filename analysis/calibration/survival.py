"""Duration fits with censoring, truncation and a share that never ends.

What a contact log shows of a duration is rarely the whole of it: a phone
that rings past the ring timeout is hung up on (the time to answer is cut
off: *truncated*), a caller served by an agent had not yet run out of
patience (*right-censored*), a caller who had already given up when the
dialer finished listening is known only to have given up before then
(*left-censored*), and a machine in the queue never hangs up at all (an
*immune* share). Each fit here is a maximum-likelihood fit that says which
of these applies, so the estimate is of the duration itself, not of the part
the log happened to show.

Families: exponential, lognormal and gamma (those the campaign document
accepts, ``campaigns.distributions``), chosen by AIC. scipy does the
densities and the optimisation (a dev dependency; ``dialer calibrate`` says
so when it is missing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from campaigns.distributions import Distribution, Exponential, Fixed, Gamma, Lognormal

FAMILIES = ("lognormal", "gamma", "exponential")
_TINY = 1e-300


@dataclass
class DurationFit:
    """One fitted duration: family, the distribution the document takes,
    and what the fit rests on."""

    family: str
    mean: float
    sd: float
    loglik: float
    n_exact: float
    n_censored: float
    mean_se: float = math.nan
    aic: float = math.nan
    theta: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def cdf(self, x: float) -> float:
        """P(X <= x) under the fit."""
        if self.family == "fixed":
            return 1.0 if x >= self.mean else 0.0
        return float(_frozen(self.family, np.asarray(self.theta)).cdf(x))

    def distribution(self) -> Distribution:
        """The fit as a campaign-document distribution (rounded to 4 digits)."""
        mean, sd = round(self.mean, 4), round(self.sd, 4)
        if self.family == "fixed":
            return Fixed(value=mean)
        if self.family == "exponential":
            return Exponential(mean_=mean)
        if self.family == "gamma":
            return Gamma(mean_=mean, sd=max(sd, 1e-4))
        return Lognormal(mean_=mean, sd=sd)

    def document(self) -> dict[str, Any]:
        dumped: dict[str, Any] = self.distribution().model_dump(mode="json", by_alias=True)
        return dumped


class _Law:
    """A family at one parameter point, without freezing a scipy
    distribution (building a frozen one costs a millisecond, more than the
    likelihood it would evaluate)."""

    __slots__ = ("args", "dist", "scale")

    def __init__(self, dist: Any, args: tuple[float, ...], scale: float) -> None:
        self.dist, self.args, self.scale = dist, args, scale

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.dist.logpdf(x, *self.args, scale=self.scale)
        return out

    def pdf(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.dist.pdf(x, *self.args, scale=self.scale)
        return out

    def cdf(self, x: Any) -> Any:
        return self.dist.cdf(x, *self.args, scale=self.scale)

    def sf(self, x: Any) -> Any:
        return self.dist.sf(x, *self.args, scale=self.scale)

    def mean(self) -> float:
        return float(self.dist.mean(*self.args, scale=self.scale))

    def std(self) -> float:
        return float(self.dist.std(*self.args, scale=self.scale))


def _frozen(family: str, theta: Any) -> _Law:
    if family == "exponential":
        return _Law(stats.expon, (), math.exp(theta[0]))
    if family == "lognormal":
        return _Law(stats.lognorm, (math.exp(theta[1]),), math.exp(theta[0]))
    if family == "gamma":
        return _Law(stats.gamma, (math.exp(theta[0]),), math.exp(theta[1]))
    raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")


def _start(family: str, x: np.ndarray) -> np.ndarray:
    x = x[x > 0]
    if x.size == 0:
        x = np.array([1.0])
    m = float(np.mean(x))
    v = float(np.var(x)) if x.size > 1 else m * m
    v = max(v, (0.05 * m) ** 2)
    if family == "exponential":
        return np.array([math.log(m)])
    if family == "lognormal":
        lx = np.log(x)
        return np.array([float(lx.mean()), math.log(max(float(lx.std()), 0.05))])
    k = m * m / v
    return np.array([math.log(k), math.log(v / m)])


def _moments(family: str, theta: np.ndarray) -> tuple[float, float]:
    d = _frozen(family, theta)
    return float(d.mean()), float(d.std())


def fit_duration(
    exact: np.ndarray,
    *,
    family: str,
    right: np.ndarray | None = None,
    left: np.ndarray | None = None,
    exact_weights: np.ndarray | None = None,
    right_weights: np.ndarray | None = None,
    truncate_at: float | None = None,
    immune: float = 0.0,
) -> DurationFit:
    """Maximum-likelihood fit of one family.

    ``exact``: durations seen whole; ``right``: known only to exceed these
    (censored); ``left``: known only to be below these; ``truncate_at``:
    every observation was seen only because it was below this (the ring
    timeout, AMD's cap); ``immune``: the known share of subjects for whom
    the event never happens (machines waiting in the queue never hang up)."""
    x = np.asarray(exact, dtype=float)
    r = np.asarray(right if right is not None else [], dtype=float)
    lft = np.asarray(left if left is not None else [], dtype=float)
    wx = np.ones_like(x) if exact_weights is None else np.asarray(exact_weights, dtype=float)
    wr = np.ones_like(r) if right_weights is None else np.asarray(right_weights, dtype=float)
    x = np.maximum(x, 1e-6)
    lft = np.maximum(lft, 1e-6)

    def nll(theta: np.ndarray) -> float:
        try:
            d = _frozen(family, theta)
        except (OverflowError, ValueError):
            return 1e300
        ll = float(np.dot(wx, d.logpdf(x) + math.log1p(-immune))) if x.size else 0.0
        if r.size:
            ll += float(np.dot(wr, np.log(immune + (1 - immune) * d.sf(r) + _TINY)))
        if lft.size:
            ll += float(np.sum(np.log((1 - immune) * d.cdf(lft) + _TINY)))
        if truncate_at is not None:
            ll -= (wx.sum() + wr.sum() + lft.size) * math.log(max(float(d.cdf(truncate_at)), _TINY))
        return -ll if math.isfinite(ll) else 1e300

    pooled = np.concatenate([x, lft, r])
    theta0 = _start(family, pooled)
    res = minimize(nll, theta0)
    theta = res.x
    mean, sd = _moments(family, theta)
    fit = DurationFit(
        family=family,
        mean=mean,
        sd=sd,
        loglik=-float(res.fun),
        n_exact=float(wx.sum()),
        n_censored=float(wr.sum() + lft.size),
        aic=2 * theta.size + 2 * float(res.fun),
        theta=tuple(float(t) for t in theta),
    )
    fit.mean_se = _mean_se(nll, theta, family)
    return fit


def minimize(nll: Any, theta0: np.ndarray) -> Any:
    """Quasi-Newton (L-BFGS-B, numerical gradient: a third of Nelder-Mead's
    likelihood evaluations, measured on a 150,000-dial log), Nelder-Mead
    from its answer when it does not converge (a likelihood that returns
    the 1e300 wall has no gradient there)."""
    res = optimize.minimize(nll, theta0, method="L-BFGS-B", options={"ftol": 1e-12, "gtol": 1e-7})
    if not res.success or not np.isfinite(res.fun) or res.fun >= 1e299:
        start = res.x if np.isfinite(res.fun) and res.fun < 1e299 else theta0
        res = optimize.minimize(
            nll, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000}
        )
    return res


def _mean_se(nll: Any, theta: np.ndarray, family: str) -> float:
    """Standard error of the fitted mean: the inverse numerical Hessian of the
    negative log-likelihood, carried to the mean by the delta method."""
    k = theta.size
    h = 1e-4
    hess = np.zeros((k, k))
    f0 = nll(theta)
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            if i == j:
                val = (nll(theta + ei) - 2 * f0 + nll(theta - ei)) / h**2
            else:
                val = (nll(theta + ei + ej) - nll(theta + ei - ej) - nll(theta - ei + ej) + nll(theta - ei - ej)) / (
                    4 * h**2
                )
            hess[i, j] = hess[j, i] = val
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return math.nan
    grad = np.array(
        [
            (_moments(family, theta + np.eye(k)[i] * h)[0] - _moments(family, theta - np.eye(k)[i] * h)[0]) / (2 * h)
            for i in range(k)
        ]
    )
    var = float(grad @ cov @ grad)
    return math.sqrt(var) if var > 0 else math.nan


def best_fit(exact: np.ndarray, families: tuple[str, ...] = FAMILIES, **kwargs: Any) -> DurationFit:
    """The family with the lowest AIC; the others' AIC in ``extra``. A
    duration that never varies (sd under 1% of the mean, or all zero) is
    ``fixed``: the document's own way of saying so."""
    x = np.asarray(exact, dtype=float)
    if x.size == 0:
        raise ValueError("no observed durations to fit")
    if x.size and kwargs.get("right") is None and kwargs.get("left") is None:
        m, s = float(x.mean()), float(x.std())
        if m <= 1e-3 or s <= 0.01 * m:
            return DurationFit("fixed", max(m, 0.0), 0.0, math.nan, float(x.size), 0.0, mean_se=s / math.sqrt(x.size))
    fits = [fit_duration(x, family=f, **kwargs) for f in families]
    # Lowest AIC; within 2 of it (no real evidence either way) the family
    # with fewer parameters, whose extrapolation beyond the data is tamer.
    lowest = min(f.aic for f in fits)
    best = min((f for f in fits if f.aic <= lowest + 2), key=lambda f: (len(f.theta), f.aic))
    best.extra["aic"] = {f.family: round(f.aic, 2) for f in fits}
    return best


def kaplan_meier(exit_time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None) -> pd.DataFrame:
    """The product-limit survival estimate, with delayed entry (a caller is
    at risk only from ``entry``, when the dialer put them in the queue):
    columns time, at_risk, events, survival (conditional on surviving to
    the earliest entry)."""
    t = np.asarray(exit_time, dtype=float)
    d = np.asarray(event, dtype=bool)
    e = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float)
    times = np.unique(t[d])
    entry_sorted, exit_sorted = np.sort(e), np.sort(t)
    # At risk at time u: entered before u and not yet out (exit >= u).
    at_risk = np.searchsorted(entry_sorted, times, side="left") - np.searchsorted(exit_sorted, times, side="left")
    events = np.bincount(np.searchsorted(times, t[d]), minlength=times.size)
    survival = np.cumprod(1.0 - events / np.maximum(at_risk, 1))
    return pd.DataFrame({"time": times, "at_risk": at_risk, "events": events, "survival": survival})
