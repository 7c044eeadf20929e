"""The contact-event format, below every other package: the Arrow schema
(``schema``), EventBridge envelopes (``envelopes``), readers (``readers``) and
sinks (``sinks``). It knows nothing of the engine: a real Amazon Connect log
and a simulated one read alike."""

from eventlog.envelopes import (
    EventFormatError,
    envelope_to_row,
    envelopes_to_table,
    iter_envelopes,
    row_to_envelope,
)
from eventlog.readers import ReadResult, read_events
from eventlog.schema import COLUMNS, ENCODED_SCHEMA, EVENT_SCHEMA, RunMeta
from eventlog.sinks import (
    CallbackSink,
    EventSink,
    JsonLinesSink,
    MemorySink,
    ParquetSink,
)

__all__ = [
    "COLUMNS",
    "ENCODED_SCHEMA",
    "EVENT_SCHEMA",
    "CallbackSink",
    "EventFormatError",
    "EventSink",
    "JsonLinesSink",
    "MemorySink",
    "ParquetSink",
    "ReadResult",
    "RunMeta",
    "envelope_to_row",
    "envelopes_to_table",
    "iter_envelopes",
    "read_events",
    "row_to_envelope",
]
