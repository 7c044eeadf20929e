"""The recorder the engine feeds: finished calls' records in, Arrow
batches of contact events (``eventlog.schema.ENCODED_SCHEMA``) out to the
sinks.

The hot path keeps one record per finished call and none per event; the
event columns are built with numpy at flush time from the calls' timestamps.
An event row shows the call's timestamps up to the event's own time (like
Connect's events, a CONNECTED_TO_AGENT event does not know the disconnect).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable
from itertools import chain
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dialer.call import RECORD_WIDTH, Party
from dialer.call import Column as C
from eventlog.ids import agent_uuids, queue_uuid
from eventlog.schema import (
    AMD_STATUSES,
    COLUMNS,
    COMPLETED,
    CONNECTED_TO_AGENT,
    CONNECTED_TO_SYSTEM,
    CONTACT_DATA_UPDATED,
    DICT_STRING,
    DISCONNECT_REASONS,
    DISCONNECTED,
    ENCODED_SCHEMA,
    EVENT_TYPES,
    INITIATED,
    PARTIES,
    QUEUED,
    REASON_CODE,
    TS_FIELDS,
    TS_TYPE,
    RunMeta,
    decode_batch,
)
from eventlog.sinks import EventSink


def deterministic_prefix(*parts: Any) -> str:
    """The first 24 characters of a UUID-shaped id, derived from the run's
    identity so the same campaign and seed give the same ids on any machine."""
    h = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-"


_HEX_DIGITS = b"0123456789abcdef"
# Byte b -> its two hex digits as one little-endian uint16 (first digit in the
# low byte), so a number's 12 digits come from 6 table lookups.
_HEX_PAIRS = np.array([_HEX_DIGITS[b >> 4] | (_HEX_DIGITS[b & 15] << 8) for b in range(256)], dtype="<u2")


def hex_ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """``prefix`` + 12 lower-case hex digits of each number, as an Arrow
    string array built from one byte buffer (a Python f-string per id costs
    more than the rest of an event's columns together)."""
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    width = head.size + 12
    n = numbers.size
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : head.size] = head
    # The low 48 bits, most significant byte first.
    low6 = numbers.astype(">u8").view(np.uint8).reshape(n, 8)[:, 2:]
    buf[:, head.size :] = _HEX_PAIRS[low6].view(np.uint8).reshape(n, 12)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


# ---------------------------------------------------------------------------
# Sinks
# ---------------------------------------------------------------------------


class Recorder:
    """Collects finished calls' records and turns them into Arrow batches of
    events once enough have finished.

    A call's events follow from its timestamps alone (INITIATED at the dial,
    CONNECTED_TO_SYSTEM at the answer, QUEUED, CONNECTED_TO_AGENT,
    DISCONNECTED, COMPLETED after wrap-up, or right after DISCONNECTED for a
    contact no agent talked to), so the hot path stores one record
    per call (``finish_call``, or ``finish_unanswered`` for a group of calls
    nobody answered) and no per-event record at all.

    A record (``finish_call``) is ``Call.record()``: its fields are named by
    ``dialer.call.Column``.
    """

    # Record column of the timestamp each event type is emitted at.
    EVENT_TIME_COLUMN: ClassVar[dict[int, C]] = {
        INITIATED: C.INITIATION,
        CONTACT_DATA_UPDATED: C.ACCEPTED,
        CONNECTED_TO_SYSTEM: C.CONNECTED_TO_SYSTEM,
        QUEUED: C.ENQUEUE,
        CONNECTED_TO_AGENT: C.CONNECTED_TO_AGENT,
        DISCONNECTED: C.DISCONNECT,
        COMPLETED: C.ACW_END,
    }

    def __init__(
        self,
        meta: RunMeta,
        sinks: list[EventSink],
        *,
        phone_of: Callable[[np.ndarray], pa.Array],
        zone_of: Callable[[np.ndarray], pa.Array],
        token_of: Callable[[np.ndarray], pa.Array] | None = None,
        batch_calls: int = 20_000,
        initiation_method: str = "OUTBOUND",
    ) -> None:
        self.meta = meta
        self.sinks = sinks
        # Finished calls' records, flattened into an array of doubles as
        # they finish, while the tuple is still in the CPU's cache (walking
        # a list of tuples at flush time cost four times as much in a run).
        self.calls = array("d")
        # Unanswered calls, most of a campaign's dials, in compact form:
        # (call index, recipient, attempt) per call, and per group of calls
        # dialled and ended together (initiation, disconnect, amd status,
        # how many). Their other fields are the same for all.
        self.unanswered = array("d")
        self.unanswered_groups = array("d")
        self.batch_calls = batch_calls
        self.pending = 0  # finished calls waiting for the next flush
        self.phone_of = phone_of
        self.zone_of = zone_of
        self.token_of = token_of
        self.initiation_method = initiation_method
        identity = (meta.campaign_id, meta.seed, meta.start_epoch_ms, meta.fingerprint)
        self.contact_prefix = deterministic_prefix("contact", *identity)
        self.event_prefix = deterministic_prefix("event", *identity)
        self.events_written = 0
        self.calls_written = 0
        # Functions given each batch of finished calls as an (n, RECORD_WIDTH) array
        # before its events are built (the engine's vectorised tallies).
        self.batch_hooks: list[Callable[[np.ndarray], None]] = []
        # Agent and queue ids as Connect writes them in ARNs: UUIDs (eventlog.ids).
        self._agent_names = pa.array([], pa.string())
        self._queue = queue_uuid(meta.instance_id, meta.queue_id)

    def finish_call(self, record: tuple[float, ...]) -> None:
        self.calls.extend(record)
        self.pending += 1
        if self.pending >= self.batch_calls:
            self.flush()

    def finish_unanswered(self, calls: list[tuple[int, int, int]], t_init: float, t_disc: float, amd: int) -> None:
        """Calls (call index, recipient, attempt) dialled together at
        ``t_init`` that rang out unanswered at ``t_disc``."""
        self.unanswered.extend(chain.from_iterable(calls))
        self.unanswered_groups.extend((t_init, t_disc, amd, len(calls)))
        self.pending += len(calls)
        if self.pending >= self.batch_calls:
            self.flush()

    def _unanswered_records(self) -> np.ndarray:
        ids = np.frombuffer(self.unanswered, dtype=np.float64).reshape(-1, 3)
        g = np.frombuffer(self.unanswered_groups, dtype=np.float64).reshape(-1, 4)
        self.unanswered, self.unanswered_groups = array("d"), array("d")
        count = ids.shape[0]
        sizes = g[:, 3].astype(np.int64)
        rec = np.full((count, RECORD_WIDTH), np.nan)
        rec[:, C.INDEX : C.ATTEMPT + 1] = ids
        rec[:, C.INITIATION] = np.repeat(g[:, 0], sizes)
        rec[:, C.DISCONNECT] = np.repeat(g[:, 1], sizes)
        rec[:, C.AMD] = np.repeat(g[:, 2], sizes)
        rec[:, C.AGENT] = -1.0  # no agent
        rec[:, C.PARTY] = Party.NO_ANSWER
        rec[:, C.REASON] = RING_OUT_REASON
        rec[:, C.AMD_CORRECT] = -1.0  # AMD correctness unknown
        rec[:, C.MESSAGE] = 0.0
        rec[:, C.OPT_OUT] = 0.0
        return rec

    def flush(self) -> None:
        if not self.calls and not self.unanswered:
            return
        self.pending = 0
        rec = np.frombuffer(self.calls, dtype=np.float64).reshape(-1, RECORD_WIDTH)
        self.calls = array("d")
        if self.unanswered:
            rec = np.concatenate([rec, self._unanswered_records()])
        count = rec.shape[0]
        for hook in self.batch_hooks:
            hook(rec)
        batch = self._build(rec)
        self.events_written += batch.num_rows
        self.calls_written += count
        decoded = None
        for s in self.sinks:
            if getattr(s, "accepts_encoded", False):
                s.write(batch)
            else:
                if decoded is None:
                    decoded = decode_batch(batch)
                s.write(decoded)

    def close(self) -> None:
        self.flush()
        for s in self.sinks:
            s.close()

    # -- columnar assembly -------------------------------------------------

    _EVENT_KINDS = np.array(list(EVENT_TIME_COLUMN), dtype=np.int8)
    _EVENT_COLUMNS: ClassVar[list[int]] = [int(c) for c in EVENT_TIME_COLUMN.values()]
    _COMPLETED_SLOT = list(EVENT_TIME_COLUMN).index(COMPLETED)
    _DISCONNECTED_SLOT = list(EVENT_TIME_COLUMN).index(DISCONNECTED)

    def _build(self, rec: np.ndarray) -> pa.RecordBatch:
        """One batch of events (``ENCODED_SCHEMA``) from finished calls."""
        rec = rec[np.argsort(rec[:, C.INDEX], kind="stable")]
        # Events: one per known timestamp of an event column, in time order
        # (ties: event type, then call). COMPLETED comes at the end of
        # after-contact work, or, for a contact without it (no agent talked
        # to it), right after DISCONNECTED with the same data, as Connect
        # publishes it (admin guide, "Amazon Connect contact events": COMPLETED).
        times = rec[:, self._EVENT_COLUMNS]
        acw = times[:, self._COMPLETED_SLOT]
        no_acw = np.isnan(acw)
        acw[no_acw] = times[no_acw, self._DISCONNECTED_SLOT]
        present = ~np.isnan(times)
        # Through the transpose: ordered by event type, then call; a stable
        # sort on time then gives (time, type, call) order, at half the cost
        # of a three-key lexsort.
        slot, pos = np.nonzero(present.T)
        ev_kind = self._EVENT_KINDS[slot]
        ev_t = times[pos, slot]
        order = np.argsort(ev_t, kind="stable")
        ev_t, ev_kind, pos = ev_t[order], ev_kind[order], pos[order]
        n = ev_t.size
        # Per-event copies of the call's fields, one contiguous row per field.
        r = np.ascontiguousarray(rec.T).take(pos, axis=1)
        start = self.meta.start_epoch_ms

        # Timestamps, all eight at once: shown on an event only once it has
        # happened (NaN compares False, so unknown ones drop out too).
        stamps = r[C.INITIATION : C.ACCEPTED + 1]
        known = stamps <= ev_t + 1e-9
        # The end of after-contact work is COMPLETED's news, even when the
        # wrap-up took no time and ends at the disconnect.
        known[C.ACW_END - C.INITIATION] &= ev_kind == COMPLETED
        ms = np.where(known, stamps, 0.0)
        ms *= 1000.0
        ms = np.rint(ms, out=ms).astype(np.int64)
        ms += start

        def ts_col(j: int) -> pa.Array:
            valid = np.packbits(known[j], bitorder="little")
            return pa.Array.from_buffers(TS_TYPE, n, [pa.py_buffer(valid), pa.py_buffer(ms[j])])

        ev_ms = np.rint(ev_t * 1000.0).astype(np.int64)
        ev_ms += start
        first_event = self.events_written
        event_ids = hex_ids(self.event_prefix, np.arange(first_event, first_event + n, dtype=np.int64))
        # Per-call strings are built once per call, then repeated per event.
        take = pa.array(pos)
        contact_ids = hex_ids(self.contact_prefix, rec[:, C.INDEX].astype(np.int64)).take(take)
        call_recipients = rec[:, C.RECIPIENT].astype(np.int64)
        recipients = r[C.RECIPIENT].astype(np.int64)
        agents = r[C.AGENT].astype(np.int32)
        # A previewed contact has its agent from the accept on.
        agent_known = (agents >= 0) & (
            (ev_kind >= CONNECTED_TO_AGENT) | ((ev_kind >= CONTACT_DATA_UPDATED) & ~np.isnan(r[C.ACCEPTED]))
        )
        queued_known = ~np.isnan(r[C.ENQUEUE]) & (ev_kind >= QUEUED)
        amd_code = r[C.AMD].astype(np.int32)
        reason_code = r[C.REASON].astype(np.int32)
        amd_known = (amd_code > 0) & (ev_kind >= CONNECTED_TO_SYSTEM)
        final_kind = ev_kind >= DISCONNECTED
        amd_correct = r[C.AMD_CORRECT]

        def coded(codes: np.ndarray, vocab: pa.Array, valid: np.ndarray | None = None) -> pa.Array:
            idx = pa.array(codes, type=pa.int32(), mask=None if valid is None else ~valid)
            return pa.DictionaryArray.from_arrays(idx, vocab)

        zeros = np.zeros(n, dtype=np.int32)

        def const(value: str | None) -> pa.Array:
            if value is None:
                return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), _EMPTY_VOCAB)
            return pa.DictionaryArray.from_arrays(pa.array(zeros), pa.array([value], pa.string()))

        phones = self.phone_of(call_recipients).take(take)
        zones = _as_dictionary(self.zone_of(call_recipients)).take(take)
        tokens = self.token_of(call_recipients).take(take) if self.token_of else pa.nulls(n, pa.string())
        top = int(agents.max()) + 1 if n else 1
        if max(top, 1) > len(self._agent_names):
            self._agent_names = pa.array(
                agent_uuids(self.meta.instance_id, self.meta.campaign_id, max(top, 1, 2 * len(self._agent_names))),
                pa.string(),
            )
        columns = {
            "event_id": event_ids,
            "time": pa.Array.from_buffers(TS_TYPE, n, [None, pa.py_buffer(ev_ms)]),
            "event_type": coded(ev_kind.astype(np.int32), _VOCAB_EVENT_TYPES),
            "contact_id": contact_ids,
            "campaign_id": const(self.meta.campaign_id),
            "instance_id": const(self.meta.instance_id),
            "channel": const("VOICE"),
            "initiation_method": const(self.initiation_method),
            "customer_address": phones,
            "system_address": const(self.meta.source_number),
            "queue_id": pa.DictionaryArray.from_arrays(
                pa.array(zeros, mask=~queued_known), pa.array([self._queue], pa.string())
            ),
            "agent_id": coded(np.maximum(agents, 0), self._agent_names, agent_known),
        }
        for j, name in enumerate(TS_FIELDS):
            columns[name] = ts_col(j)
        # Vocabularies without their leading None: code k is entry k - 1.
        columns["amd_status"] = coded(np.maximum(amd_code - 1, 0), _VOCAB_AMD, amd_known)
        columns["disconnect_reason"] = coded(
            np.maximum(reason_code - 1, 0), _VOCAB_REASONS, final_kind & (reason_code > 0)
        )
        columns["sim_recipient"] = pa.array(recipients, type=pa.int64())
        columns["sim_attempt"] = pa.array(r[C.ATTEMPT].astype(np.int32), type=pa.int32())
        columns["sim_party"] = coded(r[C.PARTY].astype(np.int32), _VOCAB_PARTIES)
        columns["sim_amd_correct"] = pa.array(amd_correct == 1, mask=(amd_correct < 0) | ~amd_known)
        columns["sim_time_zone"] = zones
        columns["sim_message_played"] = pa.array(r[C.MESSAGE] == 1, mask=~final_kind)
        columns["sim_opt_out"] = pa.array(r[C.OPT_OUT] == 1, mask=~final_kind)
        columns["sim_client_token"] = tokens
        return pa.RecordBatch.from_arrays([columns[c] for c in COLUMNS], schema=ENCODED_SCHEMA)


# A dial nobody answered within ringTimeout: the campaign cancels it before
# it connects, which Connect's contact records call TELECOM_ORIGINATOR_CANCEL
# ("the agent/API user cancels the call before connecting, or ... the call
# remains unanswered after 60 seconds"; admin guide, "Contact records data
# model", DisconnectReason). TELECOM_UNANSWERED is the network or handset
# refusing the call, TELECOM_TIMEOUT the network's own 60 s ring limit.
RING_OUT_REASON = REASON_CODE["TELECOM_ORIGINATOR_CANCEL"]
_VOCAB_EVENT_TYPES = pa.array(EVENT_TYPES, pa.string())
_VOCAB_AMD = pa.array(AMD_STATUSES[1:], pa.string())
_VOCAB_REASONS = pa.array(DISCONNECT_REASONS[1:], pa.string())
_VOCAB_PARTIES = pa.array(PARTIES, pa.string())
_EMPTY_VOCAB = pa.array([], pa.string())


def _as_dictionary(values: pa.Array) -> pa.Array:
    """A string column as dictionary<int32, string> (what ENCODED_SCHEMA
    holds), if it is not one already."""
    if values.type == DICT_STRING:
        return values
    if pa.types.is_dictionary(values.type):
        return values.cast(DICT_STRING)
    return pc.dictionary_encode(values.cast(pa.string()))


# ---------------------------------------------------------------------------
# Flat rows <-> EventBridge envelopes
# ---------------------------------------------------------------------------
