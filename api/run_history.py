"""The calls of earlier runs, counted by a new run's frequency caps.

A legal cap ("3 calls per 24 hours on the same subject", "4 per 30 days",
"no call for 60 days after a refusal") counts every call to the person,
not only the current run's. When the service starts a run, the worker
seeds its gate (``DialGate.seed_history``) with the dial attempts and
refusals of the runs created before it whose calls share its subject:

* every earlier run of the same campaign;
* the earlier runs of the tenant's other campaigns on the same Connect
  instance that carried the same ``dialer:subject`` tag when they ran (the
  tag as the run's stored document holds it). Without the tag a
  campaign's subject is the campaign itself (``FrequencyCap.key`` =
  ``campaign``).

Events are read where the worker wrote them: the run's ``events_dir``,
which must lie in that run's own folder under the service's run root (a
path from the database, never from a request): ``events.parquet`` of a
finished run, else the complete lines of its live log (a run still going,
or one that failed). What was read is frozen in
``<run root>/<run id>/history.parquet`` by the run's first attempt; a
restarted attempt reads that file, so the same stored state and seed give
the same events even when an earlier run was still going.

Simulated clocks overlap (a campaign run again on the same schedule replays
the same hours), so the earlier calls are placed before the new run:
``DialHistory.placed_before`` (docs/service.md, "Earlier runs count").

The run's own earlier segments count too (``segment_calls``), at their own
instants: every segment replays the same schedule, and the run's events
(what its own audit judges) hold them all on that one clock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from api import livelog
from campaigns import repository as repo
from campaigns.files import atomic_path, private_dir
from campaigns.models import Run
from compliance.audit.load import AuditInputError
from compliance.history import DialHistory

log = logging.getLogger("api.run_history")

SUBJECT_TAG = "dialer:subject"
FILE_NAME = "history.parquet"
_META_KEY = b"dialer.history"


@dataclass(frozen=True)
class EarlierCalls:
    """The attempts of the earlier runs at their recorded instants, the
    runs read (oldest first) and those whose events could not be read."""

    history: DialHistory
    runs: tuple[str, ...]
    unreadable: tuple[str, ...]

    def describe(self, subject: str | None, shift: float) -> dict[str, Any]:
        """What the run summary says about it (``summary["history"]``)."""
        return {
            "subject": subject,
            "runs": list(self.runs),
            "calls": len(self.history),
            "refusals": int(np.count_nonzero(self.history.opted_out)),
            "shiftSeconds": shift,
            "unreadableRuns": list(self.unreadable),
        }


def subject_of(document: Mapping[str, Any]) -> str | None:
    """The ``dialer:subject`` tag of a campaign document, or None."""
    tags = (document.get("campaign") or {}).get("tags") or {}
    value = tags.get(SUBJECT_TAG) if isinstance(tags, Mapping) else None
    return value.strip() or None if isinstance(value, str) else None


def _shares_subject(earlier: Run, campaign_id: str, subject: str | None) -> bool:
    if earlier.campaign_id == campaign_id:
        return True
    return subject is not None and subject_of((earlier.document or {}).get("document") or {}) == subject


def _run_events(earlier: Run, run_root: Path) -> Path | list[dict[str, Any]] | None:
    """The run's events as ``DialHistory.from_events`` reads them (a
    Parquet path or envelopes), None when it has none. ``ValueError`` when
    its folder is not the run's own under the run root."""
    own = (run_root / earlier.id).resolve()
    folder = Path(earlier.events_dir or "").resolve()
    if not folder.is_relative_to(own):
        raise ValueError(f"run {earlier.id}: events_dir is outside the run's folder")
    parquet = folder / "events.parquet"
    if parquet.is_file():
        return parquet if pq.ParquetFile(parquet).metadata.num_rows else None
    reader = livelog.open_reader(folder)
    if reader is None:
        return None
    envelopes = [json.loads(line) for chunk in livelog.iterate_bytes(reader) for line in chunk.splitlines() if line]
    return envelopes or None


def collect(session: Session, run: Run, run_root: Path) -> EarlierCalls:
    """Read the calls of the runs before ``run`` that share its subject."""
    subject = subject_of((run.document or {}).get("document") or {})
    parts: list[DialHistory] = []
    read: list[str] = []
    unreadable: list[str] = []
    for earlier in repo.runs_before(session, tenant=run.tenant, run=run):
        if not _shares_subject(earlier, run.campaign_id, subject):
            continue
        try:
            events = _run_events(earlier, run_root)
            if events is not None:
                parts.append(DialHistory.from_events(events, earlier.campaign_id))
        except (AuditInputError, ValueError, OSError) as exc:
            log.warning("run %s: the events of earlier run %s cannot be read: %s", run.id, earlier.id, exc)
            unreadable.append(earlier.id)
            continue
        read.append(earlier.id)
    history = DialHistory.empty()
    for part in parts:
        history = history.concat(part)
    return EarlierCalls(history, tuple(read), tuple(unreadable))


def save(path: Path, calls: EarlierCalls) -> None:
    """Freeze what was read (renamed into place: whole or absent)."""
    table = pa.table(
        {
            "number": pa.array(calls.history.numbers, pa.int64()),
            "time": pa.array(calls.history.times, pa.float64()),
            "opted_out": pa.array(calls.history.opted_out, pa.bool_()),
        }
    )
    meta = json.dumps({"runs": list(calls.runs), "unreadable": list(calls.unreadable)}).encode()
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata({_META_KEY: meta}), tmp)


def load(path: Path) -> EarlierCalls:
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
    history = DialHistory(
        table.column("number").to_numpy().astype(np.int64),
        table.column("time").to_numpy().astype(np.float64),
        table.column("opted_out").to_numpy(zero_copy_only=False).astype(bool),
    )
    return EarlierCalls(history, tuple(meta.get("runs", ())), tuple(meta.get("unreadable", ())))


def segment_calls(attempt_dir: Path, segment: int, campaign_id: str) -> DialHistory:
    """The calls of one finished segment of the run being played, read from
    where the worker wrote them (``<attempt dir>/segment-NNNN/events.parquet``:
    a path the worker builds from the run root and the run id, never from a
    request), at their simulated instants. Empty when the segment made no
    event. A missing or unreadable file is an error: a later segment seeded
    without it would call numbers past their cap."""
    path = attempt_dir / f"segment-{int(segment):04d}" / "events.parquet"
    if not pq.ParquetFile(path).metadata.num_rows:
        return DialHistory.empty()
    return DialHistory.from_events(path, campaign_id)


def earlier_calls(session: Session, run: Run, run_root: Path) -> EarlierCalls:
    """The frozen history of ``run`` (``<run root>/<run id>/history.parquet``),
    collected and frozen by its first attempt."""
    path = run_root / run.id / FILE_NAME
    if path.is_file():
        return load(path)
    calls = collect(session, run, run_root)
    save(private_dir(path.parent) / FILE_NAME, calls)
    return calls


__all__ = ["SUBJECT_TAG", "EarlierCalls", "earlier_calls", "segment_calls", "subject_of"]
