"""Time-weighted levels (agents logged in, busy, on break; lines in use),
integrated exactly per stats interval as they change.

Kept beside the events (DESIGN principle: time-weighted statistics are
collected beside the event rows), so occupancy needs no replay.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

LEVELS = ("agents_logged_in", "agents_busy", "agents_on_break", "lines_in_use")
LOGGED_IN, BUSY, ON_BREAK, LINES = range(4)


class Timeline:
    """Agent levels are integrated level by level, each only when it changes
    (Python floats: a change is a few list operations, no numpy scalar);
    lines in use are integrated per batch of finished calls (``add_calls``)."""

    __slots__ = ("dials", "interval", "levels", "lines", "pacing", "pacing_n", "rows", "since")

    def __init__(self, interval: float, horizon: float) -> None:
        n = max(1, math.ceil(horizon / interval) + 1)
        self.interval = interval
        self.levels = [0, 0, 0]  # agents logged in, busy, on break
        self.since = [0.0, 0.0, 0.0]  # when each level last changed
        self.rows = [[0.0, 0.0, 0.0] for _ in range(n)]  # per interval: logged in, busy, on break
        self.lines = np.zeros(n)
        self.dials = np.zeros(n, dtype=np.int64)
        self.pacing = [0.0] * n
        self.pacing_n = [0] * n

    def _grow(self, k: int) -> None:
        if k >= len(self.rows):
            extra = k + 1 - len(self.rows) + 64
            self.rows.extend([0.0, 0.0, 0.0] for _ in range(extra))
            self.pacing.extend([0.0] * extra)
            self.pacing_n.extend([0] * extra)
        if k >= self.dials.size:
            extra = k + 1 - self.dials.size + 64
            self.lines = np.concatenate([self.lines, np.zeros(extra)])
            self.dials = np.concatenate([self.dials, np.zeros(extra, dtype=np.int64)])

    def _integrate(self, which: int, until: float) -> None:
        """Add level ``which`` from its last change up to ``until``."""
        level = self.levels[which]
        t = self.since[which]
        self.since[which] = until
        if not level or until <= t:
            return
        iv = self.interval
        k = int(t // iv)
        end_k = int(until // iv)
        if end_k >= len(self.rows):
            self._grow(end_k)
        rows = self.rows
        if k == end_k:
            rows[k][which] += level * (until - t)
            return
        while k <= end_k:
            stop = min(until, (k + 1) * iv)
            if stop > t:
                rows[k][which] += level * (stop - t)
            t = stop
            k += 1

    def change(self, now: float, which: int, delta: int) -> None:
        self._integrate(which, now)
        self.levels[which] += delta

    def advance(self, now: float) -> None:
        """Integrate every agent level up to ``now``."""
        for which in (LOGGED_IN, BUSY, ON_BREAK):
            self._integrate(which, max(now, self.since[which]))

    def pacing_level(self, now: float, level: float) -> None:
        k = int(now // self.interval)
        if k >= len(self.rows):
            self._grow(k)
        self.pacing[k] += level
        self.pacing_n[k] += 1

    def _integrals(self) -> np.ndarray:
        n = max(len(self.rows), self.lines.size)
        out = np.zeros((n, 4))
        out[: len(self.rows), :3] = np.asarray(self.rows, dtype=float).reshape(len(self.rows), 3)
        out[: self.lines.size, LINES] = self.lines
        return out

    def add_calls(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Add finished calls' line occupancy [start, end) and their dials,
        vectorised per batch of calls: the hot path then never touches the
        timeline for lines. Per bin, the integral of the number of calls in
        progress is F(b) - F(a) with F(T) = sum(min(end, T) - min(start, T))."""
        ok = ~np.isnan(starts)
        starts, ends = starts[ok], ends[ok]
        if not starts.size:
            return
        iv = self.interval
        k_dial = (starts // iv).astype(np.int64)
        self._grow(int(k_dial.max()))
        np.add.at(self.dials, k_dial, 1)
        lo, hi = int(starts.min() // iv), int(ends.max() // iv) + 1
        self._grow(hi)
        bounds = np.arange(lo, hi + 1, dtype=float) * iv

        def f(xs: np.ndarray) -> np.ndarray:
            xs = np.sort(xs)
            cum = np.concatenate(([0.0], np.cumsum(xs)))
            idx = np.searchsorted(xs, bounds, side="right")
            return cum[idx] + bounds * (xs.size - idx)

        per_bin = np.diff(f(ends) - f(starts))
        self.lines[lo:hi] += per_bin

    def table(self, start_epoch_ms: int, end: float) -> pa.Table:
        self.advance(end)
        n = max(1, math.ceil(end / self.interval))
        self._grow(n)
        integrals = self._integrals()
        pacing_sum = np.asarray(self.pacing[:n], dtype=float)
        pacing_n = np.asarray(self.pacing_n[:n], dtype=np.int64)
        iv = self.interval
        starts = np.arange(n) * iv
        lengths = np.minimum(starts + iv, end) - starts
        lengths = np.where(lengths > 0, lengths, iv)
        avg = integrals[:n] / lengths[:, None]
        idle = np.maximum(avg[:, LOGGED_IN] - avg[:, BUSY] - avg[:, ON_BREAK], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pacing = np.where(pacing_n > 0, pacing_sum / np.maximum(pacing_n, 1), np.nan)
        return pa.table(
            {
                "interval_start": pa.array(
                    start_epoch_ms + (starts * 1000).astype(np.int64), type=pa.timestamp("ms", tz="UTC")
                ),
                "interval_seconds": lengths,
                "agents_logged_in": avg[:, LOGGED_IN],
                "agents_busy": avg[:, BUSY],
                "agents_on_break": avg[:, ON_BREAK],
                "agents_idle": idle,
                "lines_in_use": avg[:, LINES],
                "dials": self.dials[:n],
                "pacing_level": pacing,
            }
        )

    def totals(self, end: float) -> np.ndarray:
        """Integrals over the whole run (agent-seconds, line-seconds)."""
        self.advance(end)
        totals: np.ndarray = self._integrals().sum(axis=0)
        return totals
