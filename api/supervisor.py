"""The run supervisor: a thread in the server that launches worker
processes for queued runs, notices workers that died, and recovers runs
left behind by a previous server.

Recovery rule (start-up, and whenever a worker is found dead): a run whose
worker is gone is restarted from the beginning, up to
``settings.max_run_attempts`` attempts, then marked ``failed`` with the
reason. A graceful shutdown terminates the workers and marks their runs
``interrupted``; the next start restarts them. No run stays ``running``
without a live worker.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, update

from campaigns import repository as repo
from campaigns.lifecycle import RUN_TO_CAMPAIGN
from campaigns.models import Campaign, Run

log = logging.getLogger("api.supervisor")

STALE_AFTER = timedelta(seconds=20)


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


class Supervisor:
    def __init__(self, state):
        self.state = state
        self.settings = state.settings
        self.procs: dict[str, subprocess.Popen] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="run-supervisor", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Terminate our workers and mark their runs interrupted."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            procs = dict(self.procs)
            self.procs.clear()
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for run_id, p in procs.items():
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if procs:
            with self.state.session() as s:
                for run_id in procs:
                    run = s.get(Run, run_id)
                    if run is not None and run.status in ("running", "paused", "queued"):
                        run.status = "interrupted"
                        run.error = "the server shut down during the run; it restarts when the server starts again"
                        run.worker_pid = None
            log.info("shutdown: %d run(s) marked interrupted", len(procs))

    # -- recovery -----------------------------------------------------------
    def _requeue_or_fail(self, s, run: Run, reason: str) -> None:
        if self.settings.resume_interrupted and run.attempts < self.settings.max_run_attempts and run.control != "stop":
            run.status = "queued"
            run.worker_pid = None
            run.heartbeat_at = None
            run.error = f"{reason}; restarted from the beginning (attempt {run.attempts + 1} of {self.settings.max_run_attempts})"
            log.info("run %s requeued: %s", run.id, reason, extra={"run_id": run.id})
            return
        final = "stopped" if run.control == "stop" else "failed"
        run.status = final
        run.worker_pid = None
        run.finished_at = datetime.now(timezone.utc)
        run.error = reason if final == "stopped" else f"{reason}; gave up after {run.attempts} attempt(s)"
        campaign = s.get(Campaign, run.campaign_id)
        latest = repo.latest_run(s, campaign_id=run.campaign_id)
        if campaign is not None and latest is not None and latest.id == run.id and campaign.state in ("Running", "Paused"):
            campaign.state = RUN_TO_CAMPAIGN[final]
        log.warning("run %s %s: %s", run.id, final, reason, extra={"run_id": run.id})

    def recover(self) -> None:
        """Runs left by a previous server: adopt live workers, restart or
        fail the others."""
        now = datetime.now(timezone.utc)
        with self.state.session() as s:
            for run in repo.runs_in_status(s, statuses=("running", "paused", "interrupted")):
                if run.status == "interrupted":
                    self._requeue_or_fail(s, run, "interrupted by a server shutdown")
                elif pid_alive(run.worker_pid) and run.heartbeat_at and now - run.heartbeat_at < STALE_AFTER:
                    log.info("run %s: worker %s still alive, adopted", run.id, run.worker_pid)
                else:
                    self._requeue_or_fail(s, run, "its worker process died (server killed or crashed)")

    # -- the loop -----------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._reap()
                self._check_stale()
                self._launch()
            except Exception:  # pragma: no cover - keep supervising
                log.exception("supervisor pass failed")
            self._wake.wait(1.0)
            self._wake.clear()

    def _reap(self) -> None:
        with self._lock:
            done = [(rid, p) for rid, p in self.procs.items() if p.poll() is not None]
            for rid, _ in done:
                del self.procs[rid]
        if not done:
            return
        with self.state.session() as s:
            for rid, p in done:
                run = s.get(Run, rid)
                if run is not None and run.status in ("running", "paused"):
                    self._requeue_or_fail(s, run, f"its worker exited with code {p.returncode} before finishing")

    def _check_stale(self) -> None:
        cutoff = datetime.now(timezone.utc) - STALE_AFTER
        with self._lock:
            ours = set(self.procs)
        with self.state.session() as s:
            for run in repo.runs_in_status(s, statuses=("running", "paused")):
                if run.id in ours:
                    continue
                beat = run.heartbeat_at or run.started_at
                fresh = beat is not None and beat >= cutoff
                if run.worker_pid == 0 and fresh:
                    continue  # claimed by a server process that is starting its worker
                if pid_alive(run.worker_pid):
                    continue  # a worker left by a previous server, still working
                self._requeue_or_fail(s, run, "its worker process is gone")

    def _launch(self) -> None:
        with self._lock:
            free = self.settings.max_workers - len(self.procs)
        if free <= 0 or self._stop.is_set():
            return
        with self.state.session() as s:
            queued = list(
                s.scalars(select(Run).where(Run.status == "queued").order_by(Run.created_at).limit(free))
            )
            claimed = []
            for run in queued:
                new_status = "paused" if run.control == "pause" else "running"
                res = s.execute(
                    update(Run)
                    .where(Run.id == run.id, Run.status == "queued")
                    .values(status=new_status, worker_pid=0, attempts=Run.attempts + 1, heartbeat_at=datetime.now(timezone.utc))
                )
                if res.rowcount == 1:
                    claimed.append(run.id)
        for run_id in claimed:
            self._spawn(run_id)

    def _spawn(self, run_id: str) -> None:
        env = dict(os.environ)
        env["DIALER_DATABASE_URL"] = self.settings.url
        env["DIALER_DATA_DIR"] = str(self.settings.data_dir)
        env["DIALER_RUNS_DIR"] = str(self.settings.run_root)
        env["DIALER_LOG_LEVEL"] = self.settings.log_level
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen([sys.executable, "-m", "api.worker", run_id], env=env, stdin=subprocess.DEVNULL)
        with self._lock:
            self.procs[run_id] = proc
        with self.state.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(worker_pid=proc.pid))
        log.info("run %s: worker %s started", run_id, proc.pid, extra={"run_id": run_id, "pid": proc.pid})
