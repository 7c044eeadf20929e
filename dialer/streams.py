"""Random numbers: per purpose, and for a contact's own randomness per
purpose, contact and attempt (common random numbers).

Two kinds of draws:

- ``ContactDraws`` / ``ContactUniforms``: what belongs to one dial attempt
  of one contact (who answers, when, the greeting, AMD's timing and verdict,
  patience, talk, wrap-up, opt-out, the message). The value for contact
  ``c`` (its index in the contact list) on attempt ``k`` depends only on
  (seed, purpose, c, k), never on the order calls happen in. Two scenarios
  on the same seed (40 or 42 agents, predictive or progressive) therefore
  give the same contact the same answer, talk time and patience, and differ
  only where their decisions differ: paired comparisons share most of their
  noise (docs/engine.md, "Random numbers").
- ``Draws`` / ``Uniforms``: one sequential stream per purpose, for what is
  not a contact's (the gaps of Poisson dialling).

Keyed draws come in blocks of ``BLOCK`` contacts: the block of contacts
``[b * BLOCK, (b + 1) * BLOCK)`` on attempt ``k`` is one vector sampled from a
Philox generator keyed by ``SeedSequence([seed, stream, k])`` with its
counter starting at ``b << 128`` (disjoint ranges, so blocks never overlap),
drawn when first needed and kept in a small cache. The cache only saves
time: an evicted block is drawn again identically. One keyed draw costs a
dict lookup and an index (about 0.1 µs).

Stream numbers are part of the determinism contract: never renumber, never
reuse a number for another purpose; a new purpose takes a new number.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from campaigns.distributions import Distribution

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
    # dialer/amd.py (numbered apart, so other new streams need not wait for these)
    "amd_tone": 40,
    "amd_fault": 41,
    "amd_sit": 42,
}

# Purposes drawn sequentially, not per contact: Poisson dialling's gaps (the
# dialer's, not a contact's) and the synthetic population (campaigns/).
SEQUENTIAL = frozenset({"interarrival", "contacts"})

BLOCK = 4096  # sequential streams: draws per refill
CONTACT_BLOCK_BITS = 11
CONTACT_BLOCK = 1 << CONTACT_BLOCK_BITS  # keyed streams: contacts per block
CONTACT_MASK = CONTACT_BLOCK - 1
_MASK = CONTACT_MASK
# Blocks kept per purpose (2048 contacts x 8 bytes each: 2 MiB per purpose
# at most). Calls in progress touch a few blocks per attempt; a contact list
# swept out of order (a time zone opening) redraws a block, never a value.
CACHE_BLOCKS = 128


def generator(seed: int, purpose: str) -> np.random.Generator:
    """The sequential stream of a purpose."""
    return np.random.default_rng([seed, STREAMS[purpose]])


class Draws:
    """Endless draws of one distribution from one sequential stream. Samples
    come out of a block of 4096 drawn at once and kept as a Python list: one
    list pop per draw costs about 40 ns, a scalar numpy draw about 1 µs."""

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
    """Endless U(0, 1) draws from one sequential stream."""

    __slots__ = ("_buf", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []

    def __call__(self) -> float:
        buf = self._buf
        if not buf:
            buf.extend(self._rng.random(BLOCK).tolist())
        return buf.pop()


class _Keyed:
    """Values keyed by (contact, attempt) for one purpose; see the module
    docstring for how blocks are drawn."""

    __slots__ = ("_bits", "_blocks", "_keys", "_sample", "_seed", "_stream")

    def __init__(self, seed: int, purpose: str, sample: Callable[[np.random.Generator, int], np.ndarray]) -> None:
        if purpose in SEQUENTIAL:
            raise ValueError(f"{purpose!r} is a sequential stream, not a contact's")
        self._seed = seed
        self._stream = STREAMS[purpose]
        self._sample = sample
        self._blocks: dict[int, array[float]] = {}
        self._keys: dict[int, np.ndarray] = {}
        self._bits = np.random.Philox(key=0)

    @property
    def blocks(self) -> dict[int, array[float]]:
        """The cached blocks, by ``(attempt << 32) | (rec >> CONTACT_BLOCK_BITS)``,
        each indexed by ``rec & CONTACT_MASK``: for a hot loop that reads a
        cached value without a call (and calls the stream when the block is
        missing). Read only."""
        return self._blocks

    def __call__(self, rec: int, attempt: int) -> float:
        """The value for contact ``rec`` on its ``attempt`` (1 = first dial)."""
        try:
            return self._blocks[(attempt << 32) | (rec >> CONTACT_BLOCK_BITS)][rec & _MASK]
        except KeyError:
            return self._fill(rec, attempt)

    def _fill(self, rec: int, attempt: int) -> float:
        block = rec >> CONTACT_BLOCK_BITS
        key = self._keys.get(attempt)
        if key is None:
            state = np.random.SeedSequence([self._seed, self._stream, attempt]).generate_state(2, np.uint64)
            key = self._keys[attempt] = np.asarray(state, dtype=np.uint64)
        # Philox is counter-based: setting (key, counter) jumps straight to
        # this block's draws, about a fifth of the cost of a new generator.
        self._bits.state = {
            "bit_generator": "Philox",
            "state": {"counter": np.array([0, 0, block, 0], dtype=np.uint64), "key": key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        values = array("d", self._sample(np.random.Generator(self._bits), CONTACT_BLOCK).tobytes())
        blocks = self._blocks
        if len(blocks) >= CACHE_BLOCKS:
            del blocks[next(iter(blocks))]  # the oldest: calls move forward through the list
        blocks[(attempt << 32) | block] = values
        return values[rec & _MASK]


class ContactDraws(_Keyed):
    """A distribution's value for each (contact, attempt) of one purpose
    (negative samples clipped to 0, as durations)."""

    __slots__ = ()

    def __init__(self, dist: Distribution, seed: int, purpose: str) -> None:
        def sample(rng: np.random.Generator, n: int) -> np.ndarray:
            return np.maximum(np.asarray(dist.sample(rng, n), dtype=np.float64), 0.0)

        super().__init__(seed, purpose, sample)


class ContactUniforms(_Keyed):
    """A U(0, 1) value for each (contact, attempt) of one purpose."""

    __slots__ = ()

    def __init__(self, seed: int, purpose: str) -> None:
        super().__init__(seed, purpose, lambda rng, n: rng.random(n))
