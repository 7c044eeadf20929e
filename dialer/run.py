"""``simulate()``: from a campaign document to a result (summary, events,
timeline), with the sinks and output directory the caller asks for."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from campaigns.contacts import ContactList, RejectedRow, load_contacts
from campaigns.document import (
    CampaignDocument,
    CampaignDocumentError,
    load_document,
    parse_document,
)
from campaigns.files import FILE_MODE, atomic_path, temp_name, write_atomic
from compliance.dnc import DncSource
from compliance.gate import DialGate, Verdict
from compliance.history import DialHistory
from compliance.rules import RuleSet, get_rules
from dialer.engine import Engine
from dialer.pacing import make_pacer
from dialer.recorder import Recorder
from dialer.timeline import BUSY, LINES, LOGGED_IN, ON_BREAK
from eventlog.schema import AMD_STATUSES, DISCONNECT_REASONS, RunMeta
from eventlog.sinks import EventSink, MemorySink, ParquetSink

SUMMARY_VERSION = 1

CampaignSource = CampaignDocument | str | os.PathLike[str] | dict[str, Any]
"""What ``simulate`` plays: a document, the path of a YAML/JSON file, or its mapping."""


@dataclass
class SimulationResult:
    summary: dict[str, Any]
    events: pa.Table | None
    timeline: pa.Table
    out_dir: Path | None = None
    stopped_early: bool = False
    rejected_contacts: list[RejectedRow] = field(default_factory=list)

    @property
    def events_path(self) -> Path | None:
        return self.out_dir / "events.parquet" if self.out_dir else None


def _as_document(campaign: CampaignSource) -> CampaignDocument:
    if isinstance(campaign, CampaignDocument):
        return campaign
    if isinstance(campaign, (str, os.PathLike)):
        return load_document(Path(campaign))
    if isinstance(campaign, dict):
        return parse_document(campaign)
    raise TypeError(f"campaign must be a CampaignDocument, a mapping or a path, got {type(campaign).__name__}")


def abandonment_setting(doc: CampaignDocument, rules: RuleSet | None) -> tuple[str, float] | None:
    """(clock start, threshold seconds) that define an abandoned call for this
    run, or None for "never reached an agent" (the queueing-theory reading
    used by fixedRate validation runs)."""
    sh = doc.simulation.safe_harbor
    mode = doc.campaign.telephony.outbound_mode
    strategy = mode.predictive.abandonment if mode.predictive is not None else None
    if sh.connection_start_point is not None or sh.threshold_seconds is not None:
        default_point, default_threshold = (
            (strategy.connection_start_point, float(strategy.connection_threshold_seconds))
            if strategy
            else ("GREETING_END", 2.0)
        )
        return (sh.connection_start_point or default_point, float(sh.threshold_seconds or default_threshold))
    if strategy is not None:
        return (strategy.connection_start_point, float(strategy.connection_threshold_seconds))
    if mode.fixed_rate is not None:
        return None
    if rules is not None:
        ab = rules.abandonment
        return (ab.clock_start, float(ab.threshold_seconds))
    return ("GREETING_END", 2.0)


def simulate(
    campaign: CampaignSource,
    *,
    seed: int | None = None,
    contacts: ContactList | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    sinks: Sequence[EventSink] = (),
    keep_events: bool = True,
    progress: Callable[[float, float, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    dnc: DncSource | None = None,
    ratio_override: float | None = None,
    batch_calls: int = 20_000,
    campaign_id: str | None = None,
    bus: EventSink | None = None,
    history: DialHistory | str | os.PathLike[str] | None = None,
) -> SimulationResult:
    """Play a campaign out. Same document and seed give the same events.

    ``campaign_id`` is the id events carry in ``detail.campaign.campaignId``
    (the service passes its stored id); by default the campaign's name.
    ``bus`` is an event bus (``eventbus.Bus``, or any object with the sink
    interface) that receives the events as they are recorded.
    ``history``: the dial attempts of earlier runs of this campaign (a
    ``DialHistory``, or their events file: only this campaign's calls are
    taken), so that per-contact frequency caps count them (compliance/history.py)."""

    doc = _as_document(campaign)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise CampaignDocumentError([("seed", "must be an integer >= 0", seed)])
        doc = doc.model_copy(deep=True)
        doc.simulation.seed = seed
    seed = doc.simulation.seed
    mode = doc.campaign.telephony.outbound_mode
    if mode.agentless is not None and not doc.simulation.lines:
        raise CampaignDocumentError([("simulation.lines", "agentless dialling needs a line count", None)])
    try:
        rules = get_rules(doc.simulation.jurisdiction)
    except ValueError as exc:
        raise CampaignDocumentError([("simulation.jurisdiction", str(exc), doc.simulation.jurisdiction)]) from None
    if contacts is None:
        contacts = load_contacts(doc)
    gate = DialGate(doc, rules, contacts, dnc=dnc)
    if history is not None:
        if not isinstance(history, DialHistory):
            history = DialHistory.from_events(history, campaign_id or doc.campaign.name)
        gate.seed_history(history)

    sched = doc.campaign.schedule
    assert sched is not None  # CampaignDocument requires a schedule
    start_ms = round(sched.start_time.timestamp() * 1000)
    meta = RunMeta(
        campaign_id=campaign_id or doc.campaign.name,
        instance_id=doc.campaign.connect_instance_id,
        start_epoch_ms=start_ms,
        source_number=doc.campaign.telephony.default_outbound_config.connect_source_phone_number,
        queue_id=doc.campaign.telephony.connect_queue_id or "outbound",
        seed=seed,
        fingerprint=hashlib.sha256(json.dumps(doc.to_document(), sort_keys=True).encode()).hexdigest()[:16],
    )
    all_sinks: list[EventSink] = list(sinks) if bus is None else [*sinks, bus]
    memory = MemorySink() if keep_events else None
    if memory is not None:
        all_sinks.append(memory)
    out_path = Path(out_dir) if out_dir is not None else None
    if out_path is not None:
        if out_path.exists() and not out_path.is_dir():
            raise NotADirectoryError(f"--out / out_dir: {str(out_path)!r} exists and is not a directory")
        out_path.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name, renamed when the run ends: a
        # reader never sees part of a file (campaigns.files).
        events_tmp = temp_name(out_path / "events.parquet")
        all_sinks.append(ParquetSink(events_tmp))

    group_zone = ["|".join(g.zones) for g in contacts.groups]
    zone_dict = pa.array(group_zone, type=pa.string())
    tokens = contacts.client_token

    def phone_of(recipients: np.ndarray) -> pa.Array:
        digits = pc.cast(pa.array(contacts.phone[recipients]), pa.string())
        return pc.binary_join_element_wise("+", digits, "")

    def zone_of(recipients: np.ndarray) -> pa.Array:
        idx = pa.array(contacts.group[recipients].astype(np.int32))
        return pa.DictionaryArray.from_arrays(idx, zone_dict)

    token_of: Callable[[np.ndarray], pa.Array] | None = None
    if tokens is not None:

        def tokens_of(recipients: np.ndarray) -> pa.Array:
            return pa.array(tokens[recipients].tolist(), type=pa.string())

        token_of = tokens_of

    recorder = Recorder(
        meta,
        all_sinks,
        phone_of=phone_of,
        zone_of=zone_of,
        token_of=token_of,
        batch_calls=batch_calls,
        initiation_method="API" if tokens is not None else "OUTBOUND",
    )
    engine = Engine(
        doc,
        contacts,
        gate,
        recorder,
        lambda eng: make_pacer(doc, eng, ratio_override=ratio_override),
        seed=seed,
        abandonment=abandonment_setting(doc, rules),
        progress=progress,
        should_stop=should_stop,
    )
    try:
        try:
            engine.run()
        finally:
            recorder.close()
    except BaseException:
        if out_path is not None:
            events_tmp.unlink(missing_ok=True)
        raise
    if out_path is not None:
        os.chmod(events_tmp, FILE_MODE)
        os.replace(events_tmp, out_path / "events.parquet")
    end = engine.now
    timeline = engine.timeline.table(start_ms, end)
    summary = summarize(engine, end)
    summary["exclusions"] = _exclusion_names(engine.exclusions)
    summary["rejected_contacts"] = len(contacts.rejected)
    summary["stopped_early"] = engine.stopped_early
    if history is not None:
        summary["history_applied"] = gate.history_applied  # earlier attempts the caps counted
    if out_path is not None:
        with atomic_path(out_path / "timeline.parquet") as tmp:
            pq.write_table(timeline, tmp)
        write_atomic(out_path / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
        # The document the run played, so a run directory explains itself.
        write_atomic(out_path / "campaign.json", json.dumps(doc.to_document(), indent=2) + "\n")
    return SimulationResult(
        summary=summary,
        events=memory.table() if memory is not None else None,
        timeline=timeline,
        out_dir=out_path,
        stopped_early=engine.stopped_early,
        rejected_contacts=list(contacts.rejected),
    )


def _exclusion_names(counts: dict[int, int]) -> dict[str, int]:

    return {Verdict(k).name: v for k, v in sorted(counts.items())}


def _target_rate(doc: CampaignDocument) -> float | None:
    mode = doc.campaign.telephony.outbound_mode
    strategy = mode.predictive.abandonment if mode.predictive is not None else None
    return strategy.target_rate if strategy else None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def summarize(e: Engine, end: float) -> dict[str, Any]:
    """The run's figures (ground truth; names as in docs/engine.md)."""

    totals = e.timeline.totals(end)
    staffed = totals[LOGGED_IN] - totals[ON_BREAK]
    tta = np.asarray(e.time_to_agent)
    agent_hours = totals[LOGGED_IN] / 3600.0
    return {
        "summary_version": SUMMARY_VERSION,
        "mode": e.pacer.name,
        "seed": e.doc.simulation.seed,
        "contacts": e.n_contacts,
        "contacts_attempted": int(np.count_nonzero(np.frombuffer(e.attempts, dtype=np.uint32))),
        "dial_attempts": e.n_dials,
        "live_answers": e.n_live,
        "machine_answers": e.n_machine,
        "connected_to_agent": e.n_connected,
        "live_connected_to_agent": e.n_connected_live,
        "abandoned": e.n_abandoned,
        # Over the live answers the AMD passed on (a person it hung up on is
        # not in the US denominator; docs/engine.md).
        "abandonment_rate": _ratio(e.n_abandoned, e.n_live - e.n_fp),
        "abandonment_definition": (
            {"clockStart": e.clock_point, "thresholdSeconds": e.threshold}
            if e.clock_point is not None
            else {"clockStart": None, "thresholdSeconds": None, "meaning": "live answer never connected to an agent"}
        ),
        "unserved_live": e.n_unserved,
        "target_rate": _target_rate(e.doc),
        "dropped_with_message": e.n_dropped,
        "opt_outs": e.n_opt_out,
        "amd_false_positives": e.n_fp,
        "amd_false_negatives": e.n_fn,
        # AMD's operating point and its confusion matrix over true classes
        # (None with AMD off); dialer/amd.py.
        "amd_operating_point": e.amd.operating_point_summary() if e.amd_on else None,
        "amd_confusion": e.amd.confusion_summary() if e.amd_on else None,
        "agent_occupancy": _ratio(totals[BUSY], staffed),
        "agent_logged_in_hours": agent_hours,
        "contacts_per_agent_hour": _ratio(e.n_connected_live, agent_hours),
        "mean_time_to_agent_s": float(tta.mean()) if tta.size else None,
        "p95_time_to_agent_s": float(np.percentile(tta, 95)) if tta.size else None,
        "mean_wait_s": _ratio(e.wait_sum, e.n_queued_live),
        "waited_share": _ratio(e.n_waited_live, e.n_queued_live),
        "mean_contact_duration_s": _ratio(e.contact_duration_sum, e.n_connected),
        "mean_talk_s": _ratio(e.talk_sum, e.n_connected),
        "mean_lines_in_use": totals[LINES] / end if end else None,
        "expired_requests": e.expired,
        "blocked_dials": e.blocked_dials,
        "disconnect_reasons": {DISCONNECT_REASONS[k]: int(v) for k, v in enumerate(e.reason_counts) if k and v},
        "amd_statuses": {AMD_STATUSES[k]: int(v) for k, v in enumerate(e.amd_counts) if k and v},
        "simulated_seconds": end,
    }
