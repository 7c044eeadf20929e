"""Calls ordered by callee number, then time: the order every per-number
rule (re-call bans, frequency caps, cool-offs, duplicates) walks."""

from __future__ import annotations

import math

import numpy as np


def number_time_order(numbers: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The calls with a number (``numbers >= 0``) by number, then time, then
    position: ``np.lexsort((t, numbers))`` without the others, done as one
    sort of a combined integer key when it fits in 63 bits and has no ties."""
    sel = np.flatnonzero(numbers >= 0)
    if sel.size < 2:
        return sel
    num, ts = numbers[sel], t[sel]
    t_lo, t_hi = float(np.min(ts)), float(np.max(ts))
    if math.isfinite(t_lo) and math.isfinite(t_hi) and abs(t_lo) < 2**52 and abs(t_hi) < 2**52:
        n_lo, n_hi = int(num.min()), int(num.max())
        t_span = int(t_hi) - int(t_lo) + 1
        if (n_hi - n_lo + 1) * t_span < 2**62:
            shifted = ts - t_lo
            t_int = shifted.astype(np.int64)
            if np.array_equal(t_int, shifted):  # whole milliseconds
                del ts, shifted
                key = num
                key -= n_lo
                key *= t_span
                key += t_int
                del t_int
                order = np.argsort(key)
                k = key[order]
                ties = bool((k[1:] == k[:-1]).any())
                del k
                if ties:
                    order = np.argsort(key, kind="stable")
                return np.asarray(sel[order])
    return np.asarray(sel[np.lexsort((ts, num))])


def group_starts(keys_sorted: np.ndarray) -> np.ndarray:
    """For each position of a sorted key array, the position where its run of
    equal keys starts."""
    m = keys_sorted.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(m, dtype=bool)
    new[1:] = keys_sorted[1:] != keys_sorted[:-1]
    starts = np.where(new, np.arange(m, dtype=np.int64), 0)
    np.maximum.accumulate(starts, out=starts)
    return starts
