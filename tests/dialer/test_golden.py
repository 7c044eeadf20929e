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
    ("progressive", 11): "cb56f7bde9644c03997c2cc7a743193ce68de190be3f148ada4f1dd772a4c3a4",
    ("agentless", None): "35d268db7c5ea1fe1dff0e540f01be7308e051abaa26127e9390def00fac802c",
    ("erlang-a", None): "7df1a8c2502145f570f0fead98309ec03e0fe36599b284149ac28c9fc0a715ac",
    ("reference-predictive", 11): "55d0dd96173ff36c86713c2bfa554862685b8055c1d3a5dac374dbb56b52e879",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
