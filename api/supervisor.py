"""The run supervisor: a thread in every server that claims queued runs from
the database, starts their attempts (local worker processes or Dask tasks),
and takes over runs whose attempt is gone.

Claims and leases (several servers may share one PostgreSQL):

* A queued run is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and an
  UPDATE that raises its ``lease_epoch`` and sets ``lease_owner`` (this
  server) and ``lease_expires_at`` (now + ``DIALER_RUN_LEASE_SECONDS``, by the
  database clock). The worker renews the expiry with its heartbeat; until
  it has started, the claiming server renews it (``_vouch``).
* Every write of the worker carries its epoch in the WHERE (fencing), so an
  attempt that was taken over can change nothing.
* Any server requeues a running/paused run whose lease expired (its server
  or worker died), an ``interrupted`` one (a server shut down), or one whose
  worker process on this host is gone; the next claim restarts it (up to
  ``DIALER_MAX_RUN_ATTEMPTS`` attempts, then it is ``failed``). The restart
  replays the run's recorded segments (see ``api.worker``).

SQLite is the embedded single-server default: a server refuses to start on a
SQLite file another server already serves.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.run_executors import make_executor
from campaigns import repository as repo
from campaigns.lifecycle import RUN_TO_CAMPAIGN
from campaigns.models import Campaign, Run

log = logging.getLogger("api.supervisor")


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


class SQLiteInUse(RuntimeError):
    """Another server already serves this SQLite file."""


def lock_sqlite(url: str) -> int | None:
    """An exclusive lock beside the SQLite file, held while this server runs
    (released by the kernel if it dies); SQLiteInUse if another server holds
    it. None for other databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return None
    lock_path = Path(path + ".serve.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SQLiteInUse(
            f"another `dialer serve` already uses the SQLite database {path}: SQLite is the single-server "
            "default; run replicas on PostgreSQL (DIALER_DATABASE_URL=postgresql+psycopg://...)"
        ) from None
    return fd


class Supervisor:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.settings = state.settings
        self.host = socket.gethostname()
        self.owner = self.settings.replica_id or f"{self.host}:{os.getpid()}"
        self.executor = make_executor(self.settings)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sqlite_lock: int | None = None

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        self._sqlite_lock = lock_sqlite(self.settings.url)
        if self._sqlite_lock is not None and self.settings.run_scheduler:
            log.warning(
                "runs go to Dask at %s but the database is SQLite: only workers on this host can reach it",
                self.settings.run_scheduler,
            )
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="run-supervisor", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop our local workers and mark their runs interrupted (another
        server, or this one when it starts again, restarts them). Runs on a
        Dask cluster keep going."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            held = self.executor.shutdown(timeout)
        if held:
            with self.state.session() as s:
                for run_id, epoch in held:
                    res = s.execute(
                        update(Run)
                        .where(Run.id == run_id, Run.lease_epoch == epoch, Run.status.in_(repo.RUN_HOLDING_STATUSES))
                        .values(
                            status="interrupted",
                            error="the server shut down during the run; it restarts when a server starts again",
                            worker_pid=None,
                            lease_expires_at=None,
                        )
                    )
                    if res.rowcount:
                        repo.end_attempt(s, run_id=run_id, epoch=epoch, outcome="interrupted")
            log.info("shutdown: %d run(s) marked interrupted", len(held))
        if self._sqlite_lock is not None:
            os.close(self._sqlite_lock)
            self._sqlite_lock = None

    # -- taking runs over ---------------------------------------------------
    def _requeue_or_fail(self, s: Session, run: Run, reason: str, outcome: str) -> None:
        repo.end_attempt(s, run_id=run.id, epoch=run.lease_epoch, outcome=outcome)
        run.worker_pid = None
        run.lease_owner = None
        run.lease_expires_at = None
        if self.settings.resume_interrupted and run.attempts < self.settings.max_run_attempts and run.control != "stop":
            run.status = "queued"
            run.heartbeat_at = None
            run.error = f"{reason}; restarted from the beginning (attempt {run.attempts + 1} of {self.settings.max_run_attempts})"
            log.info("run %s requeued: %s", run.id, reason, extra={"run_id": run.id})
            return
        final = "stopped" if run.control == "stop" else "failed"
        run.status = final
        run.finished_at = repo.db_time(s)
        run.error = reason if final == "stopped" else f"{reason}; gave up after {run.attempts} attempt(s)"
        if final == "failed":
            repo.release_requests(s, run_id=run.id)
        campaign = s.get(Campaign, run.campaign_id)
        latest = repo.latest_run(s, campaign_id=run.campaign_id)
        if (
            campaign is not None
            and latest is not None
            and latest.id == run.id
            and campaign.state in ("Running", "Paused")
        ):
            campaign.state = RUN_TO_CAMPAIGN[final]
        log.warning("run %s %s: %s", run.id, final, reason, extra={"run_id": run.id})

    def _worker_dead(self, run: Run) -> bool:
        """The run's worker ran on this host and its process is gone (no
        need to wait for the lease to expire)."""
        if self.executor.holds(run.id):
            return False
        return run.worker_host == self.host and bool(run.worker_pid) and not pid_alive(run.worker_pid)

    def _take_over(self) -> None:
        try:
            with self.state.session() as s:
                for run_id in repo.end_frozen_workers(s):
                    log.warning(
                        "run %s: its lease expired with its worker frozen inside a transaction; that session was ended",
                        run_id,
                        extra={"run_id": run_id},
                    )
        except Exception:  # e.g. not allowed to end another session: the takeover waits for the worker
            log.exception("could not end the sessions of frozen workers")
        with self.state.session() as s:
            for run in repo.runs_to_take_over(s, host=self.host, is_dead=self._worker_dead):
                if run.status == "interrupted":
                    self._requeue_or_fail(s, run, "interrupted by a server shutdown", "interrupted")
                elif self._worker_dead(run):
                    self._requeue_or_fail(s, run, "its worker process died (server killed or crashed)", "worker died")
                else:
                    self._requeue_or_fail(
                        s,
                        run,
                        f"its lease (held by {run.lease_owner}) expired: its server or worker stopped renewing it",
                        "lease expired",
                    )

    def recover(self) -> None:
        """At start-up: requeue (or fail) the runs no live attempt holds.
        A worker that outlived its server keeps its lease and finishes."""
        self._take_over()

    # -- the loop -----------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._reap()
                self._vouch()
                self._take_over()
                self._launch()
            except Exception:  # pragma: no cover - keep supervising
                log.exception("supervisor pass failed")
            self._wake.wait(1.0)
            self._wake.clear()

    def _reap(self) -> None:
        with self._lock:
            ended = self.executor.reap()
        if not ended:
            return
        with self.state.session() as s:
            for e in ended:
                run = s.get(Run, e.run_id)
                if run is not None and run.lease_epoch == e.epoch and run.status in repo.RUN_HOLDING_STATUSES:
                    self._requeue_or_fail(
                        s, run, f"{e.failure or 'its worker ended'} before finishing", "worker exited"
                    )

    def _vouch(self) -> None:
        """Renew the leases of our attempts whose worker has not started
        yet (queued on the Dask cluster, or still importing)."""
        with self._lock:
            attempts = self.executor.attempts()
        if attempts:
            with self.state.session() as s:
                for run_id, epoch in attempts:
                    repo.renew_unstarted(s, run_id=run_id, epoch=epoch, lease_seconds=self.settings.run_lease_seconds)

    def _launch(self) -> None:
        with self._lock:
            free = self.settings.max_workers - self.executor.running()
        if free <= 0 or self._stop.is_set():
            return
        if not self.executor.available():
            return  # runs stay queued until the scheduler answers
        with self.state.session() as s:
            claimed = repo.claim_queued_runs(
                s,
                owner=self.owner,
                executor=self.executor.name,
                limit=free,
                lease_seconds=self.settings.run_lease_seconds,
            )
        for run_id, epoch in claimed:
            self._spawn(run_id, epoch)

    def _spawn(self, run_id: str, epoch: int) -> None:
        with self._lock:
            pid = self.executor.submit(run_id, epoch)
        if pid is not None:
            with self.state.session() as s:
                s.execute(
                    update(Run)
                    .where(Run.id == run_id, Run.lease_epoch == epoch, Run.worker_pid == 0)
                    .values(worker_pid=pid, worker_host=self.host)
                )
        log.info(
            "run %s: attempt %s started on %s", run_id, epoch, self.executor.name, extra={"run_id": run_id, "pid": pid}
        )
