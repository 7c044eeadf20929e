"""The formulas themselves, against REFERENCE.md's table (each value there
matched an exact birth-death chain to 10 digits)."""

import pytest

from tests.dialer.queueing import erlang_a, erlang_c, erlang_d


def test_erlang_c_reference_case():
    r = erlang_c(1 / 15, 1 / 60, 5)
    assert r["p_wait"] == pytest.approx(0.55411, abs=5e-6)
    assert r["mean_wait"] == pytest.approx(33.247, abs=5e-4)


def test_erlang_a_reference_case():
    r = erlang_a(1 / 6, 1 / 180, 28, 1 / 60)
    assert r["p_wait"] == pytest.approx(0.51080, abs=5e-6)
    assert r["p_abandon"] == pytest.approx(0.13036, abs=5e-6)
    assert r["mean_wait"] == pytest.approx(7.822, abs=5e-4)


def test_erlang_d_reference_case():
    r = erlang_d(1 / 2, 1 / 60, 32, 2.0)
    assert r["p_wait"] == pytest.approx(0.17326, abs=5e-6)
    assert r["p_abandon"] == pytest.approx(0.08239, abs=5e-6)
