"""The campaign document: one pydantic model tree for YAML, REST and Python.

``campaign`` follows Amazon Connect outbound campaigns v2 (connectcampaignsv2,
API version 2024-04-23) field for field, with the bounds of its service model
(``botocore/data/connectcampaignsv2/2024-04-23/service-2.json``). ``simulation``
holds what only a simulator needs: agents, contact behaviour, AMD accuracy,
lines, seed, the jurisdiction applied and the contacts.

Simulator extensions inside ``campaign`` are kept to outbound modes of our
own (``SIMULATOR_MODES``): ``fixedRate`` (Poisson dialling, for validating
the engine against queueing theory) and the classic pacers the pacing
benchmark compares predictive pacing with (``fixedRatio``, ``adaptive``,
``inFlightRatio``, ``erlangRate``; docs/pacing.md). A real Connect client
never sends them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from campaigns.distributions import Distribution, Exponential, Fixed, Gamma, Lognormal, Uniform
from campaigns.synthetic import SUPPORTED_COUNTRIES

__all__ = [
    "CampaignDocument",
    "CampaignDocumentError",
    "control_character",
    "find_control_character",
    "load_document",
    "parse_document",
    "parse_iso_duration",
]


class CampaignDocumentError(ValueError):
    """A document a user wrote is invalid; ``errors`` lists (path, message, value)."""

    def __init__(self, errors: list[tuple[str, str, Any]], source: str | None = None):
        self.errors = errors
        self.source = source
        where = f"{source}: " if source else ""
        lines = [f"{where}invalid campaign document ({len(errors)} error{'s' * (len(errors) != 1)}):"]
        for path, msg, value in errors:
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            lines.append(f"  {path}: {msg} (got {shown})")
        super().__init__("\n".join(lines))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def control_character(value: str, *, names: bool = False) -> str | None:
    """The first character ``value`` may not hold, shown as ``U+0000``, or None.

    Every text field refuses NUL: PostgreSQL cannot store it and SQLite
    would, so the same document must fail the same way on both. A name
    (``names=True``) refuses every control character (U+0000..U+001F,
    U+007F): names are shown on one line."""
    m = _CONTROL.search(value) if names else (re.search("\x00", value))
    return None if m is None else f"U+{ord(m.group()):04X}"


def find_control_character(value: Any, where: str = "") -> tuple[str, str] | None:
    """(field path, character) of the first NUL in the strings (and keys)
    of a JSON-like value, or None: the check that keeps a request body's
    text storable on every database."""
    if isinstance(value, str):
        bad = control_character(value)
        return None if bad is None else (where or "(body)", bad)
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{where}.{k}" if where else str(k)
            if isinstance(k, str) and (bad := control_character(k)):
                return (here, bad)
            if found := find_control_character(v, here):
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if found := find_control_character(v, f"{where}[{i}]"):
                return found
    return None


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=False,
        validate_assignment=True,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any, info: ValidationInfo) -> Any:
        """Text every database stores alike (see ``control_character``);
        in dict and list fields (tags, attributes) too."""
        names = info.field_name == "name"
        if isinstance(value, str):
            bad = control_character(value, names=names)
            if bad is not None:
                kind = "control characters" if names else "NUL characters"
                raise ValueError(f"must not contain {kind} (found {bad})")
        elif isinstance(value, (dict, list)) and (found := find_control_character(value)):
            raise ValueError(f"{found[0]}: must not contain NUL characters (found {found[1]})")
        return value


# --------------------------------------------------------------------------
# Durations and times in the Connect wire formats
# --------------------------------------------------------------------------

_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>[-+]?\d{1,6})D)?(?:T(?:(?P<h>[-+]?\d{1,6})H)?(?:(?P<m>[-+]?\d{1,6})M)?"
    r"(?:(?P<s>[-+]?\d{1,6}(?:[.,]\d{0,9})?)S)?)?\Z",
    re.ASCII,  # at most 6 ASCII digits a part: every such duration fits a timedelta
)


def parse_iso_duration(text: str) -> timedelta:
    """ISO 8601 duration as the Connect model writes it (``PT4H``, ``P1DT30M``)."""
    m = _ISO_DURATION.match(text or "")
    if not m or (text.endswith("T") and text != "PT"):
        raise ValueError(f"not an ISO 8601 duration such as PT4H or P1D: {text!r}")
    d, h, mi, s = (m.group(k) for k in "dhms")
    return timedelta(
        days=int(d or 0),
        hours=int(h or 0),
        minutes=int(mi or 0),
        seconds=float((s or "0").replace(",", ".")),
    )


def _check_duration(v: str) -> str:
    parse_iso_duration(v)
    return v


def parse_time_of_day(text: str) -> time:
    """Connect writes open hours as ``"T09:00"``; ``"24:00"`` means end of day."""
    m = re.fullmatch(r"T?(\d{2}):(\d{2})", text or "", re.ASCII)
    if not m:
        raise ValueError(f"expected a time of day like 'T09:00', got {text!r}")
    h, mi = int(m.group(1)), int(m.group(2))
    if (h, mi) == (24, 0):
        return time.max
    if h > 23 or mi > 59:
        raise ValueError(f"hour must be 00..23 and minute 00..59, got {text!r}")
    return time(h, mi)


# --------------------------------------------------------------------------
# campaign: Amazon Connect outbound campaigns v2
# --------------------------------------------------------------------------


class AbandonmentRatePacing(Model):
    target_rate: float = Field(ge=0.0, le=1.0)
    connection_start_point: Literal["CONNECTED_TO_SYSTEM", "GREETING_START", "GREETING_END"]
    connection_threshold_seconds: int = Field(ge=1)
    evaluation_window: str = Field(pattern=r"^PT([1-9]|1[0-9]|2[0-4])H$")

    @property
    def window_seconds(self) -> float:
        return parse_iso_duration(self.evaluation_window).total_seconds()


class PacingStrategy(Model):
    abandonment_rate: AbandonmentRatePacing


class PredictiveConfig(Model):
    bandwidth_allocation: float = Field(ge=0.0, le=2.0)
    pacing_strategies: list[PacingStrategy] | None = Field(default=None, min_length=1, max_length=1)

    @property
    def abandonment(self) -> AbandonmentRatePacing | None:
        return self.pacing_strategies[0].abandonment_rate if self.pacing_strategies else None


class ProgressiveConfig(Model):
    bandwidth_allocation: float = Field(ge=0.0, le=2.0)


class TimeoutConfig(Model):
    duration_in_seconds: int = Field(ge=1, le=300)


class PreviewConfig(Model):
    bandwidth_allocation: float = Field(ge=0.0, le=2.0)
    timeout_config: TimeoutConfig
    agent_actions: list[Literal["DISCARD"]] | None = None
    # Simulation: how long an agent reads the preview before dialling.
    # Not in Connect; defaults to 10 s, always capped by the timeout.


class AgentlessConfig(Model):
    pass


class FixedRateConfig(Model):
    """Simulator extension: Poisson dialling at a constant rate, whatever the
    agents are doing. Used to check the engine against Erlang A/C."""

    dials_per_second: float = Field(gt=0.0, allow_inf_nan=False)


class FixedRatioConfig(Model):
    """Simulator extension: VICIdial's RATIO mode, a fixed dial level (lines in
    use per available agent). A pacing benchmark baseline."""

    dial_level: float = Field(ge=1.0, le=20.0, allow_inf_nan=False)


class AdaptiveConfig(Model):
    """Simulator extension: VICIdial's adaptive dial level with a drop-rate
    limit (its campaign settings ``dial_method``, ``adaptive_dropped_percentage``,
    ``adaptive_maximum_level``, ``adaptive_intensity``, ``auto_dial_level``).
    A pacing benchmark baseline."""

    dial_method: Literal["ADAPT_HARD_LIMIT", "ADAPT_TAPERED", "ADAPT_AVERAGE"] = "ADAPT_HARD_LIMIT"
    dropped_percentage: float = Field(default=3.0, ge=0.0, le=100.0, allow_inf_nan=False)
    maximum_level: float = Field(default=3.0, ge=1.0, le=20.0, allow_inf_nan=False)
    intensity: float = Field(default=0.0, ge=-40.0, le=40.0, allow_inf_nan=False)
    initial_level: float = Field(default=1.0, ge=1.0, le=20.0, allow_inf_nan=False)


class InFlightRatioConfig(Model):
    """Simulator extension: keep calls in flight <= ratio x idle agents. A
    pacing benchmark baseline (progressive dialling without the 0..2 bound)."""

    ratio: float = Field(gt=0.0, le=100.0, allow_inf_nan=False)


class ErlangRateConfig(Model):
    """Simulator extension: Poisson dialling at the rate the M/M/n+D model
    gives for ``modelTargetRate`` abandonment. A pacing benchmark baseline."""

    model_target_rate: float = Field(gt=0.0, lt=1.0, allow_inf_nan=False)


# Outbound modes that are simulator extensions (a Connect client never sends them).
SIMULATOR_MODES = ("fixedRate", "fixedRatio", "adaptive", "inFlightRatio", "erlangRate")


class TelephonyOutboundMode(Model):
    predictive: PredictiveConfig | None = None
    progressive: ProgressiveConfig | None = None
    preview: PreviewConfig | None = None
    agentless: AgentlessConfig | None = None
    fixed_rate: FixedRateConfig | None = None
    fixed_ratio: FixedRatioConfig | None = None
    adaptive: AdaptiveConfig | None = None
    in_flight_ratio: InFlightRatioConfig | None = None
    erlang_rate: ErlangRateConfig | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        chosen = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(chosen) != 1:
            names = ", ".join(to_camel(k) for k in type(self).model_fields)
            raise ValueError(f"exactly one of {names} must be set; got {[to_camel(c) for c in chosen] or 'none'}")
        return self

    @property
    def name(self) -> str:
        for k in type(self).model_fields:
            if getattr(self, k) is not None:
                return to_camel(k)
        raise AssertionError("validated union has one member")

    @property
    def config(self) -> Model:
        chosen: Model = getattr(self, re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower())
        return chosen


class AnswerMachineDetectionConfig(Model):
    enable_answer_machine_detection: bool
    await_answer_machine_prompt: bool | None = None


class TelephonyOutboundConfig(Model):
    connect_contact_flow_id: str = Field(max_length=500)
    connect_source_phone_number: str | None = Field(default=None, max_length=100)
    answer_machine_detection_config: AnswerMachineDetectionConfig | None = None
    ring_timeout: int | None = Field(default=None, ge=15, le=60)


class TelephonyChannelSubtypeConfig(Model):
    capacity: float | None = Field(default=None, ge=0.01, le=1.0)
    connect_queue_id: str | None = Field(default=None, max_length=500)
    outbound_mode: TelephonyOutboundMode
    default_outbound_config: TelephonyOutboundConfig


class ChannelSubtypeConfig(Model):
    telephony: TelephonyChannelSubtypeConfig | None = None
    # Kept as given, not simulated: the simulator models calls only.
    sms: dict[str, Any] | None = None
    email: dict[str, Any] | None = None
    whats_app: dict[str, Any] | None = None


class Schedule(Model):
    start_time: datetime
    end_time: datetime
    refresh_frequency: str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("timestamp needs a time zone, e.g. '2026-12-01T13:00:00Z'")
        return v.astimezone(UTC)

    @field_validator("refresh_frequency")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        return None if v is None else _check_duration(v)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_time <= self.start_time:
            raise ValueError(
                f"endTime ({self.end_time.isoformat()}) must be after startTime ({self.start_time.isoformat()})"
            )
        return self


DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


class TimeRange(Model):
    start_time: str
    end_time: str

    @field_validator("start_time", "end_time")
    @classmethod
    def _time(cls, v: str) -> str:
        if not re.fullmatch(r"T\d{2}:\d{2}", v or "", re.ASCII):
            raise ValueError(f"expected Connect's Iso8601Time 'Thh:mm', e.g. 'T09:00', got {v!r}")
        parse_time_of_day(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        # Connect's model allows any two times; a window across midnight is
        # written as two ranges on two days here (docs/engine.md).
        if parse_time_of_day(self.end_time) <= parse_time_of_day(self.start_time):
            raise ValueError(f"endTime {self.end_time} must be after startTime {self.start_time}")
        return self

    @property
    def start(self) -> time:
        return parse_time_of_day(self.start_time)

    @property
    def end(self) -> time:
        return parse_time_of_day(self.end_time)


class OpenHours(Model):
    daily_hours: dict[DayOfWeek, list[TimeRange]]

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class RestrictedPeriod(Model):
    name: str | None = Field(default=None, min_length=1, max_length=127)
    start_date: date
    end_date: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError(f"endDate {self.end_date} is before startDate {self.start_date}")
        return self


class RestrictedPeriods(Model):
    restricted_period_list: list[RestrictedPeriod]


class TimeWindow(Model):
    open_hours: OpenHours
    restricted_periods: RestrictedPeriods | None = None


class LocalTimeZoneConfig(Model):
    default_time_zone: str | None = Field(default=None, max_length=50)
    local_time_zone_detection: list[Literal["ZIP_CODE", "AREA_CODE"]] | None = None
    local_time_zone_detection_scope: Literal["PRIMARY_ONLY", "ALL_AVAILABLE"] | None = None

    @field_validator("default_time_zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
            raise ValueError(f"unknown IANA time zone {v!r}") from None
        return v


class CommunicationTimeConfig(Model):
    local_time_zone_config: LocalTimeZoneConfig
    telephony: TimeWindow | None = None
    sms: dict[str, Any] | None = None  # kept, not simulated
    email: dict[str, Any] | None = None
    whats_app: dict[str, Any] | None = None


class EntryLimitsConfig(Model):
    """Simulator reading: ``maxEntryCount`` caps dial attempts per contact
    (0 = no cap) and ``minEntryInterval`` is the least time between them."""

    max_entry_count: int = Field(ge=0)
    min_entry_interval: str

    @field_validator("min_entry_interval")
    @classmethod
    def _duration(cls, v: str) -> str:
        return _check_duration(v)

    @property
    def min_interval_seconds(self) -> float:
        return parse_iso_duration(self.min_entry_interval).total_seconds()


class CommunicationLimit(Model):
    max_count_per_recipient: int = Field(ge=1)
    frequency: int = Field(ge=1, le=30)
    unit: Literal["DAY"]


class CommunicationLimits(Model):
    communication_limits_list: list[CommunicationLimit] = Field(max_length=2)


class CommunicationLimitsConfig(Model):
    all_channel_subtypes: CommunicationLimits | None = None
    instance_limits_handling: Literal["OPT_IN", "OPT_OUT"] | None = None


class ConnectCampaign(Model):
    """The Connect ``CreateCampaign`` request body (telephony channel)."""

    name: str = Field(min_length=1, max_length=127)
    connect_instance_id: str = Field(min_length=1, max_length=256, pattern=r"^[-_.a-zA-Z0-9]+$")
    channel_subtype_config: ChannelSubtypeConfig
    type: Literal["MANAGED", "JOURNEY"] | None = None
    source: dict[str, Any] | None = None
    connect_campaign_flow_arn: str | None = None
    schedule: Schedule | None = None
    entry_limits_config: EntryLimitsConfig | None = None
    communication_time_config: CommunicationTimeConfig | None = None
    communication_limits_override: CommunicationLimitsConfig | None = None
    tags: dict[str, str] | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        for k, val in (v or {}).items():
            if not re.fullmatch(r"(?!aws:)[a-zA-Z+\-=._:/]{1,128}", k):
                raise ValueError(f"tag key {k!r} must be 1-128 of [a-zA-Z+-=._:/] and not start with 'aws:'")
            if len(val) > 256:
                raise ValueError(f"tag {k!r}: value longer than 256 characters")
        return v

    @property
    def telephony(self) -> TelephonyChannelSubtypeConfig:
        t = self.channel_subtype_config.telephony
        if t is None:
            raise ValueError("campaign.channelSubtypeConfig.telephony is required to simulate calls")
        return t


# --------------------------------------------------------------------------
# simulation: what only the simulator needs (names of our own)
# --------------------------------------------------------------------------

OUTCOMES = ("human", "machine_beep", "machine_no_beep", "no_answer", "busy", "invalid", "fax")


class OutcomeShares(BaseModel):
    """What answers (or does not) when we dial. The shares must sum to 1 (within
    1e-6): silently normalising would hide a typo."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    human: float = Field(ge=0, le=1)
    machine_beep: float = Field(default=0.0, ge=0, le=1, alias="machine_beep")
    machine_no_beep: float = Field(default=0.0, ge=0, le=1)
    no_answer: float = Field(default=0.0, ge=0, le=1)
    busy: float = Field(default=0.0, ge=0, le=1)
    invalid: float = Field(default=0.0, ge=0, le=1)
    fax: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(v, bool):
                    raise ValueError(f"{k}: a share is a number between 0 and 1, got {v!r}")
        return data

    @model_validator(mode="after")
    def _sum_to_one(self) -> Self:
        total = sum(getattr(self, k) for k in OUTCOMES)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"outcome shares must sum to 1, they sum to {total:.6g}")
        return self

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, k) for k in OUTCOMES)


class HourOverride(BaseModel):
    """Shares for one local hour; the human share given here is taken from
    (or given back to) no_answer unless the other shares are given too."""

    model_config = ConfigDict(extra="forbid")

    human: float | None = Field(default=None, ge=0, le=1)
    machine_beep: float | None = Field(default=None, ge=0, le=1)
    machine_no_beep: float | None = Field(default=None, ge=0, le=1)
    no_answer: float | None = Field(default=None, ge=0, le=1)
    busy: float | None = Field(default=None, ge=0, le=1)
    invalid: float | None = Field(default=None, ge=0, le=1)
    fax: float | None = Field(default=None, ge=0, le=1)


class Behaviour(Model):
    outcomes: OutcomeShares
    by_local_hour: dict[int, HourOverride] = Field(default_factory=dict)
    time_to_answer: Distribution = Field(default_factory=lambda: Gamma(mean_=9, sd=5))
    greeting: Distribution = Field(default_factory=lambda: Lognormal(mean_=1.1, sd=0.4))
    machine_greeting: Distribution = Field(default_factory=lambda: Lognormal(mean_=9, sd=3))
    patience_in_silence: Distribution | None = Field(default_factory=lambda: Exponential(mean_=4))
    talk: Distribution = Field(default_factory=lambda: Lognormal(mean_=180, sd=120))
    # How long an agent takes to hang up on a machine the AMD let through.
    machine_talk: Distribution = Field(default_factory=lambda: Fixed(value=6))
    opt_out_share: float = Field(default=0.05, ge=0, le=1)

    @field_validator("by_local_hour", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[int, Any] = {}
        for k, val in v.items():
            try:
                h = int(k)
            except (TypeError, ValueError):
                raise ValueError(f"byLocalHour keys are hours 0..23, got {k!r}") from None
            if not 0 <= h <= 23:
                raise ValueError(f"byLocalHour keys are hours 0..23, got {k!r}")
            out[h] = val
        return out

    @model_validator(mode="after")
    def _overrides_valid(self) -> Self:
        for h in self.by_local_hour:
            shares = self.shares_for_hour(h)
            if min(shares) < -1e-9 or abs(sum(shares) - 1.0) > 1e-6:
                shown = {k: round(v, 6) for k, v in zip(OUTCOMES, shares, strict=True)}
                raise ValueError(
                    f"byLocalHour[{h}] gives shares {shown} "
                    f"(sum {sum(shares):.6g}); shares must be >= 0 and sum to 1: give the other shares for that hour"
                )
        return self

    def shares_for_hour(self, hour: int) -> tuple[float, ...]:
        base = dict(zip(OUTCOMES, self.outcomes.as_tuple(), strict=True))
        ov = self.by_local_hour.get(hour)
        if ov is None:
            return tuple(base.values())
        given = {k: v for k, v in ov.model_dump().items() if v is not None}
        base.update(given)
        missing = [k for k in OUTCOMES if k not in given]
        excess = sum(base.values()) - 1.0
        # Rebalance against no_answer first (the natural complement of an
        # answer), then proportionally against the other shares not given.
        if abs(excess) > 1e-12:
            if "no_answer" in missing:
                base["no_answer"] -= excess
            else:
                pool = sum(base[k] for k in missing)
                if pool > 0:
                    for k in missing:
                        base[k] -= excess * base[k] / pool
        return tuple(base[k] for k in OUTCOMES)


class Shift(Model):
    start: str
    end: str
    agents: int = Field(ge=0)
    days: list[DayOfWeek] | None = None

    @field_validator("start", "end")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_time_of_day(v)
        return v


class Breaks(Model):
    every: str
    length: str

    @field_validator("every", "length")
    @classmethod
    def _duration(cls, v: str) -> str:
        return _check_duration(v)

    @property
    def every_seconds(self) -> float:
        return parse_iso_duration(self.every).total_seconds()

    @property
    def length_seconds(self) -> float:
        return parse_iso_duration(self.length).total_seconds()

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.every_seconds <= 0 or self.length_seconds <= 0:
            raise ValueError("every and length must be positive durations")
        return self


class Agents(Model):
    count: int = Field(ge=1)
    shifts: list[Shift] | None = None
    time_zone: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return LocalTimeZoneConfig._zone(v)

    breaks: Breaks | None = None
    wrap_up: Distribution = Field(default_factory=lambda: Fixed(value=0))
    preview_time: Distribution = Field(default_factory=lambda: Lognormal(mean_=10, sd=5))

    @model_validator(mode="after")
    def _shifts_fit(self) -> Self:
        if self.shifts:
            total = max(sum(s.agents for s in self.shifts), 0)
            if total > self.count:
                raise ValueError(f"shifts staff {total} agents but count is {self.count}")
        return self


class Amd(Model):
    """AMD as a listening process (dialer/amd.py; docs/engine.md, "AMD").

    Timing: a person is recognised ``silenceAfterGreeting`` after their
    greeting ends (Asterisk app_amd's afterGreetingSilence, 800 ms by
    default); a machine ``detectionDelay`` after the answer; a fax or
    special-information tone ``toneDetectionDelay`` after the answer. AMD
    listens at most ``maxAnalysisSeconds`` (from the answer, or from the start
    of speech) and then gives up: ``AMD_UNRESOLVED``, handled as
    ``onUnresolved`` says.

    Accuracy: an operating point on a binormal ROC curve of
    ``discriminability`` (d'). Give at most one of ``sensitivity`` (the share
    of machines recognised), ``falsePositiveRate`` (people taken for
    machines) or ``falseNegativeRate`` (machines taken for people): the curve
    gives the other rate. Both rates together set a point off the curve, as
    given. None: sensitivity 0.90 (5% / 10% on the default curve)."""

    detection_delay: Distribution = Field(default_factory=lambda: Lognormal(mean_=2.5, sd=0.8))
    silence_after_greeting: Distribution = Field(default_factory=lambda: Fixed(value=0.8))
    tone_detection_delay: Distribution = Field(default_factory=lambda: Uniform(low=1.8, high=2.5))
    discriminability: float = Field(default=2.93, gt=0, le=10)
    sensitivity: float | None = Field(default=None, gt=0, lt=1)
    false_positive_rate: float | None = Field(default=None, ge=0, le=1)
    false_negative_rate: float | None = Field(default=None, ge=0, le=1)
    max_analysis_seconds: float | None = Field(default=5.0, gt=0, le=60)
    analysis_measured_from: Literal["ANSWER", "SPEECH_START"] = "ANSWER"
    on_unresolved: Literal["CONNECT_AS_LIVE", "HANG_UP"] = "CONNECT_AS_LIVE"
    error_rate: float = Field(default=0.0, ge=0, le=1)
    unclassified_sit_share: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _one_operating_point(self) -> Self:
        if self.sensitivity is not None and (
            self.false_positive_rate is not None or self.false_negative_rate is not None
        ):
            given = [
                n
                for n, v in (
                    ("falsePositiveRate", self.false_positive_rate),
                    ("falseNegativeRate", self.false_negative_rate),
                )
                if v is not None
            ]
            raise ValueError(
                f"sensitivity ({self.sensitivity}) and {' and '.join(given)} both set the operating point: give one"
            )
        return self

    def operating_point(self) -> tuple[float, float]:
        """(false-positive rate, false-negative rate) at the chosen point."""
        return roc_point(self.discriminability, self.sensitivity, self.false_positive_rate, self.false_negative_rate)


DEFAULT_SENSITIVITY = 0.90
_NORMAL = NormalDist()


def roc_point(d: float, sensitivity: float | None, fp: float | None, fn: float | None) -> tuple[float, float]:
    """The binormal ROC of discriminability ``d``: people's scores N(0, 1),
    machines' N(d, 1), "machine" above a threshold c; the false-positive rate
    is 1 - Phi(c), the false-negative rate Phi(c - d). One rate (or the
    sensitivity, 1 - false-negative rate) fixes c and so the other."""
    if fp is not None and fn is not None:
        return fp, fn
    if fp is not None:
        if fp <= 0.0:
            return 0.0, 1.0
        if fp >= 1.0:
            return 1.0, 0.0
        c = _NORMAL.inv_cdf(1.0 - fp)
        return fp, _NORMAL.cdf(c - d)
    if fn is not None:
        sensitivity = 1.0 - fn
    if sensitivity is None:
        sensitivity = DEFAULT_SENSITIVITY
    if sensitivity <= 0.0:
        return 0.0, 1.0
    if sensitivity >= 1.0:
        return 1.0, 0.0
    c = d + _NORMAL.inv_cdf(1.0 - sensitivity)
    return 1.0 - _NORMAL.cdf(c), 1.0 - sensitivity


class SafeHarbor(Model):
    """The information message a dialer plays when no agent is free within the
    abandonment threshold (TSR 310.4(b)(4)(iii); Ofcom 2010). Threshold and
    clock start default to the pacing strategy, else the jurisdiction."""

    enabled: bool = True
    connection_start_point: Literal["CONNECTED_TO_SYSTEM", "GREETING_START", "GREETING_END"] | None = None
    threshold_seconds: float | None = Field(default=None, gt=0)
    message: Distribution = Field(default_factory=lambda: Fixed(value=8))


RetryOn = Literal["NO_ANSWER", "BUSY", "MACHINE", "ABANDONED"]
RETRY_ON: tuple[RetryOn, ...] = ("NO_ANSWER", "BUSY", "MACHINE", "ABANDONED")


class Retry(Model):
    """Which dispositions put a contact back in the list (within the entry limits)."""

    on: list[RetryOn] = Field(default_factory=lambda: list(RETRY_ON))


class SyntheticContacts(Model):
    count: int = Field(ge=1, le=50_000_000)
    area_codes: dict[str, float] | None = None
    countries: dict[str, float] | None = None

    @model_validator(mode="after")
    def _mix(self) -> Self:
        for label, mix in (("areaCodes", self.area_codes), ("countries", self.countries)):
            if mix is not None:
                if not mix:
                    raise ValueError(f"{label} must not be empty")
                bad = {k: v for k, v in mix.items() if not v >= 0}
                if bad:
                    raise ValueError(f"{label} weights must be >= 0, got {bad}")
                if sum(mix.values()) <= 0:
                    raise ValueError(f"{label} weights must not all be zero")
        if self.area_codes is not None:
            for code in self.area_codes:
                if not re.fullmatch(r"[2-9]\d{2}", str(code), re.ASCII):
                    raise ValueError(f"areaCodes keys are 3-digit North American area codes, got {code!r}")
        if self.countries is not None:
            for c in self.countries:
                if c not in SUPPORTED_COUNTRIES:
                    raise ValueError(f"unknown country {c!r}; supported: {sorted(SUPPORTED_COUNTRIES)}")
        return self


class ContactSource(Model):
    file: str | None = None
    format: Literal["csv", "parquet"] | None = None
    synthetic: SyntheticContacts | None = None
    default_region: str = "US"

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.file is None) == (self.synthetic is None):
            raise ValueError("give exactly one of file or synthetic")
        return self


class Simulation(Model):
    seed: int = Field(default=0, ge=0)
    jurisdiction: str | None = "US"
    # Optional only for callers that pass a ContactList to simulate() (the API).
    contacts: ContactSource | None = None
    agents: Agents
    behaviour: Behaviour
    amd: Amd = Field(default_factory=Amd)
    lines: int | None = Field(default=None, ge=1)
    safe_harbor: SafeHarbor = Field(default_factory=SafeHarbor)
    retry: Retry = Field(default_factory=Retry)
    stats_interval_seconds: float = Field(default=60.0, ge=1.0, le=86400.0)


MAX_SCHEDULE_DAYS = 366  # per-run tables (zones, timeline) grow with the span


class CampaignDocument(Model):
    campaign: ConnectCampaign
    simulation: Simulation

    @model_validator(mode="after")
    def _simulatable(self) -> Self:
        self.campaign.telephony  # noqa: B018 - raises a clear error when missing
        sched = self.campaign.schedule
        if sched is None:
            raise ValueError("campaign.schedule (startTime, endTime) is required to simulate")
        if sched.end_time - sched.start_time > timedelta(days=MAX_SCHEDULE_DAYS):
            raise ValueError(
                f"campaign.schedule spans {(sched.end_time - sched.start_time).days} days; "
                f"the simulator plays at most {MAX_SCHEDULE_DAYS} days per run"
            )
        return self

    _base_dir: Path | None = PrivateAttr(default=None)

    def to_document(self) -> dict[str, Any]:
        """JSON-ready, camelCase, without unset optional fields, except the
        two whose null means something (no jurisdiction; infinite patience)."""
        out = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        sim = out["simulation"]
        sim.setdefault("jurisdiction", None)
        sim["behaviour"].setdefault("patienceInSilence", None)
        return out


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def _errors(exc: ValidationError) -> list[tuple[str, str, Any]]:
    out = []
    for e in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"] if not _is_union_tag(p))
        msg = e["msg"].removeprefix("Value error, ")
        out.append((loc or "(document)", msg, e.get("input")))
    return out


def _is_union_tag(p: Any) -> bool:
    """pydantic puts union member names in error paths; users never wrote them."""
    return isinstance(p, str) and (p in _UNION_MEMBERS or p.startswith("function-"))


_UNION_MEMBERS = {"Fixed", "Exponential", "Lognormal", "Gamma", "Uniform", "Empirical"}


def parse_document(data: Any, *, source: str | None = None, base_dir: str | Path | None = None) -> CampaignDocument:
    """Validate a mapping (from YAML, JSON or a REST body) into a document."""
    if not isinstance(data, dict):
        raise CampaignDocumentError(
            [("(document)", "must be a mapping with 'campaign' and 'simulation'", data)], source
        )
    try:
        doc = CampaignDocument.model_validate(data)
    except ValidationError as exc:
        raise CampaignDocumentError(_errors(exc), source) from None
    if base_dir is not None:
        doc._base_dir = Path(base_dir)
    return doc


def load_document(path: str | Path) -> CampaignDocument:
    """Read a YAML or JSON campaign file; contact files resolve relative to it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CampaignDocumentError([("(file)", "no such file", str(path))]) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise CampaignDocumentError([("(file)", f"cannot read: {exc}", str(path))]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise CampaignDocumentError(
            [("(yaml)", f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}", str(path))]
        ) from None
    return parse_document(data, source=str(path), base_dir=path.parent)


def resolve_path(doc: CampaignDocument, relative: str) -> Path:
    """A path in the document, relative to the file the document came from."""
    p = Path(relative)
    if p.is_absolute():
        return p
    return (doc._base_dir or Path(".")) / p
