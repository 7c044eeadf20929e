"""Rule sets as data: one frozen value per jurisdiction.

A jurisdiction is a value (calling hours, holiday calendar, abandonment
definition, ring-time minimum, re-call rules, DNC freshness), never a branch in
code: the gate and the audit read these fields and nothing else. Each value
cites its source (see also ``/work/shared/REFERENCE.md`` section 1 and
``docs/compliance.md``).

A user derives a stricter set without code::

    derive("US", {"name": "ACME-US", "abandonment": {"limit": 0.02},
                  "hours": {"SATURDAY": [["10:00", "18:00"]], "SUNDAY": []}})

or from a YAML/JSON file ``{"base": "US", "abandonment": {"limit": 0.02}}``
passed to ``get_rules(path)`` / ``load_rules(path)``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from compliance.packs import CANADA, CANADA_ADAD, FRANCE, PACK_VERSION, US_STATES, US_STATES_RECORDED_MESSAGE

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")

Interval = tuple[int, int]  # local seconds of day, half-open [start, end)


def _parse_clock(text: Any, where: str) -> int:
    """'08:00', 'T08:00', '24:00' -> seconds of day."""
    m = re.fullmatch(r"T?(\d{1,2}):(\d{2})(?::(\d{2}))?", str(text).strip())
    if not m:
        raise ValueError(f"{where}: expected a time of day like '08:00', got {text!r}")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    secs = h * 3600 + mi * 60 + s
    if mi > 59 or s > 59 or secs > 86400:
        raise ValueError(f"{where}: not a time of day between 00:00 and 24:00: {text!r}")
    return secs


def _parse_day(value: Any, where: str) -> tuple[Interval, ...]:
    """A day's hours: [] (closed), [["08:00", "21:00"]], ["08:00-21:00"],
    [{"startTime": "T08:00", "endTime": "T21:00"}] or [[28800, 75600]]."""
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)):
        value = [value]
    out = []
    for j, item in enumerate(value):
        w = f"{where}[{j}]"
        if isinstance(item, str):
            parts = item.split("-")
            if len(parts) != 2:
                raise ValueError(f"{w}: expected 'HH:MM-HH:MM', got {item!r}")
            a, b = parts
        elif isinstance(item, Mapping):
            a = item.get("startTime", item.get("start"))
            b = item.get("endTime", item.get("end"))
        else:
            try:
                a, b = item
            except (TypeError, ValueError):
                raise ValueError(f"{w}: expected [start, end], got {item!r}") from None
        s = a if isinstance(a, int) else _parse_clock(a, w)
        e = b if isinstance(b, int) else _parse_clock(b, w)
        if not 0 <= s < e <= 86400:
            raise ValueError(f"{w}: end must be after start within the day, got {item!r}")
        out.append((s, e))
    return tuple(sorted(out))


@dataclass(frozen=True)
class CallingHours:
    """Local-time calling hours, Monday..Sunday; each day a tuple of half-open
    [start, end) intervals in seconds of the day. An empty day: no calls.
    Half-open means a 08:00-21:00 day allows 08:00:00 and 20:59:59, not 21:00:00
    ("not before 8 a.m. and not after 9 p.m.")."""

    days: tuple[tuple[Interval, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError(f"hours: need 7 days (MONDAY..SUNDAY), got {len(self.days)}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], base: CallingHours | None = None) -> CallingHours:
        """Days given replace the base's; days omitted keep the base's (closed
        when there is no base)."""
        days: list[tuple[Interval, ...]] = list(base.days) if base else [()] * 7
        for key, value in mapping.items():
            k = str(key).upper()
            if k not in DAYS:
                raise ValueError(f"hours: unknown day {key!r}; expected one of {', '.join(DAYS)}")
            days[DAYS.index(k)] = _parse_day(value, f"hours.{k}")
        return cls(tuple(days))

    @classmethod
    def uniform(cls, start: str, end: str, days: tuple[str, ...] = DAYS) -> CallingHours:
        iv = ((_parse_clock(start, "hours"), _parse_clock(end, "hours")),)
        return cls(tuple(iv if d in days else () for d in DAYS))

    def to_mapping(self) -> dict[str, list[list[str]]]:
        def clock(s: int) -> str:
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

        return {d: [[clock(a), clock(b)] for a, b in iv] for d, iv in zip(DAYS, self.days, strict=True)}


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays from the ``holidays`` library (country, optional
    subdivision) and whether they forbid calls."""

    country: str
    subdivision: str | None = None
    forbid_calls: bool = False


@dataclass(frozen=True)
class AbandonmentRule:
    """How the abandonment rate is measured and limited.

    An abandoned call: a live answer not connected to an agent within
    ``threshold_seconds`` of ``clock_start`` (the end or the start of the
    called person's greeting). The rate passes when it is at most ``limit``
    ("no more than 3%"); ``limit=None``: no legal limit (measured, reported).
    """

    clock_start: str = "GREETING_END"  # or "GREETING_START"
    threshold_seconds: float = 2.0
    limit: float | None = 0.03
    include_amd_false_positives: bool = False  # add humans the AMD hung up on
    denominator: str = "LIVE"  # "LIVE" or "ABANDONED_PLUS_LIVE"
    scope: str = "CAMPAIGN"  # or "CALL_CENTRE" (per instance)
    window: str = "30_DAYS"  # successive periods from the first call, "CALENDAR_DAY" or "CALENDAR_MONTH" (CRTC)
    window_days: int = 30
    window_zone: str | None = None  # whose midnight starts a CALENDAR_DAY (UK: Europe/London)
    message_required: bool = True  # an abandoned call must play an information message

    def __post_init__(self) -> None:
        if self.clock_start not in ("GREETING_END", "GREETING_START", "CONNECTED_TO_SYSTEM"):
            raise ValueError(
                f"abandonment.clock_start must be GREETING_END, GREETING_START or CONNECTED_TO_SYSTEM, got {self.clock_start!r}"
            )
        if not self.threshold_seconds > 0:
            raise ValueError(f"abandonment.threshold_seconds must be > 0, got {self.threshold_seconds!r}")
        if self.limit is not None and not 0 <= self.limit <= 1:
            raise ValueError(f"abandonment.limit must be between 0 and 1 (a share, 0.03 = 3%), got {self.limit!r}")
        if self.denominator not in ("LIVE", "ABANDONED_PLUS_LIVE"):
            raise ValueError(f"abandonment.denominator must be LIVE or ABANDONED_PLUS_LIVE, got {self.denominator!r}")
        if self.scope not in ("CAMPAIGN", "CALL_CENTRE"):
            raise ValueError(f"abandonment.scope must be CAMPAIGN or CALL_CENTRE, got {self.scope!r}")
        if self.window not in ("30_DAYS", "CALENDAR_DAY", "CALENDAR_MONTH"):
            raise ValueError(f"abandonment.window must be 30_DAYS, CALENDAR_DAY or CALENDAR_MONTH, got {self.window!r}")
        if self.window_days < 1:
            raise ValueError(f"abandonment.window_days must be >= 1, got {self.window_days!r}")


@dataclass(frozen=True)
class RecallRules:
    """Re-call bans. Both give way when a live agent is guaranteed."""

    after_abandoned_seconds: float | None = None  # UK: 72 h
    after_machine_same_day: bool = False  # UK: no further call that (local) day
    after_refusal_seconds: float | None = None  # FR: 60 days after a refusal during a call


@dataclass(frozen=True)
class DncRules:
    registry: str | None = None
    registry_max_age_days: int | None = None  # a registry copy older than this is stale
    company_request_days: int | None = None  # time to honour a company opt-out
    internal_retention_days: int | None = None  # CA: keep an internal DNC entry 3 years and 14 days


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``count`` calls to one number within ``seconds`` (a rolling
    period), counted per value of ``key``: the "same subject" of a state law
    is a campaign attribute, by default the campaign itself."""

    count: int
    seconds: float
    key: str = "campaign"
    source: str = ""

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"frequency.count must be >= 1, got {self.count!r}")
        if not self.seconds > 0:
            raise ValueError(f"frequency.hours must be > 0, got {self.seconds / 3600!r}")


@dataclass(frozen=True)
class LocalRule:
    """One version of a state's (or province's) rules, layered over a rule
    set for callees in ``region`` ("*": every callee). ``hours`` restrict the
    rule set's hours (the intersection applies); ``holidays`` adds a holiday
    ban; caps add up. In force on local dates ``effective_from <= d <
    effective_to`` (None: open). ``recorded_message_only``: the rule binds
    only calls that deliver a recorded message (an automatic
    dialing-announcing device); such layers live in
    ``RuleSet.recorded_message_rules`` until ``for_recorded_message``."""

    region: str
    name: str
    source: str
    hours: CallingHours | None = None
    holidays: HolidayCalendar | None = None
    frequency: tuple[FrequencyCap, ...] = ()
    after_refusal_seconds: float | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    confirmed: bool = True
    recorded_message_only: bool = False

    def in_force(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on < self.effective_to
        )

    def applies_to(self, regions: Iterable[str]) -> bool:
        return self.region == "*" or self.region in regions


def intersect_hours(a: CallingHours | None, b: CallingHours | None) -> CallingHours | None:
    """Hours allowed by both (None: no restriction)."""
    if a is None:
        return b
    if b is None:
        return a
    days = []
    for da, db in zip(a.days, b.days, strict=True):
        out = []
        for s1, e1 in da:
            for s2, e2 in db:
                s, e = max(s1, s2), min(e1, e2)
                if s < e:
                    out.append((s, e))
        days.append(tuple(sorted(out)))
    return CallingHours(tuple(days))


@dataclass(frozen=True)
class RuleSet:
    name: str
    description: str
    country: str
    hours: CallingHours | None  # None: no legal calling hours
    holidays: HolidayCalendar | None
    abandonment: AbandonmentRule
    ring_minimum_seconds: float | None
    recall: RecallRules = field(default_factory=RecallRules)
    dnc: DncRules = field(default_factory=DncRules)
    sources: tuple[str, ...] = ()
    frequency: tuple[FrequencyCap, ...] = ()  # national caps (per number)
    local_rules: tuple[LocalRule, ...] = ()  # state / province layers, versioned
    extra_holidays: tuple[HolidayCalendar, ...] = ()  # holiday bans added by layers
    effective_from: date | None = None  # the rule set's own start (FR: 1 March 2023)
    version: str = ""
    # Layers that bind only calls delivering a recorded message (NV, ME, NE):
    # kept out of ``local_rules`` so live-agent calls never meet them;
    # ``for_recorded_message`` moves them in (``recorded_message`` then True).
    recorded_message_rules: tuple[LocalRule, ...] = ()
    recorded_message: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hours"] = self.hours.to_mapping() if self.hours else None
        d["sources"] = list(self.sources)
        for key in ("local_rules", "recorded_message_rules"):
            d[key] = [
                {**dataclasses.asdict(r), "hours": r.hours.to_mapping() if r.hours else None}
                for r in getattr(self, key)
            ]
        out: dict[str, Any] = _iso_dates(d)
        return out

    def for_recorded_message(self) -> RuleSet:
        """The rules for calls that deliver a recorded message (an agentless
        campaign): the layers binding only such calls join the state layer.
        Live-agent calls keep ``self``, where those layers are absent."""
        if self.recorded_message:
            return self
        return dataclasses.replace(
            self,
            local_rules=self.local_rules + self.recorded_message_rules,
            recorded_message_rules=(),
            recorded_message=True,
        )

    @property
    def regions(self) -> frozenset[str]:
        """The regions (states, provinces) some layer names ("*" excluded)."""
        return frozenset(r.region for r in self.local_rules if r.region != "*")

    def layers(self, on: date, regions: Iterable[str] = ()) -> tuple[LocalRule, ...]:
        """The layers in force on local date ``on`` for a callee in ``regions``."""
        regions = tuple(regions)
        return tuple(r for r in self.local_rules if r.applies_to(regions) and r.in_force(on))

    def effective(self, on: date, regions: Iterable[str] = ()) -> RuleSet:
        """The flat rules for a callee in ``regions`` (a state chosen by ZIP
        and by area code: both, the stricter wins) on local date ``on``:
        hours intersected, holiday bans and caps added."""
        return _flatten(self, self.layers(on, regions))

    def versions(self, regions: Iterable[str] = ()) -> list[tuple[date | None, RuleSet]]:
        """The flat rules over time for a callee in ``regions``: ``[(from,
        rules), ...]`` sorted, the first from ``None`` (the beginning)."""
        regions = tuple(regions)
        mine = [r for r in self.local_rules if r.applies_to(regions)]
        cuts = sorted({d for r in mine for d in (r.effective_from, r.effective_to) if d is not None})
        starts: list[date | None] = [None, *cuts]
        out: list[tuple[date | None, RuleSet]] = []
        for start in starts:
            probe = start if start is not None else date.min
            out.append((start, _flatten(self, tuple(r for r in mine if r.in_force(probe)))))
        return out


class RuleTimeline:
    """``RuleSet.versions`` as a lookup by local date (for window building)."""

    def __init__(self, rules: RuleSet, regions: Iterable[str] = ()) -> None:
        versions = rules.versions(regions)
        self.starts: list[date] = [d for d, _ in versions[1:] if d is not None]
        self.rules = [r for _, r in versions]

    def at(self, on: date) -> RuleSet:
        return self.rules[bisect_right(self.starts, on)]

    @property
    def single(self) -> bool:
        return len(self.rules) == 1


def _flatten(base: RuleSet, layers: tuple[LocalRule, ...]) -> RuleSet:
    if not layers and not base.local_rules:
        return base
    hours = base.hours
    extra = list(base.extra_holidays)
    freq = list(base.frequency)
    refusal = base.recall.after_refusal_seconds
    sources = list(base.sources)
    for layer in layers:
        hours = intersect_hours(hours, layer.hours)
        if layer.holidays is not None and layer.holidays.forbid_calls and layer.holidays not in extra:
            extra.append(layer.holidays)
        freq.extend(layer.frequency)
        if layer.after_refusal_seconds is not None:
            refusal = max(refusal or 0.0, layer.after_refusal_seconds)
        sources.append(layer.source)
    name = base.name + "".join(f"+{r.region}" for r in layers if r.region != "*")
    return dataclasses.replace(
        base,
        name=name,
        hours=hours,
        extra_holidays=tuple(extra),
        frequency=tuple(freq),
        recall=dataclasses.replace(base.recall, after_refusal_seconds=refusal),
        sources=tuple(sources),
        local_rules=(),
    )


def _iso_dates(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _iso_dates(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_iso_dates(v) for v in x]
    if isinstance(x, date):
        return x.isoformat()
    return x


def _parse_date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: expected a date like '2023-03-01', got {value!r}") from None


def _parse_frequency(value: Any, where: str) -> tuple[FrequencyCap, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = [value]
    out = []
    for j, item in enumerate(value):
        w = f"{where}[{j}]"
        if isinstance(item, FrequencyCap):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ValueError(f"{w}: expected {{count, hours}} or {{count, days}}, got {item!r}")
        bad = sorted(set(item) - {"count", "hours", "days", "key", "source"})
        if bad:
            raise ValueError(f"{w}: unknown field(s) {bad}; known: count, hours, days, key, source")
        if "count" not in item or not ("hours" in item or "days" in item):
            raise ValueError(f"{w}: needs count and hours (or days), got {dict(item)!r}")
        try:
            count = int(item["count"])
            seconds = float(item["hours"]) * 3600.0 if "hours" in item else float(item["days"]) * 86400.0
        except (TypeError, ValueError):
            raise ValueError(f"{w}: count and hours must be numbers, got {dict(item)!r}") from None
        try:
            out.append(FrequencyCap(count, seconds, str(item.get("key", "campaign")), str(item.get("source", ""))))
        except ValueError as exc:
            raise ValueError(f"{w}: {exc}") from None
    return tuple(out)


_ALL_DAY = CallingHours.uniform("00:00", "24:00")


def parse_local_rule(item: Mapping[str, Any], country: str, where: str = "local_rules") -> LocalRule:
    """A ``LocalRule`` from pack data (see ``compliance/packs/us_states.py``)."""
    known = {
        "region",
        "name",
        "hours",
        "no_sunday",
        "holidays",
        "frequency",
        "after_refusal_days",
        "effective_from",
        "effective_to",
        "source",
        "confirmed",
        "recorded_message_only",
    }
    bad = sorted(set(item) - known)
    if bad:
        raise ValueError(f"{where}: unknown field(s) {bad}; known: {', '.join(sorted(known))}")
    if not item.get("region") or not item.get("source"):
        raise ValueError(f"{where}: region and source are required, got {dict(item)!r}")
    region = str(item["region"]).upper()
    hours_value = item.get("hours")
    hours: CallingHours | None = None
    if hours_value is not None:
        if isinstance(hours_value, Mapping):
            hours = CallingHours.from_mapping(hours_value, _ALL_DAY)
        else:
            hours = CallingHours.from_mapping(dict.fromkeys(DAYS, hours_value))
    if item.get("no_sunday"):
        hours = intersect_hours(hours or _ALL_DAY, CallingHours.from_mapping({"SUNDAY": []}, _ALL_DAY))
    holidays: HolidayCalendar | None = None
    hol = item.get("holidays")
    if hol is True:
        holidays = HolidayCalendar(country, None if region == "*" else region, forbid_calls=True)
    elif isinstance(hol, Mapping):
        holidays = HolidayCalendar(**{"forbid_calls": True, **hol})
    elif hol not in (None, False):
        raise ValueError(f"{where}.holidays: expected true or {{country, subdivision}}, got {hol!r}")
    refusal = item.get("after_refusal_days")
    rule = LocalRule(
        region=region,
        name=str(item.get("name", region)),
        source=str(item["source"]),
        hours=hours,
        holidays=holidays,
        frequency=_parse_frequency(item.get("frequency"), f"{where}.frequency"),
        after_refusal_seconds=None if refusal is None else float(refusal) * 86400.0,
        effective_from=_parse_date(item.get("effective_from"), f"{where}.effective_from"),
        effective_to=_parse_date(item.get("effective_to"), f"{where}.effective_to"),
        confirmed=bool(item.get("confirmed", True)),
        recorded_message_only=bool(item.get("recorded_message_only", False)),
    )
    if rule.effective_from and rule.effective_to and rule.effective_to <= rule.effective_from:
        raise ValueError(f"{where}: effective_to must be after effective_from")
    return rule


# ---------------------------------------------------------------------------
# The jurisdictions (REFERENCE.md section 1)
# ---------------------------------------------------------------------------

US = RuleSet(
    name="US",
    description="FCC TCPA (47 CFR 64.1200) with the FTC Telemarketing Sales Rule (16 CFR 310) safe harbor",
    country="US",
    # 64.1200(c)(1), TSR 310.4(c): not before 8 a.m. nor after 9 p.m. local time, every day.
    hours=CallingHours.uniform("08:00", "21:00"),
    # No federal ban on calling on public holidays.
    holidays=HolidayCalendar("US", forbid_calls=False),
    abandonment=AbandonmentRule(
        # 64.1200(a)(7): not connected to a live sales representative within two
        # seconds of the called person's completed greeting.
        clock_start="GREETING_END",
        threshold_seconds=2.0,
        # 64.1200(a)(7)(i): at most 3% of calls answered live by a person.
        limit=0.03,
        include_amd_false_positives=False,
        denominator="LIVE",
        # "measured over a 30-day period for a single calling campaign";
        # TSR 310.4(b)(4)(i): the campaign if shorter, else each successive 30 days.
        scope="CAMPAIGN",
        window="30_DAYS",
        window_days=30,
        # 64.1200(a)(7)(i)(A), TSR 310.4(b)(4)(iii): prerecorded identification message.
        message_required=True,
    ),
    # TSR 310.4(b)(4)(ii), 64.1200(a)(6): at least 15 seconds or four rings.
    ring_minimum_seconds=15.0,
    recall=RecallRules(),
    # TSR 310.4(b)(3)(iv): registry accessed no more than 31 days before the call;
    # company requests honoured within 30 days (10 business days from April 2025, unconfirmed).
    dnc=DncRules(registry="National Do Not Call Registry", registry_max_age_days=31, company_request_days=10),
    sources=(
        "47 CFR 64.1200(a)(6), (a)(7), (c)(1)",
        "16 CFR 310.4(b)(3)(iv), (b)(4), (c)",
        "68 FR 44177 (2003); 77 FR 34233 (2012); FCC DA-03-2832",
    ),
    # The state layer (compliance/packs/us_states.py), chosen by the callee's state.
    local_rules=tuple(parse_local_rule(x, "US", f"US.local_rules[{j}]") for j, x in enumerate(US_STATES)),
    # Recorded-message calls only (agentless campaigns): NV, ME, NE.
    recorded_message_rules=tuple(
        parse_local_rule(x, "US", f"US.recorded_message_rules[{j}]") for j, x in enumerate(US_STATES_RECORDED_MESSAGE)
    ),
    version=PACK_VERSION,
)

UK = RuleSet(
    name="UK",
    description=(
        "Ofcom persistent-misuse policy, 2010 rules (industry standard). Since 1 March 2017 Ofcom states "
        "there is no 'safe' level of abandoned calls; the 3% figure is kept as the working default."
    ),
    country="GB",
    # Ofcom sets no calling hours.
    hours=None,
    holidays=HolidayCalendar("GB", forbid_calls=False),
    abandonment=AbandonmentRule(
        # Ofcom 2010: connected to a live operator within two seconds of the
        # called person starting to speak (the 'H' of 'Hello').
        clock_start="GREETING_START",
        threshold_seconds=2.0,
        # At most 3% of live calls per campaign or call centre over 24 hours.
        limit=0.03,
        # February 2011 AMD rule: a reasoned estimate of AMD false positives is
        # counted as abandoned; the rate is abandoned / (abandoned + live).
        include_amd_false_positives=True,
        denominator="ABANDONED_PLUS_LIVE",
        scope="CAMPAIGN",
        window="CALENDAR_DAY",
        window_days=1,
        window_zone="Europe/London",
        message_required=True,
    ),
    # Ofcom 2010: unanswered calls ring for at least 15 seconds.
    ring_minimum_seconds=15.0,
    # Ofcom 2010: no re-call within 72 h of an abandoned call, and no further call
    # the same day after an AMD machine verdict, unless a live agent is guaranteed.
    recall=RecallRules(after_abandoned_seconds=72 * 3600.0, after_machine_same_day=True),
    # TPS registrations take effect after 28 days.
    dnc=DncRules(registry="Telephone Preference Service (TPS)", registry_max_age_days=28),
    sources=(
        "Ofcom, Revised statement of policy on the persistent misuse of an electronic communications network or service (2010)",
        "Ofcom, Review of how we use our persistent misuse powers (2016 statement, in force 1 March 2017)",
        "Eversheds Sutherland summary of the 2010 rules; Lexology note on the February 2011 AMD rule",
    ),
)

_AU_ABANDONMENT = AbandonmentRule(
    # No ACMA abandonment rule found: measured like the US, no legal limit
    # (derive a campaign target, e.g. {"abandonment": {"limit": 0.03}}).
    clock_start="GREETING_END",
    threshold_seconds=2.0,
    limit=None,
    message_required=False,
)

AU = RuleSet(
    name="AU",
    description="ACMA Telemarketing and Research Calls Industry Standard 2017, telemarketing calls",
    country="AU",
    # Standard s.5 (telemarketing): weekdays 09:00-20:00, Saturday 09:00-17:00,
    # no calls on Sunday.
    hours=CallingHours.from_mapping(
        {d: [["09:00", "20:00"]] for d in DAYS[:5]} | {"SATURDAY": [["09:00", "17:00"]], "SUNDAY": []}
    ),
    # ... nor on a national public holiday (the holidays library's national AU calendar).
    holidays=HolidayCalendar("AU", forbid_calls=True),
    abandonment=_AU_ABANDONMENT,
    ring_minimum_seconds=None,
    # Do Not Call Register Act 2006: list washed within the last 30 days.
    dnc=DncRules(registry="Do Not Call Register", registry_max_age_days=30),
    sources=(
        "Telecommunications (Telemarketing and Research Calls) Industry Standard 2017 (donotcall.gov.au)",
        "ACMA, Do Not Call Register information for industry",
    ),
)

AU_RESEARCH = dataclasses.replace(
    AU,
    name="AU_RESEARCH",
    description="ACMA Telemarketing and Research Calls Industry Standard 2017, research calls",
    # Standard (research): weekdays 09:00-20:30, Saturday and Sunday 09:00-17:00;
    # not on national public holidays.
    hours=CallingHours.from_mapping(
        {d: [["09:00", "20:30"]] for d in DAYS[:5]} | {"SATURDAY": [["09:00", "17:00"]], "SUNDAY": [["09:00", "17:00"]]}
    ),
)

NZ = RuleSet(
    name="NZ",
    description="Marketing Association (NZ) Telemarketing Code (voluntary)",
    country="NZ",
    # Code summary (unconfirmed): Monday-Saturday 08:00-21:00; no calls on Sunday.
    hours=CallingHours.from_mapping({d: [["08:00", "21:00"]] for d in DAYS[:6]} | {"SUNDAY": []}),
    # ... nor on public holidays.
    holidays=HolidayCalendar("NZ", forbid_calls=True),
    abandonment=_AU_ABANDONMENT,
    ring_minimum_seconds=None,
    # The Marketing Association's Do Not Call list, checked "regularly": no fixed age.
    dnc=DncRules(registry="Marketing Association Do Not Call list", registry_max_age_days=None),
    sources=("Marketing Association (NZ) Telemarketing Code, summary",),
)

# A blank base for the packs defined wholly as data (CA, FR).
_BLANK = RuleSet(
    name="",
    description="",
    country="",
    hours=None,
    holidays=None,
    abandonment=AbandonmentRule(limit=None, message_required=False),
    ring_minimum_seconds=None,
)


def _pack(data: Mapping[str, Any]) -> RuleSet:
    return derive(_BLANK, {**data, "version": PACK_VERSION})


RULE_SETS: dict[str, RuleSet] = {r.name: r for r in (US, UK, AU, AU_RESEARCH, NZ)}
_ALIASES = {
    "GB": "UK",
    "AU-RESEARCH": "AU_RESEARCH",
    "AURESEARCH": "AU_RESEARCH",
    "CANADA": "CA",
    "CA-ADAD": "CA_ADAD",
    "FRANCE": "FR",
}

_SECTIONS = {
    "abandonment": AbandonmentRule,
    "recall": RecallRules,
    "dnc": DncRules,
    "holidays": HolidayCalendar,
}


def derive(base: str | RuleSet, overrides: Mapping[str, Any] | None = None, **kw: Any) -> RuleSet:
    """A rule set built from ``base`` with some values replaced.

    ``overrides`` is a nested mapping with the field names of ``RuleSet``:
    ``{"name": "ACME", "abandonment": {"limit": 0.02}, "hours": {"SUNDAY": []},
    "ring_minimum_seconds": 20}``. Sections merge field by field; hours merge day
    by day (days given replace the base's). ``hours: null`` removes legal hours.
    Unknown keys raise ``ValueError`` naming them."""
    rules = get_rules(base)
    if rules is None:
        raise ValueError(f"derive: a base rule set is required ({', '.join(RULE_SETS)})")
    data = dict(overrides or {}) | kw
    data.pop("base", None)
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(RuleSet)}
    for key, value in data.items():
        if key not in names:
            raise ValueError(f"rules: unknown field {key!r}; known fields: {', '.join(sorted(names))}")
        if key == "hours":
            if value is None:
                changes[key] = None
            elif isinstance(value, CallingHours):
                changes[key] = value
            elif isinstance(value, Mapping):
                changes[key] = CallingHours.from_mapping(value, rules.hours)
            else:
                raise ValueError(f"rules.hours: expected a mapping of days, got {value!r}")
        elif key in _SECTIONS:
            cls = _SECTIONS[key]
            current = getattr(rules, key)
            if value is None or isinstance(value, cls):
                changes[key] = value
                continue
            if not isinstance(value, Mapping):
                raise ValueError(f"rules.{key}: expected a mapping, got {value!r}")
            fields = {f.name for f in dataclasses.fields(cls)}
            bad = [k for k in value if k not in fields]
            if bad:
                raise ValueError(f"rules.{key}: unknown field(s) {bad}; known: {', '.join(sorted(fields))}")
            try:
                changes[key] = dataclasses.replace(current, **value) if current else cls(**value)
            except TypeError as exc:
                raise ValueError(f"rules.{key}: {exc}") from None
        elif key == "sources":
            changes[key] = tuple(value)
        elif key == "frequency":
            changes[key] = _parse_frequency(value, "rules.frequency")
        elif key == "effective_from":
            changes[key] = _parse_date(value, "rules.effective_from")
        elif key in ("local_rules", "recorded_message_rules"):
            # Entries are added; an entry for a region replaces the base's
            # entries for it (live and recorded-message layers separately).
            country = str(data.get("country", rules.country))
            if value is not None and not isinstance(value, (list, tuple)):
                raise ValueError(f"rules.{key}: expected a list, got {value!r}")
            new = [
                x if isinstance(x, LocalRule) else parse_local_rule(x, country, f"rules.{key}[{j}]")
                for j, x in enumerate(value or [])
            ]
            if key == "recorded_message_rules":
                new = [dataclasses.replace(r, recorded_message_only=True) for r in new]
            for target, mine in (
                ("local_rules", [r for r in new if not r.recorded_message_only or rules.recorded_message]),
                ("recorded_message_rules", [r for r in new if r.recorded_message_only and not rules.recorded_message]),
            ):
                if not mine:
                    continue
                current = changes.get(target, getattr(rules, target))
                replaced = {(r.region, r.recorded_message_only) for r in mine}
                kept = tuple(r for r in current if (r.region, r.recorded_message_only) not in replaced)
                changes[target] = kept + tuple(mine)
        else:
            changes[key] = value
    if "name" not in changes:
        changes["name"] = f"{rules.name}*"
    return dataclasses.replace(rules, **changes)


def load_rules(source: str | Path | Mapping[str, Any]) -> RuleSet:
    """A rule set from a YAML/JSON file or mapping: ``{"base": "US", ...overrides}``."""
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"rules file {str(path)!r}: cannot read ({exc.strerror or exc})") from None
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                data = yaml.safe_load(text)
        except Exception as exc:
            raise ValueError(f"rules file {str(path)!r}: not valid YAML/JSON ({exc})") from None
        if not isinstance(data, Mapping):
            raise ValueError(f"rules file {str(path)!r}: expected a mapping with 'base'")
    if "base" not in data:
        raise ValueError(f"rules: 'base' is required (one of {', '.join(RULE_SETS)})")
    return derive(data["base"], data)


class UnknownJurisdiction(ValueError):
    """A jurisdiction name outside the built-in rule sets. Its message names
    the value and the known names only: it never depends on the file system."""

    def __init__(self, value: object):
        shown = repr(value)[:40]
        super().__init__(f"unknown jurisdiction {shown}; known: {', '.join(builtin_names())}")


def builtin_names() -> tuple[str, ...]:
    """The built-in rule-set names: the closed list the service accepts."""
    return tuple(RULE_SETS)


def builtin_name(value: object) -> str:
    """The canonical built-in name for ``value`` (case-insensitive, aliases
    such as ``GB`` accepted), or ``UnknownJurisdiction``. Unlike ``get_rules``
    it never treats a value as a file path: this is the entry point for names
    that come from a network request."""
    if not isinstance(value, str):
        raise UnknownJurisdiction(value)
    key = value.strip().upper()
    key = _ALIASES.get(key, key)
    if key not in RULE_SETS:
        raise UnknownJurisdiction(value)
    return key


def builtin_rules(value: object) -> RuleSet:
    """The built-in rule set called ``value`` (see ``builtin_name``)."""
    return RULE_SETS[builtin_name(value)]


def get_rules(rules: str | RuleSet | Mapping[str, Any] | Path | None) -> RuleSet | None:
    """The rule set for a name (``US``, ``CA``, ``FR``, ``UK``, ``AU``, ``AU_RESEARCH``, ``NZ``),
    a ``RuleSet`` (returned as is), a mapping or YAML/JSON path with ``base``,
    or ``None`` (no legal rules: the campaign's own hours only)."""
    if rules is None or isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, Mapping):
        return load_rules(rules)
    if isinstance(rules, Path) or (isinstance(rules, str) and rules.lower().endswith((".yaml", ".yml", ".json"))):
        return load_rules(rules)
    if not isinstance(rules, str):
        raise ValueError(f"unknown jurisdiction {rules!r}; known: {', '.join(RULE_SETS)}")
    key = rules.strip().upper()
    key = _ALIASES.get(key, key)
    try:
        return RULE_SETS[key]
    except KeyError:
        raise ValueError(
            f"unknown jurisdiction {rules!r}; known: {', '.join(RULE_SETS)} (or None for no legal rules)"
        ) from None


# The packs defined wholly as data (after ``derive``, which builds them).
CA = RULE_SETS["CA"] = _pack(CANADA)
# Recorded-message (ADAD) campaigns: CA with the ADAD hours.
CA_ADAD = RULE_SETS["CA_ADAD"] = derive(CA, CANADA_ADAD)
FR = RULE_SETS["FR"] = _pack(FRANCE)


def effective_rules(
    jurisdiction: str | RuleSet | Mapping[str, Any] | Path, on: date, regions: Iterable[str] = ()
) -> RuleSet:
    """The flat rules of a jurisdiction on a (local) date for a callee in
    ``regions`` (state or province codes; empty: the national rules and the
    layers for every callee)."""
    rules = get_rules(jurisdiction)
    if rules is None:
        raise ValueError("effective_rules: a jurisdiction is required")
    return rules.effective(on, regions)


__all__ = [
    "AU",
    "AU_RESEARCH",
    "CA",
    "CA_ADAD",
    "DAYS",
    "FR",
    "NZ",
    "RULE_SETS",
    "UK",
    "US",
    "AbandonmentRule",
    "CallingHours",
    "DncRules",
    "FrequencyCap",
    "HolidayCalendar",
    "LocalRule",
    "RecallRules",
    "RuleSet",
    "RuleTimeline",
    "UnknownJurisdiction",
    "builtin_name",
    "builtin_names",
    "builtin_rules",
    "derive",
    "effective_rules",
    "get_rules",
    "intersect_hours",
    "load_rules",
    "parse_local_rule",
]
