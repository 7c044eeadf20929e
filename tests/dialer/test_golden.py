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
    ("progressive", 11): "67937008d55cc85a02c01214501d0cdad32ca0b15fe5f391b37675e96bbabd41",
    ("agentless", None): "8b4bb6543e7cd707aeb9a0ad88e15f5ff6023e18e34552642cdd3694a0d6e133",
    ("erlang-a", None): "901b0e0712b0bb71107bcbde86056036b3f0a98937f42b3c620a7f64ff004a9d",
    ("reference-predictive", 11): "0f92587cabb73a96ef1ed88f7ff5c74aa938545af461b29b897ebe2d37d90ef6",
    ("uk-predictive-amd", None): "f738c4e9824d95763f8cff489e0716169dc66715c54cfcec0b61bf85c9306cb7",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
