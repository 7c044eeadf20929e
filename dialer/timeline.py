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
    __slots__ = ("interval", "levels", "last", "integrals", "dials", "pacing", "pacing_n")

    def __init__(self, interval: float, horizon: float) -> None:
        n = max(1, int(math.ceil(horizon / interval)) + 1)
        self.interval = interval
        self.levels = [0, 0, 0, 0]
        self.last = 0.0
        self.integrals = np.zeros((n, 4))
        self.dials = np.zeros(n, dtype=np.int64)
        self.pacing = np.zeros(n)
        self.pacing_n = np.zeros(n, dtype=np.int64)

    def _grow(self, k: int) -> None:
        if k >= self.dials.size:
            extra = k + 1 - self.dials.size + 64
            self.integrals = np.vstack([self.integrals, np.zeros((extra, 4))])
            self.dials = np.concatenate([self.dials, np.zeros(extra, dtype=np.int64)])
            self.pacing = np.concatenate([self.pacing, np.zeros(extra)])
            self.pacing_n = np.concatenate([self.pacing_n, np.zeros(extra, dtype=np.int64)])

    def advance(self, now: float) -> None:
        """Integrate the current levels from the last change up to ``now``."""
        last = self.last
        if now <= last:
            return
        iv = self.interval
        levels = self.levels
        k = int(last // iv)
        end_k = int(now // iv)
        self._grow(end_k)
        if k == end_k:
            row = self.integrals[k]
            dt = now - last
            for j in range(4):
                if levels[j]:
                    row[j] += levels[j] * dt
        else:
            t = last
            while k <= end_k:
                stop = min(now, (k + 1) * iv)
                dt = stop - t
                if dt > 0:
                    self.integrals[k] += np.asarray(levels, dtype=float) * dt
                t = stop
                k += 1
        self.last = now

    def change(self, now: float, which: int, delta: int) -> None:
        self.advance(now)
        self.levels[which] += delta

    def pacing_level(self, now: float, level: float) -> None:
        k = int(now // self.interval)
        self._grow(k)
        self.pacing[k] += level
        self.pacing_n[k] += 1

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
        self.integrals[lo:hi, LINES] += per_bin

    def table(self, start_epoch_ms: int, end: float) -> pa.Table:
        self.advance(end)
        n = max(1, int(math.ceil(end / self.interval)))
        iv = self.interval
        starts = np.arange(n) * iv
        lengths = np.minimum(starts + iv, end) - starts
        lengths = np.where(lengths > 0, lengths, iv)
        avg = self.integrals[:n] / lengths[:, None]
        idle = np.maximum(avg[:, LOGGED_IN] - avg[:, BUSY] - avg[:, ON_BREAK], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pacing = np.where(self.pacing_n[:n] > 0, self.pacing[:n] / np.maximum(self.pacing_n[:n], 1), np.nan)
        return pa.table(
            {
                "interval_start": pa.array(start_epoch_ms + (starts * 1000).astype(np.int64), type=pa.timestamp("ms", tz="UTC")),
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
        return self.integrals.sum(axis=0)
