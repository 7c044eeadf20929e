"""The engine against queueing theory (REFERENCE.md section 6).

With fixedRate (Poisson) dialling, every answer a person, zero ring and
greeting time and exponential talk, the engine is an M/M/n+G queue. Each case
runs R independent replications (seeds 1..R); the estimate is their mean and
the tolerance 4 standard errors of that mean (a true engine fails a case with
probability about 6e-5), plus 0.005 absolute for the empty-and-idle start of
each replication (warm-up bias, a few hundred seconds out of a 3-day run).
"""

from __future__ import annotations

import math

import numpy as np

from dialer import simulate
from tests.dialer.conftest import queue_doc
from tests.dialer.queueing import erlang_a, erlang_c, erlang_d

REPLICATIONS = 5


def _replicate(**kw) -> dict[str, tuple[float, float]]:
    est = {"p_wait": [], "p_abandon": [], "mean_wait": []}
    for seed in range(1, REPLICATIONS + 1):
        s = simulate(queue_doc(seed=seed, **kw), keep_events=False).summary
        est["p_wait"].append(s["waited_share"])
        est["p_abandon"].append(s["abandonment_rate"])
        est["mean_wait"].append(s["mean_wait_s"])
    out = {}
    for k, v in est.items():
        v = np.asarray(v, dtype=float)
        out[k] = (float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)))
    return out


def _check(measured, theory, keys, bias=0.005, rel_bias=0.0):
    for k in keys:
        mean, se = measured[k]
        tol = 4 * se + bias + rel_bias * abs(theory[k])
        assert abs(mean - theory[k]) <= tol, (
            f"{k}: engine {mean:.5f} +- {se:.5f}, theory {theory[k]:.5f}, tolerance {tol:.5f}"
        )


def test_erlang_a_reference_case():
    lam, talk, n, patience = 1 / 6, 180.0, 28, 60.0
    m = _replicate(rate=lam, talk_mean=talk, agents=n, patience={"exponential": {"mean": patience}}, hours=72)
    _check(m, erlang_a(lam, 1 / talk, n, 1 / patience), ["p_wait", "p_abandon"])
    _check(m, erlang_a(lam, 1 / talk, n, 1 / patience), ["mean_wait"], bias=0.0, rel_bias=0.02)


def test_erlang_a_small_impatient_team():
    # Beyond the reference table: 8 agents at 95% offered load, patience 20 s.
    lam, talk, n, patience = 8 * 0.95 / 120, 120.0, 8, 20.0
    m = _replicate(rate=lam, talk_mean=talk, agents=n, patience={"exponential": {"mean": patience}}, hours=72)
    theory = erlang_a(lam, 1 / talk, n, 1 / patience)
    _check(m, theory, ["p_wait", "p_abandon"])
    _check(m, theory, ["mean_wait"], bias=0.0, rel_bias=0.02)


def test_erlang_c_infinite_patience():
    lam, talk, n = 1 / 15, 60.0, 5
    m = _replicate(rate=lam, talk_mean=talk, agents=n, patience=None, hours=72)
    theory = erlang_c(lam, 1 / talk, n)
    assert m["p_abandon"][0] == 0.0
    _check(m, theory, ["p_wait"])
    # Waits at 80% load are long-range correlated: allow 4 SE plus 3%.
    _check(m, theory, ["mean_wait"], bias=0.0, rel_bias=0.03)


def test_two_second_rule_is_an_m_m_n_plus_d_queue():
    lam, talk, n, tau = 1 / 2, 60.0, 32, 2.0
    m = _replicate(rate=lam, talk_mean=talk, agents=n, patience={"fixed": tau}, hours=24)
    _check(m, erlang_d(lam, 1 / talk, n, tau), ["p_wait", "p_abandon"])
