"""A fingerprint of a run's events, for the golden test: refactors of the
engine must leave the events of every example unchanged for the same seed."""

from __future__ import annotations

import hashlib

import pyarrow as pa


def events_fingerprint(events: pa.Table) -> str:
    """SHA-256 over the events' Arrow IPC stream (chunks combined, so batch
    boundaries do not matter; schema included, so a changed type does)."""
    table = events.combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
