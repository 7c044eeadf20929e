"""Reading contact events from wherever they are: Parquet, JSON lines of
envelopes, a table or a list of envelopes. A bad line is reported and
skipped; the good ones are kept."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from eventlog.envelopes import EventFormatError, envelope_to_row
from eventlog.schema import COLUMNS, EVENT_SCHEMA


@dataclass
class ReadResult:
    table: pa.Table
    errors: list[str]


def read_events(source: pa.Table | list[object] | str | os.PathLike[str], *, strict: bool = False) -> ReadResult:
    """Events from a Parquet file, a JSON-lines file of envelopes, a table, or
    a list of envelopes. Unreadable lines are reported (line number, reason)
    and skipped, so a truncated file still yields its good events; with
    ``strict`` the first error raises."""
    if isinstance(source, pa.Table):
        return ReadResult(source, [])
    if isinstance(source, list):
        rows: list[dict[str, Any]] = []
        errors: list[str] = []
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
