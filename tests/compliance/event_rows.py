"""Hand-built event logs: one DISCONNECTED row per call, with the
timestamps given in seconds after a base instant. (A module of its own, not
``conftest``: with several test directories on the path, ``from conftest
import ...`` can find another directory's conftest.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from eventlog import EVENT_SCHEMA

BASE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 New York, 15:00 London


def call(
    n: int,
    *,
    at: float = 0.0,
    number: str = "+12125550100",
    party: str | None = "HUMAN",
    amd: str | None = "HUMAN_ANSWERED",
    greet_start: float | None = 10.0,
    greet_len: float = 1.0,
    agent_after_start: float | None = 1.0,
    end: float | None = None,
    reason: str | None = None,
    zone: str | None = None,
    message: bool | None = None,
    opt_out: bool | None = None,
    campaign: str = "camp-1",
    base: datetime = BASE,
) -> dict:
    """A call initiated ``at`` seconds after ``base``; the greeting starts
    ``greet_start`` s after initiation; an agent joins ``agent_after_start`` s
    after the greeting started (None: never)."""
    t0 = base + timedelta(seconds=at)

    def ts(x):
        return None if x is None else t0 + timedelta(seconds=x)

    connected = greet_start - 0.5 if greet_start is not None else None
    gs = greet_start
    ge = None if greet_start is None else greet_start + greet_len
    ag = None if (agent_after_start is None or greet_start is None) else greet_start + agent_after_start
    if end is None:
        end = (ag + 60) if ag is not None else ((ge + 10) if ge is not None else 20.0)
    if reason is None:
        reason = (
            "AGENT_DISCONNECT"
            if ag is not None
            else ("CONTACT_FLOW_DISCONNECT" if ge is not None else "TELECOM_UNANSWERED")
        )
    return {
        "event_id": f"ev-{n}",
        "time": ts(end),
        "event_type": "DISCONNECTED",
        "contact_id": f"c-{n:05d}",
        "campaign_id": campaign,
        "instance_id": "inst",
        "channel": "VOICE",
        "initiation_method": "OUTBOUND",
        "customer_address": number,
        "agent_id": "agent-0001" if ag is not None else None,
        "queue_id": "outbound" if greet_start is not None and party == "HUMAN" else None,
        "initiation_ts": t0,
        "connected_to_system_ts": ts(connected),
        "greeting_start_ts": ts(gs),
        "greeting_end_ts": ts(ge),
        "connected_to_agent_ts": ts(ag),
        "disconnect_ts": ts(end),
        "amd_status": amd,
        "disconnect_reason": reason,
        "sim_party": party,
        "sim_time_zone": zone,
        "sim_message_played": message,
        "sim_opt_out": opt_out,
    }


def table(rows: list[dict]) -> pa.Table:
    full = [{c: r.get(c) for c in EVENT_SCHEMA.names} for r in rows]
    return pa.Table.from_pylist(full, schema=EVENT_SCHEMA)


def doc_mapping(
    start: str = "2026-12-01T00:00:00Z",
    end: str = "2026-12-08T00:00:00Z",
    *,
    jurisdiction: str | None = "US",
    open_hours: dict | None = None,
    restricted: list | None = None,
    entry: dict | None = None,
    limits: list | None = None,
    default_zone: str | None = None,
    detection: list | None = None,
    mode: dict | None = None,
) -> dict:
    """A small valid campaign document (as a mapping); ``mode``: its
    ``outboundMode`` (default progressive)."""
    campaign: dict = {
        "name": "t",
        "connectInstanceId": "inst",
        "channelSubtypeConfig": {
            "telephony": {
                "outboundMode": mode or {"progressive": {"bandwidthAllocation": 1.0}},
                "defaultOutboundConfig": {"connectContactFlowId": "flow", "ringTimeout": 20},
            }
        },
        "schedule": {"startTime": start, "endTime": end},
    }
    ltz: dict = {}
    if default_zone:
        ltz["defaultTimeZone"] = default_zone
    if detection:
        ltz["localTimeZoneDetection"] = detection
    if open_hours is not None or restricted is not None or ltz:
        ctc: dict = {"localTimeZoneConfig": ltz}
        if open_hours is not None or restricted is not None:
            tel: dict = {"openHours": {"dailyHours": open_hours or {}}}
            if open_hours is None:
                tel["openHours"]["dailyHours"] = {
                    d: [{"startTime": "T00:00", "endTime": "T24:00"}]
                    for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
                }
            if restricted is not None:
                tel["restrictedPeriods"] = {"restrictedPeriodList": restricted}
            ctc["telephony"] = tel
        campaign["communicationTimeConfig"] = ctc
    if entry is not None:
        campaign["entryLimitsConfig"] = entry
    if limits is not None:
        campaign["communicationLimitsOverride"] = {"allChannelSubtypes": {"communicationLimitsList": limits}}
    return {
        "campaign": campaign,
        "simulation": {
            "jurisdiction": jurisdiction,
            "agents": {"count": 1},
            "behaviour": {"outcomes": {"human": 1.0}},
        },
    }
