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
    ("agentless", None): "742b7049cc17203c7651ea8e0948e907994e5460ee7cb7c0b3cb757cb9637f11",
    ("erlang-a", None): "031496bce2a679882dba0db298aaeb395a2c245f46b83b4d3a22f9a1849f7548",
    ("reference-predictive", 11): "49108248300fb21fff299367b120a48ee548f086b261cdb6a7c17e5753c38aa2",
    ("uk-predictive-amd", None): "c847c928575f247f2ea8e5e0a1834576db5e4a7bfdb44855a5fa85a61345ef2c",
}


@pytest.mark.parametrize(("example", "seed"), list(GOLDEN))
def test_events_are_unchanged(example: str, seed: int | None) -> None:
    result = simulate(EXAMPLES / f"{example}.yaml", seed=seed)
    assert events_fingerprint(result.events) == GOLDEN[(example, seed)]
