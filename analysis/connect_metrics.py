"""Amazon Connect's outbound-campaign metrics (``GetMetricDataV2``) computed
over a run's contact events, with Connect's identifiers, filters, groupings
and intervals, so a dashboard or a test written against Connect runs against
a simulated campaign unchanged.

Sources (docs/analysis.md, "Connect metrics", has the table):

* Definitions: Amazon Connect Administrator Guide, "Outbound campaign metrics
  in Amazon Connect"
  (https://docs.aws.amazon.com/connect/latest/adminguide/outbound-campaign-metrics.html)
  and, for occupancy and idle time, "Historical metrics definitions"
  (https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics-definitions.html:
  Occupancy = agent on contact / (agent on contact + agent idle time)).
* Request and response shapes, units, valid groupings and filters, the
  threshold rules (1..604800 s, comparison GT) and the interval limits:
  botocore's ``connect`` service model (2017-08-08), operation
  ``GetMetricDataV2`` (``POST /metrics/data``) and its documentation.

What a contact is: every call (and every request that expired before it was
dialled) ends with exactly one DISCONNECTED event carrying all of its
timestamps, its AMD verdict and its disconnect reason; one row per contact
is read from those. A contact belongs to the interval holding its
``initiationTimestamp`` (an expired request: the event's time).

Connect counts what it can see, so these metrics use the AMD **verdicts**,
never the simulator's ground truth (``detail.simulation``):

* live customer (``HUMAN_ANSWERED_CALLS``, the abandonment denominators):
  AMD status ``HUMAN_ANSWERED``; a contact without an AMD status (AMD
  disabled) counts when it was connected to the system, as the admin guide
  says of ``CAMPAIGN_CONTACTS_CONNECTED``.
* abandoned after X: a live contact whose agent came more than X seconds
  after the clock start, or that never reached an agent and lasted beyond
  that instant (the dialer dropped it, or the callee hung up waiting); a
  callee who hung up within X seconds is not abandoned, exactly X is in time
  (comparison GT). The clock starts at the system connection (the base
  metric and ``..._FROM_SYSTEM_CONNECTION``), the greeting start or the
  greeting end. Contacts of an agentless execution (none of its contacts was
  ever queued or connected to an agent) are not eligible: nobody was meant
  to reach them (the compliance audit's reading too).

Rates are percentages (0..100) as Connect returns them; a value that cannot
be computed (nothing to divide by) is ``None`` and left out of the
response, as Connect does. Bad requests raise ``InvalidParameter`` naming
the field and the value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "METRICS",
    "Execution",
    "InvalidParameter",
    "MetricSpec",
    "execution_from_run_dir",
    "get_metric_data_v2",
    "results_frame",
]

COUNT, PERCENT, SECONDS = "COUNT", "PERCENT", "SECONDS"
SUBTYPE = "contact/segmentAttributes/connect:Subtype"
MAX_THRESHOLD = 604800
DEFAULT_MAX_RESULTS = 100

# Filter keys Connect uses to authorise a request: one of them is required.
RESOURCE_FILTERS = frozenset(
    {
        "QUEUE",
        "ROUTING_PROFILE",
        "AGENT",
        "AGENT_HIERARCHY_LEVEL_ONE",
        "AGENT_HIERARCHY_LEVEL_TWO",
        "AGENT_HIERARCHY_LEVEL_THREE",
        "AGENT_HIERARCHY_LEVEL_FOUR",
        "AGENT_HIERARCHY_LEVEL_FIVE",
        "CAMPAIGN",
        "EVALUATION_FORM",
        "EVALUATOR_ID",
    }
)
# Contact dimensions the events carry: key -> contact column.
CONTACT_DIMENSIONS = {
    "CAMPAIGN": "campaign_id",
    "QUEUE": "queue_id",
    "AGENT": "agent_id",
    "CHANNEL": "channel",
    "ANSWERING_MACHINE_DETECTION_STATUS": "amd_status",
    "DISCONNECT_REASON": "disconnect_reason",
    "INITIATION_METHOD": "initiation_method",
    SUBTYPE: "subtype",
    "CAMPAIGN_EXECUTION_TIMESTAMP": "execution",
}
# Keys Connect knows that the simulated events cannot answer (no routing
# profiles, hierarchies, bots, evaluations, flows or cases are simulated).
NOT_SIMULATED = (
    "ROUTING_PROFILE",
    "AGENT_HIERARCHY_LEVEL_ONE",
    "AGENT_HIERARCHY_LEVEL_TWO",
    "AGENT_HIERARCHY_LEVEL_THREE",
    "AGENT_HIERARCHY_LEVEL_FOUR",
    "AGENT_HIERARCHY_LEVEL_FIVE",
    "CAMPAIGN_DELIVERY_EVENT_TYPE",
    "EVALUATION_FORM",
    "EVALUATOR_ID",
)
DISPOSITIONS = ("ANSWERING_MACHINE_DETECTION_STATUS", "DISCONNECT_REASON")
PERIODS = {
    "FIFTEEN_MIN": timedelta(minutes=15),
    "THIRTY_MIN": timedelta(minutes=30),
    "HOUR": timedelta(hours=1),
    "DAY": timedelta(days=1),
    "WEEK": timedelta(days=7),
    "TOTAL": None,
}
# Longest StartTime..EndTime span per IntervalPeriod (botocore's documentation).
MAX_SPAN = {
    "FIFTEEN_MIN": timedelta(days=3),
    "THIRTY_MIN": timedelta(days=3),
    "HOUR": timedelta(days=3),
    "DAY": timedelta(days=35),
    "WEEK": timedelta(days=35),
    "TOTAL": timedelta(days=35),
}

GUIDE = "https://docs.aws.amazon.com/connect/latest/adminguide/outbound-campaign-metrics.html"
HISTORICAL = "https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics-definitions.html"


class InvalidParameter(ValueError):
    """A request value Connect would refuse (``InvalidParameterException``);
    the message names the field and the value."""


@dataclass(frozen=True)
class MetricSpec:
    """One ``GetMetricDataV2`` metric: its unit, where its data comes from
    (``contact`` events, the agents ``timeline``, the ``execution``), the
    groupings and filters it accepts, its metric-filter keys, whether it
    takes a threshold, its definition and the source of that definition."""

    name: str
    unit: str
    kind: str
    dimensions: frozenset[str]
    definition: str
    source: str = GUIDE
    metric_filters: frozenset[str] = frozenset()
    threshold: bool = False


def _spec(name: str, unit: str, kind: str, dims: Sequence[str], definition: str, **kw: Any) -> MetricSpec:
    return MetricSpec(name, unit, kind, frozenset(dims), definition, **kw)


_ABANDON_DIMS = ("AGENT", "CAMPAIGN")
_DELIVERY_DIMS = (
    "AGENT",
    "ANSWERING_MACHINE_DETECTION_STATUS",
    "CAMPAIGN",
    "CHANNEL",
    SUBTYPE,
    "DISCONNECT_REASON",
    "QUEUE",
)
_DELIVERY_FILTERS = frozenset(
    {"ANSWERING_MACHINE_DETECTION_STATUS", "CAMPAIGN_DELIVERY_EVENT_TYPE", "DISCONNECT_REASON"}
)
_EXECUTION_DIMS = ("CAMPAIGN", "CAMPAIGN_EXECUTION_TIMESTAMP")
_CLOCKS = {"": "system connection", "_FROM_SYSTEM_CONNECTION": "system connection"}
_CLOCKS.update({"_FROM_GREETING_START": "greeting start", "_FROM_GREETING_END": "greeting end"})

_SPECS = [
    _spec(
        "AVG_DIALS_PER_MINUTE",
        COUNT,
        "contact",
        ("AGENT", "CAMPAIGN", "QUEUE"),
        "outbound campaign dials (contacts initiated) divided by the minutes of the interval",
    ),
    _spec(
        "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION",
        SECONDS,
        "contact",
        ("CAMPAIGN",),
        "mean time from the answer (connected to system) to the agent, or to the disconnect when no agent came, "
        "over answered contacts routed to an agent",
    ),
    _spec(
        "HUMAN_ANSWERED_CALLS",
        COUNT,
        "contact",
        _ABANDON_DIMS,
        "contacts the AMD classified HUMAN_ANSWERED (0 without AMD: Connect reports it only with AMD enabled)",
    ),
    _spec(
        "CAMPAIGN_CONTACTS_CONNECTED",
        COUNT,
        "contact",
        _ABANDON_DIMS,
        "contacts connected to a live customer: AMD status HUMAN_ANSWERED, or connected without an AMD status",
    ),
    _spec(
        "DELIVERY_ATTEMPTS",
        COUNT,
        "contact",
        _DELIVERY_DIMS,
        "contact outcomes from the dialer (one per contact, expired requests included)",
        metric_filters=_DELIVERY_FILTERS,
    ),
    _spec(
        "DELIVERY_ATTEMPT_DISPOSITION_RATE",
        PERCENT,
        "contact",
        _DELIVERY_DIMS,
        "share of the delivery attempts with the disposition (AMD status or disconnect reason) its metric filter "
        "or grouping names, over all delivery attempts of the other dimensions",
        metric_filters=_DELIVERY_FILTERS,
    ),
    _spec(
        "CAMPAIGN_SEND_ATTEMPTS",
        COUNT,
        "contact",
        ("CAMPAIGN", "CHANNEL", SUBTYPE),
        "send requests sent for delivery: contacts the dialer initiated",
    ),
    _spec(
        "RECIPIENTS_ATTEMPTED",
        COUNT,
        "contact",
        _EXECUTION_DIMS,
        "distinct recipients with at least one contact initiated",
    ),
    _spec(
        "RECIPIENTS_INTERACTED",
        COUNT,
        "contact",
        (*_EXECUTION_DIMS, "CHANNEL", SUBTYPE),
        "distinct recipients with at least one contact connected to a live customer (our reading for voice: "
        "Connect's examples of an interaction are e-mail opens and clicks)",
        metric_filters=frozenset({"CAMPAIGN_INTERACTION_EVENT_TYPE"}),
    ),
    _spec(
        "RECIPIENTS_TARGETED",
        COUNT,
        "execution",
        _EXECUTION_DIMS,
        "recipients of the campaign executions active in the interval (their contact lists, excluded ones included)",
    ),
    _spec(
        "CAMPAIGN_PROGRESS_RATE",
        PERCENT,
        "execution",
        _EXECUTION_DIMS,
        "RECIPIENTS_ATTEMPTED / RECIPIENTS_TARGETED x 100",
    ),
    _spec(
        "CAMPAIGN_SEND_EXCLUSIONS",
        COUNT,
        "execution",
        (*_EXECUTION_DIMS, "CAMPAIGN_EXCLUDED_EVENT_TYPE"),
        "send attempts excluded during the executions that started in the interval, by exclusion type",
        metric_filters=frozenset({"CAMPAIGN_EXCLUDED_EVENT_TYPE"}),
    ),
    _spec(
        "AGENT_OCCUPANCY",
        PERCENT,
        "timeline",
        ("CAMPAIGN",),
        "agent on contact (talk and after-contact work) / (on contact + idle) x 100, from the agents timeline",
        source=HISTORICAL,
    ),
    _spec(
        "SUM_IDLE_TIME_AGENT",
        SECONDS,
        "timeline",
        ("CAMPAIGN",),
        "agent-seconds logged in, not on break and not on a contact",
        source=HISTORICAL,
    ),
    _spec(
        "CAMPAIGN_INTERACTIONS",
        COUNT,
        "email",
        ("CAMPAIGN",),
        "interactions after a delivered e-mail, WhatsApp or web notification (open, click, complaint): "
        "not available for voice campaigns",
    ),
]
for _suffix, _clock in _CLOCKS.items():
    _SPECS.append(
        _spec(
            f"CAMPAIGN_CONTACTS_ABANDONED_AFTER_X{_suffix}",
            COUNT,
            "contact",
            _ABANDON_DIMS,
            f"contacts connected to a live customer not connected to an agent within X seconds of the {_clock}",
            threshold=True,
        )
    )
    _SPECS.append(
        _spec(
            f"CAMPAIGN_CONTACTS_ABANDONED_AFTER_X{_suffix}_RATE",
            PERCENT,
            "contact",
            _ABANDON_DIMS,
            f"CAMPAIGN_CONTACTS_ABANDONED_AFTER_X{_suffix} / CAMPAIGN_CONTACTS_CONNECTED x 100",
            threshold=True,
        )
    )
METRICS: dict[str, MetricSpec] = {s.name: s for s in _SPECS}


# ---------------------------------------------------------------------------
# Executions: what Connect knows besides the contact events
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    """One campaign execution (a run): its contact events (a Parquet path or
    an Arrow table), optionally its agents timeline, when it ran, how many
    recipients it targeted and the send attempts it excluded (type -> count).
    ``execution_id`` names it in errors."""

    campaign_id: str
    events: Any
    timeline: Any = None
    start_ms: int | None = None
    end_ms: int | None = None
    recipients_targeted: int | None = None
    exclusions: Mapping[str, int] = field(default_factory=dict)
    execution_id: str = ""


def exclusions_of(summary: Mapping[str, Any]) -> dict[str, int]:
    """A run summary's excluded send attempts by type: the dial gate's
    verdicts (``exclusions``: OUTSIDE_HOURS, DNC, ENTRY_LIMIT, ...) and the
    contacts rejected when the list was loaded (``REJECTED_CONTACT``: a
    number with no time zone, Connect's MISSING_TIMEZONE, or unusable)."""
    out = {str(k): int(v) for k, v in (summary.get("exclusions") or {}).items() if v}
    rejected = int(summary.get("rejected_contacts") or 0)
    if rejected:
        out["REJECTED_CONTACT"] = rejected
    return out


def execution_from_summary(
    campaign_id: str, events: Any, timeline: Any, summary: Mapping[str, Any], start_ms: int, execution_id: str = ""
) -> Execution:
    """An execution from a run summary (``dialer.simulate``'s) and the instant
    its schedule started."""
    seconds = float(summary.get("simulated_seconds") or 0.0)
    return Execution(
        campaign_id=campaign_id,
        events=events,
        timeline=timeline,
        start_ms=start_ms,
        end_ms=start_ms + round(seconds * 1000),
        recipients_targeted=int(summary.get("contacts") or 0) + int(summary.get("rejected_contacts") or 0),
        exclusions=exclusions_of(summary),
        execution_id=execution_id,
    )


def execution_from_run_dir(run_dir: str | os.PathLike[str], campaign_id: str | None = None) -> Execution:
    """A run directory written by ``dialer simulate --out`` as an execution:
    ``events.parquet``, ``timeline.parquet``, ``summary.json`` and
    ``campaign.json`` (the campaign's id defaults to its name, as in the
    events)."""
    d = Path(run_dir)
    events = d / "events.parquet"
    if not events.exists():
        raise FileNotFoundError(f"{d}: no events.parquet (is this a run directory written by `dialer simulate --out`?)")
    summary = json.loads((d / "summary.json").read_text()) if (d / "summary.json").exists() else {}
    doc = json.loads((d / "campaign.json").read_text()) if (d / "campaign.json").exists() else {}
    camp = doc.get("campaign", {})
    start = camp.get("schedule", {}).get("startTime")
    start_ms = round(pd.Timestamp(start).timestamp() * 1000) if start else None
    timeline = d / "timeline.parquet" if (d / "timeline.parquet").exists() else None
    cid = campaign_id or camp.get("name") or d.name
    if start_ms is None:
        return Execution(cid, events, timeline, execution_id=str(d))
    return execution_from_summary(cid, events, timeline, summary, start_ms, execution_id=str(d))


# ---------------------------------------------------------------------------
# The request
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ask:
    """One requested metric, validated."""

    index: int
    spec: MetricSpec
    threshold: float | None
    filters: tuple[tuple[str, frozenset[str], bool], ...]
    echo: dict[str, Any]


@dataclass(frozen=True)
class _Request:
    start_ms: int
    end_ms: int
    period: str
    zone: ZoneInfo
    filters: dict[str, frozenset[str]]
    groupings: tuple[str, ...]
    asks: tuple[_Ask, ...]
    fingerprint: str


# Timestamps a request may name: 1970 to 9999 (epoch milliseconds).
MAX_MS = 253_402_300_799_000


def _ms(value: Any, name: str) -> int:
    ms = _parse_ms(value, name)
    if not 0 <= ms <= MAX_MS:
        raise InvalidParameter(f"{name}: a timestamp between 1970 and 9999, got {_show(value)}")
    return ms


def _parse_ms(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise InvalidParameter(f"{name}: expected a timestamp, got {value!r}")
    if isinstance(value, (int, float)) and math.isfinite(value) and abs(value) < 1e15:
        return round(float(value) * 1000)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return round(float(value.timestamp()) * 1000)
    if isinstance(value, str) and len(value) <= 64:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            pass
        else:
            if not pd.isna(ts):
                ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
                return round(ts.timestamp() * 1000)
    raise InvalidParameter(f"{name}: expected a timestamp (epoch seconds or ISO 8601), got {_show(value)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _strings(value: Any, name: str, *, low: int, high: int) -> list[str]:
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise InvalidParameter(f"{name}: expected a list of {low} to {high} strings, got {_show(value)}")
    for v in value:
        if not isinstance(v, str) or not 1 <= len(v) <= 250:
            raise InvalidParameter(f"{name}: expected strings of 1 to 250 characters, got {_show(v)}")
    return list(value)


def _campaign_id(value: str) -> str:
    """A campaign filter value: an id, or a campaign ARN (Connect's form)."""
    m = re.fullmatch(r"arn:aws[\w-]*:connect-campaigns:[^:]*:[^:]*:campaign/(.+)", value)
    return m.group(1) if m else value


def _check_key(key: str, name: str) -> None:
    if key in NOT_SIMULATED:
        raise InvalidParameter(
            f"{name}: {key!r} is a Connect key the simulated contact events do not carry "
            f"(supported: {sorted(CONTACT_DIMENSIONS)})"
        )


def _parse_filters(raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 5:
        raise InvalidParameter(f"Filters: expected a list of 1 to 5 filters, got {_show(raw)}")
    out: dict[str, frozenset[str]] = {}
    total = 0
    for i, f in enumerate(raw):
        where = f"Filters[{i}]"
        if not isinstance(f, dict):
            raise InvalidParameter(f"{where}: expected an object with FilterKey and FilterValues, got {_show(f)}")
        unknown = set(f) - {"FilterKey", "FilterValues", "StringCondition"}
        if unknown:
            raise InvalidParameter(f"{where}: unknown member(s) {sorted(unknown)}")
        key = f.get("FilterKey")
        if not isinstance(key, str):
            raise InvalidParameter(f"{where}.FilterKey: expected a string, got {_show(key)}")
        _check_key(key, f"{where}.FilterKey")
        if key not in CONTACT_DIMENSIONS and key != "CAMPAIGN_EXCLUDED_EVENT_TYPE":
            raise InvalidParameter(f"{where}.FilterKey: unknown filter key {key!r}")
        if "StringCondition" in f:
            raise InvalidParameter(f"{where}.StringCondition: not supported (filter by FilterValues)")
        values = _strings(f.get("FilterValues"), f"{where}.FilterValues", low=1, high=100)
        if key == "CAMPAIGN":
            values = [_campaign_id(v) for v in values]
        if key != "CHANNEL":
            total += len(values)
        out[key] = out.get(key, frozenset()) | frozenset(values)
    if total > 100:
        raise InvalidParameter(f"Filters: at most 100 filter values across all keys, got {total}")
    if not RESOURCE_FILTERS & set(out):
        raise InvalidParameter(
            f"Filters: one filter on a resource is required ({', '.join(sorted(RESOURCE_FILTERS))}), got {sorted(out)}"
        )
    return out


def _parse_threshold(raw: Any, spec: MetricSpec, where: str) -> float | None:
    if raw is None:
        if spec.threshold:
            raise InvalidParameter(
                f"{where}.Threshold: {spec.name} needs a threshold: [{{'Comparison': 'GT', 'ThresholdValue': X}}]"
            )
        return None
    if not spec.threshold:
        raise InvalidParameter(f"{where}.Threshold: {spec.name} takes no threshold")
    if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict):
        raise InvalidParameter(f"{where}.Threshold: expected one {{Comparison, ThresholdValue}}, got {_show(raw)}")
    comparison, value = raw[0].get("Comparison"), raw[0].get("ThresholdValue")
    if comparison != "GT":
        raise InvalidParameter(f"{where}.Threshold[0].Comparison: {spec.name} takes 'GT', got {_show(comparison)}")
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
        or not 1 <= value <= MAX_THRESHOLD
    ):
        raise InvalidParameter(
            f"{where}.Threshold[0].ThresholdValue: a whole number of seconds from 1 to {MAX_THRESHOLD}, got {_show(value)}"
        )
    return float(value)


def _parse_metric_filters(raw: Any, spec: MetricSpec, where: str) -> tuple[tuple[str, frozenset[str], bool], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 2:
        raise InvalidParameter(f"{where}.MetricFilters: expected a list of at most 2 filters, got {_show(raw)}")
    out = []
    for j, mf in enumerate(raw):
        at = f"{where}.MetricFilters[{j}]"
        if not isinstance(mf, dict):
            raise InvalidParameter(f"{at}: expected an object, got {_show(mf)}")
        key = mf.get("MetricFilterKey")
        if key not in spec.metric_filters:
            allowed = sorted(spec.metric_filters) or "none"
            raise InvalidParameter(
                f"{at}.MetricFilterKey: {_show(key)} is not a metric filter of {spec.name} ({allowed})"
            )
        if key in ("CAMPAIGN_DELIVERY_EVENT_TYPE", "CAMPAIGN_INTERACTION_EVENT_TYPE"):
            raise InvalidParameter(
                f"{at}.MetricFilterKey: {key!r} applies to e-mail, SMS and WhatsApp deliveries; "
                "the simulated campaigns are voice"
            )
        values = _strings(mf.get("MetricFilterValues"), f"{at}.MetricFilterValues", low=1, high=10)
        negate = mf.get("Negate", False)
        if not isinstance(negate, bool):
            raise InvalidParameter(f"{at}.Negate: expected true or false, got {_show(negate)}")
        out.append((str(key), frozenset(values), negate))
    return tuple(out)


def _parse_metrics(raw: Any) -> tuple[_Ask, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidParameter(f"Metrics: expected a non-empty list of metrics, got {_show(raw)}")
    asks = []
    for i, m in enumerate(raw):
        where = f"Metrics[{i}]"
        if not isinstance(m, dict):
            raise InvalidParameter(f"{where}: expected an object with Name, got {_show(m)}")
        if "MetricId" in m and "Name" not in m:
            raise InvalidParameter(f"{where}.MetricId: custom metrics are not supported; give Name")
        name = m.get("Name")
        spec = METRICS.get(name) if isinstance(name, str) else None
        if spec is None:
            raise InvalidParameter(
                f"{where}.Name: unsupported metric {_show(name)}; supported: {', '.join(sorted(METRICS))}"
            )
        if spec.kind == "email":
            raise InvalidParameter(f"{where}.Name: {name} is {spec.definition}")
        threshold = _parse_threshold(m.get("Threshold"), spec, where)
        filters = _parse_metric_filters(m.get("MetricFilters"), spec, where)
        echo = {k: m[k] for k in ("Name", "Threshold", "MetricFilters", "MetricId") if k in m}
        asks.append(_Ask(i, spec, threshold, filters, echo))
    return tuple(asks)


def _parse(request: Mapping[str, Any]) -> _Request:
    start_ms = _ms(request.get("StartTime"), "StartTime")
    end_ms = _ms(request.get("EndTime"), "EndTime")
    if end_ms <= start_ms:
        raise InvalidParameter(
            f"EndTime must be later than StartTime (got {request.get('StartTime')!r} .. {request.get('EndTime')!r})"
        )
    interval = request.get("Interval") or {}
    if not isinstance(interval, dict):
        raise InvalidParameter(f"Interval: expected an object with IntervalPeriod and TimeZone, got {_show(interval)}")
    period = interval.get("IntervalPeriod", "TOTAL")
    if period not in PERIODS:
        raise InvalidParameter(f"Interval.IntervalPeriod: one of {', '.join(PERIODS)}, got {_show(period)}")
    zone_name = interval.get("TimeZone", "UTC")
    if not isinstance(zone_name, str) or zone_name not in _zones():
        raise InvalidParameter(f"Interval.TimeZone: not a known IANA time zone: {_show(zone_name)}")
    span = timedelta(milliseconds=end_ms - start_ms)
    if span > MAX_SPAN[period]:
        raise InvalidParameter(
            f"EndTime - StartTime is {span}; with IntervalPeriod {period} it must be at most {MAX_SPAN[period].days} days"
        )
    filters = _parse_filters(request.get("Filters"))
    groupings = request.get("Groupings") or []
    if not isinstance(groupings, list) or len(groupings) > 4:
        raise InvalidParameter(f"Groupings: expected a list of at most 4 keys, got {_show(groupings)}")
    for g in groupings:
        if not isinstance(g, str):
            raise InvalidParameter(f"Groupings: expected strings, got {_show(g)}")
        _check_key(g, "Groupings")
        if g not in CONTACT_DIMENSIONS and g != "CAMPAIGN_EXCLUDED_EVENT_TYPE":
            raise InvalidParameter(f"Groupings: unknown grouping key {g!r}")
    if len(set(groupings)) != len(groupings):
        raise InvalidParameter(f"Groupings: a key is repeated: {groupings}")
    asks = _parse_metrics(request.get("Metrics"))
    for ask in asks:
        for key in (*filters, *groupings):
            if key not in ask.spec.dimensions and key != "CAMPAIGN":
                raise InvalidParameter(
                    f"{key!r} is not a valid filter or grouping for {ask.spec.name} "
                    f"(valid: {', '.join(sorted(ask.spec.dimensions))})"
                )
        if "CAMPAIGN" in groupings and "CAMPAIGN" not in ask.spec.dimensions:
            raise InvalidParameter(f"'CAMPAIGN' is not a valid grouping for {ask.spec.name}")
    fingerprint = hashlib.sha256(
        json.dumps(
            {k: request.get(k) for k in ("StartTime", "EndTime", "Interval", "Filters", "Groupings", "Metrics")},
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:12]
    return _Request(start_ms, end_ms, period, ZoneInfo(zone_name), filters, tuple(groupings), asks, fingerprint)


# ---------------------------------------------------------------------------
# Reading the contacts
# ---------------------------------------------------------------------------

_CONTACT_SQL = """
SELECT
    {idx} AS exec_idx,
    epoch_ms(coalesce(initiation_ts, "time")) AS t,
    campaign_id, queue_id, agent_id, channel, initiation_method, amd_status, disconnect_reason,
    coalesce(CAST(sim_recipient AS VARCHAR), customer_address) AS recipient,
    initiation_ts IS NOT NULL AND coalesce(disconnect_reason, '') <> 'EXPIRED' AS dialled,
    epoch_ms(connected_to_system_ts) AS t_sys,
    epoch_ms(greeting_start_ts) AS t_gs,
    epoch_ms(greeting_end_ts) AS t_ge,
    epoch_ms(enqueue_ts) AS t_q,
    epoch_ms(connected_to_agent_ts) AS t_agent,
    epoch_ms(disconnect_ts) AS t_disc
FROM {src}
WHERE event_type = 'DISCONNECTED'
  AND epoch_ms(coalesce(initiation_ts, "time")) >= {lo} AND epoch_ms(coalesce(initiation_ts, "time")) < {hi}
"""


def _source_sql(con: duckdb.DuckDBPyConnection, name: str, source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        path = str(source).replace("'", "''")
        return f"read_parquet('{path}')"
    if isinstance(source, (pa.Table, pd.DataFrame)):
        con.register(name, source)
        return name
    raise TypeError(f"events: expected a Parquet path or a pyarrow Table, got {type(source).__name__}")


def _contacts(executions: Sequence[Execution], req: _Request) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        parts = [
            _CONTACT_SQL.format(idx=i, src=_source_sql(con, f"ev{i}", ex.events), lo=req.start_ms, hi=req.end_ms)
            for i, ex in enumerate(executions)
        ]
        if not parts:
            return pd.DataFrame()
        df: pd.DataFrame = con.execute(" UNION ALL ".join(parts)).df()
    finally:
        con.close()
    return df


def _timeline(executions: Sequence[Execution], req: _Request) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        parts = [
            f"""SELECT {i} AS exec_idx, epoch_ms(interval_start) AS t,
                       agents_busy * interval_seconds AS busy_s, agents_idle * interval_seconds AS idle_s
                FROM {_source_sql(con, f"tl{i}", ex.timeline)}
                WHERE epoch_ms(interval_start) >= {req.start_ms} AND epoch_ms(interval_start) < {req.end_ms}"""
            for i, ex in enumerate(executions)
            if ex.timeline is not None
        ]
        if not parts:
            return pd.DataFrame(columns=["exec_idx", "t", "busy_s", "idle_s"])
        df: pd.DataFrame = con.execute(" UNION ALL ".join(parts)).df()
    finally:
        con.close()
    return df


# ---------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------


def _bucket_keys(t_ms: np.ndarray, req: _Request) -> np.ndarray:
    """The local start (naive wall-clock, as epoch ms) of each instant's interval."""
    if req.period == "TOTAL":
        return np.zeros(len(t_ms), dtype=np.int64)
    local = (
        pd.to_datetime(pd.Series(t_ms, dtype="int64"), unit="ms", utc=True).dt.tz_convert(req.zone).dt.tz_localize(None)
    )
    if req.period == "DAY":
        floored = local.dt.normalize()
    elif req.period == "WEEK":
        floored = local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")
    else:
        period = PERIODS[req.period]
        assert period is not None
        floored = local.dt.floor(period)
    millis = (floored - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)
    return np.asarray(millis, dtype=np.int64)


def _bounds(key: int, req: _Request) -> tuple[int, int]:
    """(start, end) epoch ms of an interval, clipped to StartTime..EndTime."""
    if req.period == "TOTAL":
        return req.start_ms, req.end_ms
    period = PERIODS[req.period]
    assert period is not None
    local = datetime(1970, 1, 1) + timedelta(milliseconds=int(key))
    start = local.replace(tzinfo=req.zone).timestamp() * 1000
    end = (local + period).replace(tzinfo=req.zone).timestamp() * 1000
    return max(round(start), req.start_ms), min(round(end), req.end_ms)


def _keys_between(lo: int, hi: int, req: _Request) -> list[int]:
    """Every interval key overlapping [lo, hi)."""
    lo, hi = max(lo, req.start_ms), min(hi, req.end_ms)
    if hi <= lo:
        return []
    if req.period == "TOTAL":
        return [0]
    step = 15 * 60_000
    ts = np.arange(lo, hi, step, dtype=np.int64)
    ts = np.append(ts, hi - 1)
    return sorted(set(_bucket_keys(ts, req).tolist()))


# ---------------------------------------------------------------------------
# Computing
# ---------------------------------------------------------------------------

Key = tuple[Any, ...]


def _prepare(df: pd.DataFrame, executions: Sequence[Execution], req: _Request) -> pd.DataFrame:
    """Derived columns and the request's filters applied."""
    df = df.copy()
    df["subtype"] = "connect:Telephony"
    stamps = np.asarray([_execution_stamp(ex) for ex in executions], dtype=object)
    df["execution"] = stamps[df["exec_idx"].to_numpy(dtype=np.int64)]
    for key, values in req.filters.items():
        col = CONTACT_DIMENSIONS.get(key)
        if col is not None:
            df = df[df[col].isin(values)]
    connected = df["t_sys"].notna()
    no_amd = df["amd_status"].isna() | (df["amd_status"] == "AMD_NOT_APPLICABLE")
    routed = df["t_q"].notna() | df["t_agent"].notna()
    agent_assisted = routed.groupby(df["exec_idx"]).transform("any") if len(df) else routed
    df["human"] = df["amd_status"] == "HUMAN_ANSWERED"
    df["eligible"] = connected & (df["human"] | no_amd)
    df["abandon_eligible"] = df["eligible"] & agent_assisted.astype(bool)
    end = df["t_agent"].fillna(df["t_disc"])
    wait = (end - df["t_sys"]) / 1000.0
    df["wait"] = wait.where(connected & routed).clip(lower=0)
    df["end"] = end
    df["bucket"] = _bucket_keys(df["t"].to_numpy(dtype=np.int64), req)
    return df


def _execution_stamp(ex: Execution) -> str:
    if ex.start_ms is None:
        return ex.execution_id or ex.campaign_id
    return datetime.fromtimestamp(ex.start_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _metric_mask(df: pd.DataFrame, ask: _Ask) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for key, values, negate in ask.filters:
        col = df[CONTACT_DIMENSIONS[key]]
        hit = col.isin(values)
        mask &= ~hit if negate else hit
    return mask


def _grouped(df: pd.DataFrame, dims: Sequence[str], values: pd.Series, how: str) -> pd.Series:
    keys = [df[CONTACT_DIMENSIONS[d]] for d in dims] + [df["bucket"]]
    s: pd.Series = getattr(values.groupby(keys, dropna=True, sort=True), how)()
    return s


def _contact_metric(df: pd.DataFrame, ask: _Ask, dims: tuple[str, ...], req: _Request) -> dict[Key, float | None]:
    name = ask.spec.name
    mask = _metric_mask(df, ask)
    out: pd.Series
    if name == "DELIVERY_ATTEMPTS":
        out = _grouped(df, dims, mask.astype(int), "sum")
    elif name == "DELIVERY_ATTEMPT_DISPOSITION_RATE":
        num = _grouped(df, dims, mask.astype(int), "sum")
        rest = [i for i, d in enumerate(dims) if d not in DISPOSITIONS]
        den = _grouped(df, tuple(dims[i] for i in rest), pd.Series(1, index=df.index), "sum")
        den_of = dict(zip(_as_tuples(den.index), den.to_numpy(), strict=True))
        shares = [
            n / den_of[(*(k[i] for i in rest), k[-1])] * 100 for k, n in zip(_as_tuples(num.index), num, strict=True)
        ]
        out = pd.Series(shares, index=num.index, dtype=float)
    elif name == "CAMPAIGN_SEND_ATTEMPTS":
        out = _grouped(df, dims, df["dialled"].astype(int), "sum")
    elif name == "AVG_DIALS_PER_MINUTE":
        dials = _grouped(df, dims, df["dialled"].astype(int), "sum")
        spans = [_bounds(int(k[-1]), req) for k in _as_tuples(dials.index)]
        out = dials / np.asarray([max(1, end - start) / 60000.0 for start, end in spans])
    elif name == "HUMAN_ANSWERED_CALLS":
        out = _grouped(df, dims, df["human"].astype(int), "sum")
    elif name == "CAMPAIGN_CONTACTS_CONNECTED":
        out = _grouped(df, dims, df["eligible"].astype(int), "sum")
    elif name == "AVG_WAIT_TIME_AFTER_CUSTOMER_CONNECTION":
        out = _grouped(df, dims, df["wait"], "mean")
    elif name == "RECIPIENTS_ATTEMPTED":
        out = _grouped(df, dims, df["recipient"].where(df["dialled"]), "nunique")
    elif name == "RECIPIENTS_INTERACTED":
        out = _grouped(df, dims, df["recipient"].where(df["eligible"]), "nunique")
    elif name.startswith("CAMPAIGN_CONTACTS_ABANDONED_AFTER_X"):
        clock = df["t_sys"]
        if "_FROM_GREETING_START" in name:
            clock = df["t_gs"].fillna(df["t_ge"]).fillna(df["t_sys"])
        elif "_FROM_GREETING_END" in name:
            clock = df["t_ge"].fillna(df["t_gs"]).fillna(df["t_sys"])
        assert ask.threshold is not None
        late = (df["end"] - clock) > ask.threshold * 1000
        abandoned = (df["abandon_eligible"] & late.fillna(False)).astype(int)
        count = _grouped(df, dims, abandoned, "sum")
        if name.endswith("_RATE"):
            den = _grouped(df, dims, df["abandon_eligible"].astype(int), "sum")
            out = (count / den.where(den > 0)) * 100
        else:
            out = count
    else:  # pragma: no cover - every contact metric is handled above
        raise AssertionError(name)
    return {k: (None if pd.isna(v) else float(v)) for k, v in zip(_as_tuples(out.index), out.to_numpy(), strict=True)}


def _as_tuples(index: pd.Index) -> list[Key]:
    return [k if isinstance(k, tuple) else (k,) for k in index]


def _timeline_metric(
    tl: pd.DataFrame, executions: Sequence[Execution], ask: _Ask, dims: tuple[str, ...], req: _Request
) -> dict[Key, float | None]:
    if tl.empty:
        return {}
    tl = tl.copy()
    tl["campaign_id"] = [executions[i].campaign_id for i in tl["exec_idx"]]
    if "CAMPAIGN" in req.filters:
        tl = tl[tl["campaign_id"].isin(req.filters["CAMPAIGN"])]
    tl["bucket"] = _bucket_keys(tl["t"].to_numpy(dtype=np.int64), req)
    keys = [tl["campaign_id"] for _ in dims] + [tl["bucket"]]
    sums = tl.groupby(keys, sort=True)[["busy_s", "idle_s"]].sum()
    out: dict[Key, float | None] = {}
    for k, row in zip(_as_tuples(sums.index), sums.itertuples(index=False), strict=True):
        busy, idle = float(row[0]), float(row[1])
        if ask.spec.name == "SUM_IDLE_TIME_AGENT":
            out[k] = idle
        else:
            out[k] = busy / (busy + idle) * 100 if busy + idle > 0 else None
    return out


def _execution_metric(
    executions: Sequence[Execution],
    attempted: dict[Key, float | None],
    ask: _Ask,
    dims: tuple[str, ...],
    req: _Request,
) -> dict[Key, float | None]:
    name = ask.spec.name
    wanted = req.filters.get("CAMPAIGN")
    types = req.filters.get("CAMPAIGN_EXCLUDED_EVENT_TYPE")
    stamps = req.filters.get("CAMPAIGN_EXECUTION_TIMESTAMP")
    out: dict[Key, float] = {}
    for ex in executions:
        if wanted is not None and ex.campaign_id not in wanted:
            continue
        if ex.start_ms is None:
            raise InvalidParameter(
                f"{name}: execution {ex.execution_id or ex.campaign_id!r} does not say when it ran "
                "(its events alone do not carry the targeted recipients)"
            )
        base = {"CAMPAIGN": ex.campaign_id, "CAMPAIGN_EXECUTION_TIMESTAMP": _execution_stamp(ex)}
        if stamps is not None and base["CAMPAIGN_EXECUTION_TIMESTAMP"] not in stamps:
            continue
        if name == "CAMPAIGN_SEND_EXCLUSIONS":
            for b in _keys_between(ex.start_ms, ex.start_ms + 1, req):
                if "CAMPAIGN_EXCLUDED_EVENT_TYPE" not in dims:
                    out.setdefault((*(base[d] for d in dims), b), 0.0)
                for kind, n in ex.exclusions.items():
                    if (types is not None and kind not in types) or not _passes(kind, ask.filters):
                        continue
                    dim = {**base, "CAMPAIGN_EXCLUDED_EVENT_TYPE": kind}
                    k = (*(dim[d] for d in dims), b)
                    out[k] = out.get(k, 0.0) + n
            continue
        end = ex.end_ms if ex.end_ms is not None else ex.start_ms + 1
        for b in _keys_between(ex.start_ms, max(end, ex.start_ms + 1), req):
            k = (*(base[d] for d in dims), b)
            out[k] = out.get(k, 0.0) + float(ex.recipients_targeted or 0)
    if name == "CAMPAIGN_PROGRESS_RATE":
        return {k: ((attempted.get(k) or 0.0) / v * 100 if v > 0 else None) for k, v in out.items()}
    return dict(out)


def _passes(kind: str, filters: tuple[tuple[str, frozenset[str], bool], ...]) -> bool:
    for key, values, negate in filters:
        if key == "CAMPAIGN_EXCLUDED_EVENT_TYPE" and ((kind in values) == negate):
            return False
    return True


def _results(executions: Sequence[Execution], req: _Request) -> list[dict[str, Any]]:
    dims = req.groupings
    kinds = {a.spec.kind for a in req.asks}
    contact_dims = all(d in CONTACT_DIMENSIONS for d in dims)
    values: list[dict[Key, float | None]] = []
    df = None
    if "contact" in kinds or "execution" in kinds:
        if not contact_dims and "contact" in kinds:
            raise InvalidParameter(f"Groupings: {list(dims)} do not apply to contact metrics")
        raw = _contacts(executions, req)
        df = _prepare(raw, executions, req) if len(raw) else None
    tl = _timeline(executions, req) if "timeline" in kinds else pd.DataFrame()
    for ask in req.asks:
        kind = ask.spec.kind
        if kind == "contact":
            values.append(_contact_metric(df, ask, dims, req) if df is not None else {})
        elif kind == "timeline":
            values.append(_timeline_metric(tl, executions, ask, dims, req))
        else:
            attempted: dict[Key, float | None] = {}
            if ask.spec.name == "CAMPAIGN_PROGRESS_RATE" and df is not None:
                attempted = _contact_metric(df, _Ask(-1, METRICS["RECIPIENTS_ATTEMPTED"], None, (), {}), dims, req)
            values.append(_execution_metric(executions, attempted, ask, dims, req))
    keys = sorted({k for v in values for k in v}, key=lambda k: (*(str(x) for x in k[:-1]), k[-1]))
    results = []
    for k in keys:
        start, end = _bounds(int(k[-1]), req)
        collections = []
        for ask, v in zip(req.asks, values, strict=True):
            item: dict[str, Any] = {"Metric": dict(ask.echo)}
            val = v.get(k, 0.0 if ask.spec.unit == COUNT and ask.spec.kind == "contact" else None)
            if val is not None:
                item["Value"] = val
            collections.append(item)
        results.append(
            {
                "Dimensions": {d: str(x) for d, x in zip(dims, k[:-1], strict=True)},
                "MetricInterval": {
                    "Interval": req.period,
                    "StartTime": datetime.fromtimestamp(start / 1000, UTC),
                    "EndTime": datetime.fromtimestamp(end / 1000, UTC),
                },
                "Collections": collections,
            }
        )
    return results


# ---------------------------------------------------------------------------
# The operation
# ---------------------------------------------------------------------------


def _token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: Any, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        if not isinstance(token, str) or len(token) > 2500:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = data["o"]
        if data["q"] != fingerprint or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise InvalidParameter(f"NextToken: not a token this request returned: {_show(token)}") from None
    return offset


def get_metric_data_v2(executions: Execution | Sequence[Execution], **request: Any) -> dict[str, Any]:
    """``GetMetricDataV2`` over simulated executions: the keyword arguments
    are boto3's (``StartTime``, ``EndTime``, ``Filters``, ``Metrics``,
    ``Interval``, ``Groupings``, ``NextToken``, ``MaxResults``;
    ``ResourceArn`` is accepted and ignored here), the answer is shaped as
    boto3 returns it (``MetricResults``, ``NextToken`` when there is more).
    Raises ``InvalidParameter`` for what Connect would refuse."""
    ex_list = [executions] if isinstance(executions, Execution) else list(executions)
    req = _parse(request)
    max_results = request.get("MaxResults", DEFAULT_MAX_RESULTS)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 100:
        raise InvalidParameter(f"MaxResults: a whole number from 1 to 100, got {_show(max_results)}")
    offset = _offset(request.get("NextToken"), req.fingerprint)
    results = _results(ex_list, req)
    page = results[offset : offset + max_results]
    out: dict[str, Any] = {"MetricResults": page}
    if offset + max_results < len(results):
        out["NextToken"] = _token(offset + max_results, req.fingerprint)
    return out


def results_frame(response: Mapping[str, Any]) -> pd.DataFrame:
    """A ``GetMetricDataV2`` answer as a table: one row per result, the
    dimensions, ``start`` and ``end`` of the interval, one column per metric
    (named by ``Name``, with ``_<threshold>`` for a thresholded one)."""
    rows = []
    for r in response.get("MetricResults", []):
        row: dict[str, Any] = dict(r.get("Dimensions", {}))
        row["start"] = pd.Timestamp(r["MetricInterval"]["StartTime"])
        row["end"] = pd.Timestamp(r["MetricInterval"]["EndTime"])
        for c in r["Collections"]:
            m = c["Metric"]
            name = m["Name"]
            if m.get("Threshold"):
                name += f"_{m['Threshold'][0]['ThresholdValue']:g}"
            if m.get("MetricFilters"):
                name += (
                    "["
                    + ",".join(
                        f"{f['MetricFilterKey']}={'|'.join(f['MetricFilterValues'])}" for f in m["MetricFilters"]
                    )
                    + "]"
                )
            row[name] = c.get("Value", np.nan)
        rows.append(row)
    return pd.DataFrame(rows)
