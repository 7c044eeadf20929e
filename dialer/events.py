"""Contact events: the flat columnar schema, the EventBridge envelope, and the
recorder the engine feeds.

Contract 2 of DESIGN.md. Each event is one row of ``EVENT_SCHEMA``; the same
row renders as an EventBridge envelope whose ``detail`` follows Amazon Connect
contact events (REFERENCE.md section 3), with what only a simulator knows in
``detail.simulation``.

The hot path keeps one record per finished call and none per event; the
event columns are built with numpy at flush time from the calls' timestamps.
An event row shows the call's timestamps up to the event's own time (like
Connect's events, a CONNECTED_TO_AGENT event does not know the disconnect).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from array import array
from itertools import chain
from typing import Any, Iterable, Iterator, Protocol

import numpy as np
import pyarrow as pa

from campaigns.timestamps import parse_iso_utc

# ---------------------------------------------------------------------------
# Vocabularies (REFERENCE.md section 3)
# ---------------------------------------------------------------------------

EVENT_TYPES = (
    "INITIATED",
    "CONNECTED_TO_SYSTEM",
    "QUEUED",
    "CONNECTED_TO_AGENT",
    "DISCONNECTED",
    "COMPLETED",
)
INITIATED, CONNECTED_TO_SYSTEM, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, COMPLETED = range(6)

AMD_STATUSES = (
    None,
    "HUMAN_ANSWERED",
    "VOICEMAIL_BEEP",
    "VOICEMAIL_NO_BEEP",
    "AMD_UNANSWERED",
    "AMD_UNRESOLVED",
    "AMD_NOT_APPLICABLE",
    "SIT_TONE_BUSY",
    "SIT_TONE_INVALID_NUMBER",
    "FAX_MACHINE_DETECTED",
)
AMD_CODE = {name: i for i, name in enumerate(AMD_STATUSES)}

DISCONNECT_REASONS = (
    None,
    "CUSTOMER_DISCONNECT",
    "AGENT_DISCONNECT",
    "CONTACT_FLOW_DISCONNECT",
    "TELECOM_BUSY",
    "TELECOM_UNANSWERED",
    "TELECOM_NUMBER_INVALID",
    "OUTBOUND_ATTEMPT_FAILED",
    "EXPIRED",
    "OTHER",
)
REASON_CODE = {name: i for i, name in enumerate(DISCONNECT_REASONS)}

# The true party behind a dial (simulation ground truth).
PARTIES = ("HUMAN", "MACHINE_BEEP", "MACHINE_NO_BEEP", "NO_ANSWER", "BUSY", "INVALID", "FAX")

_TS_FIELDS = (
    "initiation_ts",
    "connected_to_system_ts",
    "greeting_start_ts",
    "greeting_end_ts",
    "enqueue_ts",
    "connected_to_agent_ts",
    "disconnect_ts",
    "after_contact_work_end_ts",
)

_TS = pa.timestamp("ms", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("time", _TS),
        ("event_type", pa.string()),
        ("contact_id", pa.string()),
        ("campaign_id", pa.string()),
        ("instance_id", pa.string()),
        ("channel", pa.string()),
        ("initiation_method", pa.string()),
        ("customer_address", pa.string()),
        ("system_address", pa.string()),
        ("queue_id", pa.string()),
        ("agent_id", pa.string()),
        *[(name, _TS) for name in _TS_FIELDS],
        ("amd_status", pa.string()),
        ("disconnect_reason", pa.string()),
        # simulation ground truth (detail.simulation)
        ("sim_recipient", pa.int64()),
        ("sim_attempt", pa.int32()),
        ("sim_party", pa.string()),
        ("sim_amd_correct", pa.bool_()),
        ("sim_time_zone", pa.string()),
        ("sim_message_played", pa.bool_()),
        ("sim_opt_out", pa.bool_()),
        ("sim_client_token", pa.string()),
    ]
)
COLUMNS = tuple(EVENT_SCHEMA.names)


@dataclass(frozen=True)
class RunMeta:
    """What every event of one run shares."""

    campaign_id: str
    instance_id: str
    start_epoch_ms: int
    source_number: str | None = None
    queue_id: str = "outbound"
    account: str = "111122223333"
    region: str = "us-east-1"
    seed: int = 0
    # A digest of the whole document: runs that differ in any parameter get
    # different contact and event ids, even with the same name and seed.
    fingerprint: str = ""


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


class EventSink(Protocol):
    """Receives batches in ``EVENT_SCHEMA``. A sink with ``accepts_encoded =
    True`` receives them in ``ENCODED_SCHEMA`` instead (same values, the
    repetitive strings dictionary-encoded), saving the decoding."""

    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps every batch (dictionary-encoded, a fraction of the decoded
    size); ``table()`` gives the run's events in ``EVENT_SCHEMA``."""

    accepts_encoded = True

    def __init__(self) -> None:
        self.batches: list[pa.RecordBatch] = []

    def write(self, batch: pa.RecordBatch) -> None:
        self.batches.append(batch)

    def close(self) -> None:
        pass

    def table(self) -> pa.Table:
        return decode(pa.Table.from_batches(self.batches, schema=ENCODED_SCHEMA))


# Columns whose values repeat. The recorder hands them over dictionary-encoded
# (ENCODED_SCHEMA) and the Parquet writer stores those dictionaries as they
# are; ids and timestamps are nearly unique, where a dictionary only costs.
DICTIONARY_COLUMNS = [
    "event_type", "campaign_id", "instance_id", "channel", "initiation_method", "system_address",
    "queue_id", "agent_id", "amd_status", "disconnect_reason", "sim_party", "sim_time_zone",
]
_DICT_STRING = pa.dictionary(pa.int32(), pa.string())
ENCODED_SCHEMA = pa.schema([pa.field(f.name, _DICT_STRING) if f.name in DICTIONARY_COLUMNS else f for f in EVENT_SCHEMA])


def decode(data: pa.Table) -> pa.Table:
    """A table in ``ENCODED_SCHEMA`` as ``EVENT_SCHEMA`` (plain strings)."""
    return data.cast(EVENT_SCHEMA)


def decode_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [col.cast(pa.string()) if col.type == _DICT_STRING else col for col in batch.columns], schema=EVENT_SCHEMA
    )


# Min/max statistics where readers prune row groups with them (time ranges,
# event types, campaigns); on ids they cost time and help nobody.
STATISTICS_COLUMNS = ["time", "event_type", "campaign_id", "sim_recipient", *_TS_FIELDS]


class ParquetSink:
    """Streams batches into one Parquet file (zstd), never holding the run.

    It writes ``ENCODED_SCHEMA`` batches: Arrow stores their dictionaries
    directly instead of hashing every string again (measured: 40% less CPU
    than writing the decoded strings). The Arrow schema is not stored in the
    file, so every reader sees the Parquet types, which are ``EVENT_SCHEMA``'s:
    plain strings, UTC millisecond timestamps."""

    accepts_encoded = True

    def __init__(self, path, *, compression: str = "zstd") -> None:
        import pyarrow.parquet as pq

        self.path = str(path)
        self._writer = pq.ParquetWriter(
            self.path,
            ENCODED_SCHEMA,
            compression=compression,
            use_dictionary=DICTIONARY_COLUMNS,
            write_statistics=STATISTICS_COLUMNS,
            store_schema=False,
        )

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class JsonLinesSink:
    """One EventBridge envelope per line."""

    def __init__(self, path, meta: RunMeta | None = None) -> None:
        self.path = str(path)
        self._fh = open(self.path, "w", encoding="utf-8")
        self.meta = meta

    def write(self, batch: pa.RecordBatch) -> None:
        for env in iter_envelopes(pa.Table.from_batches([batch]), self.meta):
            self._fh.write(json.dumps(env, separators=(",", ":")))
            self._fh.write("\n")

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


class CallbackSink:
    """Hands each batch to a function (the API's live stream uses it)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def write(self, batch: pa.RecordBatch) -> None:
        self.fn(batch)

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------------
# The recorder the engine feeds
# ---------------------------------------------------------------------------


class Recorder:
    """Collects finished calls' records and turns them into Arrow batches of
    events once enough have finished.

    A call's events follow from its timestamps alone (INITIATED at the dial,
    CONNECTED_TO_SYSTEM at the answer, QUEUED, CONNECTED_TO_AGENT,
    DISCONNECTED, COMPLETED after wrap-up), so the hot path stores one record
    per call (``finish_call``, or ``finish_unanswered`` for a group of calls
    nobody answered) and no per-event record at all.

    Record layout (``finish_call``): call index, recipient, attempt,
    initiation, connected_to_system, greeting_start, greeting_end, enqueue,
    connected_to_agent, disconnect, acw_end (seconds since start or NaN),
    agent (-1 none), party code, amd status code, disconnect reason code,
    amd_correct (-1 unknown, 0, 1), message played, opt out.
    """

    # Record column of the timestamp each event type is emitted at.
    EVENT_TIME_COLUMN = {INITIATED: 3, CONNECTED_TO_SYSTEM: 4, QUEUED: 7, CONNECTED_TO_AGENT: 8, DISCONNECTED: 9, COMPLETED: 10}

    def __init__(
        self,
        meta: RunMeta,
        sinks: list[EventSink],
        *,
        phone_of,
        zone_of,
        token_of=None,
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
        self.phone_of = phone_of
        self.zone_of = zone_of
        self.token_of = token_of
        self.initiation_method = initiation_method
        identity = (meta.campaign_id, meta.seed, meta.start_epoch_ms, meta.fingerprint)
        self.contact_prefix = deterministic_prefix("contact", *identity)
        self.event_prefix = deterministic_prefix("event", *identity)
        self.events_written = 0
        self.calls_written = 0
        # Functions given each batch of finished calls as an (n, 18) array
        # before its events are built (the engine's vectorised tallies).
        self.batch_hooks: list = []
        self._agent_names = pa.array([], pa.string())

    def finish_call(self, record: tuple) -> None:
        self.calls.extend(record)
        if self._pending() >= self.batch_calls:
            self.flush()

    def _pending(self) -> int:
        """Finished calls waiting for the next flush (18 values per full
        record, 3 per compact unanswered one)."""
        return len(self.calls) // 18 + len(self.unanswered) // 3

    def finish_unanswered(self, calls: list[tuple[int, int, int]], t_init: float, t_disc: float, amd: int) -> None:
        """Calls (call index, recipient, attempt) dialled together at
        ``t_init`` that rang out unanswered at ``t_disc``."""
        self.unanswered.extend(chain.from_iterable(calls))
        self.unanswered_groups.extend((t_init, t_disc, amd, len(calls)))
        if self._pending() >= self.batch_calls:
            self.flush()

    def _unanswered_records(self) -> np.ndarray:
        ids = np.frombuffer(self.unanswered, dtype=np.float64).reshape(-1, 3)
        g = np.frombuffer(self.unanswered_groups, dtype=np.float64).reshape(-1, 4)
        self.unanswered, self.unanswered_groups = array("d"), array("d")
        count = ids.shape[0]
        sizes = g[:, 3].astype(np.int64)
        rec = np.full((count, 18), np.nan)
        rec[:, :3] = ids
        rec[:, 3] = np.repeat(g[:, 0], sizes)
        rec[:, 9] = np.repeat(g[:, 1], sizes)
        rec[:, 13] = np.repeat(g[:, 2], sizes)
        rec[:, 11] = -1.0  # no agent
        rec[:, 12] = _PARTY_NO_ANSWER
        rec[:, 14] = _REASON_UNANSWERED
        rec[:, 15] = -1.0  # AMD correctness unknown
        rec[:, 16:18] = 0.0  # no message, no opt-out
        return rec

    def flush(self) -> None:
        if not self.calls and not self.unanswered:
            return
        rec = np.frombuffer(self.calls, dtype=np.float64).reshape(-1, 18)
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
    _EVENT_COLUMNS = list(EVENT_TIME_COLUMN.values())

    def _build(self, rec: np.ndarray) -> pa.RecordBatch:
        """One batch of events (``ENCODED_SCHEMA``) from finished calls."""
        rec = rec[np.argsort(rec[:, 0], kind="stable")]
        # Events: one per known timestamp of an event column, in time order
        # (ties: event type, then call).
        present = ~np.isnan(rec[:, self._EVENT_COLUMNS])
        # Through the transpose: ordered by event type, then call; a stable
        # sort on time then gives (time, type, call) order, at half the cost
        # of a three-key lexsort.
        slot, pos = np.nonzero(present.T)
        ev_kind = self._EVENT_KINDS[slot]
        ev_t = rec[pos, np.asarray(self._EVENT_COLUMNS)[slot]]
        order = np.argsort(ev_t, kind="stable")
        ev_t, ev_kind, pos = ev_t[order], ev_kind[order], pos[order]
        n = ev_t.size
        # Per-event copies of the call's fields, one contiguous row per field.
        r = np.ascontiguousarray(rec.T).take(pos, axis=1)
        start = self.meta.start_epoch_ms

        # Timestamps, all eight at once: shown on an event only once it has
        # happened (NaN compares False, so unknown ones drop out too).
        stamps = r[3:11]
        known = stamps <= ev_t + 1e-9
        ms = np.where(known, stamps, 0.0)
        ms *= 1000.0
        ms = np.rint(ms, out=ms).astype(np.int64)
        ms += start

        def ts_col(j: int) -> pa.Array:
            valid = np.packbits(known[j], bitorder="little")
            return pa.Array.from_buffers(_TS, n, [pa.py_buffer(valid), pa.py_buffer(ms[j])])

        ev_ms = np.rint(ev_t * 1000.0).astype(np.int64)
        ev_ms += start
        first_event = self.events_written
        event_ids = hex_ids(self.event_prefix, np.arange(first_event, first_event + n, dtype=np.int64))
        # Per-call strings are built once per call, then repeated per event.
        take = pa.array(pos)
        contact_ids = hex_ids(self.contact_prefix, rec[:, 0].astype(np.int64)).take(take)
        call_recipients = rec[:, 1].astype(np.int64)
        recipients = r[1].astype(np.int64)
        agents = r[11].astype(np.int32)
        agent_known = (agents >= 0) & (ev_kind >= CONNECTED_TO_AGENT)
        queued_known = ~np.isnan(r[7]) & (ev_kind >= QUEUED)
        amd_code = r[13].astype(np.int32)
        reason_code = r[14].astype(np.int32)
        amd_known = (amd_code > 0) & (ev_kind >= CONNECTED_TO_SYSTEM)
        final_kind = ev_kind >= DISCONNECTED
        amd_correct = r[15]

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
            self._agent_names = pa.array([f"agent-{a:04d}" for a in range(max(top, 1, 2 * len(self._agent_names)))], pa.string())
        columns = {
            "event_id": event_ids,
            "time": pa.Array.from_buffers(_TS, n, [None, pa.py_buffer(ev_ms)]),
            "event_type": coded(ev_kind.astype(np.int32), _VOCAB_EVENT_TYPES),
            "contact_id": contact_ids,
            "campaign_id": const(self.meta.campaign_id),
            "instance_id": const(self.meta.instance_id),
            "channel": const("VOICE"),
            "initiation_method": const(self.initiation_method),
            "customer_address": phones,
            "system_address": const(self.meta.source_number),
            "queue_id": pa.DictionaryArray.from_arrays(pa.array(zeros, mask=~queued_known), pa.array([self.meta.queue_id], pa.string())),
            "agent_id": coded(np.maximum(agents, 0), self._agent_names, agent_known),
        }
        for j, name in enumerate(_TS_FIELDS):
            columns[name] = ts_col(j)
        # Vocabularies without their leading None: code k is entry k - 1.
        columns["amd_status"] = coded(np.maximum(amd_code - 1, 0), _VOCAB_AMD, amd_known)
        columns["disconnect_reason"] = coded(np.maximum(reason_code - 1, 0), _VOCAB_REASONS, final_kind & (reason_code > 0))
        columns["sim_recipient"] = pa.array(recipients, type=pa.int64())
        columns["sim_attempt"] = pa.array(r[2].astype(np.int32), type=pa.int32())
        columns["sim_party"] = coded(r[12].astype(np.int32), _VOCAB_PARTIES)
        columns["sim_amd_correct"] = pa.array(amd_correct == 1, mask=(amd_correct < 0) | ~amd_known)
        columns["sim_time_zone"] = zones
        columns["sim_message_played"] = pa.array(r[16] == 1, mask=~final_kind)
        columns["sim_opt_out"] = pa.array(r[17] == 1, mask=~final_kind)
        columns["sim_client_token"] = tokens
        return pa.RecordBatch.from_arrays([columns[c] for c in COLUMNS], schema=ENCODED_SCHEMA)


_PARTY_NO_ANSWER = PARTIES.index("NO_ANSWER")
_REASON_UNANSWERED = REASON_CODE["TELECOM_UNANSWERED"]
_VOCAB_EVENT_TYPES = pa.array(EVENT_TYPES, pa.string())
_VOCAB_AMD = pa.array(AMD_STATUSES[1:], pa.string())
_VOCAB_REASONS = pa.array(DISCONNECT_REASONS[1:], pa.string())
_VOCAB_PARTIES = pa.array(PARTIES, pa.string())
_EMPTY_VOCAB = pa.array([], pa.string())


def _as_dictionary(values: pa.Array) -> pa.Array:
    """A string column as dictionary<int32, string> (what ENCODED_SCHEMA
    holds), if it is not one already."""
    if values.type == _DICT_STRING:
        return values
    if pa.types.is_dictionary(values.type):
        return values.cast(_DICT_STRING)
    import pyarrow.compute as pc

    return pc.dictionary_encode(values.cast(pa.string()))


# ---------------------------------------------------------------------------
# Flat rows <-> EventBridge envelopes
# ---------------------------------------------------------------------------


def iso_ms(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _arn(meta_region: str, account: str, instance: str) -> str:
    return f"arn:aws:connect:{meta_region}:{account}:instance/{instance}"


def row_to_envelope(row: dict, meta: RunMeta | None = None) -> dict:
    """One flat event row as an EventBridge envelope of an Amazon Connect
    contact event."""
    account = meta.account if meta else "111122223333"
    region = meta.region if meta else "us-east-1"
    instance_arn = _arn(region, account, row["instance_id"])
    detail: dict[str, Any] = {
        "eventType": row["event_type"],
        "contactId": row["contact_id"],
        "initialContactId": row["contact_id"],
        "channel": row["channel"],
        "instanceArn": instance_arn,
        "initiationMethod": row["initiation_method"],
        "campaign": {"campaignId": row["campaign_id"]},
        "customerEndpoint": {"type": "TELEPHONE_NUMBER", "address": row["customer_address"]},
        "initiationTimestamp": iso_ms(row["initiation_ts"]),
    }
    if row.get("system_address"):
        detail["systemEndpoint"] = {"type": "TELEPHONE_NUMBER", "address": row["system_address"]}
    if row.get("connected_to_system_ts") is not None:
        detail["connectedToSystemTimestamp"] = iso_ms(row["connected_to_system_ts"])
    if row.get("amd_status"):
        detail["answeringMachineDetectionStatus"] = row["amd_status"]
    if row.get("greeting_start_ts") is not None or row.get("greeting_end_ts") is not None:
        detail["customerVoiceActivity"] = {
            "greetingStartTimestamp": iso_ms(row.get("greeting_start_ts")),
            "greetingEndTimestamp": iso_ms(row.get("greeting_end_ts")),
        }
    if row.get("queue_id"):
        detail["queueInfo"] = {
            "queueArn": f"{instance_arn}/queue/{row['queue_id']}",
            "enqueueTimestamp": iso_ms(row.get("enqueue_ts")),
        }
    if row.get("agent_id"):
        detail["agentInfo"] = {
            "agentArn": f"{instance_arn}/agent/{row['agent_id']}",
            "connectedToAgentTimestamp": iso_ms(row.get("connected_to_agent_ts")),
        }
    if row.get("disconnect_ts") is not None:
        detail["disconnectTimestamp"] = iso_ms(row["disconnect_ts"])
    if row.get("disconnect_reason"):
        detail["disconnectReason"] = row["disconnect_reason"]
    sim = {
        "party": row.get("sim_party"),
        "recipientIndex": row.get("sim_recipient"),
        "attempt": row.get("sim_attempt"),
        "timeZone": row.get("sim_time_zone"),
    }
    for key, col in (
        ("amdCorrect", "sim_amd_correct"),
        ("messagePlayed", "sim_message_played"),
        ("optOut", "sim_opt_out"),
        ("clientToken", "sim_client_token"),
    ):
        if row.get(col) is not None:
            sim[key] = row[col]
    if row.get("after_contact_work_end_ts") is not None:
        sim["afterContactWorkEndTimestamp"] = iso_ms(row["after_contact_work_end_ts"])
    detail["simulation"] = sim
    return {
        "version": "0",
        "id": row["event_id"],
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": account,
        "time": iso_ms(row["time"]),
        "region": region,
        "resources": [f"{instance_arn}/contact/{row['contact_id']}", instance_arn],
        "detail": detail,
    }


def iter_envelopes(table: pa.Table, meta: RunMeta | None = None) -> Iterator[dict]:
    for batch in table.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            yield row_to_envelope(row, meta)


class EventFormatError(ValueError):
    """An event that cannot be read; names the event (line or id) and field."""


def _parse_ts(value: Any, where: str, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventFormatError(f"{where}: {field} must be an ISO 8601 timestamp, got {value!r}")
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise EventFormatError(f"{where}: {field} is not an ISO 8601 timestamp: {value!r}") from None


def envelope_to_row(env: dict, where: str = "event") -> dict:
    """An EventBridge envelope (ours, or a real Connect event) as a flat row.
    Missing optional fields become nulls; missing required ones raise
    ``EventFormatError`` naming the event and the field."""
    if not isinstance(env, dict):
        raise EventFormatError(f"{where}: not a JSON object")
    d = env.get("detail")
    if not isinstance(d, dict):
        raise EventFormatError(f"{where}: missing field 'detail'")
    for req in ("eventType", "contactId"):
        if not d.get(req):
            raise EventFormatError(f"{where}: missing field 'detail.{req}'")
    if not env.get("time"):
        raise EventFormatError(f"{where}: missing field 'time'")
    sim = d.get("simulation") or {}
    voice = d.get("customerVoiceActivity") or {}
    queue = d.get("queueInfo") or {}
    agent = d.get("agentInfo") or {}
    instance_arn = d.get("instanceArn") or ""
    agent_arn = agent.get("agentArn") or ""
    queue_arn = queue.get("queueArn") or ""
    ts = lambda v, f: _parse_ts(v, where, f)  # noqa: E731
    return {
        "event_id": env.get("id") or "",
        "time": ts(env.get("time"), "time"),
        "event_type": d["eventType"],
        "contact_id": d["contactId"],
        "campaign_id": (d.get("campaign") or {}).get("campaignId"),
        "instance_id": instance_arn.rsplit("/", 1)[-1] if instance_arn else None,
        "channel": d.get("channel"),
        "initiation_method": d.get("initiationMethod"),
        "customer_address": (d.get("customerEndpoint") or {}).get("address"),
        "system_address": (d.get("systemEndpoint") or {}).get("address"),
        "queue_id": queue_arn.rsplit("/", 1)[-1] if queue_arn else None,
        "agent_id": agent_arn.rsplit("/", 1)[-1] if agent_arn else None,
        "initiation_ts": ts(d.get("initiationTimestamp"), "detail.initiationTimestamp"),
        "connected_to_system_ts": ts(d.get("connectedToSystemTimestamp"), "detail.connectedToSystemTimestamp"),
        "greeting_start_ts": ts(voice.get("greetingStartTimestamp"), "detail.customerVoiceActivity.greetingStartTimestamp"),
        "greeting_end_ts": ts(voice.get("greetingEndTimestamp"), "detail.customerVoiceActivity.greetingEndTimestamp"),
        "enqueue_ts": ts(queue.get("enqueueTimestamp"), "detail.queueInfo.enqueueTimestamp"),
        "connected_to_agent_ts": ts(agent.get("connectedToAgentTimestamp"), "detail.agentInfo.connectedToAgentTimestamp"),
        "disconnect_ts": ts(d.get("disconnectTimestamp"), "detail.disconnectTimestamp"),
        "after_contact_work_end_ts": ts(sim.get("afterContactWorkEndTimestamp"), "detail.simulation.afterContactWorkEndTimestamp"),
        "amd_status": d.get("answeringMachineDetectionStatus"),
        "disconnect_reason": d.get("disconnectReason"),
        "sim_recipient": sim.get("recipientIndex"),
        "sim_attempt": sim.get("attempt"),
        "sim_party": sim.get("party"),
        "sim_amd_correct": sim.get("amdCorrect"),
        "sim_time_zone": sim.get("timeZone"),
        "sim_message_played": sim.get("messagePlayed"),
        "sim_opt_out": sim.get("optOut"),
        "sim_client_token": sim.get("clientToken"),
    }


def envelopes_to_table(envelopes: Iterable[dict]) -> pa.Table:
    rows = [envelope_to_row(e, f"event {i + 1}") for i, e in enumerate(envelopes)]
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


@dataclass
class ReadResult:
    table: pa.Table
    errors: list[str]


def read_events(source, *, strict: bool = False) -> ReadResult:
    """Events from a Parquet file, a JSON-lines file of envelopes, a table, or
    a list of envelopes. Unreadable lines are reported (line number, reason)
    and skipped, so a truncated file still yields its good events; with
    ``strict`` the first error raises."""
    import os

    if isinstance(source, pa.Table):
        return ReadResult(source, [])
    if isinstance(source, list):
        rows, errors = [], []
        for i, e in enumerate(source):
            try:
                rows.append(envelope_to_row(e, f"event {i + 1}"))
            except EventFormatError as exc:
                if strict:
                    raise
                errors.append(str(exc))
        return ReadResult(pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), errors)
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such events file: {path!r}")
    if path.endswith((".parquet", ".pq")) or os.path.isdir(path):
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise EventFormatError(f"{path}: not a readable Parquet file ({exc})") from None
        missing = [c for c in ("event_type", "contact_id", "time") if c not in table.column_names]
        if missing:
            raise EventFormatError(f"{path}: missing column(s) {missing}")
        for name in COLUMNS:
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, EVENT_SCHEMA.field(name).type))
        return ReadResult(table.select(list(COLUMNS)), [])
    rows, errors = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                env = json.loads(line)
                rows.append(envelope_to_row(env, where))
            except json.JSONDecodeError as exc:
                msg = f"{where}: not valid JSON ({exc.msg}); line skipped"
                if strict:
                    raise EventFormatError(msg) from None
                errors.append(msg)
            except EventFormatError as exc:
                if strict:
                    raise
                errors.append(f"{exc}; line skipped")
    return ReadResult(pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), errors)


def new_campaign_id() -> str:
    return str(uuid.uuid4())
