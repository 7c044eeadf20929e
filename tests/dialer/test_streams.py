"""Random numbers keyed by (seed, purpose, contact, attempt): common random
numbers (dialer/streams.py, docs/engine.md "Random numbers")."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from analysis.sweep import apply_changes
from campaigns.distributions import Lognormal
from dialer import simulate, streams
from dialer.streams import CONTACT_BLOCK, ContactDraws, ContactUniforms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_contacts_value_does_not_depend_on_the_order_of_asking() -> None:
    recs = [5, CONTACT_BLOCK * 3 + 7, 0, CONTACT_BLOCK - 1, CONTACT_BLOCK, 123_456]
    forward = ContactUniforms(7, "outcome")
    backward = ContactUniforms(7, "outcome")
    a = [forward(r, 1) for r in recs]
    b = [backward(r, 1) for r in reversed(recs)][::-1]
    assert a == b
    assert all(0.0 <= u < 1.0 for u in a)
    assert len(set(a)) == len(a)  # distinct contacts, distinct draws


def test_attempts_purposes_and_seeds_get_their_own_values() -> None:
    u = ContactUniforms(7, "outcome")
    assert u(10, 1) != u(10, 2)
    assert u(10, 1) != ContactUniforms(7, "opt_out")(10, 1)
    assert u(10, 1) != ContactUniforms(8, "outcome")(10, 1)
    assert u(10, 1) == ContactUniforms(7, "outcome")(10, 1)


def test_an_evicted_block_comes_back_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "CACHE_BLOCKS", 2)
    u = ContactUniforms(3, "talk")
    first = [u(b * CONTACT_BLOCK + 1, 1) for b in range(5)]  # five blocks through a cache of two
    assert [u(b * CONTACT_BLOCK + 1, 1) for b in range(5)] == first
    assert len(u._blocks) <= 2


def test_keyed_samples_follow_their_distribution() -> None:
    # 20,000 contacts of one attempt: the sample mean within 5 standard errors.
    dist = Lognormal.model_validate({"mean": 180, "sd": 120})
    talk = ContactDraws(dist, 11, "talk")
    x = np.array([talk(r, 1) for r in range(20_000)])
    assert abs(x.mean() - 180) < 5 * 120 / math.sqrt(x.size)
    assert abs(x.std() - 120) < 0.1 * 120
    assert x.min() >= 0


def test_sequential_purposes_are_not_keyed() -> None:
    with pytest.raises(ValueError, match="interarrival"):
        ContactUniforms(1, "interarrival")


def _first_attempts(result) -> dict[int, tuple[str, float, float | None]]:  # type: ignore[no-untyped-def]
    """Per contact answered on its first attempt: the party, the time to
    answer, and the talk time if an agent took the call."""
    ev = result.events
    first = ev.filter(pc.equal(ev["sim_attempt"], 1))
    init = first.filter(pc.equal(first["event_type"], "INITIATED"))
    t0 = dict(zip(init["sim_recipient"].to_pylist(), init["initiation_ts"].to_pylist(), strict=True))
    done = first.filter(pc.equal(first["event_type"], "DISCONNECTED"))
    out = {}
    for row in done.to_pylist():
        if row["connected_to_system_ts"] is None:
            continue
        rec, agent = row["sim_recipient"], row["connected_to_agent_ts"]
        talk = (row["disconnect_ts"] - agent).total_seconds() if agent is not None else None
        out[rec] = (row["sim_party"], (row["connected_to_system_ts"] - t0[rec]).total_seconds(), talk)
    return out


def test_two_staffings_on_one_seed_give_each_contact_the_same_answer() -> None:
    """Common random numbers in the engine: with 5 or 7 agents the dialler
    reaches contacts at other moments, yet every contact answered in both
    runs was answered by the same party after the same ring, and talked as
    long with whichever agent took it (one outcome share all day, so the
    local hour cannot change the party). The former draws in event order
    passed the first two checks (the k-th dial is the same contact at both
    staffings) and failed the talk times (drawn in the order of connects)."""
    changes = {"campaign.schedule.endTime": "2026-12-02T16:00:00Z", "agents.count": 5}
    base = apply_changes(EXAMPLES / "progressive.yaml", changes)
    more = apply_changes(EXAMPLES / "progressive.yaml", {**changes, "agents.count": 7})
    a = _first_attempts(simulate(base, seed=3))
    b = _first_attempts(simulate(more, seed=3))
    both = set(a) & set(b)
    assert len(both) > 50
    assert all(a[r][0] == b[r][0] for r in both)
    # Timestamps are whole milliseconds: a difference of two roundings.
    assert all(a[r][1] == pytest.approx(b[r][1], abs=2.001e-3) for r in both)
    talked = [r for r in both if a[r][2] is not None and b[r][2] is not None]
    assert len(talked) > 20
    assert all(a[r][2] == pytest.approx(b[r][2], abs=2.001e-3) for r in talked)


def test_a_hot_loop_reads_the_cached_blocks_as_the_stream_gives_them() -> None:
    """``_Keyed.blocks`` (read by the engine's dial loop) holds, at the
    documented key and index, exactly the value a call returns."""
    u = ContactUniforms(7, "outcome")
    recs = [3, CONTACT_BLOCK + 5, 3 * CONTACT_BLOCK - 1]
    for rec in recs:
        for attempt in (1, 2):
            value = u(rec, attempt)
            block = u.blocks[(attempt << 32) | (rec >> streams.CONTACT_BLOCK_BITS)]
            assert block[rec & streams.CONTACT_MASK] == value
