"""Random streams: one ``numpy.random.Generator`` per purpose, drawn in blocks.

Each purpose has a fixed stream number, so adding a feature (a new stream)
never shifts the numbers another purpose sees. Samples come out of a block of
4096 drawn at once and kept as a Python list: one list pop per draw costs
about 40 ns, a scalar numpy draw about 1 µs.
"""

from __future__ import annotations

import numpy as np

from campaigns.distributions import Distribution

# Stream numbers are part of the determinism contract: never renumber.
STREAMS = {
    "outcome": 1,
    "time_to_answer": 2,
    "greeting": 3,
    "machine_greeting": 4,
    "patience": 5,
    "talk": 6,
    "wrap_up": 7,
    "amd_delay": 8,
    "amd_error": 9,
    "opt_out": 10,
    "message": 11,
    "machine_talk": 12,
    "preview_time": 13,
    "interarrival": 14,
    "contacts": 15,
    "busy_signal": 16,
    "amd_silence": 17,
}

BLOCK = 4096


def generator(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[purpose]])


class Draws:
    """Endless draws of one distribution from one stream."""

    __slots__ = ("_buf", "_dist", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist = dist
        self._rng = rng
        self._buf: list[float] = []

    def __call__(self) -> float:
        buf = self._buf
        if not buf:
            block = self._dist.sample(self._rng, BLOCK)
            buf.extend(np.maximum(block, 0.0)[::-1].tolist())
        return buf.pop()


class Uniforms:
    """Endless U(0, 1) draws from one stream."""

    __slots__ = ("_buf", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []

    def __call__(self) -> float:
        buf = self._buf
        if not buf:
            buf.extend(self._rng.random(BLOCK).tolist())
        return buf.pop()
