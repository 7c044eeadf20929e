"""The post-run audit: ``audit(events, jurisdiction)`` -> ``AuditReport``.

Columnar throughout (Arrow compute and numpy over one row per call, the
DISCONNECTED event that carries all of a call's timestamps); no per-row Python.
Ten million events from Parquet audit in a few seconds.

Definitions (docs/compliance.md has the long form):

* live answer: ``sim_party == HUMAN`` when the ground truth is present, else
  ``amd_status == HUMAN_ANSWERED`` (or no AMD verdict) with a greeting; a
  human the AMD classified as a machine (an AMD false positive) is counted
  separately and enters the rate only when the rule set says so (UK).
* abandoned: a live answer not connected to an agent within
  ``threshold_seconds`` of the clock start (greeting end, US; greeting start,
  UK), unless the callee hung up before that deadline. Exactly at the
  threshold counts as connected; a rate exactly at the limit passes.
* windows: per campaign, successive 30-day periods from the first call (US,
  the whole campaign when shorter) or calendar days in the rule set's zone
  (UK: midnight to midnight, Europe/London).
"""

from __future__ import annotations

import json
import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.rules import RuleSet, get_rules

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
MACHINE_VERDICTS = ("VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP")
NO_VERDICT = ("AMD_NOT_APPLICABLE",)
DEFAULT_FP_SAMPLE = 400
_TS = pa.timestamp("ms", tz="UTC")


class AuditInputError(ValueError):
    """Events that cannot be audited at all (unreadable file, missing columns)."""


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass
class RuleResult:
    rule: str
    description: str
    severity: str  # "error", "warning", "info"
    measured: float | int | None
    limit: float | int | None
    passed: bool | None  # None: not assessable from these events
    unit: str = "calls"  # "rate" or "calls"
    offenders: list[str] = field(default_factory=list)  # contact ids, capped
    offender_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.passed is False

    def figure(self) -> str:
        if self.measured is None:
            return "n/a"
        if self.unit == "rate":
            return f"{self.measured * 100:.2f}%"
        return f"{self.measured:g}"

    def limit_text(self) -> str:
        if self.limit is None:
            return "none"
        if self.unit == "rate":
            return f"{self.limit * 100:g}%"
        return f"{self.limit:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "description": self.description,
            "severity": self.severity,
            "measured": self.measured,
            "limit": self.limit,
            "unit": self.unit,
            "passed": self.passed,
            "offender_count": self.offender_count,
            "offenders": list(self.offenders),
            "details": _jsonable(self.details),
        }


@dataclass
class AuditReport:
    jurisdiction: str
    rules: list[RuleResult]
    events: int
    calls: int
    findings: list[str] = field(default_factory=list)  # input problems (lines skipped, ...)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every error-level rule passed (warnings do not fail a report)."""
        return not any(r.failed and r.severity == "error" for r in self.rules)

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.rules if r.failed and r.severity == "error"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.rules if r.failed and r.severity != "error"]

    def rule(self, name: str) -> RuleResult:
        for r in self.rules:
            if r.rule == name:
                return r
        raise KeyError(f"no rule {name!r} in this report; rules: {[r.rule for r in self.rules]}")

    def __getitem__(self, name: str) -> RuleResult:
        return self.rule(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "passed": self.passed,
            "events": self.events,
            "calls": self.calls,
            "findings": list(self.findings),
            "summary": _jsonable(self.summary),
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    def failure_message(self, include_warnings: bool = False) -> str:
        broken = self.failures + (self.warnings if include_warnings else [])
        lines = [f"events are not compliant with {self.jurisdiction} ({len(broken)} rule(s) broken):"]
        for r in broken:
            lines.append(f"  - {r.rule}: {r.figure()} (limit {r.limit_text()}) - {r.description}")
            if r.offender_count:
                more = r.offender_count - len(r.offenders)
                shown = ", ".join(r.offenders[:10])
                extra = f" (+{r.offender_count - min(10, len(r.offenders))} more)" if r.offender_count > 10 or more > 0 else ""
                lines.append(f"      {r.offender_count} offending contact(s): {shown}{extra}")
        for f in self.findings[:5]:
            lines.append(f"  ! input: {f}")
        return "\n".join(lines)

    def to_text(self, width: int = 110) -> str:
        from rich.console import Console

        console = Console(record=True, width=width, file=open(os.devnull, "w"), color_system=None)
        self.render(console)
        return console.export_text()

    def render(self, console) -> None:
        from rich.table import Table

        verdict = "PASS" if self.passed else "FAIL"
        console.print(f"Compliance audit - {self.jurisdiction}: {verdict}  ({self.events} events, {self.calls} calls)")
        table = Table(show_lines=False)
        for col in ("rule", "severity", "measured", "limit", "result", "offenders"):
            table.add_column(col)
        for r in self.rules:
            res = "n/a" if r.passed is None else ("pass" if r.passed else "FAIL")
            table.add_row(r.rule, r.severity, r.figure(), r.limit_text(), res, str(r.offender_count))
        console.print(table)
        for r in self.rules:
            if r.failed and r.offenders:
                console.print(f"{r.rule}: {', '.join(r.offenders[:10])}" + (" ..." if r.offender_count > 10 else ""))
        for f in self.findings:
            console.print(f"input: {f}")

    def __str__(self) -> str:
        return self.to_text()


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, datetime):
        return x.isoformat()
    return x


# ---------------------------------------------------------------------------
# Loading: one row per call
# ---------------------------------------------------------------------------


class _Strings:
    """A string column as codes into its distinct raw values (``values``, in
    order of first appearance); the code ``len(values)`` is null."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: list):
        self.codes = codes
        self.values = values

    def flags(self, pred) -> np.ndarray:
        lut = np.array([bool(pred(v)) for v in self.values] + [False], dtype=bool)
        return lut[self.codes]

    def eq(self, value: str) -> np.ndarray:
        return self.flags(lambda v: v == value)

    def isin(self, values: Sequence[str]) -> np.ndarray:
        wanted = set(values)
        return self.flags(lambda v: v in wanted)

    def is_null(self) -> np.ndarray:
        return self.codes == len(self.values)

    def named(self) -> tuple[np.ndarray, list[str | None]]:
        """(codes, names) as ``_codes`` gives them: empty strings read as None,
        nulls have the last code."""
        if self.codes.size == 0:
            return np.zeros(0, dtype=np.int64), []
        return self.codes.astype(np.int64, copy=False), [x or None for x in self.values] + [None]


@dataclass
class _Calls:
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
    amd: _Strings
    reason: _Strings
    party: _Strings
    campaign: _Strings
    instance: _Strings
    time_zone: _Strings
    amd_correct: tuple[np.ndarray, np.ndarray]
    message_played: tuple[np.ndarray, np.ndarray]
    opt_out: tuple[np.ndarray, np.ndarray]
    numbers: np.ndarray
    contact_ids: Any  # callable: row indices -> list of contact ids


_TS_COLUMNS = ("initiation_ts", "connected_to_system_ts", "greeting_start_ts", "greeting_end_ts", "enqueue_ts", "connected_to_agent_ts", "disconnect_ts")
_TS_FIELDS = ("init", "cts", "g_start", "g_end", "enq", "agent", "disc")
_STRING_COLUMNS = ("amd_status", "disconnect_reason", "sim_party", "campaign_id", "instance_id", "sim_time_zone")
_STRING_FIELDS = ("amd", "reason", "party", "campaign", "instance", "time_zone")
_BOOL_COLUMNS = ("sim_amd_correct", "sim_message_played", "sim_opt_out")
_BOOL_FIELDS = ("amd_correct", "message_played", "opt_out")


def _load(events):
    """(calls, number of events, input findings)."""
    from eventlog import EventFormatError, read_events

    findings: list[str] = []
    if isinstance(events, (str, os.PathLike)):
        path = os.fspath(events)
        if not os.path.exists(path):
            raise AuditInputError(f"no such events file: {path}")
        if path.endswith((".parquet", ".pq")) or os.path.isdir(path):
            return _load_parquet(path)
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
    n_events = table.num_rows
    table = _with_columns(table, findings)
    is_disc = pc.fill_null(pc.equal(table["event_type"], "DISCONNECTED"), False)
    calls = table.filter(is_disc)
    # Calls whose DISCONNECTED event is missing (a truncated log): audit them
    # from their latest event, and say so.
    others = table.filter(pc.invert(is_disc))
    if others.num_rows:
        orphan = others.filter(pc.invert(pc.fill_null(pc.is_in(others["contact_id"], value_set=calls["contact_id"]), False)))
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
    return _calls_from_table(calls), n_events, findings


def _calls_from_table(calls: pa.Table) -> _Calls:
    """The in-memory (table, JSON lines, envelopes) path."""
    n = calls.num_rows
    contact_col = calls["contact_id"]

    def contact_ids(idx: np.ndarray) -> list[str]:
        return [str(x) for x in contact_col.take(pa.array(idx)).to_pylist()]

    kw: dict[str, Any] = {}
    for col, name in zip(_TS_COLUMNS, _TS_FIELDS):
        kw[name] = _ms(calls[col])
    for col, name in zip(_STRING_COLUMNS, _STRING_FIELDS):
        kw[name] = _strings(calls[col])
    for col, name in zip(_BOOL_COLUMNS, _BOOL_FIELDS):
        kw[name] = _bool(calls[col])
    return _Calls(n=n, time=_ms(calls["time"]), numbers=_numbers(calls["customer_address"]), contact_ids=contact_ids, **kw)


def _strings(col) -> _Strings:
    n = len(col)
    if n == 0:
        return _Strings(np.zeros(0, dtype=np.int64), [])
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    values = enc.dictionary.to_pylist()
    codes = pc.fill_null(enc.indices, len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    return _Strings(codes, values)


# The Parquet path converts Arrow buffers to numpy directly (no
# ``to_numpy``, which would import pandas and copy).

_INT_DTYPES = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
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


def _bits(buf, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8, count=(offset + n + 7) // 8), bitorder="little")
    return bits[offset : offset + n].view(bool)


def _valid_bits(arr: pa.Array) -> np.ndarray:
    n = len(arr)
    if arr.null_count == 0:
        return np.ones(n, dtype=bool)
    if arr.null_count == n or arr.buffers()[0] is None:
        return np.zeros(n, dtype=bool)
    return _bits(arr.buffers()[0], arr.offset, n)


def _codes_chunk(chunk: pa.Array) -> tuple[np.ndarray, list]:
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
        self.index: dict = {}
        self.values: list = []
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

    def build(self, n: int) -> _Strings:
        codes = self.codes[:n]
        codes[codes < 0] = len(self.values)
        return _Strings(codes, self.values)


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


_LOW_CARDINALITY = ("event_type", "campaign_id", "instance_id", "amd_status", "disconnect_reason", "sim_party", "sim_time_zone")
_READ_ROWS = 1 << 20  # rows per read of event_type: row groups are read together up to about this many
_BATCH_ROWS = 1 << 16  # rows per batch of the other columns


def _may_lack(md, column: str) -> bool:
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


def _load_parquet(path: str):
    """The fast path for ten million events: read row groups about a million
    rows at a time, only the columns the audit needs (low-cardinality strings
    as dictionaries), and write the DISCONNECTED rows straight into numpy
    arrays, so neither the file nor a second copy of the calls is ever held.
    Contact ids are read at the end, only for the offenders listed, from the
    row groups that hold them."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise AuditInputError(f"{path}: missing column(s) {missing}")
        pf = pq.ParquetFile(path, read_dictionary=[c for c in _LOW_CARDINALITY if c in names])
        md = pf.metadata
        n_events = md.num_rows
        sizes = [md.row_group(k).num_rows for k in range(md.num_row_groups)]
        bounds = np.cumsum([0] + sizes)

        # First pass: event_type alone (cheap, dictionary-encoded) gives the
        # calls' rows, so the arrays below are allocated once at their size.
        parts: list[np.ndarray] = []
        for groups in _read_plan(sizes):
            et = pf.read_row_groups(groups, columns=["event_type"])["event_type"]
            if len(et):
                parts.append(int(bounds[groups[0]]) + np.flatnonzero(np.concatenate([_is_disconnected(ch) for ch in et.chunks])))
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
            col = dict(zip(batch.schema.names, batch.columns))
            for c in _TS_COLUMNS:
                if c in col:
                    _ms_into(ts[c][at:end], col[c], keep)
                else:
                    ts[c][at:end] = np.nan
            if "time" in col:
                init = ts["initiation_ts"][at:end]
                missing = np.flatnonzero(np.isnan(init))
                if missing.size:
                    t_time = np.empty(k)
                    _ms_into(t_time, col["time"], keep)
                    init[missing] = t_time[missing]
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

    kw: dict[str, Any] = {name: ts[c] for c, name in zip(_TS_COLUMNS, _TS_FIELDS)}
    kw.update({name: strings[c].build(n) for c, name in zip(_STRING_COLUMNS, _STRING_FIELDS)})
    kw.update({name: bools[c] for c, name in zip(_BOOL_COLUMNS, _BOOL_FIELDS)})
    calls = _Calls(n=n, time=None, numbers=numbers, contact_ids=contact_ids, **kw)  # ``init`` has ``time`` filled in
    return calls, n_events, []


def _read_plan(sizes: list[int]):
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
    return lut[codes]


def _with_columns(table: pa.Table, findings: list[str]) -> pa.Table:
    from eventlog import EVENT_SCHEMA

    absent = [c for c in NEEDED if c not in table.column_names]
    for c in absent:
        table = table.append_column(c, pa.nulls(table.num_rows, EVENT_SCHEMA.field(c).type))
    return table.select(list(NEEDED))


def _ms(col) -> np.ndarray:
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
    return arr.astype(np.float64, copy=False)


def _bool(col) -> tuple[np.ndarray, np.ndarray]:
    """(value, known) of a nullable boolean column."""
    if not len(col):
        return np.zeros(0, bool), np.zeros(0, bool)
    known = pc.is_valid(col).to_numpy(zero_copy_only=False)
    value = pc.fill_null(col, False).to_numpy(zero_copy_only=False)
    return value.astype(bool), known.astype(bool)


def _numbers(addr) -> np.ndarray:
    """E.164 text -> int64 digits; -1 where not an E.164 number."""
    n = len(addr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    addr = addr.combine_chunks() if isinstance(addr, pa.ChunkedArray) else addr
    digits = pc.utf8_slice_codeunits(addr, 1)
    # ASCII digits only: other Unicode digits are not E.164 (and int64 cannot parse them).
    ok = pc.fill_null(pc.match_substring_regex(addr, r"^\+[0-9]{1,15}$"), False)
    safe = pc.if_else(ok, digits, "-1")
    return pc.cast(safe, pa.int64()).to_numpy(zero_copy_only=False)


# ---------------------------------------------------------------------------
# The audit
# ---------------------------------------------------------------------------


def audit(
    events,
    jurisdiction: "str | RuleSet",
    *,
    fp_sample=None,
    dnc=None,
    max_offenders: int = 100,
    seed: int = 0,
) -> AuditReport:
    """Audit the contact events of a run against a jurisdiction's rules.

    ``events``: a pyarrow Table (``EVENT_SCHEMA``), a list of EventBridge
    envelopes, or the path of a JSON-lines or Parquet file. Unreadable lines
    are reported in ``findings`` and the rest is audited.

    ``fp_sample`` (UK-style rules): how the operator's AMD false-positive
    estimate is made: ``None`` (sample ``400`` machine verdicts and judge them
    with the ground truth), an ``int`` (that sample size), a ``float`` (a rate
    measured elsewhere) or ``(tested, humans_found)`` from a listening test.

    ``dnc``: a ``DncList``, several, or numbers; calls to them are breaches.
    """
    rules = get_rules(jurisdiction)
    if rules is None:
        raise ValueError("audit needs a jurisdiction (US, UK, AU, AU_RESEARCH, NZ or a RuleSet)")
    with _audit_memory():
        calls, n_events, findings = _load(events)
        return _audit_calls(calls, n_events, findings, rules, fp_sample=fp_sample, dnc=dnc, cap=max_offenders, seed=seed)


_TUNING_LOCK = threading.Lock()
_tuning_depth = 0
_tuning_saved: tuple = ()


@contextmanager
def _audit_memory():
    """Two process-wide settings, changed while any audit runs and restored
    when the last one ends (a lock and a count, so concurrent audits cannot
    leave them changed); both are performance hints only:

    * numpy asks the kernel for transparent huge pages for every large array;
      the audit makes many short-lived arrays of tens of MB, and faulting (and
      compacting memory for) 2 MiB pages cost more system time than the
      audit's own work;
    * Arrow's default mimalloc pool hands the buffers of each batch read back
      to the kernel and faults them in again for the next; the system
      allocator reuses them (buffers remember their pool, so switching is safe).
    """
    global _tuning_depth, _tuning_saved
    with _TUNING_LOCK:
        if _tuning_depth == 0:
            setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
            hugepages = pool = None
            try:
                if setter is not None:
                    hugepages = setter(False)
            except Exception:  # pragma: no cover - a numpy without the switch
                setter = None
            try:
                pool = pa.default_memory_pool()
                pa.set_memory_pool(pa.system_memory_pool())
            except Exception:  # pragma: no cover
                pool = None
            _tuning_saved = (setter, hugepages, pool)
        _tuning_depth += 1
    try:
        yield
    finally:
        with _TUNING_LOCK:
            _tuning_depth -= 1
            if _tuning_depth == 0:
                setter, hugepages, pool = _tuning_saved
                if setter is not None and hugepages is not None:
                    setter(hugepages)
                if pool is not None:
                    pa.set_memory_pool(pool)
                _tuning_saved = ()


def _audit_calls(calls: _Calls, n_events: int, findings: list[str], rules: RuleSet, *, fp_sample, dnc, cap, seed) -> AuditReport:
    n = calls.n
    ab = rules.abandonment
    thr_ms = ab.threshold_seconds * 1000.0

    t_init = calls.init if calls.time is None else np.where(np.isnan(calls.init), calls.time, calls.init)
    t_cts = calls.cts
    g_start = calls.g_start
    g_end = calls.g_end
    t_agent = calls.agent
    t_disc = calls.disc

    amd = calls.amd
    party = calls.party
    has_party = ~party.is_null()
    human_true = party.eq("HUMAN")
    amd_correct, amd_correct_known = calls.amd_correct
    machine_verdict = amd.isin(MACHINE_VERDICTS)
    no_verdict = amd.is_null() | amd.isin(NO_VERDICT)
    greeted = ~np.isnan(g_start) | ~np.isnan(g_end)
    observable_live = greeted & (amd.eq("HUMAN_ANSWERED") | no_verdict)
    live_all = np.where(has_party, human_true, observable_live)
    fp_true = machine_verdict & np.where(has_party, human_true, amd_correct_known & ~amd_correct)
    truth_known = bool(has_party.any() or (amd_correct_known & machine_verdict).any())
    live = live_all & ~machine_verdict  # the AMD let them through
    # Only calls meant for an agent can be abandoned. A campaign none of
    # whose calls ever queued or reached an agent is agentless: its live
    # answers hear the recorded message, which is the call's purpose; they
    # stay live calls (the denominator), never abandoned ones.
    played, played_known = calls.message_played
    routed = ~np.isnan(calls.enq) | ~np.isnan(t_agent)
    codes, _ = calls.campaign.named()
    agentless = np.zeros(n, dtype=bool)
    if codes.size:
        routed_campaigns = np.zeros(int(codes.max()) + 1, dtype=bool)
        routed_campaigns[codes[routed]] = True
        agentless = ~routed_campaigns[codes] & played_known & played

    if ab.clock_start == "GREETING_END":
        clock = np.where(np.isnan(g_end), np.where(np.isnan(g_start), t_cts, g_start), g_end)
    elif ab.clock_start == "GREETING_START":
        clock = np.where(np.isnan(g_start), np.where(np.isnan(g_end), t_cts, g_end), g_start)
    else:
        clock = t_cts
    deadline = clock + thr_ms
    del clock
    with np.errstate(invalid="ignore"):
        in_time = ~np.isnan(t_agent) & (t_agent <= deadline)
        callee_left = calls.reason.eq("CUSTOMER_DISCONNECT") & np.isnan(t_agent) & (t_disc <= deadline)
    abandoned = live & ~in_time & ~callee_left & ~agentless

    # Offender lists are filled at the end, with one look-up of their ids.
    pending: list[tuple[list[str], np.ndarray]] = []

    def offenders(mask: np.ndarray) -> tuple[list[str], int]:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return [], 0
        # Earliest first, so the list reads as a story.
        count = int(idx.size)
        idx = idx[np.argsort(t_init[idx], kind="stable")][:cap]
        ids: list[str] = []
        pending.append((ids, idx))
        return ids, count

    results: list[RuleResult] = []
    summary = {
        "live_answers": int(live.sum()),
        "abandoned": int(abandoned.sum()),
        "machine_verdicts": int(machine_verdict.sum()),
        "amd_false_positives_true": int(fp_true.sum()) if truth_known else None,
        "ground_truth": truth_known,
    }

    # -- abandonment windows ------------------------------------------------
    scope_codes, scope_names = (calls.campaign if ab.scope == "CAMPAIGN" else calls.instance).named()
    win = _windows(ab, t_init, scope_codes, findings)
    del scope_codes
    fp_rate, fp_info = _fp_rate(fp_sample, machine_verdict, fp_true, truth_known, seed)
    if ab.include_amd_false_positives:
        summary["amd_false_positive_estimate"] = fp_info
    main_fp = fp_true if truth_known else None
    results.append(
        _abandonment_rule(
            "abandonment_rate",
            ab, rules, live, abandoned, machine_verdict, main_fp, fp_rate, win, scope_names, t_init, offenders,
            severity="error" if ab.limit is not None else "info",
            estimated=not truth_known,
        )
    )
    if ab.include_amd_false_positives and truth_known:
        results.append(
            _abandonment_rule(
                "abandonment_rate_operator_estimate",
                ab, rules, live, abandoned, machine_verdict, None, fp_rate, win, scope_names, t_init, offenders,
                severity="warning", estimated=True,
            )
        )

    # -- zones and local time -------------------------------------------------
    numbers = calls.numbers
    need_zones = rules.hours is not None or (rules.holidays is not None and rules.holidays.forbid_calls) or rules.recall.after_machine_same_day
    zone_groups = _zone_groups(calls.time_zone, numbers, findings) if need_zones and n else None

    if rules.hours is not None or (rules.holidays is not None and rules.holidays.forbid_calls):
        results.append(_hours_rule(rules, t_init, zone_groups, offenders))

    if rules.ring_minimum_seconds is not None:
        unanswered = calls.reason.eq("TELECOM_UNANSWERED")
        with np.errstate(invalid="ignore"):
            short = unanswered & ((t_disc - t_init) < rules.ring_minimum_seconds * 1000.0)
        ids, count = offenders(short)
        results.append(
            RuleResult(
                "ring_time",
                f"unanswered calls ring at least {rules.ring_minimum_seconds:g} s before hang-up",
                "error", count, 0, count == 0, "calls", ids, count,
                {"unanswered_calls": int(unanswered.sum()), "minimum_seconds": rules.ring_minimum_seconds},
            )
        )

    # -- per-number history: re-call bans, opt-outs ---------------------------
    opt_out, opt_known = calls.opt_out
    need_sort = rules.recall.after_abandoned_seconds or rules.recall.after_machine_same_day or opt_known.any()
    if need_sort and n:
        order = _number_time_order(numbers, t_init)
        num_s = numbers[order]
        t_s = t_init[order]
        m = num_s.size
        new = np.ones(m, dtype=bool)
        new[1:] = num_s[1:] != num_s[:-1]
        positions = np.arange(m, dtype=np.int64)
        gstart = np.where(new, positions, 0)
        np.maximum.accumulate(gstart, out=gstart)
        agent_guarantee = in_time[order]  # an agent was there within the threshold

        def previous(flag_s: np.ndarray) -> np.ndarray:
            """Index of the latest earlier call of the same number with the flag, or -1."""
            if not m:
                return np.zeros(0, np.int64)
            last = np.where(flag_s, positions, -1)
            np.maximum.accumulate(last, out=last)
            prev = np.empty(m, dtype=np.int64)
            prev[0] = -1
            prev[1:] = last[:-1]
            del last
            np.copyto(prev, -1, where=prev < gstart)
            return prev

        if rules.recall.after_abandoned_seconds:
            p = previous((abandoned | fp_true)[order] if ab.include_amd_false_positives and truth_known else abandoned[order])
            hit_s = (p >= 0) & ((t_s - t_s[np.maximum(p, 0)]) < rules.recall.after_abandoned_seconds * 1000.0) & ~agent_guarantee
            mask = np.zeros(n, bool)
            mask[order[hit_s]] = True
            ids, count = offenders(mask)
            hours = rules.recall.after_abandoned_seconds / 3600
            results.append(
                RuleResult(
                    "recall_after_abandoned",
                    f"no call within {hours:g} h of an abandoned call to the same number unless a live agent is guaranteed",
                    "error", count, 0, count == 0, "calls", ids, count,
                )
            )
        if rules.recall.after_machine_same_day:
            day = _local_days(t_init, zone_groups, rules)[order]
            p = previous(machine_verdict[order])
            hit_s = (p >= 0) & (day == day[np.maximum(p, 0)]) & ~agent_guarantee
            mask = np.zeros(n, bool)
            mask[order[hit_s]] = True
            ids, count = offenders(mask)
            results.append(
                RuleResult(
                    "recall_after_machine",
                    "no further call the same day after an AMD machine verdict unless a live agent is guaranteed",
                    "error", count, 0, count == 0, "calls", ids, count,
                )
            )
        if opt_known.any():
            p = previous(opt_out[order])
            mask = np.zeros(n, bool)
            mask[order[p >= 0]] = True
            ids, count = offenders(mask)
            results.append(
                RuleResult(
                    "opt_out_honoured",
                    "no call to a number after its owner opted out during the run (company do-not-call)",
                    "warning", count, 0, count == 0, "calls", ids, count,
                    {"opt_outs": int(opt_out.sum()), "legal_grace_days": rules.dnc.company_request_days},
                )
            )

    if dnc is not None:
        from compliance.dnc import as_number_array

        listed = np.isin(numbers, as_number_array(dnc)) & (numbers >= 0)
        ids, count = offenders(listed)
        results.append(
            RuleResult(
                "dnc", "no call to a number on a do-not-call list", "error", count, 0, count == 0, "calls", ids, count,
            )
        )

    if ab.message_required:
        played, known = calls.message_played
        silent = abandoned & known & ~played
        ids, count = offenders(silent)
        assessable = bool((abandoned & known).any()) or not abandoned.any()
        results.append(
            RuleResult(
                "abandon_message",
                "every abandoned call plays an information message (caller identity, number to call back / opt out)",
                "warning", count, 0, (count == 0) if assessable else None, "calls", ids, count,
            )
        )

    if pending:
        wanted = np.unique(np.concatenate([idx for _, idx in pending]))
        found = dict(zip(wanted.tolist(), calls.contact_ids(wanted)))
        for ids, idx in pending:
            ids.extend(found[k] for k in idx.tolist())
    return AuditReport(rules.name, results, int(n_events), int(n), findings, summary)


@dataclass
class _Win:
    key: np.ndarray  # window id per call
    scope: np.ndarray  # scope code per window
    start_ms: np.ndarray
    end_ms: np.ndarray
    count: int


def _windows(ab, t_init: np.ndarray, scope_codes: np.ndarray, findings: list[str]) -> _Win:
    n = t_init.size
    if n == 0:
        return _Win(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0)
    if ab.window == "CALENDAR_DAY":
        from compliance.windows import utc_offsets

        zone = ab.window_zone or "UTC"
        off = utc_offsets(zone, t_init / 1000.0)
        off *= 1000
        x = t_init + off  # (in place from here: fewer 30 MB temporaries)
        del off
        x /= 86400_000.0 * ab.window_days
        idx = np.floor(x, out=x).astype(np.int64)
        del x
    else:
        span = 86400_000.0 * ab.window_days
        first = _first_per_scope(scope_codes, t_init)
        idx = np.floor((t_init - first[scope_codes]) / span).astype(np.int64)
    uniq, key = _unique_inverse(scope_codes, idx)
    scope = uniq >> 32
    w_idx = (uniq & ((1 << 32) - 1)) + idx.min()
    if ab.window == "CALENDAR_DAY":
        # Report the local calendar day bounds as UTC ms (approximately: local midnight).
        start = w_idx * 86400_000.0 * ab.window_days
        end = start + 86400_000.0 * ab.window_days
    else:
        span = 86400_000.0 * ab.window_days
        first = _first_per_scope(scope_codes, t_init)
        start = first[scope] + w_idx * span
        end = start + span
    return _Win(np.asarray(key, dtype=np.int64), scope, start, end, uniq.size)


def _first_per_scope(scope_codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The earliest time of each scope (NaN if any of its times is NaN), as
    ``np.minimum.at`` gives it, without its per-element cost."""
    k = int(scope_codes.max()) + 1
    if k == 1:
        return np.array([np.min(t)])
    if k > 64:
        first = np.full(k, np.inf)
        np.minimum.at(first, scope_codes, t)
        return first
    first = np.full(k, np.inf)
    for c in range(k):
        sel = np.flatnonzero(scope_codes == c)
        if sel.size:
            first[c] = np.min(t[sel])
    return first


def _unique_inverse(scope_codes: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(combined, return_inverse=True)`` for ``combined = scope *
    2**32 + (idx - idx.min())``, by counting when the windows are few (no sort)."""
    lo = int(idx.min())
    width = int(idx.max()) - lo + 1
    scopes = int(scope_codes.max()) + 1
    if width >= 1 << 32 or scopes * width > max(4 * idx.size, 1 << 16):
        return np.unique(scope_codes * (1 << 32) + (idx - lo), return_inverse=True)
    dense = idx - lo
    if scopes > 1:
        dense += scope_codes * width
    present = np.bincount(dense, minlength=scopes * width) > 0
    rank = np.cumsum(present) - 1
    kept = np.flatnonzero(present)
    uniq = (kept // width) * (1 << 32) + kept % width
    return uniq.astype(np.int64), rank[dense]


def _number_time_order(numbers: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The calls with a number (``numbers >= 0``) by number, then time, then
    position: ``np.lexsort((t, numbers))`` without the others, done as one
    sort of a combined integer key when it fits in 63 bits and has no ties."""
    sel = np.flatnonzero(numbers >= 0)
    if sel.size < 2:
        return sel
    num, ts = numbers[sel], t[sel]
    t_lo, t_hi = float(np.min(ts)), float(np.max(ts))
    if math.isfinite(t_lo) and math.isfinite(t_hi) and abs(t_lo) < 2**52 and abs(t_hi) < 2**52:
        n_lo, n_hi = int(num.min()), int(num.max())
        t_span = int(t_hi) - int(t_lo) + 1
        if (n_hi - n_lo + 1) * t_span < 2**62:
            shifted = ts - t_lo
            t_int = shifted.astype(np.int64)
            if np.array_equal(t_int, shifted):  # whole milliseconds
                del ts, shifted
                key = num
                key -= n_lo
                key *= t_span
                key += t_int
                del t_int
                order = np.argsort(key)
                k = key[order]
                ties = bool((k[1:] == k[:-1]).any())
                del k
                if ties:
                    order = np.argsort(key, kind="stable")
                return sel[order]
    return sel[np.lexsort((ts, num))]


def _fp_rate(fp_sample, machine_verdict, fp_true, truth_known, seed) -> tuple[float | None, dict]:
    """The operator's estimate of the share of machine verdicts that were humans."""
    n_machine = int(machine_verdict.sum())
    if isinstance(fp_sample, (tuple, list)):
        tested, found = int(fp_sample[0]), int(fp_sample[1])
        if tested <= 0 or not 0 <= found <= tested:
            raise ValueError(f"fp_sample must be (tested > 0, 0 <= humans_found <= tested), got {fp_sample!r}")
        rate, method = found / tested, "listening test given"
    elif isinstance(fp_sample, float):
        if not 0.0 <= fp_sample <= 1.0:
            raise ValueError(f"fp_sample as a rate must be between 0 and 1, got {fp_sample!r}")
        return fp_sample, {"rate": fp_sample, "method": "rate given", "machine_verdicts": n_machine,
                           "estimated_false_positives": fp_sample * n_machine}
    else:
        size = DEFAULT_FP_SAMPLE if fp_sample is None else int(fp_sample)
        if not truth_known or n_machine == 0:
            return (0.0 if n_machine == 0 else None), {
                "rate": 0.0 if n_machine == 0 else None,
                "method": "no machine verdicts" if n_machine == 0 else "not estimated: no ground truth and no fp_sample given",
                "machine_verdicts": n_machine,
            }
        idx = np.flatnonzero(machine_verdict)
        rng = np.random.default_rng(seed)
        pick = idx if idx.size <= size else rng.choice(idx, size=size, replace=False)
        tested, found = int(pick.size), int(fp_true[pick].sum())
        rate, method = found / tested, f"simple random sample of {tested} machine verdicts judged against the ground truth"
    lo, hi = _wilson(found, tested)
    return rate, {
        "rate": rate, "method": method, "tested": tested, "humans_found": found,
        "rate_95ci": [lo, hi], "machine_verdicts": n_machine,
        "estimated_false_positives": rate * n_machine,
    }


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _abandonment_rule(
    name, ab, rules, live, abandoned, machine_verdict, fp_true, fp_rate, win: _Win, scope_names, t_init, offenders,
    *, severity, estimated,
) -> RuleResult:
    w = win.count
    num = np.bincount(win.key, weights=abandoned, minlength=w).astype(np.float64)
    den = np.bincount(win.key, weights=live, minlength=w).astype(np.float64)
    fp_count = np.zeros(w)
    fp_note = None
    if ab.include_amd_false_positives:
        if fp_true is not None:
            fp_count = np.bincount(win.key, weights=fp_true, minlength=w).astype(np.float64)
            fp_note = "true count (simulation ground truth)"
        elif fp_rate is not None:
            fp_count = fp_rate * np.bincount(win.key, weights=machine_verdict, minlength=w)
            fp_note = f"estimated: {fp_rate:.4f} x machine verdicts"
        else:
            fp_note = "not included: no ground truth and no fp_sample"
    num_t, den_t = num + fp_count, den + fp_count
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(den_t > 0, num_t / np.where(den_t > 0, den_t, 1), 0.0)
    limit = ab.limit
    bad = (num_t > limit * den_t + 1e-9) if limit is not None else np.zeros(w, bool)
    worst = int(np.argmax(rate)) if w else -1
    measured = float(rate[worst]) if w else 0.0
    mask = abandoned | (fp_true if (fp_true is not None and ab.include_amd_false_positives) else False)
    mask = mask & bad[win.key] if w else mask
    ids, count = offenders(mask) if limit is not None else ([], 0)
    order = np.argsort(~bad, kind="stable")[:50]  # failing windows first
    windows = [
        {
            "scope": scope_names[int(win.scope[k])] if scope_names else None,
            "start": _iso(win.start_ms[k]),
            "end": _iso(win.end_ms[k]),
            "abandoned": float(num[k]),
            "amd_false_positives": float(fp_count[k]),
            "live": float(den[k]),
            "rate": float(rate[k]),
            "passed": not bool(bad[k]),
        }
        for k in order.tolist()
    ]
    clock = {"GREETING_END": "the end of the greeting", "GREETING_START": "the start of the greeting"}.get(
        ab.clock_start, "connection"
    )
    period = "calendar day" if ab.window == "CALENDAR_DAY" else f"{ab.window_days}-day period"
    desc = (
        f"abandoned calls (no agent within {ab.threshold_seconds:g} s of {clock}) at most "
        f"{'(no legal limit)' if limit is None else f'{limit * 100:g}%'} of "
        f"{'abandoned + live' if ab.denominator == 'ABANDONED_PLUS_LIVE' else 'live'} calls per {period}"
        + (", AMD false positives counted as abandoned" if ab.include_amd_false_positives else "")
        + (" (operator's estimate)" if name.endswith("estimate") else "")
    )
    details = {
        "windows_evaluated": w,
        "windows_failed": int(bad.sum()),
        "worst_window": windows[0] if windows and not windows[0]["passed"] else (
            {"rate": measured} if w else None
        ),
        "windows": windows,
        "numerator": float(num_t[worst]) if w else 0.0,
        "denominator": float(den_t[worst]) if w else 0.0,
        "amd_false_positives": fp_note,
        "clock_start": ab.clock_start,
        "threshold_seconds": ab.threshold_seconds,
    }
    passed = True if limit is None else not bool(bad.any())
    return RuleResult(name, desc, severity, measured, limit, passed, "rate", ids, count, details)


def _iso(ms: float) -> str | None:
    if not math.isfinite(ms):
        return None
    return datetime.fromtimestamp(ms / 1000.0, timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class _ZoneGroups:
    gid: np.ndarray  # group per call, -1 unknown
    zones: list[tuple[str, ...]]
    unknown: int
    _members: list[np.ndarray] | None = field(default=None, repr=False)

    def members(self, g: int) -> np.ndarray:
        """The calls of group ``g`` (-1: unknown zone), in order; one sort for all groups."""
        if self._members is None:
            groups = len(self.zones)
            key = self.gid + 1
            key = key.astype(np.int16) if groups < 32_000 else key  # radix sort
            order = np.argsort(key, kind="stable")
            ends = np.cumsum(np.bincount(key, minlength=groups + 1))
            self._members = [order[(ends[k - 1] if k else 0) : ends[k]] for k in range(groups + 1)]
        return self._members[g + 1]


def _zone_groups(tz_col, numbers: np.ndarray, findings: list[str]) -> _ZoneGroups:
    """The callee's zone(s) for each call: ``sim_time_zone`` when present
    (several zones separated by ',' '|' or ';'), else the number's zones."""
    from phonegeo import LocalTimeError, check_zone, zones_for_number

    n = numbers.size
    gid = np.full(n, -1, dtype=np.int64)
    groups: dict[tuple[str, ...], int] = {}

    def group_of(zones: tuple[str, ...]) -> int:
        return groups.setdefault(zones, len(groups))

    codes, names = tz_col.named()
    has_tz = np.zeros(n, bool)
    bad_zones = []
    for c, name in enumerate(names):
        if not name:
            continue
        parts = tuple(z.strip() for z in name.replace("|", ",").replace(";", ",").split(",") if z.strip())
        try:
            zones = tuple(check_zone(z) for z in parts)
        except LocalTimeError:
            bad_zones.append(name)
            continue
        sel = codes == c
        gid[sel] = group_of(zones)
        has_tz |= sel
    if bad_zones:
        findings.append(f"unknown time zone(s) in sim_time_zone: {bad_zones[:5]}; those calls' zones come from their numbers")
    rest = ~has_tz & (numbers >= 0)
    if rest.any():
        prefixes, inverse = np.unique(numbers[rest] // 10_000, return_inverse=True)
        pg = np.full(prefixes.size, -1, dtype=np.int64)
        for k, p in enumerate(prefixes.tolist()):
            zones, _ = zones_for_number("+" + str(p * 10_000))
            if zones:
                pg[k] = group_of(tuple(zones))
        gid[rest] = pg[inverse]
    unknown = int((gid < 0).sum())
    if unknown:
        findings.append(f"{unknown} call(s) have no known time zone (no sim_time_zone, number without zone data); calling hours not checked for them")
    return _ZoneGroups(gid, list(groups), unknown)


def _hours_rule(rules: RuleSet, t_init: np.ndarray, zg: _ZoneGroups | None, offenders) -> RuleResult:
    from compliance.verdicts import Verdict
    from compliance.windows import build_window

    n = t_init.size
    outside = np.zeros(n, bool)
    holiday = np.zeros(n, bool)
    if zg is not None and n:
        t = t_init / 1000.0
        lo, hi = float(np.nanmin(t)), float(np.nanmax(t))
        for g, zones in enumerate(zg.zones):
            sel = zg.members(g)
            if not sel.size:
                continue
            w = build_window(zones, rules, epoch=0.0, start=lo - 1, end=hi + 1)
            codes = w.codes_at(t[sel])
            outside[sel] = codes != 0
            holiday[sel] = codes == int(Verdict.HOLIDAY)
    ids, count = offenders(outside)
    hours = rules.hours.to_mapping() if rules.hours else None
    desc = "calls only within legal calling hours in the callee's local time"
    if rules.holidays is not None and rules.holidays.forbid_calls:
        desc += f", not on {rules.holidays.country} public holidays"
    return RuleResult(
        "calling_hours", desc, "error", count, 0,
        (count == 0) if (zg is None or zg.unknown < n) or n == 0 else None,
        "calls", ids, count,
        {"on_holidays": int(holiday.sum()), "calls_without_zone": zg.unknown if zg else 0, "hours": hours},
    )


def _local_days(t_init: np.ndarray, zg: _ZoneGroups | None, rules: RuleSet) -> np.ndarray:
    """Local calendar day of each call in the callee's (first) zone; the rule
    set's window zone (else UTC) when the callee's zone is unknown."""
    from compliance.windows import utc_offsets

    t = t_init / 1000.0
    off = np.zeros(t.size, dtype=np.int64)
    fallback = rules.abandonment.window_zone or "UTC"
    if zg is None:
        off = utc_offsets(fallback, t) if t.size else off
    else:
        for g, zones in enumerate(zg.zones):
            sel = zg.members(g)
            if sel.size:
                off[sel] = utc_offsets(zones[0], t[sel])
        unk = zg.members(-1)
        if unk.size:
            off[unk] = utc_offsets(fallback, t[unk])
    t += off  # in place: t is ours
    t /= 86400.0
    return np.floor(t, out=t).astype(np.int64)


def assert_compliant(events, jurisdiction, *, strict: bool = False, **kwargs) -> AuditReport:
    """Audit and raise ``AssertionError`` listing each broken rule with its
    figure and limit (``strict``: warnings fail too). Returns the report."""
    __tracebackhide__ = True
    report = events if isinstance(events, AuditReport) else audit(events, jurisdiction, **kwargs)
    broken = report.failures + (report.warnings if strict else [])
    if broken:
        raise AssertionError(report.failure_message(include_warnings=strict))
    return report


__all__ = ["AuditInputError", "AuditReport", "RuleResult", "assert_compliant", "audit"]
