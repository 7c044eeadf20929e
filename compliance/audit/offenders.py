"""The calls that broke a rule, as contact ids: earliest first, capped, and
looked up once for every rule at the end (building id strings is the costly
part of a report)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Offenders:
    def __init__(self, t_init: np.ndarray, cap: int) -> None:
        self.t_init = t_init
        self.cap = cap
        self._pending: list[tuple[list[str], np.ndarray]] = []

    def __call__(self, mask: np.ndarray) -> tuple[list[str], int]:
        """(the offenders' ids, filled by ``resolve``; how many there are)."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return [], 0
        count = int(idx.size)
        # Earliest first, so the list reads as a story.
        idx = idx[np.argsort(self.t_init[idx], kind="stable")][: self.cap]
        ids: list[str] = []
        self._pending.append((ids, idx))
        return ids, count

    def resolve(self, contact_ids: Callable[[np.ndarray], list[str]]) -> None:
        """Fill every list handed out with its contact ids."""
        if not self._pending:
            return
        wanted = np.unique(np.concatenate([idx for _, idx in self._pending]))
        found = dict(zip(wanted.tolist(), contact_ids(wanted), strict=True))
        for ids, idx in self._pending:
            ids.extend(found[k] for k in idx.tolist())
