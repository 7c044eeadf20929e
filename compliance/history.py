"""Dial attempts made before a run: what the gate needs to carry a
per-contact cap across runs.

A legal cap such as Florida's "3 calls per 24 hours on the same subject"
counts every call to the person, not only those of the current run. A run
that starts at 09:00 after an earlier run of the same campaign called a
Florida number three times since 10:00 yesterday must not call it again
before 10:00. ``DialHistory`` holds those earlier attempts (number, instant,
whether the callee refused during the call); ``DialGate.seed_history`` loads
them before the first dial.

The history is read from earlier runs' events (``DialHistory.from_events``:
a Parquet or JSON-lines file, a table or a list of envelopes, the same
inputs as the audit, deduplicated the same way) and kept to one campaign
(the "same subject": ``campaign_id``, or several ids sharing a subject).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from compliance.audit.load import load_calls


@dataclass(frozen=True)
class DialHistory:
    """Earlier dial attempts, one per call: the callee's number (E.164 digits
    as int64), the dial's instant (epoch seconds) and whether the callee
    refused further calls during it (``sim_opt_out``)."""

    numbers: np.ndarray
    times: np.ndarray
    opted_out: np.ndarray

    def __post_init__(self) -> None:
        n = np.asarray(self.numbers).shape
        if np.asarray(self.times).shape != n or np.asarray(self.opted_out).shape != n:
            raise ValueError("history: numbers, times and opted_out must have the same length")

    def __len__(self) -> int:
        return int(np.asarray(self.numbers).size)

    @classmethod
    def empty(cls) -> DialHistory:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool))

    @classmethod
    def of(cls, attempts: Iterable[tuple[str | int, float]] | Iterable[tuple[str | int, float, bool]]) -> DialHistory:
        """From ``(number, epoch seconds[, opted_out])`` tuples; a number is
        E.164 text (``+13055550100``) or its digits."""
        nums: list[int] = []
        times: list[float] = []
        outs: list[bool] = []
        for j, item in enumerate(attempts):
            row = tuple(item)
            if len(row) not in (2, 3):
                raise ValueError(f"history[{j}]: expected (number, epoch seconds[, opted_out]), got {item!r}")
            number = str(row[0]).strip().lstrip("+")
            if not number.isdigit():
                raise ValueError(f"history[{j}].number: expected an E.164 number, got {row[0]!r}")
            try:
                t = float(row[1])
            except (TypeError, ValueError):
                raise ValueError(f"history[{j}].time: expected epoch seconds, got {row[1]!r}") from None
            if not np.isfinite(t):
                raise ValueError(f"history[{j}].time: expected epoch seconds, got {row[1]!r}")
            nums.append(int(number))
            times.append(t)
            outs.append(bool(row[2]) if len(row) == 3 else False)
        return cls(np.asarray(nums, dtype=np.int64), np.asarray(times, dtype=np.float64), np.asarray(outs, dtype=bool))

    @classmethod
    def from_events(cls, events: Any, campaign_ids: str | Iterable[str] | None = None) -> DialHistory:
        """The calls in earlier runs' events (any input ``audit`` takes),
        kept to ``campaign_ids`` (the same subject) when given. Raises
        ``AuditInputError`` (a ``ValueError``) for input that cannot be read."""
        calls, _n_events, _findings = load_calls(events)
        t_ms = calls.init if calls.time is None else np.where(np.isnan(calls.init), calls.time, calls.init)
        # An outbound request that expired before its turn was never dialled:
        # ``load_calls`` leaves it out, as it does for the audit.
        keep = (calls.numbers > 0) & ~np.isnan(t_ms)
        if campaign_ids is not None:
            ids = [campaign_ids] if isinstance(campaign_ids, str) else list(campaign_ids)
            keep &= calls.campaign.isin(ids)
        opt_out, known = calls.opt_out
        return cls(
            np.asarray(calls.numbers[keep], dtype=np.int64),
            np.asarray(t_ms[keep], dtype=np.float64) / 1000.0,
            np.asarray((opt_out & known)[keep], dtype=bool),
        )

    def placed_before(self, start: float) -> tuple[DialHistory, float]:
        """The history moved back in one block, when needed, so that its
        last attempt falls one second before ``start`` (epoch seconds), and
        the shift applied (0 when every attempt is already before it).

        Simulated clocks overlap: a campaign run again on the same schedule
        replays the same hours. The service treats its earlier runs as what
        came before this one (docs/service.md, "Earlier runs"): their calls
        keep their order and spacing, only the block moves, so a contact
        called three times in the earlier run is held as if those calls had
        just been made."""
        if len(self) == 0:
            return self, 0.0
        latest = float(np.max(self.times))
        if latest < start:
            return self, 0.0
        shift = latest - start + 1.0
        return DialHistory(self.numbers, np.asarray(self.times, dtype=np.float64) - shift, self.opted_out), shift

    def concat(self, other: DialHistory) -> DialHistory:
        return DialHistory(
            np.concatenate([self.numbers, other.numbers]),
            np.concatenate([self.times, other.times]),
            np.concatenate([self.opted_out, other.opted_out]),
        )


__all__ = ["DialHistory"]
