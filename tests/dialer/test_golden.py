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
    ("progressive", 11): "9722c92e4dda219d17d34e4535092da190c36aabc9b75ae841a76f00b6569f54",
    ("agentless", None): "fb217f33f535104970c7ab175c62dab6fc675bbedabfabdec87d78e9a17272b2",
    ("erlang-a", None): "535b3e2a8cd8047b6de7ae37f73d0588d6e1581e647e25d6a3093b0ca64f7c5c",
    ("reference-predictive", 11): "2610e2b6750037b2a0e0d88d5f69476c0d52f01395c1560c9447b8078ce25771",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
