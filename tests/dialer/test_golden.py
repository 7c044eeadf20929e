"""Golden events: every example, same seed, same events, before and after a
change that must keep behaviour (issue 10's redesign was checked this way).

When a change alters the events ON PURPOSE (a new pacing algorithm, a new
field), update the fingerprint here in the same commit and say why in its
message; the history of this file is the history of behaviour changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer import simulate
from tests.dialer.golden import events_fingerprint

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOLDEN = {
    # example, seed: SHA-256 of the events (tests/dialer/golden.py)
    ("progressive", 11): "2f9158e9037da0953fb81d41919088c439713eeba4eb467d7ec9053d193d1dfe",
    ("agentless", None): "8a2d8b010706dbb22d6092ee9021713759b2a53f4eddf45e461065e1eb452ed6",
    ("erlang-a", None): "031496bce2a679882dba0db298aaeb395a2c245f46b83b4d3a22f9a1849f7548",
    ("reference-predictive", 11): "35aee5d02f7052a5156cb9f74e6751d395e62dce1171f43cb90a3826205dd858",
    ("uk-predictive-amd", None): "ae43e560a4031b3fbeea6860ffc4850afafa45e82e55108052b135bf60486f3a",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
