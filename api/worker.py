"""A run worker: ``python -m api.worker RUN_ID EPOCH``, one process per
run attempt (or ``execute_run`` on a Dask worker).

It reads the run from the database, simulates it with ``dialer.simulate``,
writes events to ``<runs_dir>/<run id>/attempt-<epoch>/``
(``events.jsonl.zst`` live, one ``events.parquet`` at the end,
``summary.json``) and records progress, the summary and the final status.
The API steers it through the run's ``control`` column (run / pause /
stop), polled at each progress report; a heartbeat thread renews the run's
lease.

Durability: a run is a sequence of segments. Each segment is recorded
(``run_segments``) in the same transaction that claims its outbound requests,
so what an attempt was given is part of the run, not of the attempt. A
restarted attempt replays the recorded segments exactly (same contacts, same
seed: the engine is deterministic, so the same events), then claims new
requests. Every write is fenced by the lease epoch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from api import livelog, run_history
from api.observability import setup_logging
from campaigns import repository as repo
from campaigns.assembly import contacts_from_rows, merge_contact_lists
from campaigns.contacts import load_contacts
from campaigns.db import make_engine, session_factory, session_scope
from campaigns.document import parse_document
from campaigns.files import atomic_path, private_dir, private_umask, write_atomic
from campaigns.lifecycle import RUN_TO_CAMPAIGN
from campaigns.models import Campaign, ContactListRow, Run, RunSegment
from campaigns.settings import Settings
from compliance.history import DialHistory
from eventbus.runtime import run_sink_for
from eventlog import EVENT_SCHEMA, iter_envelopes

log = logging.getLogger("api.worker")

COUNT_KEYS_SKIP = ("rate", "mean", "p95", "share", "occupancy", "per_agent", "simulated_seconds")


class AppendJsonLines:
    """EventBridge envelopes, one per line, appended across segments to the
    compressed live log (``api.livelog``) and flushed per batch so the live
    stream sees them."""

    def __init__(self, path: Path):
        self.log = livelog.LogWriter(path)

    def write(self, batch: pa.RecordBatch) -> None:
        for env in iter_envelopes(pa.Table.from_batches([batch])):
            self.log.write_line(json.dumps(env, separators=(",", ":")).encode())
        self.log.flush()

    def close(self) -> None:
        """The engine closes its sinks at the end of every segment; the log
        stays open for the next segment (``finish`` closes it)."""
        self.log.flush()

    def finish(self) -> None:
        self.log.close()


def merge_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    if len(summaries) == 1:
        return dict(summaries[0])
    out = dict(summaries[-1])
    for key, value in summaries[-1].items():
        if isinstance(value, int) and not isinstance(value, bool) and not any(s in key for s in COUNT_KEYS_SKIP):
            out[key] = sum(int(s.get(key) or 0) for s in summaries)
    out["segments"] = len(summaries)
    return out


class LeaseLost(repo.LeaseLost):
    """Raised inside the worker when its attempt no longer holds the run."""


def request_accounting(events_path: Path, n_requests: int, summary: dict[str, Any]) -> dict[str, int]:
    """What became of a segment's contacts and of its outbound requests:
    every one given to the engine was dialled (an INITIATED event), expired
    (an EXPIRED disconnect) or not dialled (held back by the gate until the
    schedule ended, or cut off by a stop; ``exclusions`` counts the gate's
    reasons)."""
    contacts = int(summary.get("contacts") or 0)
    attempted = int(summary.get("contacts_attempted") or 0)
    expired = int(summary.get("expired_requests") or 0)
    out = {"contacts_not_attempted": contacts - attempted - expired, "requests_accepted": n_requests}
    if not n_requests:
        return {**out, "requests_dialled": 0, "requests_expired": 0, "requests_not_dialled": 0}
    table = pq.read_table(events_path, columns=["event_type", "disconnect_reason", "sim_client_token"])
    token = table.column("sim_client_token")
    dialled = pc.count_distinct(pc.filter(token, pc.equal(table.column("event_type"), "INITIATED"))).as_py()
    expired_req = pc.count_distinct(pc.filter(token, pc.equal(table.column("disconnect_reason"), "EXPIRED"))).as_py()
    out.update(
        requests_dialled=int(dialled),
        requests_expired=int(expired_req),
        requests_not_dialled=n_requests - int(dialled) - int(expired_req),
    )
    return out


# Outbound requests one segment claims at most (later ones go to the next).
MAX_REQUESTS_PER_SEGMENT = 100_000


class Worker:
    """One attempt (lease epoch) at one run. Every write it makes carries the
    epoch in its WHERE: once another server has taken the run over (after
    this attempt's lease expired), the attempt stops and writes nothing."""

    def __init__(self, run_id: str, settings: Settings, epoch: int | None = None):
        self.run_id = run_id
        self.settings = settings
        # Its sessions are named for the run: once the lease has expired, a
        # server ends those of them left idle inside a transaction (a frozen
        # worker's lock would hide the run from takeover: repo.end_frozen_workers).
        self.engine = (
            make_engine(settings.url, pool_size=2, application_name=repo.worker_application_name(run_id))
            if not settings.url.startswith("sqlite")
            else make_engine(settings.url)
        )
        self.factory = session_factory(self.engine)
        if epoch is None:  # started by hand: run under the current lease
            with session_scope(self.factory) as s:
                epoch = s.scalar(select(Run.lease_epoch).where(Run.id == run_id)) or 0
        self.epoch = int(epoch)
        self.lease_seconds = float(settings.run_lease_seconds)
        self._stop_beat = threading.Event()
        self.lost = threading.Event()
        self.dials_before = 0
        self._last_progress = 0.0
        self._renewed = time.monotonic()
        self.final_status: str | None = None
        # The earlier runs' calls, placed before this run (``_earlier``), and
        # the calls of this run's played segments at their own instants
        # (``_after_segment``): the next segment's gate is seeded with both.
        self.history = DialHistory.empty()
        self.history_about: dict[str, Any] = {}
        self.segment_history = DialHistory.empty()
        self.segments_counted = 0
        # Test seams (tests/api/test_request_race.py): called once the
        # attempt has decided it has nothing left to dial, and inside the
        # final transaction just before it commits.
        self.on_decided_done: Callable[[], None] | None = None
        self.before_final_commit: Callable[[], None] | None = None

    # -- database helpers ---------------------------------------------------
    def _update(self, **values: Any) -> None:
        """Write run columns and renew the lease, fenced by the epoch; a
        refused write means the lease is gone."""
        for attempt in range(5):
            try:
                with session_scope(self.factory) as s:
                    held = repo.renew_lease(
                        s, run_id=self.run_id, epoch=self.epoch, lease_seconds=self.lease_seconds, **values
                    )
                if not held:
                    self.lost.set()
                else:
                    self._renewed = time.monotonic()
                return
            except Exception:  # pragma: no cover - transient lock or connection loss
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _control(self) -> str:
        with session_scope(self.factory) as s:
            run = s.get(Run, self.run_id)
            return "stop" if run is None else run.control

    def _beat(self) -> None:
        interval = min(2.0, self.lease_seconds / 5)
        while not self._stop_beat.wait(interval):
            try:
                self._update()
            except Exception:  # pragma: no cover - database unreachable
                log.warning("heartbeat failed for run %s", self.run_id)
                if time.monotonic() - self._renewed > self.lease_seconds:
                    self.lost.set()  # another server may take the run over now
            if self.lost.is_set():
                log.warning("run %s: attempt %s lost its lease; stopping", self.run_id, self.epoch)
                return

    # -- engine callbacks ---------------------------------------------------
    def progress(self, done: float, total: float, dials: int) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.2 and done < total:
            return
        self._last_progress = now
        self._update(sim_done_s=float(done), sim_total_s=float(total), dials=int(self.dials_before + dials))

    def should_stop(self) -> bool:
        if self.lost.is_set():
            return True
        control = self._control()
        while control == "pause" and not self.lost.is_set():
            time.sleep(0.3)
            control = self._control()
        return control == "stop" or self.lost.is_set()

    def should_stop_nowait(self) -> bool:
        return self.lost.is_set() or self._control() == "stop"

    # -- the run ------------------------------------------------------------
    def run(self) -> str | None:
        """Execute the attempt; the final status, or None when the run was
        not ours to run (or was taken over meanwhile)."""
        try:
            return self._run()
        finally:
            self._stop_beat.set()
            self.engine.dispose()

    def _start(self) -> tuple[dict[str, Any], str, int, Path] | None:
        """Take up the lease: record this process, choose this attempt's
        output directory. None if the lease is not ours, or if this attempt
        already started once elsewhere."""
        with session_scope(self.factory) as s:
            try:
                run = repo.held_run(s, run_id=self.run_id, epoch=self.epoch)
            except repo.LeaseLost:
                return None
            now = repo.db_time(s)
            run_dir = self.settings.run_root / run.id / f"attempt-{self.epoch}"
            run.worker_pid = os.getpid()
            run.worker_host = socket.gethostname()
            run.started_at = run.started_at or now
            run.heartbeat_at = now
            run.lease_expires_at = now + timedelta(seconds=self.lease_seconds)
            run.events_dir = str(run_dir)
            if not repo.record_attempt_start(
                s, run_id=run.id, epoch=self.epoch, host=run.worker_host, pid=run.worker_pid
            ):
                s.rollback()
                return None
            return dict(run.document), run.campaign_id, int(run.seed), run_dir

    def _run(self) -> str | None:
        started = self._start()
        if started is None:
            log.warning("run %s: attempt %s does not hold the lease; not running it", self.run_id, self.epoch)
            return None
        wrapper, campaign_id, seed, run_dir = started
        beat = threading.Thread(target=self._beat, daemon=True)
        beat.start()
        try:
            _fresh_attempt_dir(run_dir)
            doc = parse_document(wrapper["document"], source="run")
            # The engine labels events with campaign.name (dialer/run.py);
            # Connect consumers expect detail.campaign.campaignId to be the id.
            doc.campaign.name = campaign_id
            (run_dir / "document.json").write_text(json.dumps(wrapper["document"], indent=2, default=str))
            self._earlier(doc, wrapper)
            self._play(doc, wrapper, campaign_id, seed, run_dir)
        except repo.LeaseLost:
            log.warning("run %s: attempt %s was taken over; it writes nothing more", self.run_id, self.epoch)
            self._give_up()
            return None
        except Exception as exc:
            if _session_ended_by_a_server(exc):
                # Frozen past its lease inside a transaction: a server ended
                # the session (repo.end_frozen_workers) and takes the run over.
                log.warning(
                    "run %s: attempt %s: a server ended its database session after its lease expired; "
                    "it writes nothing more",
                    self.run_id,
                    self.epoch,
                )
                self._give_up()
                return None
            log.error("run %s failed: %s", self.run_id, type(exc).__name__)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._final("failed", error=detail[:4000])
        return self.final_status

    def _give_up(self) -> None:
        """Record this attempt's end as having lost the lease (fenced: only
        while it still holds it), and write nothing else."""
        try:
            with session_scope(self.factory) as s:
                repo.end_attempt(s, run_id=self.run_id, epoch=self.epoch, outcome="lost the lease")
        except Exception:  # the database may be what cost us the lease
            log.warning("run %s: could not record the end of attempt %s", self.run_id, self.epoch)

    def _earlier(self, doc: Any, wrapper: dict[str, Any]) -> None:
        """The calls of the earlier runs that share this run's subject
        (frozen by the first attempt: api/run_history.py), moved before
        this run's simulated start when the clocks overlap."""
        with session_scope(self.factory) as s:
            run = s.get(Run, self.run_id)
            if run is None:
                raise LeaseLost(f"run {self.run_id} is gone")
            calls = run_history.earlier_calls(s, run, self.settings.run_root)
        start = doc.campaign.schedule.start_time.timestamp()
        self.history, shift = calls.history.placed_before(start)
        self.history_about = calls.describe(run_history.subject_of(wrapper["document"]), shift)
        if calls.runs or calls.unreadable:
            log.info(
                "run %s: %d calls of %d earlier run(s) counted by the caps (%d unreadable), shifted %.0f s",
                self.run_id,
                len(calls.history),
                len(calls.runs),
                len(calls.unreadable),
                shift,
            )

    def _play(self, doc: Any, wrapper: dict[str, Any], campaign_id: str, seed: int, run_dir: Path) -> None:
        """Segments until the run is over, then the outputs and the final
        status. The decision "nothing left" is taken again inside the final
        transaction, under the campaign's lock: a request accepted after the
        first decision sends the attempt back for another segment instead of
        waiting, PENDING, for the campaign's next run."""
        summaries: list[dict[str, Any]] = []
        segment = 0
        while True:
            jsonl = AppendJsonLines(run_dir / livelog.FILE_NAME)  # appends: the live log spans the whole run
            # The tenant's default event bus, when it has rules or archives. A
            # restarted attempt replays its segments, so the bus may see an
            # event twice: EventBridge delivery is at least once too
            # (docs/eventbus.md).
            bus = run_sink_for(self.engine, self.run_id, self.settings.data_dir, self.settings.region)
            try:
                segment = self._segments(doc, wrapper, campaign_id, seed, run_dir, (jsonl, bus), summaries, segment)
            finally:
                # Closed before the final status is written: a client that
                # sees the run finished sees every event delivered.
                jsonl.finish()
                if bus is not None:
                    bus.shutdown()
            if self.lost.is_set():
                raise LeaseLost(f"run {self.run_id}: attempt {self.epoch} lost its lease")
            if self.on_decided_done is not None:
                self.on_decided_done()
            if self._finish(summaries, run_dir):
                return
            log.info("run %s: outbound requests arrived as it was ending; dialling them", self.run_id)

    def _segment(
        self, campaign_id: str, segment: int, seed: int, list_id: str | None, doc_contacts: bool
    ) -> tuple[RunSegment, list[Any], list[Any]] | None:
        """Segment ``segment``: the one recorded by an earlier attempt
        (replayed exactly), or a new one claimed now. (segment row, list
        contacts, requests), or None when there is nothing to claim."""
        with session_scope(self.factory) as s:
            seg = s.get(RunSegment, (self.run_id, segment))
            if seg is None:
                seg = repo.claim_segment(
                    s,
                    run_id=self.run_id,
                    campaign_id=campaign_id,
                    epoch=self.epoch,
                    segment=segment,
                    seed=seed + segment,
                    contact_list_id=list_id if segment == 0 else None,
                    document_contacts=doc_contacts and segment == 0,
                    limit=MAX_REQUESTS_PER_SEGMENT,
                )
                if seg is None:
                    return None
            requests = repo.segment_requests(s, run_id=self.run_id, segment=segment) if seg.request_count else []
            if len(requests) != seg.request_count:
                raise RuntimeError(
                    f"segment {segment} of run {self.run_id} claimed {seg.request_count} outbound requests "
                    f"but {len(requests)} are stored (were some deleted?)"
                )
            list_rows = []
            if seg.contact_list_id:
                if s.get(ContactListRow, seg.contact_list_id) is None:
                    raise RuntimeError(
                        f"contact list {seg.contact_list_id} of this run was deleted; the run cannot be replayed"
                    )
                list_rows = repo.all_contacts(s, list_id=seg.contact_list_id)
            s.expunge_all()
        return seg, list_rows, requests

    def _more_to_do(self, campaign_id: str, segment: int) -> bool:
        """A recorded segment still to replay, or requests waiting."""
        with session_scope(self.factory) as s:
            if s.get(RunSegment, (self.run_id, segment)) is not None:
                return True
            return repo.pending_request_count(s, campaign_id=campaign_id) > 0

    def _segments(
        self,
        doc: Any,
        wrapper: dict[str, Any],
        campaign_id: str,
        seed: int,
        run_dir: Path,
        sinks: tuple[AppendJsonLines, Any],
        summaries: list[dict[str, Any]],
        segment: int,
    ) -> int:
        """Play the run's segments from ``segment`` on: first those an
        earlier attempt recorded, then new ones, each claiming the PENDING
        requests in the same transaction that records it. Appends to
        ``summaries``; the number of the next segment."""
        # The engine loads in the worker only: the server imports this module
        # (api.run_executors) and would carry the engine's ~40 MB (measured).
        from dialer import simulate

        jsonl, bus = sinks
        api_driven = bool(wrapper.get("apiDriven"))
        while not self.lost.is_set():
            got = self._segment(
                campaign_id, segment, seed, wrapper.get("contactListId"), doc.simulation.contacts is not None
            )
            if got is None:
                if not api_driven or self.should_stop_nowait():
                    break
                time.sleep(0.5)
                continue
            seg, list_rows, requests = got
            contacts = contacts_from_rows(doc, list_rows, requests)
            if seg.document_contacts:
                contacts = merge_contact_lists(load_contacts(doc), contacts)
            stopped = False
            if contacts is not None:
                out = run_dir / f"segment-{segment:04d}"
                result = simulate(
                    doc,
                    seed=int(seg.seed),
                    contacts=contacts,
                    out_dir=out,
                    sinks=(jsonl,) if bus is None else (jsonl, bus),
                    keep_events=False,
                    progress=self.progress,
                    should_stop=self.should_stop,
                    history=self.history.concat(self.segment_history),
                )
                summary = dict(result.summary)
                summary["history"] = {
                    **self.history_about,
                    "earlierSegments": self.segments_counted,
                    "earlierSegmentCalls": len(self.segment_history),
                }
                self._after_segment(run_dir, segment, campaign_id)
                summary.update(request_accounting(out / "events.parquet", len(requests), summary))
                summaries.append(summary)
                self.dials_before += int(result.summary.get("dial_attempts") or 0)
                self._update(dials=self.dials_before, summary=merge_summaries(summaries))
                stopped = bool(getattr(result, "stopped_early", False))
            segment += 1
            if stopped or self.lost.is_set():
                break
            if not api_driven and not self._more_to_do(campaign_id, segment):
                break
        return segment

    def _after_segment(self, run_dir: Path, segment: int, campaign_id: str) -> None:
        """Count segment ``segment``'s calls in the caps of the segments after
        it, at their own instants: every segment replays the same schedule
        and the run's events (what its audit judges) hold all segments on
        that one clock, so the gate must see them where the audit will.
        (Moved before the start, as an earlier run's are, a 3-day schedule's
        segment 0 calls would let segment 1 call the same numbers the next
        day, within 24 h of them on the run's clock: measured, 69 breaches
        of Florida's 3 per 24 h on 40 numbers.) Read from the segment's
        events file, so a restarted attempt, which replays the recorded
        segments, seeds each one exactly as the first attempt did."""
        calls = run_history.segment_calls(run_dir, segment, campaign_id)
        self.segment_history = self.segment_history.concat(calls)
        self.segments_counted += 1

    def _finish(self, summaries: list[dict[str, Any]], run_dir: Path) -> bool:
        """Write the outputs and the final status; False when requests
        arrived meanwhile and the run must dial them first (``_final``).

        Every output is written under a temporary name and renamed into
        place (campaigns.files), before the run is marked finished: a
        download sees a whole file or none."""
        parts = sorted(run_dir.glob("segment-*/events.parquet"))
        with atomic_path(run_dir / "events.parquet") as tmp:
            if len(parts) == 1:
                shutil.copyfile(parts[0], tmp)
            else:
                with pq.ParquetWriter(tmp, EVENT_SCHEMA, compression="zstd") as w:
                    for p in parts:
                        for batch in pq.ParquetFile(p).iter_batches():
                            w.write_batch(batch)
        timelines = sorted(run_dir.glob("segment-*/timeline.parquet"))
        if timelines:
            with atomic_path(run_dir / "timeline.parquet") as tmp:
                shutil.copyfile(timelines[0], tmp)
        summary = merge_summaries(summaries) if summaries else {}
        write_atomic(run_dir / "summary.json", json.dumps(summary, indent=2, default=str))
        stopped = self._control() == "stop"
        return self._final("stopped" if stopped else "completed", summary=summary, stopped_early=stopped)

    def _final(self, status: str, **values: Any) -> bool:
        """Write the final status, fenced: nothing is written if this
        attempt no longer holds the run. A failed run gives its outbound
        requests back (PENDING) for the campaign's next run.

        The campaign row is locked first (``repo.lock_campaign``), as
        PutOutboundRequestBatch locks it before it checks the campaign's
        state and stores requests: so a request is either stored before
        this transaction, and then seen here as PENDING (the run is not
        completed: False, dial it first), or after it, and then refused
        because the campaign is no longer running. True once the attempt
        is over (status written, or the lease lost)."""
        self.final_status = None
        with session_scope(self.factory) as s:
            # Campaign row first, then the run: the order the API locks them
            # in (a stop during the final write must not deadlock).
            campaign_id = s.scalar(select(Run.campaign_id).where(Run.id == self.run_id))
            if campaign_id is not None:
                repo.lock_campaign(s, campaign_id)
            try:
                run = repo.held_run(s, run_id=self.run_id, epoch=self.epoch)
            except repo.LeaseLost:
                log.warning(
                    "run %s: attempt %s lost its lease before finishing; final state not written",
                    self.run_id,
                    self.epoch,
                )
                repo.end_attempt(s, run_id=self.run_id, epoch=self.epoch, outcome="lost the lease")
                return True
            if run.control == "stop" and status == "completed":
                status = "stopped"
            campaign = s.get(Campaign, run.campaign_id)
            latest = repo.latest_run(s, campaign_id=run.campaign_id)
            owns_campaign = (
                campaign is not None
                and latest is not None
                and latest.id == run.id
                and campaign.state in ("Running", "Paused")
            )
            if status == "completed" and owns_campaign and repo.pending_request_count(s, campaign_id=run.campaign_id):
                return False  # accepted while the run was deciding it was done: this run dials them
            run.status = status
            run.finished_at = repo.db_time(s)
            run.lease_expires_at = None
            if status in ("completed", "stopped") and run.sim_total_s:
                run.sim_done_s = run.sim_total_s if status == "completed" else run.sim_done_s
            for k, v in values.items():
                setattr(run, k, v)
            if status == "failed":
                repo.release_requests(s, run_id=run.id)
            repo.end_attempt(s, run_id=run.id, epoch=self.epoch, outcome=status)
            if owns_campaign:
                assert campaign is not None
                campaign.state = RUN_TO_CAMPAIGN[status]
            if self.before_final_commit is not None:
                self.before_final_commit()
        self.final_status = status
        return True


# PostgreSQL's SQLSTATE for a session ended by pg_terminate_backend.
ADMIN_SHUTDOWN = "57P01"


def _session_ended_by_a_server(exc: BaseException) -> bool:
    """``exc`` (or its cause) says PostgreSQL ended this worker's session."""
    while exc is not None:
        if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == ADMIN_SHUTDOWN:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _fresh_attempt_dir(run_dir: Path) -> None:
    """An empty, private directory for this attempt; the directories of
    earlier attempts of the run (dead or fenced out) are removed."""
    private_dir(run_dir.parent)
    for old in run_dir.parent.glob("attempt-*"):
        if old != run_dir:
            shutil.rmtree(old, ignore_errors=True)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    private_dir(run_dir)


def execute_run(run_id: str, epoch: int, settings: dict[str, Any]) -> str | None:
    """The run function a Dask worker executes (``DIALER_RUN_SCHEDULER``):
    the same attempt as ``python -m api.worker``, in the worker's process."""
    return Worker(run_id, Settings.model_validate(settings), epoch).run()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 2):
        print("usage: python -m api.worker RUN_ID [LEASE_EPOCH]", file=sys.stderr)
        return 2
    private_umask()
    settings = Settings.from_env()
    setup_logging(settings.log_level, settings.log_json)
    Worker(argv[0], settings, int(argv[1]) if len(argv) == 2 else None).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
