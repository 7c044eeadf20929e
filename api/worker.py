"""A run worker: ``python -m api.worker RUN_ID``, one process per run.

It reads the run from the database, simulates it with ``dialer.simulate``,
writes events to ``<runs_dir>/<run id>/`` (``events.jsonl.zst`` live, one
``events.parquet`` at the end, ``summary.json``) and records progress, the
summary and the final status. The API steers it through the run's
``control`` column (run / pause / stop), polled at each progress report; a
heartbeat thread shows it is alive. A restart of an interrupted run starts
again from the beginning: the engine is deterministic, so the events are
the same.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import update

from api import livelog
from campaigns import repository as repo
from campaigns.files import atomic_path, private_dir, private_umask, write_atomic
from campaigns.db import make_engine, session_factory, session_scope
from campaigns.lifecycle import RUN_TO_CAMPAIGN
from campaigns.models import Campaign, Run
from campaigns.settings import Settings
from eventbus.runtime import run_sink_for

log = logging.getLogger("api.worker")

COUNT_KEYS_SKIP = ("rate", "mean", "p95", "share", "occupancy", "per_agent", "simulated_seconds")


class AppendJsonLines:
    """EventBridge envelopes, one per line, appended across segments to the
    compressed live log (``api.livelog``) and flushed per batch so the live
    stream sees them."""

    def __init__(self, path: Path):
        self.log = livelog.LogWriter(path)

    def write(self, batch) -> None:
        import pyarrow as pa

        from eventlog import iter_envelopes

        for env in iter_envelopes(pa.Table.from_batches([batch])):
            self.log.write_line(json.dumps(env, separators=(",", ":")).encode())
        self.log.flush()

    def close(self) -> None:
        self.log.close()


def merge_contact_lists(a, b):
    """Concatenate two ContactLists (group indices of ``b`` shifted)."""
    if a is None:
        return b
    if b is None:
        return a
    from campaigns.contacts import ContactList

    def col(x, name, fill):
        v = getattr(x, name)
        return v if v is not None else np.array([fill] * len(x), dtype=object if fill is None or isinstance(fill, str) else float)

    postcode = None
    if a.postcode is not None or b.postcode is not None:
        postcode = np.concatenate([col(a, "postcode", None), col(b, "postcode", None)])
    attributes = None
    if a.attributes is not None or b.attributes is not None:
        attributes = (a.attributes or [{}] * len(a)) + (b.attributes or [{}] * len(b))
    expires = None
    if a.expires_at is not None or b.expires_at is not None:
        expires = np.concatenate([col(a, "expires_at", np.inf).astype(float), col(b, "expires_at", np.inf).astype(float)])
    tokens = None
    if a.client_token is not None or b.client_token is not None:
        tokens = np.concatenate([col(a, "client_token", None), col(b, "client_token", None)])
    return ContactList(
        phone=np.concatenate([a.phone, b.phone]).astype(np.int64),
        group=np.concatenate([a.group, b.group + len(a.groups)]).astype(np.int32),
        groups=list(a.groups) + list(b.groups),
        postcode=postcode,
        attributes=attributes,
        rejected=list(a.rejected) + list(b.rejected),
        expires_at=expires,
        client_token=tokens,
    )


def contacts_from_rows(doc, list_rows, requests):
    """A ContactList of stored contacts and outbound requests, with
    ``expires_at`` (seconds since the schedule start) and ``client_token``."""
    from campaigns.contacts import from_rows, zone_settings

    settings = zone_settings(doc)
    rows = []
    for c in list_rows:
        row = {"phone": c.phone, "_req": -1}
        if c.explicit_zone:
            row["time_zone"] = c.explicit_zone
        if c.postcode:
            row["postcode"] = c.postcode
        if c.attributes:
            row.update({k: v for k, v in c.attributes.items() if k not in ("phone", "_req")})
        rows.append(row)
    for i, r in enumerate(requests):
        row = {"phone": r.phone, "_req": i}
        if r.attributes:
            row.update({k: v for k, v in r.attributes.items() if k not in ("phone", "_req")})
        rows.append(row)
    if not rows:
        return None
    cl = from_rows(rows, settings, phone_column="phone")
    if len(cl) == 0:
        return None
    start = doc.campaign.schedule.start_time
    expires = np.full(len(cl), np.inf)
    tokens = np.empty(len(cl), dtype=object)
    attrs = cl.attributes or [{} for _ in range(len(cl))]
    for i, a in enumerate(attrs):
        k = int(a.pop("_req", -1))
        if k >= 0:
            req = requests[k]
            exp = req.expiration_time
            if exp.tzinfo is None:
                exp = exp.replace(tzinfo=timezone.utc)
            expires[i] = (exp - start).total_seconds()
            tokens[i] = req.client_token
    cl.attributes = attrs if any(attrs) else None
    cl.expires_at = expires
    cl.client_token = tokens
    return cl


def merge_summaries(summaries: list[dict]) -> dict:
    if len(summaries) == 1:
        return dict(summaries[0])
    out = dict(summaries[-1])
    for key, value in summaries[-1].items():
        if isinstance(value, int) and not isinstance(value, bool) and not any(s in key for s in COUNT_KEYS_SKIP):
            out[key] = sum(int(s.get(key) or 0) for s in summaries)
    out["segments"] = len(summaries)
    return out


class Worker:
    def __init__(self, run_id: str, settings: Settings):
        self.run_id = run_id
        self.settings = settings
        self.engine = make_engine(settings.url, pool_size=2) if not settings.url.startswith("sqlite") else make_engine(settings.url)
        self.factory = session_factory(self.engine)
        self._stop_beat = threading.Event()
        self.dials_before = 0
        self._last_progress = 0.0

    # -- database helpers ---------------------------------------------------
    def _update(self, **values) -> None:
        for attempt in range(5):
            try:
                with session_scope(self.factory) as s:
                    s.execute(update(Run).where(Run.id == self.run_id).values(**values))
                return
            except Exception:  # pragma: no cover - transient lock
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _control(self) -> str:
        with session_scope(self.factory) as s:
            run = s.get(Run, self.run_id)
            return "stop" if run is None else run.control

    def _beat(self) -> None:
        while not self._stop_beat.wait(2.0):
            try:
                self._update(heartbeat_at=datetime.now(timezone.utc))
            except Exception:  # pragma: no cover
                log.warning("heartbeat failed for run %s", self.run_id)

    # -- engine callbacks ---------------------------------------------------
    def progress(self, done: float, total: float, dials: int) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.2 and done < total:
            return
        self._last_progress = now
        self._update(sim_done_s=float(done), sim_total_s=float(total), dials=int(self.dials_before + dials),
                     heartbeat_at=datetime.now(timezone.utc))

    def should_stop(self) -> bool:
        control = self._control()
        while control == "pause":
            time.sleep(0.3)
            control = self._control()
        return control == "stop"

    # -- the run ------------------------------------------------------------
    def run(self) -> None:
        from campaigns.document import parse_document

        with session_scope(self.factory) as s:
            run = s.get(Run, self.run_id)
            if run is None or run.status not in ("running", "paused"):
                log.warning("run %s is not ready to run (status %s)", self.run_id, None if run is None else run.status)
                return
            wrapper = dict(run.document)
            campaign_id = run.campaign_id
            seed = int(run.seed)
            run.worker_pid = os.getpid()
            run.started_at = run.started_at or datetime.now(timezone.utc)
            run.heartbeat_at = datetime.now(timezone.utc)
            run_dir = self.settings.run_root / run.id
            run.events_dir = str(run_dir)
        beat = threading.Thread(target=self._beat, daemon=True)
        beat.start()
        try:
            if run_dir.exists():
                shutil.rmtree(run_dir)
            private_dir(run_dir)
            doc = parse_document(wrapper["document"], source="run")
            # The engine labels events with campaign.name (dialer/run.py);
            # Connect consumers expect detail.campaign.campaignId to be the id.
            doc.campaign.name = campaign_id
            (run_dir / "document.json").write_text(json.dumps(wrapper["document"], indent=2, default=str))
            summaries = self._segments(doc, wrapper, campaign_id, seed, run_dir)
            self._finish(summaries, run_dir)
        except Exception as exc:
            log.error("run %s failed: %s", self.run_id, type(exc).__name__)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._final("failed", error=detail[:4000])
        finally:
            self._stop_beat.set()

    def _segments(self, doc, wrapper, campaign_id, seed, run_dir):
        from campaigns.contacts import load_contacts
        from dialer import simulate

        jsonl = AppendJsonLines(run_dir / livelog.FILE_NAME)
        # The tenant's default event bus, when it has rules or archives.
        bus = run_sink_for(self.engine, self.run_id, self.settings.data_dir, self.settings.region)
        summaries: list[dict] = []
        segment = 0
        api_driven = bool(wrapper.get("apiDriven"))
        while True:
            with session_scope(self.factory) as s:
                list_rows = []
                if segment == 0 and wrapper.get("contactListId"):
                    list_rows = repo.all_contacts(s, list_id=wrapper["contactListId"])
                requests = repo.pending_requests(s, campaign_id=campaign_id, limit=100_000)
                repo.mark_dispatched(s, request_ids=[r.id for r in requests], run_id=self.run_id)
                s.expunge_all()
            contacts = contacts_from_rows(doc, list_rows, requests)
            if segment == 0 and doc.simulation.contacts is not None:
                contacts = merge_contact_lists(load_contacts(doc), contacts)
            if contacts is None:
                if not api_driven:
                    break
                if self.should_stop_nowait():
                    break
                time.sleep(0.5)
                continue
            out = run_dir / f"segment-{segment:04d}"
            result = simulate(
                doc,
                seed=seed + segment,
                contacts=contacts,
                out_dir=out,
                sinks=(jsonl,) if bus is None else (jsonl, bus),
                keep_events=False,
                progress=self.progress,
                should_stop=self.should_stop,
            )
            summaries.append(dict(result.summary))
            self.dials_before += int(result.summary.get("dial_attempts") or 0)
            self._update(dials=self.dials_before, summary=merge_summaries(summaries))
            segment += 1
            if getattr(result, "stopped_early", False):
                break
            if not api_driven:
                with session_scope(self.factory) as s:
                    if not repo.pending_requests(s, campaign_id=campaign_id, limit=1):
                        break
        jsonl.close()
        if bus is not None:
            bus.shutdown()
        return summaries

    def should_stop_nowait(self) -> bool:
        control = self._control()
        return control == "stop"

    def _finish(self, summaries, run_dir: Path) -> None:
        import pyarrow.parquet as pq

        from eventlog import EVENT_SCHEMA

        # Every output is written under a temporary name and renamed into
        # place (campaigns.files), before the run is marked finished: a
        # download sees a whole file or none.
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
        self._final("stopped" if stopped else "completed", summary=summary, stopped_early=stopped)

    def _final(self, status: str, **values) -> None:
        with session_scope(self.factory) as s:
            run = s.get(Run, self.run_id)
            if run is None:
                return
            if run.control == "stop" and status == "completed":
                status = "stopped"
            run.status = status
            run.finished_at = datetime.now(timezone.utc)
            if status in ("completed", "stopped") and run.sim_total_s:
                run.sim_done_s = run.sim_total_s if status == "completed" else run.sim_done_s
            for k, v in values.items():
                setattr(run, k, v)
            campaign = s.get(Campaign, run.campaign_id)
            latest = repo.latest_run(s, campaign_id=run.campaign_id)
            if campaign is not None and latest is not None and latest.id == run.id and campaign.state in ("Running", "Paused"):
                campaign.state = RUN_TO_CAMPAIGN[status]


def main(argv: list[str] | None = None) -> int:
    from api.observability import setup_logging

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m api.worker RUN_ID", file=sys.stderr)
        return 2
    private_umask()
    settings = Settings.from_env()
    setup_logging(settings.log_level, settings.log_json)
    Worker(argv[0], settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
