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
    ("progressive", 11): "1e826b66d776c8775280ce559faa4c9b39b5535b5e954f55f040d0e3b227ac45",
    ("agentless", None): "301a128d6b12b4e1eeb77b1fd247f4d05f3e533a3ec0ff82e4d31beddfa90a73",
    ("erlang-a", None): "6758a239247c69cfffa02c58c66ddc91c85e8159394293f48b196903d7c9d79b",
    ("reference-predictive", 11): "0b0a54851cda8f32ef5bdef57be2a72228b20a84ff621992392f213289473ffc",
    ("uk-predictive-amd", None): "eedd7dad6f8dbfd14ba5edbcc30cbcd9edbc0355b8fb70c40648e966adf96374",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
