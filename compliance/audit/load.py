"""Loading and validating event files for the audit: one row per call (the
DISCONNECTED event carries all of a call's timestamps), as numpy arrays.
Parquet is read column by column in batches; tables, envelopes and JSON lines
go through ``eventlog.read_events``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from compliance.audit.order import number_time_order
from eventlog import EVENT_SCHEMA, EventFormatError, read_events

NEEDED = (
    "time",
    "event_type",
    "contact_id",
    "campaign_id",
    "instance_id",
    "customer_address",
    "initiation_ts",
    "connected_to_system_ts",
    "greeting_start_ts",
    "greeting_end_ts",
    "enqueue_ts",
    "connected_to_agent_ts",
    "disconnect_ts",
    "amd_status",
    "disconnect_reason",
    "sim_party",
    "sim_amd_correct",
    "sim_time_zone",
    "sim_message_played",
    "sim_opt_out",
)
REQUIRED = ("event_type", "contact_id", "time")
_TS = pa.timestamp("ms", tz="UTC")


class AuditInputError(ValueError):
    """Events that cannot be audited at all (unreadable file, missing columns)."""


class Strings:
    """A string column as codes into its distinct raw values (``values``, in
    order of first appearance); the code ``len(values)`` is null."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: list[Any]) -> None:
        self.codes = codes
        self.values = values

    def flags(self, pred: Callable[[Any], object]) -> np.ndarray:
        lut = np.array([bool(pred(v)) for v in self.values] + [False], dtype=bool)
        flags: np.ndarray = lut[self.codes]
        return flags

    def eq(self, value: str) -> np.ndarray:
        return self.flags(lambda v: v == value)

    def isin(self, values: Sequence[str]) -> np.ndarray:
        wanted = set(values)
        return self.flags(lambda v: v in wanted)

    def is_null(self) -> np.ndarray:
        null: np.ndarray = self.codes == len(self.values)
        return null

    def named(self) -> tuple[np.ndarray, list[str | None]]:
        """(codes, names) as ``_codes`` gives them: empty strings read as None,
        nulls have the last code."""
        if self.codes.size == 0:
            return np.zeros(0, dtype=np.int64), []
        return self.codes.astype(np.int64, copy=False), [x or None for x in self.values] + [None]


@dataclass
class Calls:
    """One row per call, as numpy arrays: timestamps as float64 epoch
    milliseconds (NaN for null), strings as codes, booleans as (value, known),
    the callee's number as int64 digits (-1: not E.164)."""

    n: int
    time: np.ndarray | None  # None: ``init`` already falls back on ``time``
    init: np.ndarray
    cts: np.ndarray
    g_start: np.ndarray
    g_end: np.ndarray
    enq: np.ndarray
    agent: np.ndarray
    disc: np.ndarray
    amd: Strings
    reason: Strings
    party: Strings
    campaign: Strings
    instance: Strings
    time_zone: Strings
    amd_correct: tuple[np.ndarray, np.ndarray]
    message_played: tuple[np.ndarray, np.ndarray]
    opt_out: tuple[np.ndarray, np.ndarray]
    numbers: np.ndarray
    contact_ids: Callable[[np.ndarray], list[str]]  # row indices -> their contact ids
    by_number: np.ndarray | None = None  # calls with a number, by number then time (set by ``dedupe``)
    duplicates: int = 0  # duplicate events dropped (same event id, exact copies, a call's repeated DISCONNECTED)
    never_dialled: int = 0  # rows of requests never dialled (``EXPIRED``), left out: not calls


_TS_COLUMNS = (
    "initiation_ts",
    "connected_to_system_ts",
    "greeting_start_ts",
    "greeting_end_ts",
    "enqueue_ts",
    "connected_to_agent_ts",
    "disconnect_ts",
)
_TS_FIELDS = ("init", "cts", "g_start", "g_end", "enq", "agent", "disc")
_STRING_COLUMNS = ("amd_status", "disconnect_reason", "sim_party", "campaign_id", "instance_id", "sim_time_zone")
_STRING_FIELDS = ("amd", "reason", "party", "campaign", "instance", "time_zone")
_BOOL_COLUMNS = ("sim_amd_correct", "sim_message_played", "sim_opt_out")
_BOOL_FIELDS = ("amd_correct", "message_played", "opt_out")


_TIME_COLUMNS = ("time", *_TS_COLUMNS)
_TEXT_COLUMNS = ("event_id", "event_type", "contact_id", "customer_address", *_STRING_COLUMNS)


def check_types(schema: pa.Schema, where: str) -> None:
    """Every column the audit reads has a type it can read: timestamps (or
    ISO text), text, booleans; else ``AuditInputError`` naming the column
    (a column of numbers where text is expected would silently match
    nothing: 0 live answers, a false pass)."""
    for f in schema:
        t = f.type
        if pa.types.is_null(t):
            continue
        if pa.types.is_dictionary(t):
            t = t.value_type
        text = pa.types.is_string(t) or pa.types.is_large_string(t)
        if f.name in _TIME_COLUMNS and not (pa.types.is_timestamp(t) or text):
            raise AuditInputError(f"{where}: column {f.name!r} has type {f.type}, expected a timestamp")
        if f.name in _TEXT_COLUMNS and not text:
            raise AuditInputError(f"{where}: column {f.name!r} has type {f.type}, expected text (string)")
        if f.name in _BOOL_COLUMNS and not pa.types.is_boolean(t):
            raise AuditInputError(f"{where}: column {f.name!r} has type {f.type}, expected a boolean")


def load_calls(events: Any) -> tuple[Calls, int, list[str]]:
    """(calls, number of events, input findings). Raises ``AuditInputError``
    for input that cannot be audited: unreadable, a column of the wrong type
    (named), or no contact events at all."""
    calls, n_events, findings = _load(events)
    where = os.fspath(events) if isinstance(events, (str, os.PathLike)) else "events"
    if calls.n == 0:
        raise AuditInputError(f"{where}: no contact events ({n_events} event(s) read, none of a contact)")
    calls = drop_never_dialled(calls)
    if calls.never_dialled:
        findings.append(
            f"{calls.never_dialled} outbound request(s) never dialled (disconnect reason EXPIRED) left out: not calls"
        )
    calls = dedupe(calls)
    if calls.duplicates:
        findings.append(f"{calls.duplicates} duplicate event(s) dropped (same event id, or exact copies)")
    return calls, n_events, findings


def _load(events: Any) -> tuple[Calls, int, list[str]]:
    findings: list[str] = []
    if isinstance(events, (str, os.PathLike)):
        path = os.fspath(events)
        if not os.path.exists(path):
            raise AuditInputError(f"no such events file: {path}")
        if path.endswith((".parquet", ".pq")) or os.path.isdir(path):
            parquet: tuple[Calls, int, list[str]] = _load_parquet(path)
            return parquet
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise AuditInputError(f"{path}: empty file, no contact events")
    try:
        result = read_events(events)
    except (EventFormatError, FileNotFoundError, UnicodeDecodeError) as exc:
        raise AuditInputError(str(exc)) from None
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, KeyError) as exc:
        raise AuditInputError(f"events cannot be read: {exc}") from None
    findings.extend(result.errors)
    table = result.table
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise AuditInputError(f"events: missing column(s) {missing}")
    check_types(table.schema, "events")
    n_events = table.num_rows
    table, dropped = _drop_duplicate_events(table)
    table = _with_columns(table, findings)
    is_disc = pc.fill_null(pc.equal(table["event_type"], "DISCONNECTED"), False)
    calls = table.filter(is_disc)
    # Calls whose DISCONNECTED event is missing (a truncated log): audit them
    # from their latest event, and say so.
    others = table.filter(pc.invert(is_disc))
    if others.num_rows:
        orphan = others.filter(
            pc.invert(pc.fill_null(pc.is_in(others["contact_id"], value_set=calls["contact_id"]), False))
        )
        if orphan.num_rows:
            orphan = orphan.sort_by([("contact_id", "ascending"), ("time", "descending")])
            ids = orphan["contact_id"].to_numpy(zero_copy_only=False)
            first = np.ones(ids.size, dtype=bool)
            first[1:] = ids[1:] != ids[:-1]
            last_rows = orphan.filter(pa.array(first))
            findings.append(
                f"{last_rows.num_rows} call(s) have no DISCONNECTED event (truncated log?); audited from their latest event"
            )
            calls = pa.concat_tables([calls, last_rows.cast(calls.schema)])
    out = _calls_from_table(calls)
    out.duplicates = dropped
    return out, n_events, findings


def _drop_duplicate_events(table: pa.Table) -> tuple[pa.Table, int]:
    """Events delivered more than once (EventBridge delivers at least once):
    the same ``event_id``, or, without one, an exact copy of another row.
    The first is kept; returns (table, rows dropped)."""
    n = table.num_rows
    if n < 2:
        return table, 0
    keep = np.ones(n, dtype=bool)
    if "event_id" in table.column_names:
        # The same id for the same contact and event type: a redelivery. (An id
        # reused by another contact is another event, kept.)
        def codes_of(name: str) -> np.ndarray:
            enc = pc.dictionary_encode(table[name].combine_chunks())
            return np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)

        ids = codes_of("event_id")
        has = ids >= 0
        key = np.stack([ids, codes_of("contact_id"), codes_of("event_type")], axis=1)[has]
        _, first = np.unique(key, axis=0, return_index=True)
        seen = np.zeros(n, dtype=bool)
        seen[np.flatnonzero(has)[first]] = True
        keep[has] = seen[has]
        without = np.flatnonzero(~has)
    else:
        without = np.arange(n)
    if without.size > 1:
        rows = table.take(pa.array(without)).to_pylist()
        seen_rows: set[tuple[Any, ...]] = set()
        for j, row in zip(without.tolist(), rows, strict=True):
            row_key = tuple(sorted((k, repr(v)) for k, v in row.items()))
            if row_key in seen_rows:
                keep[j] = False
            else:
                seen_rows.add(row_key)
    dropped = int(n - keep.sum())
    return (table.filter(pa.array(keep)) if dropped else table), dropped


# Disconnect reasons of a contact that was never dialled: the request reached
# its expirationTime before the dialer had capacity for it (REFERENCE.md;
# the engine writes it with no initiation timestamp, dialer/engine.py
# ``_expire``). Connect may still give such a contact an initiation
# timestamp (when it created it), so the reason alone decides.
NEVER_DIALLED = ("EXPIRED",)


def drop_never_dialled(calls: Calls) -> Calls:
    """Leave out the rows of requests that were never dialled: their time is
    the request's expiry, and taken for a dial's it would make a call of it
    (at 23:00, a fourth in 24 h, to a listed number...). Counted in
    ``calls.never_dialled``."""
    never = calls.reason.isin(NEVER_DIALLED)
    count = int(never.sum())
    if not count:
        return calls
    out = _subset(calls, ~never)
    out.never_dialled = calls.never_dialled + count
    return out


def dedupe(calls: Calls) -> Calls:
    """Drop a call's repeated DISCONNECTED event (the same contact with the
    same number, times and outcome), and order the calls by number and time
    for the per-number rules (``calls.by_number``). Candidates are adjacent
    in that order with equal timestamps; only they have their contact ids
    read, so a clean log costs one sort (which the per-number rules need
    anyway)."""
    t_init = calls.init if calls.time is None else np.where(np.isnan(calls.init), calls.time, calls.init)
    order = number_time_order(calls.numbers, t_init)
    if order.size > 1:
        num_o, t_o = calls.numbers[order], t_init[order]
        same = (num_o[1:] == num_o[:-1]) & (t_o[1:] == t_o[:-1])
        del num_o, t_o
        if same.any():
            a, b = order[:-1], order[1:]
            for arr in (calls.disc, calls.cts, calls.g_start, calls.g_end, calls.agent, calls.enq):
                x, y = arr[a], arr[b]
                same &= (x == y) | (np.isnan(x) & np.isnan(y))
            for st in (calls.amd, calls.party, calls.reason, calls.campaign):
                same &= st.codes[a] == st.codes[b]
        cand = np.flatnonzero(same)
        if cand.size:
            a, b = order[:-1], order[1:]
            ids_a = calls.contact_ids(a[cand])
            ids_b = calls.contact_ids(b[cand])
            dup = np.asarray([x == y for x, y in zip(ids_a, ids_b, strict=True)], dtype=bool)
            drop = b[cand[dup]]
            if drop.size:
                keep = np.ones(calls.n, dtype=bool)
                keep[drop] = False
                calls = _subset(calls, keep)
                calls.duplicates += int(drop.size)
                t_init = t_init[keep]
                order = number_time_order(calls.numbers, t_init)
    calls.by_number = order
    return calls


def _subset(calls: Calls, keep: np.ndarray) -> Calls:
    """The rows ``keep`` of ``calls`` (counters carried over; ``by_number`` is not)."""
    rows = np.flatnonzero(keep)
    parent = calls.contact_ids

    def contact_ids(idx: np.ndarray) -> list[str]:
        return list(parent(rows[np.asarray(idx, dtype=np.int64)]))

    def strings(st: Strings) -> Strings:
        return Strings(st.codes[keep], st.values)

    def pair(p: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return p[0][keep], p[1][keep]

    return Calls(
        n=int(rows.size),
        time=None if calls.time is None else calls.time[keep],
        init=calls.init[keep],
        cts=calls.cts[keep],
        g_start=calls.g_start[keep],
        g_end=calls.g_end[keep],
        enq=calls.enq[keep],
        agent=calls.agent[keep],
        disc=calls.disc[keep],
        amd=strings(calls.amd),
        reason=strings(calls.reason),
        party=strings(calls.party),
        campaign=strings(calls.campaign),
        instance=strings(calls.instance),
        time_zone=strings(calls.time_zone),
        amd_correct=pair(calls.amd_correct),
        message_played=pair(calls.message_played),
        opt_out=pair(calls.opt_out),
        numbers=calls.numbers[keep],
        contact_ids=contact_ids,
        duplicates=calls.duplicates,
        never_dialled=calls.never_dialled,
    )


def _calls_from_table(calls: pa.Table) -> Calls:
    """The in-memory (table, JSON lines, envelopes) path."""
    n = calls.num_rows
    contact_col = calls["contact_id"]

    def contact_ids(idx: np.ndarray) -> list[str]:
        return [str(x) for x in contact_col.take(pa.array(idx)).to_pylist()]

    kw: dict[str, Any] = {}
    for col, name in zip(_TS_COLUMNS, _TS_FIELDS, strict=True):
        try:
            kw[name] = _ms(calls[col])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise AuditInputError(f"events: column {col!r}: not timestamps ({exc})") from None
    for col, name in zip(_STRING_COLUMNS, _STRING_FIELDS, strict=True):
        kw[name] = _strings(calls[col])
    for col, name in zip(_BOOL_COLUMNS, _BOOL_FIELDS, strict=True):
        kw[name] = _bool(calls[col])
    try:
        time_ms = _ms(calls["time"])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise AuditInputError(f"events: column 'time': not timestamps ({exc})") from None
    return Calls(n=n, time=time_ms, numbers=_numbers(calls["customer_address"]), contact_ids=contact_ids, **kw)


def _strings(col: pa.Array | pa.ChunkedArray) -> Strings:
    n = len(col)
    if n == 0:
        return Strings(np.zeros(0, dtype=np.int64), [])
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    values = enc.dictionary.to_pylist()
    codes = pc.fill_null(enc.indices, len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    return Strings(codes, values)


# The Parquet path converts Arrow buffers to numpy directly (no
# ``to_numpy``, which would import pandas and copy).

_INT_DTYPES = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.uint16(): np.uint16,
    pa.uint32(): np.uint32,
    pa.uint64(): np.uint64,
}


def _np_ints(arr: pa.Array) -> np.ndarray:
    """The values of a fixed-width integer (or int64-like) array as a numpy
    view; null slots hold unspecified values."""
    n = len(arr)
    dtype = np.int64 if pa.types.is_timestamp(arr.type) else _INT_DTYPES[arr.type]
    if n == 0:
        return np.zeros(0, dtype=dtype)
    itemsize = np.dtype(dtype).itemsize
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=n, offset=arr.offset * itemsize)


def _pa_ints(values: np.ndarray) -> pa.Array:
    """A numpy int64 array as an Arrow array (``pa.array`` would import pandas)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), values.size, [None, pa.py_buffer(values)])


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8, count=(offset + n + 7) // 8), bitorder="little")
    return bits[offset : offset + n].view(bool)


def _valid_bits(arr: pa.Array) -> np.ndarray:
    n = len(arr)
    if arr.null_count == 0:
        return np.ones(n, dtype=bool)
    if arr.null_count == n or arr.buffers()[0] is None:
        return np.zeros(n, dtype=bool)
    return _bits(arr.buffers()[0], arr.offset, n)


def _codes_chunk(chunk: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """(codes, dictionary values) of a string chunk; nulls get ``len(values)``."""
    if pa.types.is_null(chunk.type):
        return np.zeros(len(chunk), dtype=np.int32), []
    if not pa.types.is_dictionary(chunk.type):
        chunk = pc.dictionary_encode(chunk)
    values = chunk.dictionary.to_pylist()
    idx = chunk.indices
    codes = _np_ints(idx).astype(np.int32)
    if idx.null_count:
        codes[~_valid_bits(idx)] = len(values)
    return codes, values


class _StringsBuilder:
    """Unifies the dictionaries of successive chunks (first appearance order,
    as ``Table.unify_dictionaries`` does) and writes the codes of the kept rows."""

    def __init__(self, capacity: int) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []
        self.codes = np.empty(capacity, dtype=np.int32)

    def add(self, chunk: pa.Array, keep: np.ndarray, pos: int, count: int) -> None:
        """``keep``: the kept rows' positions in ``chunk``."""
        codes, local = _codes_chunk(chunk)
        remap = np.empty(len(local) + 1, dtype=np.int32)
        for k, v in enumerate(local):
            code = self.index.get(v)
            if code is None:
                code = self.index[v] = len(self.values)
                self.values.append(v)
            remap[k] = code
        remap[len(local)] = -1  # null: the last code, known at the end
        self.codes[pos : pos + count] = remap[np.take(codes, keep)]

    def build(self, n: int) -> Strings:
        codes = self.codes[:n]
        codes[codes < 0] = len(self.values)
        return Strings(codes, self.values)


def _ms_into(out: np.ndarray, arr: pa.Array, keep: np.ndarray) -> None:
    """One timestamp chunk's kept rows (positions ``keep``) -> float64 epoch
    ms (NaN null) in ``out``."""
    if pa.types.is_null(arr.type):
        out[:] = np.nan
        return
    if pa.types.is_timestamp(arr.type):
        if arr.type != _TS:
            arr = arr.cast(_TS)
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, _TS)
    else:
        arr = arr.cast(pa.int64())
    values = np.take(_np_ints(arr), keep)
    if arr.null_count:
        np.copyto(out, np.where(np.take(_valid_bits(arr), keep), values, np.nan))
    else:
        out[:] = values


def _bool_into(value: np.ndarray, known: np.ndarray, arr: pa.Array, keep: np.ndarray) -> None:
    if pa.types.is_null(arr.type):
        value[:] = False
        known[:] = False
        return
    if not pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.bool_())
    valid = np.take(_valid_bits(arr), keep)
    bits = np.take(_bits(arr.buffers()[1], arr.offset, len(arr)), keep) if len(arr) else np.zeros(0, bool)
    value[:] = bits & valid
    known[:] = valid


def _numbers_chunk(arr: pa.Array, keep_idx: np.ndarray) -> np.ndarray:
    """E.164 text of the rows ``keep_idx`` -> int64 digits (-1: not E.164),
    read straight from the string buffers (as ``_numbers``: '+' and 1 to 15
    ASCII digits)."""
    m = keep_idx.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if not pa.types.is_string(arr.type):
        return _numbers(arr.take(_pa_ints(keep_idx)))
    if arr.null_count == len(arr):
        return np.full(m, -1, dtype=np.int64)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    start = np.take(offsets, keep_idx)
    length = np.take(offsets, keep_idx + 1) - start
    ok = (length >= 2) & (length <= 16)
    if arr.null_count:
        ok &= np.take(_valid_bits(arr), keep_idx)
    out = np.full(m, -1, dtype=np.int64)
    if not data.size or not ok.any():
        return out
    # One pass per digit over the numbers of each length (usually one length):
    # the bytes' values are summed and the '0's taken off at the end.
    per_length = np.bincount(length[ok], minlength=17)
    for size in np.flatnonzero(per_length).tolist():
        rows = np.arange(m) if per_length[size] == m else np.flatnonzero(ok & (length == size))
        at = start[rows].astype(np.intp)
        bad = np.take(data, at) != ord("+")
        value = np.zeros(rows.size, dtype=np.int64)
        for j in range(1, size):
            byte = np.take(data, at + j)
            bad |= (byte - np.uint8(48)) > 9  # wraps below '0'
            value *= 10
            value += byte
        value -= 48 * ((10 ** (size - 1) - 1) // 9)
        value[bad] = -1
        out[rows] = value
    return out


_LOW_CARDINALITY = (
    "event_type",
    "campaign_id",
    "instance_id",
    "amd_status",
    "disconnect_reason",
    "sim_party",
    "sim_time_zone",
)
_READ_ROWS = 1 << 20  # rows per read of event_type: row groups are read together up to about this many
_BATCH_ROWS = 1 << 16  # rows per batch of the other columns


def _may_lack(md: pq.FileMetaData, column: str) -> bool:
    """Whether ``column`` may hold nulls (absent, or a row group whose
    statistics do not say it has none)."""
    names = [md.schema.column(k).name for k in range(md.num_columns)]
    if column not in names:
        return True
    k = names.index(column)
    for g in range(md.num_row_groups):
        st = md.row_group(g).column(k).statistics
        if st is None or not st.has_null_count or st.null_count > 0:
            return True
    return False


def _load_parquet(path: str) -> tuple[Calls, int, list[str]]:
    """The fast path for ten million events: read row groups about a million
    rows at a time, only the columns the audit needs (low-cardinality strings
    as dictionaries), and write the DISCONNECTED rows straight into numpy
    arrays, so neither the file nor a second copy of the calls is ever held.
    Contact ids are read at the end, only for the offenders listed, from the
    row groups that hold them."""

    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise AuditInputError(f"{path}: missing column(s) {missing}")
        check_types(pf.schema_arrow, path)
        pf = pq.ParquetFile(path, read_dictionary=[c for c in _LOW_CARDINALITY if c in names])
        md = pf.metadata
        n_events = md.num_rows
        sizes = [md.row_group(k).num_rows for k in range(md.num_row_groups)]
        bounds = np.cumsum([0, *sizes])

        # First pass: event_type alone (cheap, dictionary-encoded) gives the
        # calls' rows, so the arrays below are allocated once at their size.
        parts: list[np.ndarray] = []
        for groups in _read_plan(sizes):
            et = pf.read_row_groups(groups, columns=["event_type"])["event_type"]
            if len(et):
                parts.append(
                    int(bounds[groups[0]]) + np.flatnonzero(np.concatenate([_is_disconnected(ch) for ch in et.chunks]))
                )
            del et
        rows = np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, np.int64)
        del parts
        n = int(rows.size)

        ts = {c: np.empty(n, dtype=np.float64) for c in _TS_COLUMNS}
        strings = {c: _StringsBuilder(n) for c in _STRING_COLUMNS}
        bools = {c: (np.empty(n, dtype=bool), np.empty(n, dtype=bool)) for c in _BOOL_COLUMNS}
        numbers = np.empty(n, dtype=np.int64)
        columns = [c for c in (*_TS_COLUMNS, *_STRING_COLUMNS, *_BOOL_COLUMNS, "customer_address") if c in names]
        if _may_lack(md, "initiation_ts"):
            columns.append("time")  # stands in for a missing initiation timestamp

        # Second pass: the other columns in batches small enough for the
        # allocator to reuse their buffers; each batch's kept rows go
        # straight to their place in the arrays.
        off = 0
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            size = batch.num_rows
            a, b = np.searchsorted(rows, [off, off + size])
            keep, at, k = rows[a:b] - off, int(a), int(b - a)
            off += size
            if k == 0:
                continue
            end = at + k
            col = dict(zip(batch.schema.names, batch.columns, strict=True))
            for c in _TS_COLUMNS:
                if c in col:
                    try:
                        _ms_into(ts[c][at:end], col[c], keep)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                        raise AuditInputError(f"{path}: column {c!r}: not timestamps ({exc})") from None
                else:
                    ts[c][at:end] = np.nan
            if "time" in col:
                init = ts["initiation_ts"][at:end]
                no_init = np.flatnonzero(np.isnan(init))
                if no_init.size:
                    t_time = np.empty(k)
                    _ms_into(t_time, col["time"], keep)
                    init[no_init] = t_time[no_init]
            for c in _STRING_COLUMNS:
                if c in col:
                    strings[c].add(col[c], keep, at, k)
                else:
                    strings[c].codes[at:end] = -1
            for c in _BOOL_COLUMNS:
                value, known = bools[c]
                if c in col:
                    _bool_into(value[at:end], known[at:end], col[c], keep)
                else:
                    value[at:end] = False
                    known[at:end] = False
            if "customer_address" in col:
                numbers[at:end] = _numbers_chunk(col["customer_address"], keep)
            else:
                numbers[at:end] = -1
            del batch, col
        if off != n_events:
            raise AuditInputError(f"{path}: read {off} events, the file says {n_events}")
    except (pa.ArrowInvalid, OSError) as exc:
        raise AuditInputError(f"{path}: not a readable Parquet file ({exc})") from None

    def contact_ids(idx: np.ndarray) -> list[str]:
        # Only the row groups holding the listed offenders are decoded, and
        # each only up to its last listed row.
        wanted = rows[idx]
        rg = np.searchsorted(bounds, wanted, side="right") - 1
        src = pq.ParquetFile(path)
        out = np.empty(wanted.size, dtype=object)
        for g in np.unique(rg).tolist():
            sel = np.flatnonzero(rg == g)
            local = wanted[sel] - bounds[g]
            last, off = int(local.max()), 0
            for batch in src.iter_batches(batch_size=1 << 16, row_groups=[g], columns=["contact_id"]):
                inside = np.flatnonzero((local >= off) & (local < off + batch.num_rows))
                if inside.size:
                    out[sel[inside]] = batch.column(0).take(_pa_ints(local[inside] - off)).to_pylist()
                off += batch.num_rows
                if off > last:
                    break
        return [str(x) for x in out]

    kw: dict[str, Any] = {name: ts[c] for c, name in zip(_TS_COLUMNS, _TS_FIELDS, strict=True)}
    kw.update({name: strings[c].build(n) for c, name in zip(_STRING_COLUMNS, _STRING_FIELDS, strict=True)})
    kw.update({name: bools[c] for c, name in zip(_BOOL_COLUMNS, _BOOL_FIELDS, strict=True)})
    calls = Calls(n=n, time=None, numbers=numbers, contact_ids=contact_ids, **kw)  # ``init`` has ``time`` filled in
    return calls, n_events, []


def _read_plan(sizes: list[int]) -> Iterator[list[int]]:
    """Consecutive row groups read together, about ``_READ_ROWS`` rows a read."""
    groups: list[int] = []
    rows = 0
    for g, size in enumerate(sizes):
        if groups and rows + size > _READ_ROWS:
            yield groups
            groups, rows = [], 0
        groups.append(g)
        rows += size
    if groups:
        yield groups


def _is_disconnected(chunk: pa.Array) -> np.ndarray:
    codes, values = _codes_chunk(chunk)
    lut = np.array([v == "DISCONNECTED" for v in values] + [False], dtype=bool)
    disconnected: np.ndarray = lut[codes]
    return disconnected


def _with_columns(table: pa.Table, findings: list[str]) -> pa.Table:

    absent = [c for c in NEEDED if c not in table.column_names]
    for c in absent:
        table = table.append_column(c, pa.nulls(table.num_rows, EVENT_SCHEMA.field(c).type))
    return table.select(list(NEEDED))


def _ms(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Timestamp column -> float64 epoch milliseconds (NaN for null); exact
    integers, so differences compare exactly with a threshold."""
    if pa.types.is_timestamp(col.type):
        col = col.cast(_TS) if col.type != _TS else col
        col = col.cast(pa.int64())
    elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.cast(col, _TS).cast(pa.int64())
    elif pa.types.is_null(col.type):
        return np.full(len(col), np.nan)
    arr = col.to_numpy(zero_copy_only=False) if isinstance(col, pa.Array) else col.to_numpy()
    ms: np.ndarray = arr.astype(np.float64, copy=False)
    return ms


def _bool(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(value, known) of a nullable boolean column."""
    if not len(col):
        return np.zeros(0, bool), np.zeros(0, bool)
    known = pc.is_valid(col).to_numpy(zero_copy_only=False)
    value = pc.fill_null(col, False).to_numpy(zero_copy_only=False)
    return value.astype(bool), known.astype(bool)


def _numbers(addr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """E.164 text -> int64 digits; -1 where not an E.164 number."""
    n = len(addr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    addr = addr.combine_chunks() if isinstance(addr, pa.ChunkedArray) else addr
    digits = pc.utf8_slice_codeunits(addr, 1)
    # ASCII digits only: other Unicode digits are not E.164 (and int64 cannot parse them).
    ok = pc.fill_null(pc.match_substring_regex(addr, r"^\+[0-9]{1,15}$"), False)
    safe = pc.if_else(ok, digits, "-1")
    numbers: np.ndarray = pc.cast(safe, pa.int64()).to_numpy(zero_copy_only=False)
    return numbers
