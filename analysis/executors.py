"""Where the runs of a sweep execute: in this process, in local worker
processes (the default), or on a Dask distributed cluster.

An executor takes a picklable top-level function and a list of picklable
tasks and yields ``(index, result)`` pairs as runs finish, in whatever order
they finish, so the caller can save each result at once (that is what makes a
sweep resumable). Exceptions raised by a run are re-raised in the caller.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:  # Dask itself loads only when a Dask executor is made
    from dask.distributed import Client

__all__ = ["DaskExecutor", "Executor", "InlineExecutor", "LocalExecutor", "make_executor"]


class Executor(Protocol):
    """Runs ``fn(task)`` for every task; yields ``(index, result)`` as they finish."""

    @property
    def workers(self) -> int: ...

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]: ...

    def close(self) -> None: ...


class InlineExecutor:
    """Runs every task in the calling process, one after the other (debugging,
    notebooks with tiny runs, or one worker without process start-up)."""

    workers = 1

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "InlineExecutor()"


class LocalExecutor:
    """A pool of local worker processes (``concurrent.futures``).

    Workers are started with ``spawn`` by default: a forked child of a process
    that holds threads (a progress bar, DuckDB, a Dask client) can deadlock.
    At most ``2 * workers`` tasks are in flight, so a large sweep does not
    pickle every document up front and an interruption loses little.
    """

    def __init__(self, workers: int | None = None, *, mp_context: str = "spawn") -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(mp_context))

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        pending: dict[Future[Any], int] = {}
        todo = iter(enumerate(tasks))
        window = 2 * self.workers
        try:
            while True:
                while len(pending) < window:
                    nxt = next(todo, None)
                    if nxt is None:
                        break
                    pending[self._pool.submit(fn, nxt[1])] = nxt[0]
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self.workers})"


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster: pass a ``dask.distributed.Client``
    (left open on close) or a scheduler address such as ``tcp://10.0.0.5:8786``
    (a client is made and closed here). Workers need this package installed
    (the same version), and any ``keep_events`` directory must be a path they
    can write to."""

    def __init__(self, client: Client | None = None, *, address: str | None = None) -> None:
        # Dask loads only when a Dask executor is made: importing
        # dask.distributed costs about 2 s (measured), which local sweeps and
        # every ``import analysis.sweep`` would otherwise pay.
        from dask.distributed import Client

        if (client is None) == (address is None):
            raise ValueError("give exactly one of a dask.distributed.Client or a scheduler address")
        if client is not None:
            self.client, self._owned = client, False
        elif address is not None:
            if not address.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
                raise ValueError(f"scheduler address must look like tcp://HOST:PORT, got {address!r}")
            try:
                self.client = Client(address, timeout="10s")
            except OSError as exc:
                raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
            self._owned = True

    @property
    def workers(self) -> int:
        info: dict[str, Any] = self.client.scheduler_info()
        threads: int = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        return max(1, threads)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from dask.distributed import as_completed  # see __init__: Dask loads lazily

        futures = [
            self.client.submit(fn, task, pure=False, key=f"dialer-run-{i}-{os.urandom(4).hex()}")
            for i, task in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                yield index[fut.key], fut.result()
        finally:
            for fut in futures:
                if not fut.done():
                    fut.cancel()

    def close(self) -> None:
        if self._owned:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        scheduler = getattr(self.client, "scheduler", None)
        return f"DaskExecutor({scheduler.address if scheduler is not None else self.client!r})"


def make_executor(
    *, workers: int | None = None, scheduler: str | None = None, client: Client | None = None
) -> Executor:
    """The executor a user asked for: a Dask client or scheduler address when
    given, else ``workers`` local processes (``workers=0``: in this process)."""
    if client is not None or scheduler is not None:
        if client is not None and scheduler is not None:
            raise ValueError("give either a Dask client or a scheduler address, not both")
        return DaskExecutor(client, address=scheduler)
    if workers == 0:
        return InlineExecutor()
    return LocalExecutor(workers)
