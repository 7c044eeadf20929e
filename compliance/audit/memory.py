"""Process-wide performance settings while an audit runs (huge pages off,
Arrow's system allocator), restored when the last concurrent audit ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa

_TUNING_LOCK = threading.Lock()
_tuning_depth = 0
_tuning_saved: tuple[Any, ...] = ()  # (numpy's hugepage setter, its old value, Arrow's old pool)


@contextmanager
def audit_memory() -> Iterator[None]:
    """Two process-wide settings, changed while any audit runs and restored
    when the last one ends (a lock and a count, so concurrent audits cannot
    leave them changed); both are performance hints only:

    * numpy asks the kernel for transparent huge pages for every large array;
      the audit makes many short-lived arrays of tens of MB, and faulting (and
      compacting memory for) 2 MiB pages cost more system time than the
      audit's own work;
    * Arrow's default mimalloc pool hands the buffers of each batch read back
      to the kernel and faults them in again for the next; the system
      allocator reuses them (buffers remember their pool, so switching is safe).
    """
    global _tuning_depth, _tuning_saved
    with _TUNING_LOCK:
        if _tuning_depth == 0:
            setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
            hugepages = pool = None
            try:
                if setter is not None:
                    hugepages = setter(False)
            except Exception:  # pragma: no cover - a numpy without the switch
                setter = None
            try:
                pool = pa.default_memory_pool()
                pa.set_memory_pool(pa.system_memory_pool())
            except Exception:  # pragma: no cover
                pool = None
            _tuning_saved = (setter, hugepages, pool)
        _tuning_depth += 1
    try:
        yield
    finally:
        with _TUNING_LOCK:
            _tuning_depth -= 1
            if _tuning_depth == 0:
                setter, hugepages, pool = _tuning_saved
                if setter is not None and hugepages is not None:
                    setter(hugepages)
                if pool is not None:
                    pa.set_memory_pool(pool)
                _tuning_saved = ()
