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
    ("progressive", 11): "50c1d5ae3ccb16bf7469fe09e8f07f80d33aee627560005914d2781d91cf2fac",
    ("agentless", None): "944ff02c6d2c50e93e4f86c06f0418540278f072300ae455128f0da8a554fdc0",
    ("erlang-a", None): "e3f37acdeecb74890b3103ed5aa1e456b0a24a4d3c9ed9ac1c41fb342194d846",
    ("reference-predictive", 11): "f8e5ababf24ba811624458977683b419b9a55e467817bd4aa4cf85e7e6f7e78a",
    ("uk-predictive-amd", None): "d158c573328bc5034ce61a7956f8f3d3e02a0f22722cb4b534dca3c236e9e3ef",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
