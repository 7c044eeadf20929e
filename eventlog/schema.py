"""The contact-event format (DESIGN.md contract 2): one flat row per event,
the Arrow schema it is stored in, and the vocabularies of its coded columns
(Amazon Connect's names, REFERENCE.md section 3).

Ground floor of the house: the engine writes this format, the audit, the
analysis and the event bus read it, and a real Connect log read through
``eventlog.envelopes`` looks the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# Vocabularies (REFERENCE.md section 3)
# ---------------------------------------------------------------------------

EVENT_TYPES = (
    "INITIATED",
    "CONTACT_DATA_UPDATED",  # preview mode: the agent accepted the contact (acceptedByAgentTimestamp)
    "CONNECTED_TO_SYSTEM",
    "QUEUED",
    "CONNECTED_TO_AGENT",
    "DISCONNECTED",
    "COMPLETED",
)
INITIATED, CONTACT_DATA_UPDATED, CONNECTED_TO_SYSTEM, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, COMPLETED = range(7)

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
    "SIT_TONE_DETECTED",
    "AMD_ERROR",
    "AMD_UNRESOLVED_SILENCE",
)
AMD_CODE = {name: i for i, name in enumerate(AMD_STATUSES)}

# Connect's DisconnectReason values for voice contacts and for outbound
# campaign voice contacts (admin guide, "Contact records data model",
# ContactTraceRecord.DisconnectReason; the "Amazon Connect contact events"
# page lists the campaign ones). New names are appended, so codes stay put.
# DISCARDED is not here: Connect documents it only for email contacts.
# What the engine produces, and why each, is in docs/interfaces.md
# ("Disconnect reasons").
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
    "THIRD_PARTY_DISCONNECT",
    "TELECOM_TIMEOUT",
    "TELECOM_PROBLEM",
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR",
    "TELECOM_ORIGINATOR_CANCEL",
)
REASON_CODE = {name: i for i, name in enumerate(DISCONNECT_REASONS)}

# The true party behind a dial (simulation ground truth).
PARTIES = ("HUMAN", "MACHINE_BEEP", "MACHINE_NO_BEEP", "NO_ANSWER", "BUSY", "INVALID", "FAX")

TS_FIELDS = (
    "initiation_ts",
    "connected_to_system_ts",
    "greeting_start_ts",
    "greeting_end_ts",
    "enqueue_ts",
    "connected_to_agent_ts",
    "disconnect_ts",
    "after_contact_work_end_ts",
    "accepted_by_agent_ts",
)

TS_TYPE = pa.timestamp("ms", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("time", TS_TYPE),
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
        *[(name, TS_TYPE) for name in TS_FIELDS],
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


# Columns whose values repeat. The recorder hands them over dictionary-encoded
# (ENCODED_SCHEMA) and the Parquet writer stores those dictionaries as they
# are; ids and timestamps are nearly unique, where a dictionary only costs.
DICTIONARY_COLUMNS = [
    "event_type",
    "campaign_id",
    "instance_id",
    "channel",
    "initiation_method",
    "system_address",
    "queue_id",
    "agent_id",
    "amd_status",
    "disconnect_reason",
    "sim_party",
    "sim_time_zone",
]
DICT_STRING = pa.dictionary(pa.int32(), pa.string())
ENCODED_SCHEMA = pa.schema([pa.field(f.name, DICT_STRING) if f.name in DICTIONARY_COLUMNS else f for f in EVENT_SCHEMA])


def decode(data: pa.Table) -> pa.Table:
    """A table in ``ENCODED_SCHEMA`` as ``EVENT_SCHEMA`` (plain strings)."""
    return data.cast(EVENT_SCHEMA)


def decode_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [col.cast(pa.string()) if col.type == DICT_STRING else col for col in batch.columns], schema=EVENT_SCHEMA
    )


# Min/max statistics where readers prune row groups with them (time ranges,
# event types, campaigns); on ids they cost time and help nobody.
STATISTICS_COLUMNS = ["time", "event_type", "campaign_id", "sim_recipient", *TS_FIELDS]
