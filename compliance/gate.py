"""The pre-dial gate: may this contact be dialled now, and if not, when?

``DialGate`` is built once per run. Calling windows are precomputed per
``ZoneGroup`` (contacts sharing their candidate zones) as sorted breakpoints
over [schedule start - 1 day, schedule end + 1 day]; ``check`` answers with one
``bisect`` and a handful of array reads. Per-contact history lives in compact
``array``/``bytearray`` columns (a few bytes per contact), not in objects.

``may_dial`` answers one-off questions with the same machinery.
"""

from __future__ import annotations

import dataclasses
import math
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from campaigns.contacts import ContactList
from campaigns.document import CampaignDocument, ConnectCampaign
from compliance.dnc import DncSource, Rules, as_number_array
from compliance.history import DialHistory
from compliance.rules import LocalRule, RuleSet, get_rules
from compliance.verdicts import Verdict
from compliance.windows import (
    Window,
    build_window,
    next_midnights,
    open_hours_from_campaign,
    restricted_from_campaign,
)
from phonegeo import normalise_number
from phonegeo.regions import NANP_AREA_CODES, area_code_regions, region_for_postcode, regions_for
from phonegeo.zones import AREA_CODE, DEFAULT, EXPLICIT, ZIP, locate, zones_for_number

INF = math.inf
_V = tuple(Verdict)  # code -> member, faster than Verdict(code)
_ALLOWED = Verdict.ALLOWED


def _campaign_limits(campaign: ConnectCampaign) -> tuple[int, float, tuple[tuple[int, float], ...]]:
    """(max entries (0 = no cap), min seconds between entries, ((count, seconds), ...))."""
    max_entries, min_interval = 0, 0.0
    elc = getattr(campaign, "entry_limits_config", None)
    if elc is not None:
        max_entries, min_interval = int(elc.max_entry_count), float(elc.min_interval_seconds)
    freq: list[tuple[int, float]] = []
    clo = getattr(campaign, "communication_limits_override", None)
    lims = clo.all_channel_subtypes if clo is not None else None
    if lims is not None:
        for lim in lims.communication_limits_list:
            freq.append((int(lim.max_count_per_recipient), float(lim.frequency) * 86400.0))
    return max_entries, min_interval, tuple(freq)


def delivers_recorded_message(campaign: ConnectCampaign | None) -> bool:
    """Whether the campaign's calls deliver a recorded message (an agentless
    campaign: no agent, the message is the call): the state layers that bind
    automatic dialing-announcing devices (NV, ME, NE) then apply."""
    try:
        telephony = getattr(campaign, "telephony", None) if campaign is not None else None
    except ValueError:  # a campaign without a telephony channel
        return False
    mode = getattr(telephony, "outbound_mode", None)
    return getattr(mode, "agentless", None) is not None


def _window_keys(contacts: Any, rules: RuleSet | None) -> tuple[list[tuple[int, tuple[str, ...]]], np.ndarray]:
    """The distinct (zone group, states) of the contacts, and each contact's
    index into them. States are kept only when the rule set has a layer for
    them, so a US list has a few dozen windows, not thousands."""
    group = np.asarray(contacts.group, dtype=np.int64)
    n = group.size
    known = rules.regions if rules is not None else frozenset()
    if not known or n == 0:
        plain: list[tuple[int, tuple[str, ...]]] = [(g, ()) for g in range(len(contacts.groups))]
        return plain, group.astype(np.int32)
    phone = np.asarray(contacts.phone, dtype=np.int64)
    states = sorted(known)
    # Area code -> key (0: no layer), vectorised: one key per known state.
    region_keys: dict[tuple[str, ...], int] = {(): 0}
    for st in states:
        region_keys[(st,)] = len(region_keys)
    lut = np.zeros(1000, dtype=np.int64)
    for npa, code in NANP_AREA_CODES.items():
        if code in known:
            lut[npa] = region_keys[(code,)]
    nanp = (phone >= 10_000_000_000) & (phone < 20_000_000_000)
    reg = np.where(nanp, lut[(phone // 10_000_000) % 1000], 0)
    postcodes = getattr(contacts, "postcode", None)
    if postcodes is not None:
        by_area = area_code_regions(phone)
        for i in np.flatnonzero(np.asarray([p is not None for p in postcodes], dtype=bool)).tolist():
            by_zip = region_for_postcode(str(postcodes[i]))
            both = tuple(sorted({r for r in (by_zip, by_area[i] or None) if r and r in known}))
            reg[i] = region_keys.setdefault(both, len(region_keys))
    names = sorted(region_keys, key=region_keys.__getitem__)
    combo = group * len(names) + reg
    uniq, inverse = np.unique(combo, return_inverse=True)
    keys: list[tuple[int, tuple[str, ...]]] = [
        (int(u) // len(names), names[int(u) % len(names)]) for u in uniq.tolist()
    ]
    return keys, np.asarray(inverse, dtype=np.int32).reshape(-1)


def _legal_caps(
    rules: RuleSet | None, regions: tuple[str, ...], first: date, last: date
) -> tuple[tuple[int, float], ...]:
    """The legal frequency caps (count, seconds) for a callee in ``regions``
    of every rule version in force at some time between two dates (the
    strictest reading when a version changes during the schedule)."""
    if rules is None:
        return ()
    versions = rules.versions(regions)
    caps: set[tuple[int, float]] = set()
    for j, (start, rs) in enumerate(versions):
        end = versions[j + 1][0] if j + 1 < len(versions) else None
        if (start is None or start <= last) and (end is None or end > first):
            caps |= {(c.count, c.seconds) for c in rs.frequency}
    return tuple(sorted(caps))


def _twins_of(phone: np.ndarray) -> dict[int, tuple[int, ...]]:
    """For each contact whose number another contact shares: the others."""
    if phone.size < 2:
        return {}
    order = np.argsort(phone, kind="stable")
    sorted_phone = phone[order]
    dup = np.zeros(phone.size, dtype=bool)
    same = (sorted_phone[1:] == sorted_phone[:-1]) & (sorted_phone[1:] > 0)  # a number, not a placeholder
    dup[1:] |= same
    dup[:-1] |= same
    out: dict[int, tuple[int, ...]] = {}
    rows = order[dup]
    keys = sorted_phone[dup]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), int(keys.size)], strict=True):
        members = rows[a:b].tolist()
        for i in members:
            out[i] = tuple(j for j in members if j != i)
    return out


# Plain ints for the hot path (an IntEnum conversion per dial costs more
# than the rest of record_dial).
_ENTRY_LIMIT = int(Verdict.ENTRY_LIMIT)
_FREQUENCY_LIMIT = int(Verdict.FREQUENCY_LIMIT)


class DialGate:
    """Pre-dial decisions for one run.

    ``check(i, t)`` -> ``(Verdict, when)``: ``when == t`` when allowed; else the
    earliest ``t' >= t`` at which every time-based reason allows (the calling
    window, re-call bans, entry interval, frequency limit), ``math.inf`` when
    never before the schedule ends (DNC, opt-out, entry count reached).
    """

    def __init__(
        self, doc: CampaignDocument, rules: Rules, contacts: ContactList, dnc: DncSource | None = None
    ) -> None:
        campaign = doc.campaign
        sched = campaign.schedule
        assert sched is not None  # CampaignDocument requires a schedule
        self.epoch = sched.start_time.timestamp()
        self.end = (sched.end_time - sched.start_time).total_seconds()
        self.rules = get_rules(rules)
        if self.rules is not None and delivers_recorded_message(campaign):
            self.rules = self.rules.for_recorded_message()
        self.contacts = contacts
        self.warnings: list[str] = []
        n = len(contacts)
        self.n = n
        open_hours = open_hours_from_campaign(campaign)
        restricted = restricted_from_campaign(campaign)
        ctc = campaign.communication_time_config
        default_zone = ctc.local_time_zone_config.default_time_zone if ctc else None

        # -- windows per (zone group, state) key (a state layer applies by
        # the callee's state: ZIP and area code, both when they disagree) --
        keys, key_of = _window_keys(contacts, self.rules)
        self._keys = keys  # window -> (zone group, states)
        self._default_zone = default_zone
        self._windows: list[Window] = []
        self._wzone: list[int] = []  # window -> zone group (for local midnights)
        self._wfreq: list[tuple[tuple[int, float], ...]] = []  # window -> frequency caps (legal, then + campaign's)
        start_day = sched.start_time.date()
        end_day = sched.end_time.date()
        for g, regions in keys:
            zones = tuple(contacts.groups[g].zones)
            if not zones:
                zones = (default_zone or "UTC",)
                self.warnings.append(f"contacts with no known zone use {zones[0]}")
            self._windows.append(
                build_window(
                    zones,
                    self.rules,
                    epoch=self.epoch,
                    start=0.0,
                    end=self.end,
                    open_hours=open_hours,
                    restricted=restricted,
                    regions=regions,
                )
            )
            self._wzone.append(g)
            self._wfreq.append(_legal_caps(self.rules, regions, start_day, end_day))
        self._bp = [w.bp for w in self._windows]
        self._code = [w.code for w in self._windows]
        self._nxt = [w.nxt for w in self._windows]
        self._group = array("i", np.asarray(key_of, dtype=np.int32).tobytes())
        self._midnights: dict[int, list[list[float]]] = {}

        # -- limits --
        self.max_entries, self.min_interval, self.freq = _campaign_limits(campaign)
        self._wfreq = [tuple(sorted(set(self.freq) | set(caps))) for caps in self._wfreq]
        self._k = max([c for caps in self._wfreq for c, _ in caps], default=0)
        recall = self.rules.recall if self.rules is not None else None
        self.recall_after_abandoned = recall.after_abandoned_seconds if recall else None
        self.recall_after_machine = bool(recall and recall.after_machine_same_day)

        # -- per-contact state --
        self._blocked = bytearray(n)  # 0, or a permanent Verdict (DNC, ENTRY_LIMIT)
        self._attempts = array("i", bytes(4 * n))
        neg = array("d", [-INF])
        self._hold = neg * n  # entry interval / frequency: not before
        self._hold_reason = bytearray(n)
        self._ban = neg * n  # re-call ban: not before (unless a live agent is guaranteed)
        self._recent = array("d", [-INF]) * (n * self._k) if self._k else array("d")  # read only when _k
        # A number listed more than once is one callee: each contact's dials,
        # re-call bans and opt-out hold the others too (the legal caps and
        # bans count per number, as the audit does). Only repeated numbers
        # are in the map, so a list of distinct numbers pays one empty-dict
        # test per dial.
        self._twins: dict[int, tuple[int, ...]] = _twins_of(np.asarray(contacts.phone, dtype=np.int64))
        if dnc is not None:
            blocked = np.isin(np.asarray(contacts.phone, dtype=np.int64), as_number_array(dnc))
            for i in np.flatnonzero(blocked).tolist():
                self._blocked[i] = int(Verdict.DNC)
            self.dnc_blocked = int(blocked.sum())
            for w in getattr(dnc, "freshness_warnings", lambda rules: [])(self.rules):
                self.warnings.append(w)
        else:
            self.dnc_blocked = 0
        self.history_applied = 0  # earlier attempts loaded by ``seed_history``

    # ------------------------------------------------------------------
    # The hot path
    # ------------------------------------------------------------------

    def check(self, i: int, t: float, agent_guaranteed: bool = False) -> tuple[Verdict, float]:
        b = self._blocked[i]
        if b:
            return _V[b], INF
        g = self._group[i]
        bp = self._bp[g]
        k = bisect_right(bp, t) - 1
        code = self._code[g][k]
        hold = self._hold[i]
        ban = -INF if agent_guaranteed else self._ban[i]
        if code == 0 and hold <= t and ban <= t:
            return _ALLOWED, t
        # Forbidden: the reason at t, and the earliest instant all allow.
        if code:
            reason = _V[code]
        elif ban > t:
            reason = Verdict.RECALL_BAN
        else:
            reason = _V[self._hold_reason[i]]
        x = t
        if hold > x:
            x = hold
        if ban > x:
            x = ban
        if x >= self.end:
            return reason, INF
        k = bisect_right(bp, x) - 1
        when = x if self._code[g][k] == 0 else self._nxt[g][k]
        return reason, when

    # ------------------------------------------------------------------
    # What happened (the engine reports it)
    # ------------------------------------------------------------------

    def record_dial(self, i: int, t: float) -> None:
        self.record_dials((i,), t)

    def record_dials(self, contacts: Sequence[int], t: float) -> None:
        """Contacts dialled together at ``t`` (the engine's hot path: what
        is the same for all of them is looked up once)."""
        attempts, blocked = self._attempts, self._blocked
        holds, reasons = self._hold, self._hold_reason
        max_entries, k, rec, twins = self.max_entries, self._k, self._recent, self._twins
        hold0, reason0 = (t + self.min_interval, _ENTRY_LIMIT) if self.min_interval > 0 else (-INF, 0)
        shift = range(k - 1, 0, -1)
        for i in contacts:
            n = attempts[i] + 1
            attempts[i] = n
            if max_entries and n >= max_entries and not blocked[i]:
                blocked[i] = _ENTRY_LIMIT
            if k:
                base = i * k
                # Shift the ring of recent dials (most recent first); K is small.
                for j in shift:
                    rec[base + j] = rec[base + j - 1]
                rec[base] = t
                holds[i], reasons[i] = self._frequency_hold(i, hold0, reason0)
            else:
                holds[i] = hold0
                reasons[i] = reason0
            if twins and k and i in twins:
                self._twin_dial(i, t)

    def _twin_dial(self, i: int, t: float) -> None:
        """Contact ``i``'s dial at ``t`` counts in the caps of the other
        contacts with its number (their entries are their own)."""
        rec, k = self._recent, self._k
        for j in self._twins[i]:
            base = j * k
            for m in range(k - 1, 0, -1):
                rec[base + m] = rec[base + m - 1]
            rec[base] = t
            self._hold[j], self._hold_reason[j] = self._frequency_hold(j, self._hold[j], self._hold_reason[j])

    def _frequency_hold(self, i: int, hold: float, reason: int) -> tuple[float, int]:
        """``(hold, reason)`` pushed out by the campaign's limits and the legal
        caps of contact ``i``'s state, merged, over its ring of recent dials."""
        rec, base = self._recent, i * self._k
        for count, seconds in self._wfreq[self._group[i]]:
            until = rec[base + count - 1] + seconds
            if until > hold:
                hold, reason = until, _FREQUENCY_LIMIT
        return hold, reason

    def seed_history(self, history: DialHistory) -> int:
        """Load dial attempts made before this run (earlier runs of the same
        campaign, the same subject) so that the per-contact frequency caps
        (a state's "3 per 24 hours", France's "4 per 30 days", the campaign's
        ``communicationLimitsOverride``) count them: a contact called three
        times in the 24 hours before a Florida run starts is held until the
        first of those calls is 24 hours old. A callee who refused further
        calls during an earlier call is blocked (``DNC``), as an opt-out
        during the run is. Earlier attempts do not count towards the
        campaign's ``maxEntryCount`` (entries are per run). A number listed
        twice gets the history on both contacts. Call before the first dial;
        returns the number of attempts applied (those of a listed number)."""
        if any(self._attempts):
            raise RuntimeError("seed_history: call it before the first dial of the run")
        nums = np.asarray(history.numbers, dtype=np.int64)
        if nums.size == 0:
            return 0
        t_rel = np.asarray(history.times, dtype=np.float64) - self.epoch
        refused = np.asarray(history.opted_out, dtype=bool)
        phone = np.asarray(self.contacts.phone, dtype=np.int64)
        order = np.argsort(phone, kind="stable")
        by_phone = phone[order]
        lo = np.searchsorted(by_phone, nums, "left")
        hi = np.searchsorted(by_phone, nums, "right")
        longest = max([s for caps in self._wfreq for _, s in caps], default=0.0)
        # Only attempts a cap can still see (within the longest period before
        # the run's end), and refusals whatever their age.
        useful = (hi > lo) & ((t_rel > -longest) | refused) & (t_rel < self.end)
        picked = np.flatnonzero(useful)
        picked = picked[np.argsort(t_rel[picked], kind="stable")]
        touched: set[int] = set()
        k = self._k
        rec = self._recent
        for j in picked.tolist():
            t = float(t_rel[j])
            for i in order[int(lo[j]) : int(hi[j])].tolist():
                if refused[j] and not self._blocked[i]:
                    self._blocked[i] = int(Verdict.DNC)
                if k:
                    base = i * k
                    for m in range(k - 1, 0, -1):
                        rec[base + m] = rec[base + m - 1]
                    rec[base] = t
                    touched.add(i)
        for i in touched:
            self._hold[i], self._hold_reason[i] = self._frequency_hold(i, self._hold[i], self._hold_reason[i])
        self.history_applied = int(picked.size)
        return self.history_applied

    def record_abandoned(self, i: int, t: float) -> None:
        if self.recall_after_abandoned:
            until = t + self.recall_after_abandoned
            for j in (i, *self._twins.get(i, ())):
                if until > self._ban[j]:
                    self._ban[j] = until

    def record_machine_verdict(self, i: int, t: float) -> None:
        if not self.recall_after_machine:
            return
        for j in (i, *self._twins.get(i, ())):
            until = self._next_midnight(self._group[j], t)
            if until > self._ban[j]:
                self._ban[j] = until

    def record_opt_out(self, i: int, t: float) -> None:
        for j in (i, *self._twins.get(i, ())):
            self._blocked[j] = int(Verdict.DNC)

    # ------------------------------------------------------------------

    def explain(self, i: int, t: float) -> Decision:
        """``check`` with its reasons: the rule and source that refuse, the zone
        and how it was found, the callee's states, the next allowed instant.
        Off the hot path (builds single-zone windows to find the rule)."""
        verdict, when = self.check(i, t)
        w = self._group[i]
        g, regions = self._keys[w]
        zones = tuple(self.contacts.groups[g].zones) or (self._default_zone or "UTC",)
        e164 = self.contacts.e164(i)
        number_zones, _ = zones_for_number(e164)
        postcodes = getattr(self.contacts, "postcode", None)
        postcode = postcodes[i] if postcodes is not None else None
        if number_zones and tuple(number_zones)[: len(zones)] == zones:
            how = AREA_CODE
        elif self._default_zone and zones == (self._default_zone,):
            how = DEFAULT
        elif postcode:
            how = ZIP
        else:
            how = EXPLICIT
        states, states_how = regions_for(e164, postcode)
        instant = datetime.fromtimestamp(self.epoch + t, UTC)
        nxt = None if math.isinf(when) else datetime.fromtimestamp(self.epoch + when, UTC)
        zone = zones[0]
        rule, source = "", ""
        code = int(verdict)
        if code in _LEGAL_CODES and self.rules is not None:
            rule, source, zone = _which_rule(self.rules, zones, regions, t, self.epoch, self.end)
            if code == int(Verdict.HOLIDAY):
                rule = rule.replace("calling hours", "public holiday")
        elif verdict == Verdict.FREQUENCY_LIMIT:
            legal = [r for r in (self.rules.local_rules if self.rules else ()) if r.frequency and r.applies_to(regions)]
            legal_caps = {(c.count, c.seconds) for c in (self.rules.frequency if self.rules else ())}
            legal_caps |= {(c.count, c.seconds) for r in legal for c in r.frequency}
            if legal_caps - set(self.freq) or not self.freq:
                rule = "frequency cap (" + ", ".join(f"{c} per {s / 3600:g} h" for c, s in sorted(legal_caps)) + ")"
                source = "; ".join(r.source for r in legal) or "; ".join(self.rules.sources[:1] if self.rules else ())
            else:
                rule, source = "campaign communicationLimitsOverride", "campaign"
        elif verdict == Verdict.RECALL_BAN:
            rule, source = "re-call ban", "; ".join(self.rules.sources[:1] if self.rules else ())
        elif verdict != Verdict.ALLOWED:
            rule, source = verdict.name.lower(), "campaign"
        return Decision(
            verdict == Verdict.ALLOWED,
            verdict,
            nxt,
            zones=zones,
            rule=rule,
            source=source,
            zone=zone,
            zone_source=how,
            regions=states,
            regions_source=states_how,
            local_time=instant.astimezone(ZoneInfo(zone)),
        )

    def attempts(self, i: int) -> int:
        return self._attempts[i]

    def _next_midnight(self, g: int, t: float) -> float:
        """The next local midnight after t; for a multi-zone group the latest
        of them (the day is over in every zone)."""
        lists = self._midnights.get(g)
        if lists is None:
            zones = self.contacts.groups[self._wzone[g]].zones or ("UTC",)
            lists = [next_midnights(z, self.epoch, -86400.0, self.end + 86400.0) for z in zones]
            self._midnights[g] = lists
        best = -INF
        for mids in lists:
            k = bisect_right(mids, t)
            m = mids[k] if k < len(mids) else t + 86400.0
            best = max(best, m)
        return best


# ---------------------------------------------------------------------------
# One-off questions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A callee for ``may_dial``: an E.164 (or national) number, and optionally
    an explicit zone, a postcode, a DNC flag."""

    phone: str
    zone: str | None = None
    postcode: str | None = None
    dnc: bool = False


@dataclass(frozen=True)
class Decision:
    """A one-off answer, explained: the rule that forbids (and its source),
    the zone it was judged in and how the zone was found, the callee's state
    and how it was found, and the next allowed instant."""

    allowed: bool
    reason: Verdict
    next_allowed: datetime | None  # the instant itself when allowed; None: not within the horizon
    zones: tuple[str, ...] = ()
    rule: str = ""  # e.g. "US+FL calling hours (Florida Telephone Solicitation Act)"
    source: str = ""  # the statute or policy
    zone: str = ""  # the zone whose local time forbids (or the first zone)
    zone_source: str = ""  # explicit, zip, area_code, default
    regions: tuple[str, ...] = ()  # the callee's state(s) / province(s)
    regions_source: str = ""  # zip, area_code, zip+area_code, none
    local_time: datetime | None = None  # the instant in ``zone``

    def __bool__(self) -> bool:
        return self.allowed

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.name,
            "rule": self.rule,
            "source": self.source,
            "zone": self.zone,
            "zones": list(self.zones),
            "zone_source": self.zone_source,
            "regions": list(self.regions),
            "regions_source": self.regions_source,
            "local_time": self.local_time.isoformat() if self.local_time else None,
            "next_allowed": self.next_allowed.isoformat() if self.next_allowed else None,
        }


def _which_rule(
    rs: RuleSet, zones: tuple[str, ...], regions: tuple[str, ...], t: float, epoch: float, end: float
) -> tuple[str, str, str]:
    """(rule, source, zone) of the rule that forbids at ``t``: the national
    rules first, then each layer in force for the callee's states."""
    national = dataclasses.replace(rs, local_rules=())
    for zone in zones:
        if build_window((zone,), national, epoch=epoch, start=0.0, end=end).at(t)[0] in _LEGAL_CODES:
            rule, source = f"{rs.name} calling hours", "; ".join(rs.sources[:1])
            # A recorded-message call also names the device rule that forbids
            # it (Nebraska's repeats the federal window).
            for layer in _forbidding_layers(rs, zone, regions, t, epoch, end) if rs.recorded_message else ():
                if layer.recorded_message_only:
                    rule += f"; {rs.name}+{layer.region} calling hours ({layer.name})"
                    source += f"; {layer.source}"
            return rule, source, zone
    for zone in zones:
        for layer in _forbidding_layers(rs, zone, regions, t, epoch, end):
            where = "" if layer.region == "*" else f"+{layer.region}"
            return f"{rs.name}{where} calling hours ({layer.name})", layer.source, zone
    return f"{rs.name} calling hours", "; ".join(rs.sources[:1]), zones[0]


def _forbidding_layers(
    rs: RuleSet, zone: str, regions: tuple[str, ...], t: float, epoch: float, end: float
) -> list[LocalRule]:
    """The layers in force for the callee that, alone over the national
    rules, forbid a call at ``t`` in ``zone`` (in the rule set's order)."""
    local_date = datetime.fromtimestamp(epoch + t, ZoneInfo(zone)).date()
    out = []
    for layer in rs.layers(local_date, regions):
        one = dataclasses.replace(rs, local_rules=(layer,))
        if build_window((zone,), one, epoch=epoch, start=0.0, end=end, regions=regions).at(t)[0] in _LEGAL_CODES:
            out.append(layer)
    return out


_LEGAL_CODES = (int(Verdict.OUTSIDE_HOURS), int(Verdict.HOLIDAY))


def may_dial(
    contact: str | Contact | Any,
    instant: datetime,
    campaign: CampaignDocument | ConnectCampaign | None = None,
    rules: Rules = None,
    *,
    dnc: DncSource | None = None,
    horizon_days: int = 400,
    recorded_message: bool | None = None,
) -> Decision:
    """May ``contact`` be dialled at ``instant`` (an aware datetime)?

    ``campaign``: a ``CampaignDocument``, a ``ConnectCampaign`` or None (legal
    rules only). ``rules``: a rule-set name, ``RuleSet`` or None; when None and
    ``campaign`` is a document, its ``simulation.jurisdiction``. The answer's
    ``next_allowed`` is searched within the campaign schedule when there is one,
    else within ``horizon_days`` of ``instant``. The state layer of the rule
    set applies by the callee's state (ZIP when given, area code; both when
    they disagree). ``recorded_message``: the call delivers a recorded
    message (the layers binding such calls apply); None: when ``campaign`` is
    agentless."""

    if not isinstance(instant, datetime) or instant.tzinfo is None:
        raise ValueError(f"instant must be a timezone-aware datetime, got {instant!r}")
    doc_rules = None
    camp: ConnectCampaign | None
    region = "US"
    if isinstance(campaign, CampaignDocument):
        camp = campaign.campaign
        doc_rules = campaign.simulation.jurisdiction
        if campaign.simulation.contacts is not None:
            region = campaign.simulation.contacts.default_region
    else:
        camp = campaign
    rs = get_rules(rules if rules is not None else doc_rules)
    if recorded_message is None:
        recorded_message = delivers_recorded_message(camp)
    if rs is not None and recorded_message:
        rs = rs.for_recorded_message()
    if isinstance(contact, str):
        contact = Contact(contact)
    phone = getattr(contact, "phone", None)
    if phone is None:
        raise ValueError(f"contact needs a phone number, got {contact!r}")
    e164 = normalise_number(str(phone), region)
    ctc = getattr(camp, "communication_time_config", None) if camp is not None else None
    ltz = ctc.local_time_zone_config if ctc else None
    postcode = getattr(contact, "postcode", None)
    found = locate(
        e164,
        explicit_zone=getattr(contact, "zone", None),
        postcode=postcode,
        default_zone=ltz.default_time_zone if ltz else None,
        detection=tuple(ltz.local_time_zone_detection or ("AREA_CODE",)) if ltz else ("AREA_CODE", "ZIP_CODE"),
        scope=ltz.local_time_zone_detection_scope if ltz else None,
    )
    zones = found.zones
    regions, regions_how = regions_for(e164, postcode)
    known = rs.regions if rs is not None else frozenset()
    layer_regions = tuple(r for r in regions if r in known)
    local = instant.astimezone(ZoneInfo(zones[0]))
    base: dict[str, Any] = {
        "zones": zones,
        "zone": zones[0],
        "zone_source": found.how,
        "regions": regions,
        "regions_source": regions_how,
        "local_time": local,
    }
    on_dnc = bool(getattr(contact, "dnc", False))
    if dnc is not None and not on_dnc:
        on_dnc = bool(np.isin(np.int64(int(e164[1:])), as_number_array(dnc)))
    if on_dnc:
        return Decision(False, Verdict.DNC, None, rule="do-not-call list", source="DNC list", **base)
    sched = getattr(camp, "schedule", None) if camp is not None else None
    if sched is not None:
        epoch = sched.start_time.timestamp()
        end = (sched.end_time - sched.start_time).total_seconds()
    else:
        epoch = instant.timestamp() - 86400.0
        end = 86400.0 * (horizon_days + 1)
    t = instant.timestamp() - epoch
    # A short horizon first (a few ms); the full one only when no allowed
    # instant is found in it (a long holiday or restricted period).
    for horizon in sorted({min(end, t + 16 * 86400.0), end}):
        win = build_window(
            zones,
            rs,
            epoch=epoch,
            start=0.0,
            end=horizon,
            open_hours=open_hours_from_campaign(camp) if camp is not None else None,
            restricted=restricted_from_campaign(camp) if camp is not None else (),
            regions=layer_regions,
        )
        code, when = win.at(t)
        if not math.isinf(when):
            break
    end = horizon
    nxt = None if math.isinf(when) else datetime.fromtimestamp(epoch + when, UTC)
    if code == 0:
        return Decision(True, Verdict.ALLOWED, instant, **base)
    if code in _LEGAL_CODES and rs is not None:
        rule, source, zone = _which_rule(rs, zones, layer_regions, t, epoch, end)
        base["zone"] = zone
        base["local_time"] = instant.astimezone(ZoneInfo(zone))
        if code == int(Verdict.HOLIDAY):
            rule = rule.replace("calling hours", "public holiday")
    elif code == int(Verdict.RESTRICTED_PERIOD):
        rule, source = "campaign restrictedPeriods", "campaign communicationTimeConfig"
    else:
        rule, source = "campaign schedule / openHours", "campaign communicationTimeConfig"
    return Decision(False, _V[code], nxt, rule=rule, source=source, **base)


__all__ = ["Contact", "Decision", "DialGate", "Verdict", "delivers_recorded_message", "may_dial"]
