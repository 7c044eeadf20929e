"""Flat event rows <-> EventBridge envelopes of Amazon Connect contact
events. What only a simulator knows stays under ``detail.simulation``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from eventlog.schema import EVENT_SCHEMA, RunMeta
from eventlog.timestamps import parse_iso_utc


def iso_ms(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _arn(meta_region: str, account: str, instance: str) -> str:
    return f"arn:aws:connect:{meta_region}:{account}:instance/{instance_uuid(instance)}"


# uuid5 namespace for instance ids that are names, not UUIDs ("contact-center-1").
_INSTANCE_NAMESPACE = uuid.UUID("6f1c2a52-3a4e-5b8e-9a51-0c0d1a7e5e11")


def instance_uuid(instance: str) -> str:
    """The instance id as Connect writes it in ARNs: a UUID. A configured id
    that is one is kept; a name gets a UUID derived from it (uuid5), the same
    for the same name, and the name travels in ``detail.simulation.instanceId``."""
    try:
        return str(uuid.UUID(instance))
    except (ValueError, AttributeError, TypeError):
        return str(uuid.uuid5(_INSTANCE_NAMESPACE, str(instance)))


def _whole_seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds()), 0)


def row_to_envelope(row: dict[str, Any], meta: RunMeta | None = None) -> dict[str, Any]:
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
    }
    if row.get("initiation_ts") is not None:  # an expired request was never dialled
        detail["initiationTimestamp"] = iso_ms(row["initiation_ts"])
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
            "queueType": "STANDARD",  # a campaign's queue is a standard queue, not an agent's own
            "enqueueTimestamp": iso_ms(row.get("enqueue_ts")),
        }
    if row.get("agent_id"):
        agent: dict[str, Any] = {
            "agentArn": f"{instance_arn}/agent/{row['agent_id']}",
            "connectedToAgentTimestamp": iso_ms(row.get("connected_to_agent_ts")),
        }
        if row.get("accepted_by_agent_ts") is not None:
            # Preview mode: the agent accepted the contact (CONTACT_DATA_UPDATED on).
            agent["acceptedByAgentTimestamp"] = iso_ms(row["accepted_by_agent_ts"])
        if row.get("after_contact_work_end_ts") is not None:
            # The COMPLETED event of a contact with after-contact work (Connect
            # admin guide, contact events): ACW starts at the disconnect.
            agent["afterContactWorkStartTimestamp"] = iso_ms(row.get("disconnect_ts"))
            agent["afterContactWorkEndTimestamp"] = iso_ms(row["after_contact_work_end_ts"])
            agent["afterContactWorkDuration"] = _whole_seconds(
                row.get("disconnect_ts"), row["after_contact_work_end_ts"]
            )
        detail["agentInfo"] = agent
    if row.get("disconnect_ts") is not None:
        detail["disconnectTimestamp"] = iso_ms(row["disconnect_ts"])
    if row.get("disconnect_reason"):
        detail["disconnectReason"] = row["disconnect_reason"]
    sim: dict[str, Any] = {
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
    if instance_arn.rsplit("/", 1)[-1] != row["instance_id"]:
        sim["instanceId"] = row["instance_id"]
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


def iter_envelopes(table: pa.Table, meta: RunMeta | None = None) -> Iterator[dict[str, Any]]:
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


def envelope_to_row(env: object, where: str = "event") -> dict[str, Any]:
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

    def ts(value: Any, field: str) -> datetime | None:
        return _parse_ts(value, where, field)

    return {
        "event_id": env.get("id") or "",
        "time": ts(env.get("time"), "time"),
        "event_type": d["eventType"],
        "contact_id": d["contactId"],
        "campaign_id": (d.get("campaign") or {}).get("campaignId"),
        "instance_id": sim.get("instanceId") or (instance_arn.rsplit("/", 1)[-1] if instance_arn else None),
        "channel": d.get("channel"),
        "initiation_method": d.get("initiationMethod"),
        "customer_address": (d.get("customerEndpoint") or {}).get("address"),
        "system_address": (d.get("systemEndpoint") or {}).get("address"),
        "queue_id": queue_arn.rsplit("/", 1)[-1] if queue_arn else None,
        "agent_id": agent_arn.rsplit("/", 1)[-1] if agent_arn else None,
        "initiation_ts": ts(d.get("initiationTimestamp"), "detail.initiationTimestamp"),
        "connected_to_system_ts": ts(d.get("connectedToSystemTimestamp"), "detail.connectedToSystemTimestamp"),
        "greeting_start_ts": ts(
            voice.get("greetingStartTimestamp"), "detail.customerVoiceActivity.greetingStartTimestamp"
        ),
        "greeting_end_ts": ts(voice.get("greetingEndTimestamp"), "detail.customerVoiceActivity.greetingEndTimestamp"),
        "enqueue_ts": ts(queue.get("enqueueTimestamp"), "detail.queueInfo.enqueueTimestamp"),
        "connected_to_agent_ts": ts(
            agent.get("connectedToAgentTimestamp"), "detail.agentInfo.connectedToAgentTimestamp"
        ),
        "disconnect_ts": ts(d.get("disconnectTimestamp"), "detail.disconnectTimestamp"),
        "after_contact_work_end_ts": (
            ts(agent.get("afterContactWorkEndTimestamp"), "detail.agentInfo.afterContactWorkEndTimestamp")
            if agent.get("afterContactWorkEndTimestamp") is not None
            # logs written before the field moved to agentInfo
            else ts(sim.get("afterContactWorkEndTimestamp"), "detail.simulation.afterContactWorkEndTimestamp")
        ),
        "accepted_by_agent_ts": ts(agent.get("acceptedByAgentTimestamp"), "detail.agentInfo.acceptedByAgentTimestamp"),
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


def envelopes_to_table(envelopes: Iterable[object]) -> pa.Table:
    rows = [envelope_to_row(e, f"event {i + 1}") for i, e in enumerate(envelopes)]
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
