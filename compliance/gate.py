"""The pre-dial gate: may this contact be dialled now, and if not, when?

``DialGate`` is built once per run. Calling windows are precomputed per
``ZoneGroup`` (contacts sharing their candidate zones) as sorted breakpoints
over [schedule start - 1 day, schedule end + 1 day]; ``check`` answers with one
``bisect`` and a handful of array reads. Per-contact history lives in compact
``array``/``bytearray`` columns (a few bytes per contact), not in objects.

``may_dial`` answers one-off questions with the same machinery.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from campaigns.contacts import ContactList
from campaigns.document import CampaignDocument, ConnectCampaign
from compliance.dnc import DncSource, Rules, as_number_array
from compliance.rules import get_rules
from compliance.verdicts import Verdict
from compliance.windows import (
    Window,
    build_window,
    next_midnights,
    open_hours_from_campaign,
    restricted_from_campaign,
)
from phonegeo import LocalTimeError, normalise_number, resolve_zones

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
        self.contacts = contacts
        self.warnings: list[str] = []
        n = len(contacts)
        self.n = n
        open_hours = open_hours_from_campaign(campaign)
        restricted = restricted_from_campaign(campaign)
        ctc = campaign.communication_time_config
        default_zone = ctc.local_time_zone_config.default_time_zone if ctc else None

        # -- windows per zone group (zone functions shared between groups) --
        self._windows: list[Window] = []
        for g in contacts.groups:
            zones = tuple(g.zones)
            if not zones:
                zones = (default_zone or "UTC",)
                self.warnings.append(f"contacts with no known zone use {zones[0]}")
            self._windows.append(
                build_window(
                    zones, self.rules, epoch=self.epoch, start=0.0, end=self.end,
                    open_hours=open_hours, restricted=restricted,
                )
            )
        self._bp = [w.bp for w in self._windows]
        self._code = [w.code for w in self._windows]
        self._nxt = [w.nxt for w in self._windows]
        self._group = array("i", np.asarray(contacts.group, dtype=np.int32).tobytes())
        self._midnights: dict[int, list[list[float]]] = {}

        # -- limits --
        self.max_entries, self.min_interval, self.freq = _campaign_limits(campaign)
        self._k = max((c for c, _ in self.freq), default=0)
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
        if dnc is not None:

            blocked = np.isin(np.asarray(contacts.phone, dtype=np.int64), as_number_array(dnc))
            for i in np.flatnonzero(blocked).tolist():
                self._blocked[i] = int(Verdict.DNC)
            self.dnc_blocked = int(blocked.sum())
            for w in getattr(dnc, "freshness_warnings", lambda rules: [])(self.rules):
                self.warnings.append(w)
        else:
            self.dnc_blocked = 0

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
        n = self._attempts[i] + 1
        self._attempts[i] = n
        if self.max_entries and n >= self.max_entries and not self._blocked[i]:
            self._blocked[i] = _ENTRY_LIMIT
        hold, reason = -INF, 0
        if self.min_interval > 0:
            hold, reason = t + self.min_interval, _ENTRY_LIMIT
        if self._k:
            base = i * self._k
            rec = self._recent
            # Shift the ring of recent dials (most recent first); K is small.
            for j in range(self._k - 1, 0, -1):
                rec[base + j] = rec[base + j - 1]
            rec[base] = t
            for count, seconds in self.freq:
                until = rec[base + count - 1] + seconds
                if until > hold:
                    hold, reason = until, _FREQUENCY_LIMIT
        self._hold[i] = hold
        self._hold_reason[i] = reason

    def record_abandoned(self, i: int, t: float) -> None:
        if self.recall_after_abandoned:
            until = t + self.recall_after_abandoned
            if until > self._ban[i]:
                self._ban[i] = until

    def record_machine_verdict(self, i: int, t: float) -> None:
        if not self.recall_after_machine:
            return
        until = self._next_midnight(self._group[i], t)
        if until > self._ban[i]:
            self._ban[i] = until

    def record_opt_out(self, i: int, t: float) -> None:
        self._blocked[i] = int(Verdict.DNC)

    # ------------------------------------------------------------------

    def attempts(self, i: int) -> int:
        return self._attempts[i]

    def _next_midnight(self, g: int, t: float) -> float:
        """The next local midnight after t; for a multi-zone group the latest
        of them (the day is over in every zone)."""
        lists = self._midnights.get(g)
        if lists is None:
            zones = self.contacts.groups[g].zones or ("UTC",)
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
    allowed: bool
    reason: Verdict
    next_allowed: datetime | None  # the instant itself when allowed; None: not within the horizon
    zones: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def may_dial(
    contact: str | Contact | Any,
    instant: datetime,
    campaign: CampaignDocument | ConnectCampaign | None = None,
    rules: Rules = None,
    *,
    dnc: DncSource | None = None,
    horizon_days: int = 400,
) -> Decision:
    """May ``contact`` be dialled at ``instant`` (an aware datetime)?

    ``campaign``: a ``CampaignDocument``, a ``ConnectCampaign`` or None (legal
    rules only). ``rules``: a rule-set name, ``RuleSet`` or None; when None and
    ``campaign`` is a document, its ``simulation.jurisdiction``. The answer's
    ``next_allowed`` is searched within the campaign schedule when there is one,
    else within ``horizon_days`` of ``instant``."""

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
    if isinstance(contact, str):
        contact = Contact(contact)
    phone = getattr(contact, "phone", None)
    if phone is None:
        raise ValueError(f"contact needs a phone number, got {contact!r}")
    e164 = normalise_number(str(phone), region)
    ctc = getattr(camp, "communication_time_config", None) if camp is not None else None
    ltz = ctc.local_time_zone_config if ctc else None
    zones, _ = resolve_zones(
        e164,
        explicit_zone=getattr(contact, "zone", None),
        postcode=getattr(contact, "postcode", None),
        default_zone=ltz.default_time_zone if ltz else None,
        detection=tuple(ltz.local_time_zone_detection or ("AREA_CODE",)) if ltz else ("AREA_CODE", "ZIP_CODE"),
        scope=ltz.local_time_zone_detection_scope if ltz else None,
    )
    if not zones:
        raise LocalTimeError(f"no time zone for {e164!r}")
    on_dnc = bool(getattr(contact, "dnc", False))
    if dnc is not None and not on_dnc:

        on_dnc = bool(np.isin(np.int64(int(e164[1:])), as_number_array(dnc)))
    if on_dnc:
        return Decision(False, Verdict.DNC, None, zones)
    sched = getattr(camp, "schedule", None) if camp is not None else None
    if sched is not None:
        epoch = sched.start_time.timestamp()
        end = (sched.end_time - sched.start_time).total_seconds()
    else:
        epoch = instant.timestamp() - 86400.0
        end = 86400.0 * (horizon_days + 1)
    win = build_window(
        zones, rs, epoch=epoch, start=0.0, end=end,
        open_hours=open_hours_from_campaign(camp) if camp is not None else None,
        restricted=restricted_from_campaign(camp) if camp is not None else (),
    )
    t = instant.timestamp() - epoch
    code, when = win.at(t)
    nxt = None if math.isinf(when) else datetime.fromtimestamp(epoch + when, UTC)
    if code == 0:
        return Decision(True, Verdict.ALLOWED, instant, zones)
    return Decision(False, _V[code], nxt, zones)


__all__ = ["Contact", "Decision", "DialGate", "Verdict", "may_dial"]
