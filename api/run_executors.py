"""Where run attempts execute: local worker processes (the default) or a
Dask distributed cluster (``DIALER_RUN_SCHEDULER=tcp://host:8786``).

Both take (run id, lease epoch) and report attempts that ended without the
worker saying so (a process that exited, a task that raised); the lease in
the database, not the executor, decides who may write the run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.worker import execute_run
from campaigns.settings import Settings

log = logging.getLogger("api.supervisor")


@dataclass
class Ended:
    """An attempt whose executor finished it: ``failure`` is None when the
    worker ran to its end (it wrote its own final state)."""

    run_id: str
    epoch: int
    failure: str | None


class LocalExecutor:
    """One ``python -m api.worker RUN_ID EPOCH`` process per attempt."""

    name = "local"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}

    def available(self) -> bool:
        return True

    def running(self) -> int:
        return len(self.procs)

    def holds(self, run_id: str) -> bool:
        return run_id in self.procs

    def attempts(self) -> list[tuple[str, int]]:
        return [(rid, e) for rid, (_, e) in self.procs.items()]

    def submit(self, run_id: str, epoch: int) -> int | None:
        """Start the worker; its pid."""
        env = dict(os.environ)
        env["DIALER_DATABASE_URL"] = self.settings.url
        env["DIALER_DATA_DIR"] = str(self.settings.data_dir)
        env["DIALER_RUNS_DIR"] = str(self.settings.run_root)
        env["DIALER_LOG_LEVEL"] = self.settings.log_level
        env["DIALER_RUN_LEASE_SECONDS"] = str(self.settings.run_lease_seconds)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.worker", run_id, str(epoch)], env=env, stdin=subprocess.DEVNULL
        )
        self.procs[run_id] = (proc, epoch)
        return proc.pid

    def reap(self) -> list[Ended]:
        done = [(rid, p, e) for rid, (p, e) in self.procs.items() if p.poll() is not None]
        for rid, _, _ in done:
            del self.procs[rid]
        return [
            Ended(rid, e, None if p.returncode == 0 else f"its worker exited with code {p.returncode}")
            for rid, p, e in done
        ]

    def shutdown(self, timeout: float) -> list[tuple[str, int]]:
        """Terminate the workers; the (run, epoch) attempts they held."""
        procs = dict(self.procs)
        self.procs.clear()
        for p, _ in procs.values():
            if p.poll() is None:
                p.terminate()
        for p, _ in procs.values():
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return [(rid, e) for rid, (_, e) in procs.items()]


class DaskExecutor:
    """Attempts as tasks on a Dask distributed cluster. Tasks are
    fire-and-forget: a run keeps going when the server that submitted it
    stops, and renews its own lease from the Dask worker."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.address: str = settings.run_scheduler or ""
        self.name = self.address
        self.futures: dict[str, tuple[Any, int]] = {}
        self._client: Any = None

    def client(self) -> Any:
        """The connected client; raises OSError/TimeoutError while the
        scheduler is unreachable (the caller keeps the runs queued)."""
        if self._client is None:
            # Imported only by servers configured for Dask: distributed
            # costs ~0.5 s and tens of MB at start-up.
            from distributed import Client

            self._client = Client(self.address, timeout=5, set_as_default=False)
        return self._client

    def available(self) -> bool:
        try:
            self.client()
            return True
        except Exception as exc:
            log.warning("Dask scheduler %s unreachable: %s", self.address, type(exc).__name__)
            return False

    def running(self) -> int:
        return sum(1 for f, _ in self.futures.values() if not f.done())

    def holds(self, run_id: str) -> bool:
        f = self.futures.get(run_id)
        return f is not None and not f[0].done()

    def attempts(self) -> list[tuple[str, int]]:
        return [(rid, e) for rid, (f, e) in self.futures.items() if not f.done()]

    def worker_settings(self) -> dict[str, Any]:
        """What a Dask worker needs to run an attempt (never the server secret)."""
        values = self.settings.model_dump(mode="json")
        values.update(
            database_url=self.settings.url,
            runs_dir=str(self.settings.run_root),
            data_dir=str(self.settings.data_dir.resolve()),
            secret_key=None,
            run_scheduler=None,
        )
        return values

    def submit(self, run_id: str, epoch: int) -> int | None:
        from distributed import fire_and_forget

        fut = self.client().submit(
            execute_run, run_id, epoch, self.worker_settings(), key=f"dialer-run-{run_id}-{epoch}", pure=False
        )
        fire_and_forget(fut)
        self.futures[run_id] = (fut, epoch)
        return None

    def reap(self) -> list[Ended]:
        done = [(rid, f, e) for rid, (f, e) in self.futures.items() if f.done()]
        out = []
        for rid, f, e in done:
            del self.futures[rid]
            failure = None
            if f.status != "finished":
                exc = f.exception() if f.status == "error" else None
                failure = f"its Dask task ended ({f.status}: {type(exc).__name__ if exc else 'no result'})"
            out.append(Ended(rid, e, failure))
        return out

    def shutdown(self, timeout: float) -> list[tuple[str, int]]:
        """Runs on the cluster go on without us (they hold their leases)."""
        self.futures.clear()
        if self._client is not None:
            with contextlib.suppress(Exception):  # the scheduler may be gone already
                self._client.close(timeout=timeout)
            self._client = None
        return []


def make_executor(settings: Settings) -> LocalExecutor | DaskExecutor:
    return DaskExecutor(settings) if settings.run_scheduler else LocalExecutor(settings)
